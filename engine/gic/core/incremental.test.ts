// settle() prunes only the ap_lists holding a changed interrupt, and the CPU interface recomputes
// only stale vCPUs' outputs. With verification on, every settle() and every recomputation also
// does the full work and throws if the incremental result differs. These tests drive that check
// over every trace in the repository and over random access streams aimed at the state the
// oracle and the outputs read.

import * as fc from 'fast-check';
import * as path from 'path';
import { sysregByName } from '../../arch/sysregs';
import { layoutFor, listTraces } from '../../golden/layout';
import { builtinPolicies, getPolicy } from '../../policy/policy';
import { replayEvents, replayFile } from '../../replay/replay';
import { EventKind, Frame, TraceEvent } from '../../trace/events';
import { synthHeader } from '../../trace/synth';
import { NO_DEPS } from '../../model/deps';
import { CpuInterface, FLAVOUR_V3 } from './cpuif';
import { createModel } from '..';
import { ReplayOptions } from '../../replay/replay';
import { VgicCore } from './vgic';

const ROOT = path.resolve(__dirname, '../../..');

/** Models whose core checks every incremental step against the full computation. */
let verifiedModels = 0;
const verified: ReplayOptions['modelFactory'] = (gic, p, deps) => (verifiedModels++, createModel(gic, p, { deps, verifyIncremental: true }));

describe('incremental prune and output recomputation equal the full computation', () => {
  const layout = layoutFor(ROOT);
  const traces = listTraces(layout);

  test('the repository has traces to check', () => {
    expect(traces.length).toBeGreaterThan(30);
  });

  test.each(traces)('%s under every built-in policy (the verifier inside the core throws on a mismatch; the assertion here only proves it ran)', (trace) => {
    const before = verifiedModels;
    for (const policy of builtinPolicies()) {
      let records = 0;
      replayFile(path.join(layout.tracesDir, trace), { policy, allowTruncated: true, modelFactory: verified }, () => records++);
      expect(records).toBeGreaterThan(0);
    }
    expect(verifiedModels - before).toBe(builtinPolicies().length);
  });

  test('verification is not vacuous: a change the core is not told about is caught', () => {
    // SPI 32 queued on vCPU 0, SPI 33 on vCPU 1, both Group 1 and signalled.
    const build = () => {
      const core = new VgicCore(3, 2, 32, getPolicy('rev3'), NO_DEPS, { verifyIncremental: true });
      core.resetNative(1);
      const ci = new CpuInterface(core, FLAVOUR_V3);
      const [a, b] = [core.irqs.slot(0, 32), core.irqs.slot(0, 33)];
      core.irqs.target[b] = 1;
      core.setDistEnabled(true, true);
      for (const c of [0, 1]) {
        ci.writePmr(c, 0xff);
        ci.state[c].grpEn1 = 1;
        ci.markDirty(c, 'igrpen1');
      }
      for (const slot of [a, b]) {
        core.setEnabled(slot, false);
        core.setPending(slot, 0);
      }
      expect([ci.irqOutput(0), ci.irqOutput(1)]).toEqual([1, 1]);
      return { core, ci, a, b };
    };
    // Disabling SPI 32 without touch(): pruning vCPU 1's list alone leaves it on vCPU 0's.
    const p = build();
    p.core.irqs.enabled[p.a] = 0;
    expect(() => p.core.setPriority(p.b, 0x80)).not.toThrow();
    expect(() => p.core.settle()).toThrow(/incremental prune missed a change: .* is on vCPU 0's list, the oracle says -1/);
    // Turning vCPU 0's Group 1 off without touchCpu(): recomputing vCPU 1 alone misses vCPU 0.
    const o = build();
    o.ci.state[0].grpEn1 = 0;
    o.ci.markDirty(1, 'pmr');
    expect(() => o.ci.irqOutput(1)).toThrow(/incremental output missed a change: vCPU 0 signals IRQ=0/);
  });
});

function mw(cpu: number, frame: Frame, index: number, offset: number, value: number, size: 1 | 4 = 4): TraceEvent {
  return { kind: EventKind.MmioWrite, cycle: 0n, cpu, frame, index, offset, size, value: BigInt(value >>> 0) };
}

function enc(name: string): number {
  const r = sysregByName(name);
  if (!r) throw new Error(name);
  return r.enc;
}

// The registers whose writes change what the oracle or the outputs read: enables, pending and
// active state, priorities, groups, configuration, routing, and the CPU interface.
const V3_DIST_WRITES = [0x0, 0x84, 0x104, 0x184, 0x204, 0x284, 0x304, 0x384, 0x420, 0x424, 0xc08];
const V3_SGI_WRITES = [0x80, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380, 0x400, 0x41c];
const V3_SYSREG_WRITES = ['ICC_PMR_EL1', 'ICC_IGRPEN0_EL1', 'ICC_IGRPEN1_EL1', 'ICC_CTLR_EL1', 'ICC_EOIR0_EL1', 'ICC_EOIR1_EL1', 'ICC_DIR_EL1', 'ICC_SGI1R_EL1', 'ICC_BPR1_EL1', 'ICC_BPR0_EL1'];
const V3_SYSREG_READS = ['ICC_IAR0_EL1', 'ICC_IAR1_EL1', 'ICC_HPPIR1_EL1'];
const V2_DIST_WRITES = [0x0, 0x80, 0x84, 0x100, 0x104, 0x180, 0x184, 0x200, 0x204, 0x280, 0x284, 0x300, 0x304, 0x380, 0x384, 0x400, 0x420, 0x820, 0x824, 0xc08, 0xf00, 0xf10, 0xf20];
const V2_CPUIF_WRITES = [0x0, 0x4, 0x8, 0x10, 0x1c, 0x24, 0x1000];
const V2_CPUIF_READS = [0xc, 0x18, 0x20];

/** Values that hit the interesting bits: single INTIDs, all-ones, priorities, SGI targets. */
const value = fc.oneof(fc.constantFrom(0, 1, 2, 3, 0xffffffff, 0x80, 0xa0a0a0a0, 0x30, 0x10000, 0x01000001, 0x0f0f0f0f, 0x00010003, 0x2), fc.integer({ min: 0, max: 0xffffffff }));

function v3Event(cpus: number): fc.Arbitrary<TraceEvent> {
  const cpu = fc.integer({ min: 0, max: cpus - 1 });
  return fc.oneof(
    fc.tuple(cpu, fc.constantFrom(...V3_DIST_WRITES), value).map(([c, o, v]) => mw(c, Frame.Dist, 0, o, v)),
    fc.tuple(cpu, fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: cpus })).map(([c, spi, t]) => ({ ...mw(c, Frame.Dist, 0, 0x6100 + 8 * spi, t), size: 8 as const })),
    fc.tuple(cpu, cpu, fc.constantFrom(...V3_SGI_WRITES), value).map(([c, r, o, v]) => mw(c, Frame.RedistSgi, r, o, v)),
    fc.tuple(cpu, fc.constantFrom(...V3_SYSREG_WRITES), value).map(([c, n, v]): TraceEvent => ({ kind: EventKind.SysregWrite, cycle: 0n, cpu: c, enc: enc(n), value: n === 'ICC_SGI1R_EL1' ? BigInt(v & 0xffff) | (BigInt((v >>> 24) & 0xf) << 24n) | (BigInt(v & 0x1) << 40n) : BigInt(v >>> 0) })),
    fc.tuple(cpu, fc.constantFrom(...V3_SYSREG_READS)).map(([c, n]): TraceEvent => ({ kind: EventKind.SysregRead, cycle: 0n, cpu: c, enc: enc(n), observed: null })),
    fc.tuple(fc.integer({ min: 32, max: 63 }), fc.constantFrom<0 | 1>(0, 1)).map(([i, l]): TraceEvent => ({ kind: EventKind.Line, cycle: 0n, intid: i, cpu: null, level: l })),
    fc.tuple(cpu, fc.integer({ min: 16, max: 31 }), fc.constantFrom<0 | 1>(0, 1)).map(([c, i, l]): TraceEvent => ({ kind: EventKind.Line, cycle: 0n, intid: i, cpu: c, level: l })),
  );
}

function v2Event(cpus: number): fc.Arbitrary<TraceEvent> {
  const cpu = fc.integer({ min: 0, max: cpus - 1 });
  return fc.oneof(
    fc.tuple(cpu, fc.constantFrom(...V2_DIST_WRITES), value).map(([c, o, v]) => mw(c, Frame.Dist, 0, o, v)),
    fc.tuple(cpu, fc.constantFrom(...V2_CPUIF_WRITES), value).map(([c, o, v]) => mw(c, Frame.CpuIf, 0, o, v)),
    fc.tuple(cpu, fc.constantFrom(...V2_CPUIF_READS)).map(([c, o]): TraceEvent => ({ kind: EventKind.MmioRead, cycle: 0n, cpu: c, frame: Frame.CpuIf, index: 0, offset: o, size: 4, observed: null })),
    fc.tuple(fc.integer({ min: 32, max: 63 }), fc.constantFrom<0 | 1>(0, 1)).map(([i, l]): TraceEvent => ({ kind: EventKind.Line, cycle: 0n, intid: i, cpu: null, level: l })),
    fc.tuple(cpu, fc.integer({ min: 16, max: 31 }), fc.constantFrom<0 | 1>(0, 1)).map(([c, i, l]): TraceEvent => ({ kind: EventKind.Line, cycle: 0n, intid: i, cpu: c, level: l })),
  );
}

/** Enable everything first, so that the random accesses change delivery rather than stored state alone. */
function prelude(version: 2 | 3, cpus: number): TraceEvent[] {
  const ev: TraceEvent[] = [];
  const cs = Array.from({ length: cpus }, (_, c) => c);
  if (version === 3) {
    ev.push(mw(0, Frame.Dist, 0, 0x0, 0x3), mw(0, Frame.Dist, 0, 0x104, 0xffffffff));
    for (const c of cs) {
      ev.push(mw(c, Frame.RedistSgi, c, 0x100, 0xffffffff));
      for (const [n, v] of [['ICC_PMR_EL1', 0xff], ['ICC_IGRPEN0_EL1', 1], ['ICC_IGRPEN1_EL1', 1]] as const) ev.push({ kind: EventKind.SysregWrite, cycle: 0n, cpu: c, enc: enc(n), value: BigInt(v) });
    }
  } else {
    ev.push(mw(0, Frame.Dist, 0, 0x0, 0x1), mw(0, Frame.Dist, 0, 0x104, 0xffffffff));
    for (const c of cs) ev.push(mw(c, Frame.Dist, 0, 0x100, 0xffffffff), mw(c, Frame.CpuIf, 0, 0x0, 0x3), mw(c, Frame.CpuIf, 0, 0x4, 0xff));
  }
  return ev;
}

describe('random access streams (fixed seed) keep incremental and full computation equal', () => {
  const cases = ['rev3', 'rev1', 'mainline-rev3'].flatMap((id) => [
    { name: `GICv3, 4 vCPUs, policy ${id}`, id, version: 3 as const, cpus: 4, event: v3Event(4) },
    { name: `GICv2, 3 vCPUs, policy ${id}`, id, version: 2 as const, cpus: 3, event: v2Event(3) },
  ]);
  test.each(cases)('$name', ({ id, version, cpus, event }) => {
    const header = synthHeader(cpus, version);
    let signalled = 0;
    fc.assert(
      fc.property(fc.array(event, { minLength: 50, maxLength: 400, size: 'max' }), (events) => {
        // Throws on the first settle() or recomputation that differs from the full computation.
        replayEvents(header, [...prelude(version, cpus), ...events], { policy: getPolicy(id), modelFactory: verified }, (r) => {
          if (r.op === 'irq' || r.op === 'fiq') signalled += r.level;
        });
      }),
      { seed: 20261125, numRuns: 150 },
    );
    // The streams reach delivery: interrupts are signalled, not just stored.
    expect(signalled).toBeGreaterThan(150);
  });
});
