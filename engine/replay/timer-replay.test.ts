// Cycle-exact replay of timer-driven PPIs through the replay loop, with a small fake GIC so the
// timer can be tested before (and independently of) the real models.

import { sysregByName } from '../arch/sysregs';
import { DepTracker } from '../model/deps';
import { GicModel, LineOwner, ReadResult, WriteResult } from '../model/model';
import { getPolicy } from '../policy/policy';
import { timerTestHeader } from '../timer/testing/header';
import { EventKind, TraceEvent, TraceHeader } from '../trace/events';
import { OutputRecord, ReplayRecord } from './records';
import { replayEvents } from './replay';

const enc = (name: string): number => sysregByName(name)!.enc;
const V_CTL = enc('CNTV_CTL_EL0');
const V_CVAL = enc('CNTV_CVAL_EL0');
const V_TVAL = enc('CNTV_TVAL_EL0');
const P_CTL = enc('CNTP_CTL_EL0');
const P_CVAL = enc('CNTP_CVAL_EL0');
const CNTVCT = enc('CNTVCT_EL0');

/** A GIC whose IRQ output for a vCPU is the OR of its PPI input lines; it logs every setLine. */
class FakeGic implements GicModel {
  readonly gicVersion = 3 as const;
  readonly lines = new Map<string, 0 | 1>();
  readonly calls: string[] = [];
  constructor(readonly cpuCount: number, readonly deps: DepTracker) {}
  mmioRead(): ReadResult {
    return { value: 0n, reg: 'FAKE' };
  }
  mmioWrite(): WriteResult {
    return { reg: 'FAKE' };
  }
  sysregRead(): ReadResult {
    return { value: 0n, reg: 'ICC_FAKE' };
  }
  sysregWrite(): WriteResult {
    return { reg: 'ICC_FAKE' };
  }
  userRead(): ReadResult {
    return { value: 0n, reg: 'FAKE' };
  }
  userWrite(): WriteResult {
    return { reg: 'FAKE' };
  }
  setLine(intid: number, cpu: number | null, level: 0 | 1, owner: LineOwner): WriteResult {
    this.calls.push(`${owner} ${cpu}/${intid}=${level}`);
    this.lines.set(`${cpu}/${intid}`, level);
    return { reg: `INTID${intid}` };
  }
  irqOutput(cpu: number): 0 | 1 {
    for (const [k, v] of this.lines) if (k.startsWith(`${cpu}/`) && v) return 1;
    return 0;
  }
  fiqOutput(): 0 | 1 {
    return 0;
  }
}

const sw = (cycle: bigint, cpu: number, e: number, value: bigint): TraceEvent => ({ kind: EventKind.SysregWrite, cycle, cpu, enc: e, value });
const sr = (cycle: bigint, cpu: number, e: number): TraceEvent => ({ kind: EventKind.SysregRead, cycle, cpu, enc: e, observed: null });
const line = (cycle: bigint, cpu: number, intid: number, level: 0 | 1): TraceEvent => ({ kind: EventKind.Line, cycle, cpu, intid, level });
const marker = (cycle: bigint, text: string): TraceEvent => ({ kind: EventKind.Marker, cycle, cpu: null, text });

function run(header: TraceHeader, events: TraceEvent[]): { records: ReplayRecord[]; gic: FakeGic; summary: ReturnType<typeof replayEvents> } {
  const records: ReplayRecord[] = [];
  let gic!: FakeGic;
  const summary = replayEvents(
    header,
    events,
    {
      policy: getPolicy('rev3'),
      modelFactory: (g, _p, deps) => (gic = new FakeGic(g.cpus.length, deps)),
    },
    (r) => records.push(r),
  );
  return { records, gic, summary };
}

const outputs = (records: ReplayRecord[]): OutputRecord[] => records.filter((r): r is OutputRecord => r.op === 'irq' || r.op === 'fiq');

describe('replay: timer PPIs at the exact cycle', () => {
  // 3 guest cycles per counter tick: the deadline CVAL=100 is reached at cycle 300
  const header = timerTestHeader({ counterPerCycle: { num: 1n, den: 3n } });

  it('a timer that expires between two recorded events raises the IRQ output at the crossing cycle', () => {
    const { records, gic } = run(header, [sw(10n, 0, V_CVAL, 100n), sw(20n, 0, V_CTL, 1n), marker(1000n, 'later')]);
    expect(outputs(records)).toEqual([{ op: 'irq', cpu: 0, level: 1, cycle: 300n, index: -1 }]);
    // the output change comes before the marker that follows it in time
    expect(records.map((r) => r.op)).toEqual(['irq', 'marker']);
    expect(gic.calls).toEqual(['timer 0/27=0', 'timer 0/27=1']);
  });

  it('a deadline that falls exactly on an event cycle is applied before that event', () => {
    const { records } = run(header, [sw(10n, 0, V_CVAL, 100n), sw(20n, 0, V_CTL, 1n), sr(300n, 0, V_CTL)]);
    const irq = records.findIndex((r) => r.op === 'irq');
    const read = records.findIndex((r) => r.op === 'read');
    expect(irq).toBeGreaterThanOrEqual(0);
    expect(irq).toBeLessThan(read);
    expect(records[read]).toMatchObject({ reg: 'CNTV_CTL_EL0', value: 5n, cycle: 300n });
  });

  it('one cycle before the deadline the output is still low', () => {
    const { records } = run(header, [sw(10n, 0, V_CVAL, 100n), sw(20n, 0, V_CTL, 1n), sr(299n, 0, CNTVCT)]);
    expect(outputs(records)).toEqual([]);
    expect(records.find((r) => r.op === 'read')).toMatchObject({ value: 99n });
  });

  it('masking in the "handler" lowers the output at the write, re-arming with TVAL raises it again later', () => {
    const { records } = run(header, [
      sw(0n, 1, V_CVAL, 100n),
      sw(0n, 1, V_CTL, 1n),
      sw(400n, 1, V_CTL, 3n), // IMASK, as Linux's handler does
      sw(500n, 1, V_TVAL, 50n), // counter 166 + 50 = 216 -> cycle 648
      sw(510n, 1, V_CTL, 1n),
      marker(2000n, 'end'),
    ]);
    expect(outputs(records)).toEqual([
      { op: 'irq', cpu: 1, level: 1, cycle: 300n, index: -1 },
      { op: 'irq', cpu: 1, level: 0, cycle: 400n, index: 2 },
      { op: 'irq', cpu: 1, level: 1, cycle: 648n, index: -1 },
    ]);
  });

  it('two vCPUs and both timers: changes come in cycle order, each at its own cycle', () => {
    const { records } = run(header, [
      sw(0n, 0, P_CVAL, 30n), // cycle 90
      sw(0n, 0, P_CTL, 1n),
      sw(0n, 1, V_CVAL, 20n), // cycle 60
      sw(0n, 1, V_CTL, 1n),
      marker(1000n, 'end'),
    ]);
    expect(outputs(records).map((r) => [r.cpu, r.cycle])).toEqual([
      [1, 60n],
      [0, 90n],
    ]);
  });

  it('the same trace replayed twice gives identical records', () => {
    const evs = [sw(3n, 0, V_TVAL, 77n), sw(4n, 0, V_CTL, 1n), sw(5n, 1, P_CVAL, 40n), sw(6n, 1, P_CTL, 1n), sr(500n, 0, V_TVAL), marker(900n, 'x')];
    const a = run(header, evs).records;
    const b = run(header, evs).records;
    expect(a.length).toBeGreaterThan(3);
    expect(b).toEqual(a);
  });

  it('recorded timer line events are inputs until the trace programs that timer', () => {
    const { gic, records } = run(header, [line(5n, 0, 27, 1), line(6n, 0, 27, 0), line(7n, 0, 30, 1)]);
    expect(gic.calls).toEqual(['device 0/27=1', 'device 0/27=0', 'device 0/30=1']);
    expect(records.filter((r) => r.op === 'line-mismatch')).toEqual([]);
    expect(outputs(records).map((r) => [r.level, r.cycle])).toEqual([
      [1, 5n],
      [0, 6n],
      [1, 7n],
    ]);
  });

  it('once the timer is programmed, recorded levels are checks: agreement is silent, disagreement is reported', () => {
    const { gic, records, summary } = run(header, [
      sw(0n, 0, V_CVAL, 100n),
      sw(0n, 0, V_CTL, 1n),
      line(300n, 0, 27, 1), // agrees: the model raised it at cycle 300
      line(310n, 0, 27, 0), // disagrees: the timer is still expired
      line(320n, 0, 30, 1), // the physical timer is not programmed: an input
    ]);
    expect(records.filter((r) => r.op === 'line-mismatch')).toEqual([{ op: 'line-mismatch', index: 3, cycle: 310n, cpu: 0, intid: 27, recorded: 0, modelled: 1 }]);
    expect(summary.lineMismatches).toBe(1);
    // no double counting: the GIC saw the timer's level once and never the recorded one for PPI 27
    expect(gic.calls).toEqual(['timer 0/27=0', 'timer 0/27=1', 'device 0/30=1']);
  });

  it('a line left high by recorded inputs is brought to the modelled level when the trace takes the timer over', () => {
    const { gic, records } = run(header, [line(5n, 0, 27, 1), sw(10n, 0, V_CVAL, 1000n)]);
    expect(gic.calls).toEqual(['device 0/27=1', 'timer 0/27=0']);
    expect(outputs(records).map((r) => [r.level, r.cycle, r.index])).toEqual([
      [1, 5n, 0],
      [0, 10n, 1],
    ]);
  });
});
