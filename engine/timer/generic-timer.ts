// Per-vCPU EL1 virtual and physical generic timers as a KVM guest sees them (KVM's
// arch/arm64/kvm/arch_timer.c: kvm_arm_timer_read/write, read_timer_ctl, kvm_timer_should_fire).
// Counters are a pure function of the event's cycle, so replay needs no wall clock, and each
// timer's output changes at the exact cycle its condition flips, also between recorded events.

import { InputError } from '../errors';
import { DepTracker } from '../model/deps';
import { ReadResult, WriteResult } from '../model/model';
import { TraceHeader } from '../trace/events';
import { conditionAt, CounterClock, MASK32, MASK64, mod64, nextConditionFlip, signExtend32 } from './counter';
import { CNTKCTL_VALID_BITS, CTL_ENABLE, CTL_IMASK, CTL_ISTATUS, PTIMER_PPI, TimerReg, TimerRegKind, timerRegByEnc, VTIMER_PPI } from './registers';
import { TimerLineChange, TimerModel } from './types';
import { bigFromUint } from '../util/bigint';
import { hex } from '../util/hex';

const NO_CHANGES: readonly TimerLineChange[] = Object.freeze([]) as readonly TimerLineChange[];
const UNKNOWN = -1;

/** One EL1 timer of one vCPU. */
interface Timer {
  /** cpu*2 for the virtual timer, cpu*2+1 for the physical one. */
  readonly idx: number;
  readonly cpu: number;
  readonly intid: number;
  readonly offset: bigint;
  readonly ctlKey: string;
  readonly cvalKey: string;
  readonly cntKey: string;
  readonly regPrefix: 'CNTV' | 'CNTP';
  ctl: number;
  cval: bigint;
  /** The trace programmed this timer: the model drives its PPI from now on. */
  driven: boolean;
  /** Output level last reported by evaluate(); UNKNOWN right after the model took the line over. */
  level: number;
  /** First cycle after the last write/evaluation at which the output differs from `level`; null = never. */
  nextAt: bigint | null;
}


export class GenericTimers implements TimerModel {
  private readonly clock: CounterClock;
  private readonly cntfrq: bigint;
  /** Index cpu*2 (virtual) and cpu*2+1 (physical). */
  private readonly timers: Timer[];
  private readonly kctl: bigint[];
  private readonly kctlKeys: string[];
  private readonly cpuCount: number;
  /** Driven timers in index order, so evaluation order (and so output order) is fixed. */
  private readonly driven: Timer[] = [];
  private minNext: bigint | null = null;
  private minDirty = false;

  constructor(header: TraceHeader, private readonly deps: DepTracker) {
    this.clock = new CounterClock(header.timer);
    this.cntfrq = header.timer.cntfrq;
    this.cpuCount = header.gic.cpus.length;
    this.timers = [];
    this.kctl = [];
    this.kctlKeys = [];
    for (let cpu = 0; cpu < this.cpuCount; cpu++) {
      this.timers.push(this.makeTimer(cpu, 'v', header.timer.virtualOffset), this.makeTimer(cpu, 'p', header.timer.physicalOffset));
      this.kctl.push(0n);
      this.kctlKeys.push(`timer${cpu}:cntkctl`);
    }
  }

  private makeTimer(cpu: number, t: 'v' | 'p', offset: bigint): Timer {
    return {
      idx: cpu * 2 + (t === 'v' ? 0 : 1),
      cpu,
      intid: t === 'v' ? VTIMER_PPI : PTIMER_PPI,
      offset,
      ctlKey: `timer${cpu}:${t}:ctl`,
      cvalKey: `timer${cpu}:${t}:cval`,
      cntKey: `timer${cpu}:${t}:cnt`,
      regPrefix: t === 'v' ? 'CNTV' : 'CNTP',
      ctl: 0,
      cval: 0n,
      driven: false,
      level: 0,
      nextAt: null,
    };
  }

  serves(enc: number): boolean {
    return timerRegByEnc(enc) !== undefined;
  }

  private reg(cpu: number, enc: number): TimerReg {
    const r = timerRegByEnc(enc);
    if (!r) throw new Error(`timer model asked for non-timer register encoding 0x${enc.toString(16)}`);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpuCount) {
      throw new InputError(`${r.name} accessed by vCPU ${cpu}`, undefined, `a vCPU below the header's ${this.cpuCount}`);
    }
    return r;
  }

  private timerOf(cpu: number, r: TimerReg): Timer {
    return this.timers[cpu * 2 + (r.timer === 'p' ? 1 : 0)];
  }

  /** The timer's own count (CNTVCT or CNTPCT) at `cycle`. */
  private count(t: Timer, cycle: bigint): bigint {
    return mod64(this.clock.counterAt(cycle) - t.offset);
  }

  read(cpu: number, enc: number, cycle: bigint, observed: bigint | null): ReadResult {
    void observed;
    const r = this.reg(cpu, enc);
    switch (r.kind) {
      case TimerRegKind.Freq:
        return { value: this.cntfrq, reg: r.name };
      case TimerRegKind.Count:
        return { value: this.count(this.timerOf(cpu, r), cycle), reg: r.name };
      case TimerRegKind.Kctl:
        this.deps.read(this.kctlKeys[cpu]);
        return { value: this.kctl[cpu], reg: r.name };
      case TimerRegKind.Ctl: {
        const t = this.timerOf(cpu, r);
        this.deps.read(t.ctlKey);
        this.deps.read(t.cvalKey);
        // read_timer_ctl: ISTATUS whenever the deadline has passed, ENABLE or not.
        if (this.count(t, cycle) < t.cval) return { value: bigFromUint(t.ctl), reg: r.name };
        const value = bigFromUint(t.ctl | CTL_ISTATUS);
        if (t.ctl & CTL_ENABLE) return { value, reg: r.name };
        return { value, reg: r.name, note: 'ISTATUS=1 with ENABLE=0: KVM reports the expired condition regardless of ENABLE (architecturally UNKNOWN)' };
      }
      case TimerRegKind.Cval: {
        const t = this.timerOf(cpu, r);
        this.deps.read(t.cvalKey);
        return { value: t.cval, reg: r.name };
      }
      case TimerRegKind.Tval: {
        const t = this.timerOf(cpu, r);
        this.deps.read(t.cvalKey);
        const value = mod64(t.cval - this.count(t, cycle)) & MASK32;
        if (value < 0x80000000n) return { value, reg: r.name };
        return { value, reg: r.name, note: `TVAL is signed: ${signExtend32(value)} (the deadline passed ${-signExtend32(value)} ticks ago)` };
      }
    }
  }

  write(cpu: number, enc: number, value: bigint, cycle: bigint): WriteResult {
    const r = this.reg(cpu, enc);
    switch (r.kind) {
      case TimerRegKind.Freq:
      case TimerRegKind.Count: {
        const key = r.kind === TimerRegKind.Freq ? `timer${cpu}:cntfrq` : this.timerOf(cpu, r).cntKey;
        const effect = `ignored: ${r.name} is read-only at EL1 (the write is UNDEFINED and never reaches KVM)`;
        this.deps.drop(key, effect);
        return { reg: r.name, effect };
      }
      case TimerRegKind.Kctl: {
        const stored = value & CNTKCTL_VALID_BITS;
        this.kctl[cpu] = stored;
        this.deps.write(this.kctlKeys[cpu]);
        if (stored === value) return { reg: r.name };
        return { reg: r.name, effect: `stored ${hex(stored)} (only bits 17 and [9:0] are valid; the rest is RES0)` };
      }
      case TimerRegKind.Ctl: {
        const t = this.timerOf(cpu, r);
        // kvm_arm_timer_write: CTL is kept as 32 bits with ISTATUS (read-only) cleared.
        const stored = Number(value & MASK32) & ~CTL_ISTATUS;
        t.ctl = stored >>> 0;
        this.deps.write(t.ctlKey);
        this.touched(t, cycle);
        if (bigFromUint(t.ctl) === value) return { reg: r.name };
        const why: string[] = [];
        if (value & BigInt(CTL_ISTATUS)) why.push('ISTATUS (bit 2) is read-only');
        if (value > MASK32) why.push('KVM keeps CTL as 32 bits');
        return { reg: r.name, effect: `stored ${hex(BigInt(t.ctl))} (${why.join('; ')})` };
      }
      case TimerRegKind.Cval: {
        const t = this.timerOf(cpu, r);
        t.cval = value & MASK64;
        this.deps.write(t.cvalKey);
        this.touched(t, cycle);
        return { reg: r.name };
      }
      case TimerRegKind.Tval: {
        const t = this.timerOf(cpu, r);
        // kvm_arm_timer_write: cval = now + (s32)val, wrapping as a u64.
        const now = this.count(t, cycle);
        const delta = signExtend32(value);
        t.cval = mod64(now + delta);
        this.deps.write(t.cvalKey);
        this.touched(t, cycle);
        const counter = t.regPrefix === 'CNTV' ? 'CNTVCT' : 'CNTPCT';
        const ignored = value > MASK32 ? '; bits [63:32] of TVAL are ignored' : '';
        return { reg: r.name, effect: `sets ${t.regPrefix}_CVAL_EL0 = ${hex(t.cval)} (${counter} ${hex(now)} ${delta < 0n ? '-' : '+'} ${delta < 0n ? -delta : delta}${ignored})` };
      }
    }
  }

  /** A guest write changed this timer: it now drives its PPI, and its next change moves. */
  private touched(t: Timer, cycle: bigint): void {
    if (!t.driven) {
      t.driven = true;
      // Report the level at the next evaluation even if it is 0: before the takeover the line
      // followed recorded inputs, which may have left it high.
      t.level = UNKNOWN;
      this.driven.push(t);
      this.driven.sort((a, b) => a.idx - b.idx);
    }
    // Due now: the evaluation at this cycle (replay's, right after the write) settles the level
    // and finds the next change once, instead of once here and once there.
    t.nextAt = cycle;
    this.minDirty = true;
  }

  private outputAt(t: Timer, cycle: bigint): number {
    if ((t.ctl & (CTL_ENABLE | CTL_IMASK)) !== CTL_ENABLE) return 0;
    return conditionAt(this.clock, t.offset, t.cval, cycle) ? 1 : 0;
  }

  /** First cycle after `after` at which the timer's output differs from its reported level. */
  private nextFor(t: Timer, after: bigint): bigint | null {
    const first = after < 0n ? 0n : after + 1n;
    if (t.level === UNKNOWN) return first;
    if ((t.ctl & (CTL_ENABLE | CTL_IMASK)) !== CTL_ENABLE) return t.level === 0 ? null : first;
    if (this.outputAt(t, first) !== t.level) return first;
    return nextConditionFlip(this.clock, t.offset, t.cval, first);
  }

  nextChange(after: bigint): bigint | null {
    if (this.minDirty) this.recomputeMin();
    if (this.minNext !== null && this.minNext <= after) {
      // Only reached when a caller skipped evaluate(); re-anchor every timer at `after`.
      for (const t of this.driven) t.nextAt = this.nextFor(t, after);
      this.recomputeMin();
    }
    return this.minNext;
  }

  private recomputeMin(): void {
    let m: bigint | null = null;
    for (const t of this.driven) if (t.nextAt !== null && (m === null || t.nextAt < m)) m = t.nextAt;
    this.minNext = m;
    this.minDirty = false;
  }

  evaluate(cycle: bigint): TimerLineChange[] {
    let changes: TimerLineChange[] | null = null;
    for (const t of this.driven) {
      // Until nextAt the output cannot differ from the reported level: nothing to compute.
      if (t.nextAt === null || t.nextAt > cycle) continue;
      const level = this.outputAt(t, cycle);
      if (level !== t.level) {
        t.level = level;
        if (this.deps.enabled) {
          this.deps.read(t.ctlKey);
          this.deps.read(t.cvalKey);
        }
        (changes ??= []).push({ cpu: t.cpu, intid: t.intid, level: level as 0 | 1 });
      }
      t.nextAt = this.nextFor(t, cycle);
      this.minDirty = true;
    }
    return changes ?? (NO_CHANGES as TimerLineChange[]);
  }

  private lineTimer(cpu: number, intid: number): Timer | undefined {
    if (cpu < 0 || cpu >= this.cpuCount) return undefined;
    if (intid === VTIMER_PPI) return this.timers[cpu * 2];
    if (intid === PTIMER_PPI) return this.timers[cpu * 2 + 1];
    return undefined;
  }

  drivesLine(cpu: number, intid: number): boolean {
    return this.lineTimer(cpu, intid)?.driven === true;
  }

  lineLevel(cpu: number, intid: number): 0 | 1 {
    return this.lineTimer(cpu, intid)?.level === 1 ? 1 : 0;
  }
}
