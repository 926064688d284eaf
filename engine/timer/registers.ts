// The EL1 generic-timer system registers the timer model serves: one row per register.
// Encodings and names come from engine/arch/sysregs.ts (owner 'timer'); this table adds what
// each register does. EL2 and E2H-alias timer registers are deliberately absent (TIMER.md).

import { SYSREGS } from '../arch/sysregs';

/** What a register is, so the model dispatches on a small integer instead of a name. */
export enum TimerRegKind {
  /** CNTFRQ_EL0: the header's frequency, RO. */
  Freq = 0,
  /** CNTPCT_EL0 / CNTPCTSS_EL0 (timer 'p') and CNTVCT_EL0 / CNTVCTSS_EL0 (timer 'v'): RO counts. */
  Count = 1,
  /** CNTKCTL_EL1: stored, valid bits only. */
  Kctl = 2,
  Ctl = 3,
  Cval = 4,
  Tval = 5,
}

export type TimerId = 'v' | 'p';

export interface TimerReg {
  name: string;
  enc: number;
  kind: TimerRegKind;
  /** The timer (or counter) the register belongs to; null for CNTFRQ and CNTKCTL. */
  timer: TimerId | null;
  /** Reset value where the register has state of its own. */
  reset: bigint;
}

const ROWS: ReadonlyArray<[name: string, kind: TimerRegKind, timer: TimerId | null]> = [
  ['CNTFRQ_EL0', TimerRegKind.Freq, null],
  ['CNTPCT_EL0', TimerRegKind.Count, 'p'],
  ['CNTVCT_EL0', TimerRegKind.Count, 'v'],
  ['CNTPCTSS_EL0', TimerRegKind.Count, 'p'],
  ['CNTVCTSS_EL0', TimerRegKind.Count, 'v'],
  ['CNTKCTL_EL1', TimerRegKind.Kctl, null],
  ['CNTP_TVAL_EL0', TimerRegKind.Tval, 'p'],
  ['CNTP_CTL_EL0', TimerRegKind.Ctl, 'p'],
  ['CNTP_CVAL_EL0', TimerRegKind.Cval, 'p'],
  ['CNTV_TVAL_EL0', TimerRegKind.Tval, 'v'],
  ['CNTV_CTL_EL0', TimerRegKind.Ctl, 'v'],
  ['CNTV_CVAL_EL0', TimerRegKind.Cval, 'v'],
];

function build(): TimerReg[] {
  return ROWS.map(([name, kind, timer]) => {
    const s = SYSREGS.find((r) => r.name === name && r.owner === 'timer');
    if (!s) throw new Error(`engine/arch/sysregs.ts has no timer row ${name}`);
    // KVM resets CTL to 0 (kvm_timer_vcpu_reset); CVAL and CNTKCTL start zeroed.
    return { name, enc: s.enc, kind, timer, reset: 0n };
  });
}

export const TIMER_REGS: readonly TimerReg[] = build();

const byEnc = new Map<number, TimerReg>(TIMER_REGS.map((r) => [r.enc, r]));

/**
 * Every generic-timer register is in CRn 14 (Arm ARM D13.8), no GIC register is (ICC_* are CRn
 * 12): the replay asks of every system-register access whether it is the timer's, and a test
 * of four bits answers most of them without a Map lookup.
 */
const TIMER_CRN = (TIMER_REGS[0].enc >> 8) & 0xf;
if (TIMER_REGS.some((r) => ((r.enc >> 8) & 0xf) !== TIMER_CRN)) throw new Error('engine/timer/registers.ts: the timer registers no longer share one CRn');

export function timerRegByEnc(enc: number): TimerReg | undefined {
  if (((enc >> 8) & 0xf) !== TIMER_CRN) return undefined;
  return byEnc.get(enc);
}

/** CTL fields (Arm ARM D13.8: CNTP_CTL_EL0 / CNTV_CTL_EL0). */
export const CTL_ENABLE = 1;
export const CTL_IMASK = 2;
export const CTL_ISTATUS = 4;

/** KVM's CNTKCTL_VALID_BITS: EVNTIS (17) and EL0PTEN..EL0PCTEN ([9:0]); the rest is RES0. */
export const CNTKCTL_VALID_BITS = (1n << 17n) | 0x3ffn;

/** Default PPIs (KVM default_vtimer_irq / default_ptimer_irq; QEMU virt's DT uses the same). */
export const VTIMER_PPI = 27;
export const PTIMER_PPI = 30;
