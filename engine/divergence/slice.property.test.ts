// The dependency tracking behind `gicreplay diff`'s causal slice, as properties over random
// traces and policy pairs (fast-check, fixed seed, 1,000 cases each). The models report reads and
// writes by hand (engine/model/deps.ts); a forgotten report silently gives a wrong slice, and
// these properties are what catch it:
//  1. sufficiency: keep only the events in the full backward dependency slice of the first
//     divergent read (under both policies) and that read still returns what it returned under
//     each policy; and every event `diff` lists is in that slice. The same for any read under
//     one policy (this is the property a forgotten deps.read breaks);
//  2. necessity: removing the last event that wrote (and changed) a piece of state the read
//     depends on changes what the read returns.

import * as fc from 'fast-check';
import { GicV2Model } from '../gic/v2/model';
import { GicV3Model } from '../gic/v3/model';
import { DepTracker, RecordingDeps } from '../model/deps';
import { builtinPolicies, Policy } from '../policy/policy';
import { ReplayRecord } from '../replay/records';
import { replayEvents } from '../replay/replay';
import { sysregByName } from '../arch/sysregs';
import { EventKind, Frame, TraceEvent, TraceHeader, UserGroup } from '../trace/events';
import { synthHeader } from '../trace/synth';
import { registryFor } from '../gic';
import { causalSlice } from './slice';

const POLICIES = builtinPolicies();
const RUNS = Number(process.env.SLICE_RUNS ?? 1000);
const SEED = 0x5eed17;

// The registers the policies disagree on, and the per-interrupt state around them (SPIs 32-35).
const DIST_RW: [off: number, size: 4 | 8, values: bigint[]][] = [
  [0x0000, 4, [0n, 0x2n, 0x13n]], // GICD_CTLR
  [0x0084, 4, [0n, 0x5n, 0xfn, 0xffffffffn]], // GICD_IGROUPR1
  [0x0104, 4, [0x1n, 0x6n, 0xfn]], // GICD_ISENABLER1
  [0x0184, 4, [0x1n, 0x9n, 0xfn]], // GICD_ICENABLER1
  [0x0204, 4, [0x1n, 0x3n, 0xcn]], // GICD_ISPENDR1
  [0x0284, 4, [0x1n, 0x5n, 0xfn]], // GICD_ICPENDR1
  [0x0304, 4, [0x2n, 0xan]], // GICD_ISACTIVER1
  [0x0384, 4, [0x2n, 0xfn]], // GICD_ICACTIVER1
  [0x0420, 4, [0n, 0xa0a0a0a0n, 0x10203048n]], // GICD_IPRIORITYR8
  [0x0c08, 4, [0n, 0x2n, 0xaan]], // GICD_ICFGR2
  [0x6100, 8, [0n, 1n, 0x100n]], // GICD_IROUTER32
];
const REDIST_RW: [off: number, values: bigint[]][] = [
  [0x0080, [0n, 0xffffn, 0xffffffffn]], // GICR_IGROUPR0 (SGI_base)
  [0x0100, [0x1n, 0x8000000n]], // GICR_ISENABLER0
];

type Gen = fc.Arbitrary<Omit<TraceEvent, 'cycle'>>;
const cpu = fc.constantFrom(0, 1);
const distWrite: Gen = fc.tuple(fc.constantFrom(...DIST_RW), fc.nat(), cpu).map(([[offset, size, vs], i, c]) => ({ kind: EventKind.MmioWrite, cpu: c, frame: Frame.Dist, index: 0, offset, size, value: vs[i % vs.length] }));
const distRead: Gen = fc.tuple(fc.constantFrom(...DIST_RW), cpu).map(([[offset, size], c]) => ({ kind: EventKind.MmioRead, cpu: c, frame: Frame.Dist, index: 0, offset, size, observed: null }));
const iidrRead: Gen = cpu.map((c) => ({ kind: EventKind.MmioRead, cpu: c, frame: Frame.Dist, index: 0, offset: 0x8, size: 4, observed: null }));
const redistWrite: Gen = fc.tuple(fc.constantFrom(...REDIST_RW), fc.nat(), cpu).map(([[offset, vs], i, c]) => ({ kind: EventKind.MmioWrite, cpu: c, frame: Frame.RedistSgi, index: c, offset, size: 4, value: vs[i % vs.length] }));
const redistRead: Gen = fc.tuple(fc.constantFrom(...REDIST_RW), cpu).map(([[offset], c]) => ({ kind: EventKind.MmioRead, cpu: c, frame: Frame.RedistSgi, index: c, offset, size: 4, observed: null }));
const gicrCtlrRead: Gen = cpu.map((c) => ({ kind: EventKind.MmioRead, cpu: c, frame: Frame.RedistRd, index: c, offset: 0, size: 4, observed: null }));
const userIidr: Gen = fc.constantFrom(1, 2, 3).map((rev) => ({ kind: EventKind.UserWrite, group: UserGroup.DistRegs, cpu: null, offset: 0x8, size: 4, value: BigInt(0x4b00043b | (rev << 12)) }));
const userGroup: Gen = fc.constantFrom(0n, 0xfn, 0xffffffffn).map((value) => ({ kind: EventKind.UserWrite, group: UserGroup.DistRegs, cpu: null, offset: 0x84, size: 4, value }));
const line: Gen = fc.tuple(fc.constantFrom(32, 33, 34, 35), fc.constantFrom(0 as const, 1 as const)).map(([intid, level]) => ({ kind: EventKind.Line, intid, cpu: null, level }));

// The CPU interface: acknowledge, priority drop, mask, group enable, highest pending.
const icc = (name: string) => sysregByName(name)!.enc;
const iccWrite: Gen = fc.tuple(fc.constantFrom<[string, bigint[]]>(['ICC_IGRPEN1_EL1', [0n, 1n]], ['ICC_PMR_EL1', [0n, 0xa0n, 0xf0n]], ['ICC_EOIR1_EL1', [32n, 33n, 34n, 1023n]], ['ICC_CTLR_EL1', [0n, 2n]], ['ICC_DIR_EL1', [32n, 33n]]), fc.nat(), cpu).map(([[name, vs], i, c]) => ({ kind: EventKind.SysregWrite, cpu: c, enc: icc(name), value: vs[i % vs.length] }));
const iccRead: Gen = fc.tuple(fc.constantFrom('ICC_IAR1_EL1', 'ICC_HPPIR1_EL1', 'ICC_RPR_EL1', 'ICC_PMR_EL1', 'ICC_IGRPEN1_EL1'), cpu).map(([name, c]) => ({ kind: EventKind.SysregRead, cpu: c, enc: icc(name), observed: null }));

/** Half the traces start like a booted guest, so interrupts are deliverable and IAR has choices. */
const BOOT: Omit<TraceEvent, 'cycle'>[] = [
  { kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x0, size: 4, value: 0x13n },
  { kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x84, size: 4, value: 0xffffffffn },
  { kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x104, size: 4, value: 0xfn },
  ...[0, 1].flatMap((c) => [
    { kind: EventKind.SysregWrite, cpu: c, enc: icc('ICC_PMR_EL1'), value: 0xf0n },
    { kind: EventKind.SysregWrite, cpu: c, enc: icc('ICC_IGRPEN1_EL1'), value: 1n },
  ]),
  { kind: EventKind.Line, intid: 32, cpu: null, level: 1 },
  { kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x204, size: 4, value: 0x4n },
] as Omit<TraceEvent, 'cycle'>[];

const cycles = (evs: Omit<TraceEvent, 'cycle'>[]) => evs.map((e, i) => ({ ...e, cycle: BigInt(10 * (i + 1)) }) as TraceEvent);
const traceV3 = fc
  .tuple(fc.boolean(), fc.array(fc.oneof({ arbitrary: distWrite, weight: 6 }, { arbitrary: distRead, weight: 4 }, { arbitrary: iidrRead, weight: 1 }, { arbitrary: redistWrite, weight: 2 }, { arbitrary: redistRead, weight: 2 }, { arbitrary: gicrCtlrRead, weight: 1 }, { arbitrary: userIidr, weight: 1 }, { arbitrary: userGroup, weight: 1 }, { arbitrary: line, weight: 2 }, { arbitrary: iccWrite, weight: 3 }, { arbitrary: iccRead, weight: 3 }), { minLength: 4, maxLength: 40 }))
  .map(([boot, evs]) => cycles(boot ? [...BOOT, ...evs] : evs));

// GICv2: the same distributor state through KVM's v2 handlers, ITARGETSR instead of IROUTER,
// GICD_SGIR and the SGI pending registers, and the memory-mapped CPU interface.
const V2_DIST_RW: [off: number, values: bigint[]][] = [
  [0x0000, [0n, 1n]], // GICD_CTLR
  [0x0084, [0n, 0x5n, 0xffffffffn]], // GICD_IGROUPR1
  [0x0104, [0x1n, 0x6n, 0xfn]], // GICD_ISENABLER1
  [0x0184, [0x1n, 0xfn]], // GICD_ICENABLER1
  [0x0204, [0x1n, 0x3n]], // GICD_ISPENDR1
  [0x0284, [0x1n, 0xfn]], // GICD_ICPENDR1
  [0x0304, [0x2n]], // GICD_ISACTIVER1
  [0x0384, [0x2n, 0xfn]], // GICD_ICACTIVER1
  [0x0420, [0n, 0xa0a0a0a0n, 0x10203048n]], // GICD_IPRIORITYR8
  [0x0820, [0x01010101n, 0x02020202n, 0x03010201n]], // GICD_ITARGETSR8
  [0x0c08, [0n, 0x2n, 0xaan]], // GICD_ICFGR2
  [0x0f10, [0x1n, 0x3n]], // GICD_CPENDSGIR0 (SGIs 0-3)
  [0x0f20, [0x1n, 0x2n]], // GICD_SPENDSGIR0
];
const GICC = { CTLR: 0x0, PMR: 0x4, IAR: 0xc, EOIR: 0x10, HPPIR: 0x18 };
const v2DistWrite: Gen = fc.tuple(fc.constantFrom(...V2_DIST_RW), fc.nat(), cpu).map(([[offset, vs], i, c]) => ({ kind: EventKind.MmioWrite, cpu: c, frame: Frame.Dist, index: 0, offset, size: 4, value: vs[i % vs.length] }));
const v2DistRead: Gen = fc.tuple(fc.constantFrom(...V2_DIST_RW, [0x0008, []] as [number, bigint[]]), cpu).map(([[offset], c]) => ({ kind: EventKind.MmioRead, cpu: c, frame: Frame.Dist, index: 0, offset, size: 4, observed: null }));
const v2Sgir: Gen = fc.tuple(fc.constantFrom(0x00010001n, 0x00020002n, 0x01000003n, 0x02000001n), cpu).map(([value, c]) => ({ kind: EventKind.MmioWrite, cpu: c, frame: Frame.Dist, index: 0, offset: 0xf00, size: 4, value }));
const gicc: Gen = fc.tuple(fc.constantFrom<[number, bigint[]]>([GICC.CTLR, [0n, 1n, 3n]], [GICC.PMR, [0n, 0xa0n, 0xf0n]], [GICC.EOIR, [32n, 33n, 0x401n, 1n, 1023n]]), fc.nat(), cpu).map(([[offset, vs], i, c]) => ({ kind: EventKind.MmioWrite, cpu: c, frame: Frame.CpuIf, index: 0, offset, size: 4, value: vs[i % vs.length] }));
const giccRead: Gen = fc.tuple(fc.constantFrom(GICC.IAR, GICC.HPPIR, GICC.PMR, GICC.CTLR), cpu).map(([offset, c]) => ({ kind: EventKind.MmioRead, cpu: c, frame: Frame.CpuIf, index: 0, offset, size: 4, observed: null }));
const V2_BOOT: Omit<TraceEvent, 'cycle'>[] = [
  { kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x0, size: 4, value: 1n },
  { kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x104, size: 4, value: 0xfn },
  ...[0, 1].flatMap((c) => [
    { kind: EventKind.MmioWrite, cpu: c, frame: Frame.CpuIf, index: 0, offset: GICC.PMR, size: 4, value: 0xf0n },
    { kind: EventKind.MmioWrite, cpu: c, frame: Frame.CpuIf, index: 0, offset: GICC.CTLR, size: 4, value: 1n },
  ]),
  { kind: EventKind.Line, intid: 32, cpu: null, level: 1 },
  { kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x204, size: 4, value: 0x4n },
] as Omit<TraceEvent, 'cycle'>[];
const traceV2 = fc
  .tuple(fc.boolean(), fc.array(fc.oneof({ arbitrary: v2DistWrite, weight: 6 }, { arbitrary: v2DistRead, weight: 4 }, { arbitrary: v2Sgir, weight: 2 }, { arbitrary: userIidr, weight: 1 }, { arbitrary: userGroup, weight: 1 }, { arbitrary: line, weight: 2 }, { arbitrary: gicc, weight: 3 }, { arbitrary: giccRead, weight: 3 }), { minLength: 4, maxLength: 40 }))
  .map(([boot, evs]) => cycles(boot ? [...V2_BOOT, ...evs] : evs));
const policyPair = fc.tuple(fc.constantFrom(...POLICIES), fc.constantFrom(...POLICIES)).filter(([a, b]) => a.id !== b.id);

interface Run {
  deps: RecordingDeps;
  /** event index -> value the guest read (reads only). */
  reads: Map<number, bigint>;
}

function replay(header: TraceHeader, events: readonly TraceEvent[], policy: Policy): Run {
  const deps = new RecordingDeps();
  const reads = new Map<number, bigint>();
  replayEvents(header, events, { policy, deps }, (r: ReplayRecord) => {
    if (r.op === 'read') reads.set(r.index, r.value);
  });
  return { deps, reads };
}

/**
 * The event before `index` that last decided `key`: its last writer, or a later write the policy
 * dropped (dropping is a decision too: it kept the value, and it read what it was decided on).
 */
function lastDecider(deps: RecordingDeps, key: string, index: number): number | undefined {
  let w = deps.lastWriter(key, index - 1);
  for (const d of deps.dropped.get(key) ?? []) if (d.index < index && (w === undefined || d.index > w)) w = d.index;
  return w;
}

/** Every event the read at `index` depends on, transitively: the last deciders of what it read, and theirs. */
function backwardSlice(deps: RecordingDeps, index: number): Set<number> {
  const out = new Set<number>();
  const todo = [index];
  while (todo.length) {
    const i = todo.pop()!;
    for (const key of deps.readsByEvent.get(i) ?? []) {
      const w = lastDecider(deps, key, i);
      if (w === undefined || w < 0 || out.has(w)) continue;
      out.add(w);
      todo.push(w);
    }
  }
  return out;
}

function firstDivergence(a: Run, b: Run): number | undefined {
  const idx = [...a.reads.keys()].sort((x, y) => x - y);
  return idx.find((i) => a.reads.get(i) !== b.reads.get(i));
}

/** The state a GICv3 register read shows bit for bit (pending registers combine latch, line and mode: left out). */
function shownByV3(ev: TraceEvent): RegExp | null {
  if (ev.kind !== EventKind.MmioRead) return null;
  if (ev.frame === Frame.Dist) {
    const f: Record<number, RegExp> = { 0x0: /^dist:ctlr$/, 0x8: /^dist:revision$/, 0x84: /:group$/, 0x104: /:enabled$/, 0x184: /:enabled$/, 0x304: /:active$/, 0x384: /:active$/, 0x420: /:priority$/, 0xc08: /:config$/, 0x6100: /:route$/ };
    return f[ev.offset] ?? null;
  }
  if (ev.frame === Frame.RedistSgi) return ev.offset === 0x80 ? /:group$/ : ev.offset === 0x100 ? /:enabled$/ : null;
  return null;
}

function shownByV2(ev: TraceEvent): RegExp | null {
  if (ev.kind !== EventKind.MmioRead || ev.frame !== Frame.Dist) return null;
  const f: Record<number, RegExp> = { 0x0: /^dist:ctlr$/, 0x8: /^dist:revision$/, 0x84: /:group$/, 0x104: /:enabled$/, 0x184: /:enabled$/, 0x304: /:active$/, 0x384: /:active$/, 0x420: /:priority$/, 0x820: /:targets$/, 0xc08: /:config$/ };
  return f[ev.offset] ?? null;
}

interface Config {
  name: string;
  header: TraceHeader;
  trace: fc.Arbitrary<TraceEvent[]>;
  /** An acknowledge or highest-pending read (the delivery path). */
  delivery(ev: TraceEvent): boolean;
  acknowledge(ev: TraceEvent): boolean;
  shownBy(ev: TraceEvent): RegExp | null;
  model(gic: TraceHeader['gic'], p: Policy, deps: DepTracker): GicV2Model | GicV3Model;
}

const isSysRead = (ev: TraceEvent, ...names: string[]) => ev.kind === EventKind.SysregRead && names.some((n) => ev.enc === icc(n));
const isGiccRead = (ev: TraceEvent, ...offs: number[]) => ev.kind === EventKind.MmioRead && ev.frame === Frame.CpuIf && offs.includes(ev.offset);

const CONFIGS: Config[] = [
  {
    name: 'GICv3',
    header: synthHeader(2, 3),
    trace: traceV3,
    delivery: (ev) => isSysRead(ev, 'ICC_IAR1_EL1', 'ICC_HPPIR1_EL1'),
    acknowledge: (ev) => isSysRead(ev, 'ICC_IAR1_EL1'),
    shownBy: shownByV3,
    model: (gic, p, deps) => new GicV3Model(gic, p, deps),
  },
  {
    name: 'GICv2',
    header: synthHeader(2, 2),
    trace: traceV2,
    delivery: (ev) => isGiccRead(ev, GICC.IAR, GICC.HPPIR),
    acknowledge: (ev) => isGiccRead(ev, GICC.IAR),
    shownBy: shownByV2,
    model: (gic, p, deps) => new GicV2Model(gic, p, deps),
  },
];

/** The value of one dependency key in the model after `events` (the tracking's ground truth). */
function stateOf(c: Config, events: readonly TraceEvent[], policy: Policy, key: string): unknown {
  let model: GicV2Model | GicV3Model | undefined;
  replayEvents(c.header, events, { policy, modelFactory: (gic, p, deps) => (model = c.model(gic, p, deps)) }, () => {});
  const core = model!.st.core;
  const s = core.irqs;
  const m = /^irq:(\d+)(?:@(\d+))?:(\w+)$/.exec(key);
  if (m) {
    const slot = s.slot(m[2] === undefined ? 0 : Number(m[2]), Number(m[1]));
    switch (m[3]) {
      case 'pending':
        return s.pending(slot);
      case 'route':
        return [s.mpidr[slot], s.target[slot]];
      default:
        return (s as unknown as Record<string, ArrayLike<number>>)[m[3]][slot];
    }
  }
  if (key === 'dist:ctlr') return core.distEnabled;
  if (key === 'dist:revision') return core.revision;
  if (key === 'dist:user-iidr-written') return core.userWroteIidr;
  return key;
}

describe.each(CONFIGS)('$name', (c) => {
  let divergent = 0;
  let acknowledged = 0;
  let necessityChecks = 0;
  const run = (events: readonly TraceEvent[], policy: Policy) => replay(c.header, events, policy);

  test(`sufficiency: the dependency slice of the first divergence reproduces it (${RUNS} random traces and policy pairs)`, () => {
    fc.assert(
      fc.property(c.trace, policyPair, (events, [pa, pb]) => {
        const a = run(events, pa);
        const b = run(events, pb);
        const d = firstDivergence(a, b);
        if (d === undefined) return;
        divergent++;
        const keep = new Set([...backwardSlice(a.deps, d), ...backwardSlice(b.deps, d), d]);
        const kept = events.filter((_, i) => keep.has(i));
        const at = kept.indexOf(events[d]);
        expect([pa.id, pb.id, run(kept, pa).reads.get(at), run(kept, pb).reads.get(at)]).toEqual([pa.id, pb.id, a.reads.get(d), b.reads.get(d)]);
        // What `diff` reports as the cause is part of that slice.
        const byIndex = new Map(events.map((e, i) => [i, e] as [number, TraceEvent]));
        const slice = causalSlice(d, a.deps, b.deps, byIndex, registryFor(c.header.gic), pa, pb, c.header.gic.version);
        for (const e of slice.events) expect(keep.has(e.index)).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Not vacuous: enough cases diverge (GICv2 policies differ in fewer places).
    expect(divergent).toBeGreaterThan(RUNS / 20);
  });

  test(`sufficiency for any read under one policy: its dependency slice reproduces the value (${RUNS} random traces)`, () => {
    fc.assert(
      fc.property(c.trace, fc.constantFrom(...POLICIES), fc.nat(), fc.boolean(), (events, policy, pick, delivery) => {
        const r = run(events, policy);
        // Half the cases ask about an acknowledge or highest-pending read when there is one.
        const all = [...r.reads.keys()];
        const picks = all.filter((i) => c.delivery(events[i]));
        const reads = delivery && picks.length ? picks : all;
        if (reads.length === 0) return;
        const d = reads[pick % reads.length];
        if (c.acknowledge(events[d]) && (r.reads.get(d)! & 0x3ffn) < 1020n) acknowledged++;
        const keep = new Set([...backwardSlice(r.deps, d), d]);
        const kept = events.filter((_, i) => keep.has(i));
        expect([policy.id, run(kept, policy).reads.get(kept.indexOf(events[d]))]).toEqual([policy.id, r.reads.get(d)]);
      }),
      { numRuns: RUNS, seed: SEED + 2 },
    );
    // Not vacuous: some of the reads checked are IARs that acknowledged an interrupt (the
    // delivery path: ap_lists, priorities, groups, PMR, group enables).
    expect(acknowledged).toBeGreaterThan(RUNS / 200);
  });

  test(`necessity: removing the last writer that changed state a read depends on changes the read (${RUNS} random traces)`, () => {
    fc.assert(
      fc.property(c.trace, fc.constantFrom(...POLICIES), fc.nat(), (events, policy, pick) => {
        const r = run(events, policy);
        const reads = [...r.reads.keys()].filter((i) => c.shownBy(events[i]) !== null);
        if (reads.length === 0) return;
        const d = reads[pick % reads.length];
        const shown = c.shownBy(events[d])!;
        for (const key of (r.deps.readsByEvent.get(d) ?? []).filter((k) => shown.test(k))) {
          const w = r.deps.lastWriter(key, d - 1);
          if (w === undefined || w < 0) continue;
          if (JSON.stringify(stateOf(c, events.slice(0, w), policy, key)) === JSON.stringify(stateOf(c, events.slice(0, w + 1), policy, key))) continue;
          const without = run(events.filter((_, i) => i !== w), policy);
          // A later event may take the removed one's place (an IAR acknowledges what an earlier
          // one would have): then nothing says the value must change.
          const taken = without.deps.lastWriter(key, d - 2);
          if (taken !== undefined && taken >= w) continue;
          necessityChecks++;
          expect([key, w, without.reads.get(d - 1)]).not.toEqual([key, w, r.reads.get(d)]);
        }
      }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
    expect(necessityChecks).toBeGreaterThan(RUNS / 4);
  });
});
