// Rule gicv-pending: what the nested host's GICV (QEMU 7.2, hw/intc/arm_gic.c) answers by itself
// for GICC_HPPIR/GICC_IAR. Each stream is a minimal one the campaign's shrinker and `minimize
// --backend kvm` cut with real Debian 6.1 KVM as the oracle; the KVM values are what that kernel
// answered (`gicreplay fidelity --backend kvm` on them, MODEL.md "GICv2 against real KVM").

import { getPolicy } from '../../policy/policy';
import { ReplayRecord } from '../../replay/records';
import { replayEvents } from '../../replay/replay';
import { Frame, TraceEvent, TraceHeader, UserGroup } from '../../trace/events';
import { compareTrace } from './fidelity';
import { qemuGicvAnswers } from './qemu-gicv';
import { ev, events, virtHeader } from './testing/testkit';

const P61 = getPolicy('linux-6.1');
const CTX = { modelKernel: P61.kernel, kvmKernel: P61.kernel, host: P61.host, policy: P61 };
const D = Frame.Dist;
const C = Frame.CpuIf;

interface Case {
  name: string;
  h: TraceHeader;
  evs: TraceEvent[];
  /** Real 6.1 KVM's values where they differ from the model's: event -> [model, KVM]. */
  kvm: Record<number, [bigint, bigint]>;
  rules: string[];
}

const CASES: Case[] = [
  {
    name: 'PMR masks GICC_HPPIR (PMR still 0 after reset)',
    h: virtHeader(2, 4),
    evs: events(ev.mw(0, D, 0x0, 3n), ev.mw(3, C, 0x0, 7n), ev.mw(3, D, 0xf00, 0x2060009n), ev.mr(3, C, 0x18)),
    kvm: { 3: [0xc09n, 0x3ffn] },
    rules: ['gicv-pending'],
  },
  {
    name: 'GICC_HPPIR without the SGI source CPU',
    h: virtHeader(2, 3),
    evs: events(ev.mw(0, D, 0x0, 3n), ev.mw(2, C, 0x4, 0xffn), ev.mw(2, C, 0x0, 0x203n), ev.mw(1, D, 0xf00, 0x58009n), ev.mr(2, C, 0x18)),
    kvm: { 4: [0x409n, 0x9n] },
    rules: ['gicv-pending'],
  },
  {
    name: 'GICC_IAR answers 1022 before it checks the running priority',
    h: virtHeader(2, 1),
    evs: events(
      ev.mw(0, D, 0x0, 3n),
      ev.mw(0, C, 0x4, 0xffn),
      ev.mw(0, C, 0x0, 3n),
      ev.mw(0, D, 0x108, 0x10000n),
      ev.mw(0, D, 0x208, 0x10000n),
      ev.mr(0, C, 0xc),
      ev.mw(0, D, 0x100, 0x80000000n),
      ev.mw(0, D, 0x41f, 0xa0n, 1),
      ev.mw(0, D, 0x80, 0xffffffffn),
      ev.mw(0, D, 0x200, 0x80000000n),
      ev.mr(0, C, 0xc),
    ),
    kvm: { 10: [0x3ffn, 0x3fen] },
    rules: ['gicv-pending'],
  },
  {
    name: 'a Group 0 SGI acknowledged with Group 0 disabled, and the SGI source it used up',
    h: virtHeader(2, 1),
    evs: events(
      ev.mw(0, D, 0x0, 3n),
      ev.mw(0, C, 0x4, 0xffn),
      ev.mw(0, C, 0x0, 3n),
      ev.mw(0, D, 0xf00, 0x2018006n),
      ev.uw(UserGroup.DistRegs, 0, 0xf2c, 0x38c48e13n),
      ev.mr(0, C, 0xc),
      ev.mw(0, C, 0x0, 0x212n),
      ev.mw(0, C, 0xd0, 0x521010en),
      ev.mr(0, C, 0xc),
      ev.mr(0, D, 0xf2c),
    ),
    kvm: { 8: [0x3ffn, 0xcn], 9: [0x38c48e13n, 0x38c48e12n] },
    rules: ['gicv-pending', 'gicv-pending (cascade from event 8)'],
  },
];

function records(c: Case): { model: ReplayRecord[]; kvm: ReplayRecord[] } {
  const model: ReplayRecord[] = [];
  replayEvents(c.h, c.evs, { policy: P61 }, (r) => model.push(r));
  const kvm = model.map((r) => {
    const k = r.op === 'read' ? c.kvm[r.index] : undefined;
    if (!k || r.op !== 'read') return r;
    expect(r.value).toBe(k[0]);
    return { ...r, value: k[1] };
  });
  return { model, kvm };
}

describe('gicv-pending: GICC_HPPIR/IAR as QEMU 7.2 GICV answers them', () => {
  test.each(CASES)('$name: real KVM differs from the model exactly there, and the rule explains it', (c) => {
    const { model, kvm } = records(c);
    const t = compareTrace('m.gtr', c.h, c.evs, model, kvm, CTX);
    expect(t.differences.map((d) => d.index)).toEqual(Object.keys(c.kvm).map(Number));
    expect(t.differences.map((d) => [d.class, d.rule])).toEqual(c.rules.map((r) => ['host', r]));
  });

  test('the computed answer is the only value explained: another one, or no model policy to compute it from, stays unexplained', () => {
    const c = CASES[0];
    const { model, kvm } = records(c);
    const other = kvm.map((r) => (r.op === 'read' && r.index === 3 ? { ...r, value: 0x3fen } : r));
    expect(compareTrace('m.gtr', c.h, c.evs, model, other, CTX).differences.map((d) => d.class)).toEqual(['unexplained']);
    expect(compareTrace('m.gtr', c.h, c.evs, model, kvm, { ...CTX, policy: undefined }).differences.map((d) => d.class)).toEqual(['unexplained']);
  });

  test('looking at the model before one read changes nothing a later one sees', () => {
    const c = CASES[3];
    const at = (idx: number[]) => [...qemuGicvAnswers(c.h, c.evs, P61, idx.map((index) => ({ index, reg: 'GICC_IAR' })))].map(([i, a]) => [i, a.value, a.acknowledges]);
    // SGI 6 (priority 0) is what both acknowledge at #5; at #8 QEMU takes SGI 12 from vCPU 0.
    expect(at([5, 8])).toEqual([
      [5, 0x6, true],
      [8, 0xc, true],
    ]);
    expect(at([8])).toEqual([[8, 0xc, true]]);
  });
});
