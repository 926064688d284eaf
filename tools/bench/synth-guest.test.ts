import { getPolicy } from '../../engine/policy/policy';
import { OutputRecord } from '../../engine/replay/records';
import { replayEvents } from '../../engine/replay/replay';
import { EventKind, Frame, MmioReadEvent, MmioWriteEvent } from '../../engine/trace/events';
import { qtestCommand } from './inputs';
import { synthGuestEvents, synthGuestHeader, tallyMix } from './synth-guest';

describe('benchmark synthetic guest', () => {
  const events = [...synthGuestEvents(20000)];

  it('is deterministic and has exactly the requested number of events', () => {
    expect(events).toHaveLength(20000);
    expect([...synthGuestEvents(20000)]).toEqual(events);
  });

  it('has the issue-12 mix: about 60 % MMIO, 30 % system registers, 10 % lines, timers re-armed', () => {
    const m = tallyMix(events);
    expect(m.mmio / m.events).toBeGreaterThan(0.57);
    expect(m.mmio / m.events).toBeLessThan(0.63);
    expect(m.sysreg / m.events).toBeGreaterThan(0.27);
    expect(m.sysreg / m.events).toBeLessThan(0.33);
    expect(m.line / m.events).toBeGreaterThan(0.08);
    expect(m.line / m.events).toBeLessThan(0.12);
    expect(m.timerWrites).toBeGreaterThan(500);
  });

  it('replays through the GICv3 model with timer interrupts firing between events and no line mismatch', () => {
    const out: OutputRecord[] = [];
    const s = replayEvents(synthGuestHeader(), events, { policy: getPolicy('rev3') }, (r) => {
      if (r.op === 'irq') out.push(r);
    });
    expect(s.lineMismatches).toBe(0);
    expect(s.unmodelledReads).toBe(0);
    // index -1: raised by a timer deadline passing, not by an event
    expect(out.filter((o) => o.index === -1 && o.level === 1).length).toBeGreaterThan(100);
  });
});

describe('qtest commands for the same MMIO stream', () => {
  const base = { cycle: 0n, cpu: 0 };
  it('maps frames to QEMU virt addresses and sizes to read/write suffixes', () => {
    const r = (frame: Frame, index: number, offset: number, size: 1 | 2 | 4 | 8): MmioReadEvent => ({ ...base, kind: EventKind.MmioRead, frame, index, offset, size, observed: null });
    const w = (frame: Frame, index: number, offset: number, size: 1 | 2 | 4 | 8, value: bigint): MmioWriteEvent => ({ ...base, kind: EventKind.MmioWrite, frame, index, offset, size, value });
    expect(qtestCommand(r(Frame.Dist, 0, 0x4, 4))).toBe('readl 0x8000004');
    expect(qtestCommand(w(Frame.Dist, 0, 0x6100, 8, 0x100000003n))).toBe('writeq 0x8006100 0x100000003');
    expect(qtestCommand(r(Frame.RedistRd, 2, 0x14, 4))).toBe('readl 0x80e0014');
    expect(qtestCommand(w(Frame.RedistSgi, 1, 0x41b, 1, 0xa0n))).toBe('writeb 0x80d041b 0xa0');
    expect(() => qtestCommand(r(Frame.CpuIf, 0, 0, 4))).toThrow(/no QEMU virt GICv3 address/);
  });
});
