// The timer through the real GICv3 model: a programmed virtual timer raises the vCPU's IRQ output
// at the exact crossing cycle, and the scripted kvm-unit-tests-style timer guest
// (traces/guests/kut-timer-v3.gtr) reads back what it observed.

import * as path from 'path';
import { sysregByName } from '../arch/sysregs';
import { getPolicy } from '../policy/policy';
import { OutputRecord, ReadRecord, ReplayRecord } from '../replay/records';
import { replayEvents } from '../replay/replay';
import { EventKind, Frame, TraceEvent } from '../trace/events';
import { readTrace } from '../trace/reader';
import { timerTestHeader } from './testing/header';

const enc = (n: string): number => sysregByName(n)!.enc;

function replay(events: TraceEvent[], header = timerTestHeader({ counterPerCycle: { num: 1n, den: 4n } }, 1)): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  replayEvents(header, events, { policy: getPolicy('rev3') }, (r) => out.push(r));
  return out;
}

function setup(): TraceEvent[] {
  let c = 0n;
  const w = (frame: Frame, offset: number, size: 1 | 4, value: bigint): TraceEvent => ({ kind: EventKind.MmioWrite, cycle: (c += 2n), cpu: 0, frame, index: 0, offset, size, value });
  const s = (name: string, value: bigint): TraceEvent => ({ kind: EventKind.SysregWrite, cycle: (c += 2n), cpu: 0, enc: enc(name), value });
  return [
    w(Frame.Dist, 0x0, 4, 0x12n), // ARE | EnableGrp1
    w(Frame.RedistRd, 0x14, 4, 0n), // GICR_WAKER: awake
    w(Frame.RedistSgi, 0x80, 4, 1n << 27n), // IGROUPR0: PPI 27 in group 1
    w(Frame.RedistSgi, 0x400 + 27, 1, 0xa0n), // priority 0xa0
    w(Frame.RedistSgi, 0x100, 4, 1n << 27n), // ISENABLER0
    s('ICC_PMR_EL1', 0xf0n),
    s('ICC_IGRPEN1_EL1', 1n),
  ];
}

describe('virtual timer -> PPI 27 -> GICv3 IRQ output, end to end', () => {
  it('asserts IRQ at the crossing cycle (4 cycles per tick: CVAL 100 -> cycle 400), between two events', () => {
    const evs = [
      ...setup(),
      { kind: EventKind.SysregWrite, cycle: 50n, cpu: 0, enc: enc('CNTV_CVAL_EL0'), value: 100n },
      { kind: EventKind.SysregWrite, cycle: 60n, cpu: 0, enc: enc('CNTV_CTL_EL0'), value: 1n },
      { kind: EventKind.SysregRead, cycle: 1000n, cpu: 0, enc: enc('ICC_IAR1_EL1'), observed: null },
      { kind: EventKind.SysregWrite, cycle: 1010n, cpu: 0, enc: enc('CNTV_CTL_EL0'), value: 3n },
      { kind: EventKind.SysregWrite, cycle: 1020n, cpu: 0, enc: enc('ICC_EOIR1_EL1'), value: 27n },
    ] as TraceEvent[];
    const recs = replay(evs);
    const outs = recs.filter((r): r is OutputRecord => r.op === 'irq' || r.op === 'fiq');
    expect(outs[0]).toEqual({ op: 'irq', cpu: 0, level: 1, cycle: 400n, index: -1 });
    expect(outs.every((o) => o.op === 'irq')).toBe(true);
    const iar = recs.find((r): r is ReadRecord => r.op === 'read' && r.reg.startsWith('ICC_IAR1'));
    expect(iar?.value).toBe(27n);
    // acknowledging takes the output down at the IAR read; the masked timer does not re-raise it
    expect(outs.slice(1).map((o) => [o.level, o.cycle])).toEqual([[0, 1000n]]);
  });

  it('one tick short of the deadline nothing is signalled', () => {
    const evs = [
      ...setup(),
      { kind: EventKind.SysregWrite, cycle: 50n, cpu: 0, enc: enc('CNTV_CVAL_EL0'), value: 100n },
      { kind: EventKind.SysregWrite, cycle: 60n, cpu: 0, enc: enc('CNTV_CTL_EL0'), value: 1n },
      { kind: EventKind.Marker, cycle: 399n, cpu: 0, text: 'just before' },
    ] as TraceEvent[];
    expect(replay(evs).filter((r) => r.op === 'irq')).toEqual([]);
  });

  it('the scripted timer guest reads back every timer value it recorded, with no line mismatch', () => {
    const { header, events } = readTrace(path.join(__dirname, '..', '..', 'traces', 'guests', 'kut-timer-v3.gtr'));
    const recs: ReplayRecord[] = [];
    const s = replayEvents(header, events, { policy: getPolicy('rev3') }, (r) => recs.push(r));
    const timerReads = recs.filter((r): r is ReadRecord => r.op === 'read' && r.reg.startsWith('CNT') && r.recorded !== null);
    expect(timerReads.length).toBeGreaterThan(10);
    expect(timerReads.filter((r) => r.value !== r.recorded).map((r) => `${r.index} ${r.reg} model 0x${r.value.toString(16)} recorded 0x${r.recorded!.toString(16)}`)).toEqual([]);
    expect(s.lineMismatches).toBe(0);
    // every recorded IAR read of a timer PPI finds it pending at that cycle
    const iars = recs.filter((r): r is ReadRecord => r.op === 'read' && r.reg.startsWith('ICC_IAR1') && r.recorded !== null);
    expect(iars.filter((r) => r.value !== r.recorded).map((r) => `${r.index}: model ${r.value} recorded ${r.recorded}`)).toEqual([]);
  });
});

describe('virtual timer -> PPI 27 -> GICv2 IRQ output', () => {
  it('asserts IRQ at the crossing cycle through the GICv2 distributor and CPU interface', () => {
    let c = 0n;
    const w = (frame: Frame, offset: number, size: 1 | 4, value: bigint): TraceEvent => ({ kind: EventKind.MmioWrite, cycle: (c += 2n), cpu: 0, frame, index: 0, offset, size, value });
    const evs = [
      w(Frame.Dist, 0x0, 4, 1n), // GICD_CTLR: enable
      w(Frame.Dist, 0x400 + 27, 1, 0xa0n), // priority of PPI 27 (banked)
      w(Frame.Dist, 0x100, 4, 1n << 27n), // GICD_ISENABLER0 (banked)
      w(Frame.CpuIf, 0x4, 4, 0xf0n), // GICC_PMR
      w(Frame.CpuIf, 0x0, 4, 1n), // GICC_CTLR: enable
      { kind: EventKind.SysregWrite, cycle: 50n, cpu: 0, enc: enc('CNTV_CVAL_EL0'), value: 100n },
      { kind: EventKind.SysregWrite, cycle: 60n, cpu: 0, enc: enc('CNTV_CTL_EL0'), value: 1n },
      { kind: EventKind.Marker, cycle: 1000n, cpu: 0, text: 'later' },
    ] as TraceEvent[];
    const recs = replay(evs, timerTestHeader({ counterPerCycle: { num: 1n, den: 4n } }, 1, 2));
    expect(recs.filter((r) => r.op === 'irq')).toEqual([{ op: 'irq', cpu: 0, level: 1, cycle: 400n, index: -1 }]);
  });
});
