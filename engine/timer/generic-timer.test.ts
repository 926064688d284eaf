import { sysregByName } from '../arch/sysregs';
import { InputError } from '../errors';
import { NO_DEPS, RecordingDeps } from '../model/deps';
import { TimerConfig } from '../trace/events';
import { createTimer } from './index';
import { timerTestHeader } from './testing/header';
import { TimerModel } from './types';

const enc = (name: string): number => {
  const s = sysregByName(name);
  if (!s) throw new Error(name);
  return s.enc;
};
const CNTFRQ = enc('CNTFRQ_EL0');
const CNTVCT = enc('CNTVCT_EL0');
const CNTPCT = enc('CNTPCT_EL0');
const CNTVCTSS = enc('CNTVCTSS_EL0');
const CNTKCTL = enc('CNTKCTL_EL1');
const V_CTL = enc('CNTV_CTL_EL0');
const V_CVAL = enc('CNTV_CVAL_EL0');
const V_TVAL = enc('CNTV_TVAL_EL0');
const P_CTL = enc('CNTP_CTL_EL0');
const P_CVAL = enc('CNTP_CVAL_EL0');
const P_TVAL = enc('CNTP_TVAL_EL0');

function timer(cfg: Partial<TimerConfig> = {}, cpus = 2): TimerModel {
  return createTimer(timerTestHeader(cfg, cpus), NO_DEPS);
}

/** Apply a write the way replay does: write, then evaluate at the same cycle. */
function program(t: TimerModel, cpu: number, reg: number, value: bigint, cycle: bigint) {
  const w = t.write(cpu, reg, value, cycle);
  return { w, changes: t.evaluate(cycle) };
}

describe('timer registers (KVM arch_timer.c semantics)', () => {
  it('serves exactly the EL1 CNT* registers', () => {
    const t = timer();
    for (const r of [CNTFRQ, CNTVCT, CNTPCT, CNTVCTSS, CNTKCTL, V_CTL, V_CVAL, V_TVAL, P_CTL, P_CVAL, P_TVAL]) expect(t.serves(r)).toBe(true);
    expect(t.serves(enc('ICC_PMR_EL1'))).toBe(false);
    // CNTHV_CTL_EL2 (3,4,14,3,1): EL2 timers are not modelled (TIMER.md)
    expect(t.serves((3 << 16) | (4 << 12) | (14 << 8) | (3 << 4) | 1)).toBe(false);
  });

  it('CNTFRQ_EL0 is the header frequency; counters follow cycle*num/den minus the offsets', () => {
    const t = timer({ cntfrq: 24_000_000n, counterPerCycle: { num: 3n, den: 7n }, virtualOffset: 100n, physicalOffset: 0n });
    expect(t.read(0, CNTFRQ, 5n, null).value).toBe(24_000_000n);
    // 1000*3/7 = 428 (integer division)
    expect(t.read(0, CNTPCT, 1000n, null)).toEqual({ value: 428n, reg: 'CNTPCT_EL0' });
    expect(t.read(1, CNTVCT, 1000n, null).value).toBe(328n);
    expect(t.read(1, CNTVCTSS, 1000n, null)).toEqual({ value: 328n, reg: 'CNTVCTSS_EL0' });
  });

  it('a virtual offset larger than the counter wraps CNTVCT as an unsigned 64-bit value', () => {
    const t = timer({ virtualOffset: 1000n });
    expect(t.read(0, CNTVCT, 10n, null).value).toBe((1n << 64n) - 990n);
  });

  it('64-bit counters stay exact above 2^53', () => {
    const t = timer({ counterPerCycle: { num: 1n, den: 1n } });
    const big = (1n << 60n) + 12345n;
    expect(t.read(0, CNTPCT, big, null).value).toBe(big);
  });

  it('ISTATUS and the output line across a CVAL crossing (3 cycles per tick)', () => {
    const t = timer({ counterPerCycle: { num: 1n, den: 3n } });
    // the takeover (first write) reports the line's level at once, here low
    expect(program(t, 0, V_CVAL, 100n, 0n).changes).toEqual([{ cpu: 0, intid: 27, level: 0 }]);
    expect(program(t, 0, V_CTL, 1n, 10n).changes).toEqual([]);
    expect(t.read(0, V_CTL, 299n, null).value).toBe(1n); // counter 99
    // counter reaches 100 at cycle 300 exactly
    expect(t.nextChange(10n)).toBe(300n);
    expect(t.nextChange(299n)).toBe(300n);
    expect(t.read(0, V_CTL, 300n, null)).toEqual({ value: 5n, reg: 'CNTV_CTL_EL0' });
    expect(t.evaluate(300n)).toEqual([{ cpu: 0, intid: 27, level: 1 }]);
    expect(t.lineLevel(0, 27)).toBe(1);
    expect(t.lineLevel(1, 27)).toBe(0);
    expect(t.lineLevel(0, 30)).toBe(0);
    // level-sensitive: stays high until the 64-bit count wraps to 0 (3 cycles per tick)
    expect(t.evaluate(100000n)).toEqual([]);
    expect(t.nextChange(300n)).toBe(3n << 64n);
  });

  it('the physical timer drives PPI 30 from CNTPCT, independently of the virtual timer', () => {
    const t = timer();
    program(t, 1, P_CVAL, 60n, 0n);
    program(t, 1, P_CTL, 1n, 0n);
    program(t, 1, V_CVAL, 110n, 0n);
    program(t, 1, V_CTL, 1n, 0n);
    expect(t.nextChange(0n)).toBe(60n);
    expect(t.evaluate(60n)).toEqual([{ cpu: 1, intid: 30, level: 1 }]);
    expect(t.nextChange(60n)).toBe(110n);
    expect(t.evaluate(110n)).toEqual([{ cpu: 1, intid: 27, level: 1 }]);
  });

  it('IMASK: ISTATUS still reads 1 but the line stays low until IMASK clears', () => {
    const t = timer();
    program(t, 0, V_CVAL, 50n, 0n);
    program(t, 0, V_CTL, 3n, 0n); // ENABLE | IMASK
    expect(t.nextChange(0n)).toBeNull();
    expect(t.evaluate(60n)).toEqual([]);
    expect(t.read(0, V_CTL, 60n, null).value).toBe(7n);
    expect(t.lineLevel(0, 27)).toBe(0);
    expect(program(t, 0, V_CTL, 1n, 70n).changes).toEqual([{ cpu: 0, intid: 27, level: 1 }]);
    // masking again lowers the line at the write's cycle
    expect(program(t, 0, V_CTL, 3n, 80n).changes).toEqual([{ cpu: 0, intid: 27, level: 0 }]);
  });

  it('disabling lowers the line; a CTL read still shows ISTATUS (KVM sets it regardless of ENABLE)', () => {
    const t = timer();
    program(t, 0, P_CVAL, 10n, 0n);
    program(t, 0, P_CTL, 1n, 0n);
    expect(t.evaluate(10n)).toEqual([{ cpu: 0, intid: 30, level: 1 }]);
    expect(program(t, 0, P_CTL, 0n, 20n).changes).toEqual([{ cpu: 0, intid: 30, level: 0 }]);
    const r = t.read(0, P_CTL, 20n, null);
    expect(r.value).toBe(4n);
    expect(r.note).toMatch(/ENABLE=0/);
    // before the deadline, no ISTATUS
    expect(t.read(0, P_CTL, 5n, null).value).toBe(0n);
  });

  it('moving CVAL forward lowers the line at the write and raises it at the new deadline', () => {
    const t = timer();
    program(t, 0, V_CVAL, 10n, 0n);
    program(t, 0, V_CTL, 1n, 0n);
    t.evaluate(10n);
    expect(program(t, 0, V_CVAL, 500n, 20n).changes).toEqual([{ cpu: 0, intid: 27, level: 0 }]);
    expect(t.nextChange(20n)).toBe(500n);
  });

  it('TVAL is the signed 32-bit view of CVAL - CNT: positive before, negative after expiry', () => {
    const t = timer();
    program(t, 0, V_CVAL, 0x1000n, 0n);
    expect(t.read(0, V_TVAL, 0x0f00n, null).value).toBe(0x100n);
    const after = t.read(0, V_TVAL, 0x1100n, null);
    expect(after.value).toBe(0xffffff00n);
    expect(after.note).toMatch(/-256/);
  });

  it('a TVAL write sets CVAL = CNT + SignExtend32(value), wrapping as u64 (spec worked examples)', () => {
    const t = timer();
    const w = program(t, 0, V_TVAL, 0xffffff00n, 0x1_0000_0000n).w;
    expect(t.read(0, V_CVAL, 0x1_0000_0000n, null).value).toBe(0xffffff00n);
    expect(w.effect).toBe('sets CNTV_CVAL_EL0 = 0xffffff00 (CNTVCT 0x100000000 - 256)');
    program(t, 0, V_CTL, 1n, 0x1_0000_0000n);
    expect(t.lineLevel(0, 27)).toBe(1); // already expired
    program(t, 0, V_TVAL, 0x80000000n, 0x1100n);
    expect(t.read(0, V_CVAL, 0x1100n, null).value).toBe(0xffffffff80001100n);
    expect(t.lineLevel(0, 27)).toBe(0);
    // the deadline is ~2^64 ticks away, not "expired"
    const next = t.nextChange(0x1100n);
    expect(next).not.toBeNull();
    expect(next! > 1n << 63n).toBe(true);
    // upper 32 bits of a TVAL write are ignored
    const w2 = t.write(0, P_TVAL, 0xabcd_0000_0010n, 100n);
    expect(t.read(0, P_CVAL, 100n, null).value).toBe(116n);
    expect(w2.effect).toMatch(/bits \[63:32\] of TVAL are ignored/);
  });

  it('a CTL write stores the value without ISTATUS and says so', () => {
    const t = timer();
    const w = t.write(0, V_CTL, 7n, 0n);
    expect(w.effect).toBe('stored 0x3 (ISTATUS (bit 2) is read-only)');
    expect(t.read(0, V_CTL, 0n, null).value).toBe(3n | 4n); // CVAL 0 <= CNT 0: ISTATUS
    expect(t.write(0, V_CTL, 1n, 0n).effect).toBeUndefined();
  });

  it('read-only registers ignore writes with an effect; CNTKCTL_EL1 keeps only its valid bits', () => {
    const t = timer();
    expect(t.write(0, CNTVCT, 5n, 10n).effect).toMatch(/read-only/);
    expect(t.read(0, CNTVCT, 10n, null).value).toBe(10n);
    expect(t.write(0, CNTFRQ, 5n, 10n).effect).toMatch(/read-only/);
    expect(t.read(0, CNTFRQ, 10n, null).value).toBe(62_500_000n);
    expect(t.read(0, CNTKCTL, 0n, null).value).toBe(0n);
    expect(t.write(0, CNTKCTL, 0x303n, 0n).effect).toBeUndefined();
    const w = t.write(1, CNTKCTL, 0xffffffffn, 0n);
    expect(w.effect).toBe('stored 0x203ff (only bits 17 and [9:0] are valid; the rest is RES0)');
    expect(t.read(1, CNTKCTL, 0n, null).value).toBe(0x203ffn);
    expect(t.read(0, CNTKCTL, 0n, null).value).toBe(0x303n);
  });

  it('drives a PPI only after the first CTL/CVAL/TVAL write to that timer', () => {
    const t = timer();
    t.read(0, V_CTL, 0n, null);
    t.read(0, V_TVAL, 0n, null);
    t.write(0, CNTKCTL, 3n, 0n);
    expect(t.drivesLine(0, 27)).toBe(false);
    t.write(0, V_TVAL, 100n, 0n);
    expect(t.drivesLine(0, 27)).toBe(true);
    expect(t.drivesLine(0, 30)).toBe(false);
    expect(t.drivesLine(1, 27)).toBe(false);
    expect(t.drivesLine(0, 26)).toBe(false);
    expect(t.drivesLine(7, 27)).toBe(false);
  });

  it('a wrapped virtual count: the line is high while CNTVCT is huge, drops when it wraps to 0, rises at CVAL', () => {
    const t = timer({ virtualOffset: 1000n });
    program(t, 0, V_CVAL, 5n, 0n);
    expect(program(t, 0, V_CTL, 1n, 0n).changes).toEqual([{ cpu: 0, intid: 27, level: 1 }]);
    expect(t.nextChange(0n)).toBe(1000n);
    expect(t.evaluate(1000n)).toEqual([{ cpu: 0, intid: 27, level: 0 }]);
    expect(t.nextChange(1000n)).toBe(1005n);
    expect(t.evaluate(1005n)).toEqual([{ cpu: 0, intid: 27, level: 1 }]);
  });

  it('nextChange matches a cycle-by-cycle walk for many ratios, offsets and deadlines', () => {
    // deterministic LCG (no Math.random)
    let s = 12345;
    const rnd = (n: number) => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s % n;
    };
    for (let trial = 0; trial < 150; trial++) {
      const num = BigInt(1 + rnd(5));
      const den = BigInt(1 + rnd(7));
      const off = BigInt(rnd(40));
      const cval = BigInt(rnd(60));
      const start = BigInt(rnd(30));
      const t = timer({ counterPerCycle: { num, den }, virtualOffset: off });
      program(t, 0, V_CVAL, cval, start);
      program(t, 0, V_CTL, 1n, start);
      let level = t.lineLevel(0, 27);
      let cursor = start;
      for (let c = start + 1n; c < start + 400n; c++) {
        const x = (((c * num) / den - off) % (1n << 64n) + (1n << 64n)) % (1n << 64n);
        const want = x >= cval ? 1 : 0;
        if (want !== level) {
          expect({ trial, next: t.nextChange(cursor) }).toEqual({ trial, next: c });
          expect(t.evaluate(c)).toEqual([{ cpu: 0, intid: 27, level: want }]);
          level = want;
          cursor = c;
        }
      }
      const n = t.nextChange(cursor);
      expect(n === null || n >= start + 400n).toBe(true);
    }
  });

  it('reports dependency keys timer<n>:<v|p>:ctl/cval', () => {
    const deps = new RecordingDeps();
    const t = createTimer(timerTestHeader(), deps);
    deps.setEvent(3);
    t.write(1, V_CVAL, 9n, 0n);
    deps.setEvent(4);
    t.write(1, P_CTL, 1n, 0n);
    deps.setEvent(5);
    t.read(1, V_CTL, 0n, null);
    expect(deps.lastWriter('timer1:v:cval', 5)).toBe(3);
    expect(deps.lastWriter('timer1:p:ctl', 5)).toBe(4);
    expect(deps.readsByEvent.get(5)).toEqual(['timer1:v:ctl', 'timer1:v:cval']);
  });

  it('rejects a vCPU outside the header and an invalid counter ratio with InputError', () => {
    const t = timer({}, 2);
    expect(() => t.read(2, CNTVCT, 0n, null)).toThrow(InputError);
    expect(() => createTimer(timerTestHeader({ counterPerCycle: { num: 1n, den: 0n } }), NO_DEPS)).toThrow(/counterPerCycle is 1\/0 \(expected num >= 0 and den > 0\)/);
  });

  it('the same programming gives the same answers twice', () => {
    const run = () => {
      const t = timer({ counterPerCycle: { num: 5n, den: 9n } });
      const out: unknown[] = [];
      program(t, 0, V_TVAL, 77n, 13n);
      program(t, 0, V_CTL, 1n, 14n);
      out.push(t.nextChange(14n), t.evaluate(t.nextChange(14n)!), t.read(0, V_TVAL, 500n, null));
      return out;
    };
    expect(run()).toEqual(run());
  });
});
