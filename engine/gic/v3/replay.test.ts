// The GICv3 model under the replay loop (engine/replay/replay.ts) with an in-memory header:
// output records, write effects, determinism.

import { getPolicy } from '../../policy/policy';
import { recordToJson } from '../../replay/render-json';
import { ReplayRecord } from '../../replay/records';
import { replayEvents } from '../../replay/replay';
import { timerTestHeader } from '../../timer/testing/header';
import { sysregEncoding } from '../../arch/sysregs';
import { EventKind, Frame, TraceEvent } from '../../trace/events';

const PMR = sysregEncoding(3, 0, 4, 6, 0);
const IGRPEN1 = sysregEncoding(3, 0, 12, 12, 7);
const IAR1 = sysregEncoding(3, 0, 12, 12, 0);
const EOIR1 = sysregEncoding(3, 0, 12, 12, 1);

function events(): TraceEvent[] {
  let c = 0n;
  const ev: TraceEvent[] = [];
  const w = (frame: Frame, index: number, offset: number, value: bigint) => ev.push({ kind: EventKind.MmioWrite, cycle: (c += 10n), cpu: 0, frame, index, offset, size: 4, value });
  const r = (frame: Frame, offset: number, observed: bigint | null) => ev.push({ kind: EventKind.MmioRead, cycle: (c += 10n), cpu: 0, frame, index: 0, offset, size: 4, observed });
  r(Frame.Dist, 0x8, 0x4b00343bn);
  w(Frame.Dist, 0, 0x0, 0x13n); // reads back 0x52
  w(Frame.Dist, 0, 0x84, 0xffffffffn);
  w(Frame.Dist, 0, 0x420, 0xa0a0a0a0n);
  w(Frame.Dist, 0, 0x104, 0x10n); // enable SPI 36
  ev.push({ kind: EventKind.SysregWrite, cycle: (c += 10n), cpu: 0, enc: PMR, value: 0xf0n });
  ev.push({ kind: EventKind.SysregWrite, cycle: (c += 10n), cpu: 0, enc: IGRPEN1, value: 1n });
  ev.push({ kind: EventKind.Line, cycle: (c += 10n), intid: 36, cpu: null, level: 1 });
  ev.push({ kind: EventKind.SysregRead, cycle: (c += 10n), cpu: 0, enc: IAR1, observed: 36n });
  ev.push({ kind: EventKind.SysregWrite, cycle: (c += 10n), cpu: 0, enc: EOIR1, value: 36n });
  r(Frame.Dist, 0x0, 0x52n);
  return ev;
}

function run(policy: string): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  replayEvents(timerTestHeader({}, 2, 3), events(), { policy: getPolicy(policy) }, (rec) => out.push(rec));
  return out;
}

describe('GICv3 model under replayEvents', () => {
  it('emits reads, the GICD_CTLR write effect and the IRQ output rising and falling with the right events', () => {
    const out = run('rev3');
    const reads = out.filter((r) => r.op === 'read');
    expect(reads.map((r) => (r.op === 'read' ? [r.reg, r.value] : null))).toEqual([
      ['GICD_IIDR', 0x4b00343bn],
      ['ICC_IAR1_EL1', 36n],
      ['GICD_CTLR', 0x52n],
    ]);
    const effects = out.filter((r) => r.op === 'write');
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ index: 1, reg: 'GICD_CTLR', effect: expect.stringMatching(/^stored 0x52/) });
    const irq = out.filter((r) => r.op === 'irq');
    expect(irq).toEqual([
      { op: 'irq', cpu: 0, level: 1, cycle: 80n, index: 7 },
      { op: 'irq', cpu: 0, level: 0, cycle: 90n, index: 8 },
    ]);
  });

  it('rev1 drops the IGROUPR write and says so; the rest is identical', () => {
    const a = run('rev3');
    const b = run('rev1');
    const eff = b.filter((r) => r.op === 'write' && r.reg === 'GICD_IGROUPR1');
    expect(eff).toHaveLength(1);
    expect(b.find((r) => r.op === 'read' && r.reg === 'GICD_IIDR')).toMatchObject({ value: 0x4b00143bn });
    expect(a.filter((r) => r.op === 'irq')).toEqual(b.filter((r) => r.op === 'irq'));
  });

  it('same trace + same policy gives byte-identical JSON output', () => {
    const render = () => run('rev3').map(recordToJson).join('\n');
    expect(render()).toBe(render());
  });
});
