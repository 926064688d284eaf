// `gicreplay diff`: what a guest sees differently under two policies — every differing read,
// write effect and output change, the first divergence with its causal slice, and the
// differences grouped by register and INTID.

import { registryFor } from '../gic';
import { Policy } from '../policy/policy';
import { TraceEvent, TraceHeader } from '../trace/events';
import { hex } from '../util/hex';
import { compareBatch, Difference, DifferenceCollector, DifferenceGroup } from './pairwise';
import { LockstepOptions, lockstepFile } from './lockstep';
import { CausalSlice, causalSlice } from './slice';

export interface PolicyDiff {
  trace: string;
  policyA: string;
  policyB: string;
  events: number;
  /** No difference at all, not even in write side effects. */
  identical: boolean;
  /** Total number of differences (all of them are grouped). */
  count: number;
  /** Differences the guest can see: reads and IRQ/FIQ output changes. */
  visibleCount: number;
  /** The first guest-visible difference, or the first side-effect difference when none is visible. */
  first: Difference | null;
  slice: CausalSlice | null;
  /** "From event N on, the recorded guest had already seen …": after N the replay is a replay, not a prediction. */
  replayCaveat: string | null;
  groups: DifferenceGroup[];
  /** The first `maxListed` differences, in trace order. */
  differences: Difference[];
}

export interface DiffOptions {
  /** Keep at most this many differences in `differences` (all are grouped and counted). */
  maxListed?: number;
  modelFactory?: LockstepOptions['modelFactory'];
  timerFactory?: LockstepOptions['timerFactory'];
  /**
   * false: count and group the differences only, without the causal slice or the replay caveat
   * (no dependency tracking, no kept events). Invariants need only the verdict, and tracking
   * dependencies costs more than the replays themselves.
   */
  analysis?: boolean;
}

export function diffPolicies(trace: string, pa: Policy, pb: Policy, opts: DiffOptions = {}): PolicyDiff {
  const found = new DifferenceCollector(opts.maxListed ?? 200);
  const analysis = opts.analysis ?? true;
  const events = new Map<number, TraceEvent>();
  const run = lockstepFile(trace, pa, pb, { trackDeps: analysis, modelFactory: opts.modelFactory, timerFactory: opts.timerFactory }, (header) => {
    const registry = registryFor(header.gic);
    return (index, ev, a, b) => {
      // Kept for the causal slice's event descriptions; analysis traces are small enough.
      if (ev && analysis) events.set(index, ev);
      compareBatch(header, registry, index, a, b, found.add, [pa.id, pb.id]);
    };
  });

  const firstDiff = found.first ?? found.firstAny;
  let slice: CausalSlice | null = null;
  let caveat: string | null = null;
  if (firstDiff && analysis) {
    slice = causalSlice(firstDiff.index, run.lockstep.a.deps, run.lockstep.b.deps, events, registryFor(run.header.gic), pa, pb, run.header.gic.version);
    caveat = replayCaveat(run.header, firstDiff, pa, pb);
  }
  return {
    trace,
    policyA: pa.id,
    policyB: pb.id,
    events: run.events,
    identical: found.count === 0,
    count: found.count,
    visibleCount: found.visibleCount,
    first: firstDiff,
    slice,
    replayCaveat: caveat,
    groups: found.groups.list(),
    differences: found.differences,
  };
}

export function replayCaveat(header: TraceHeader, d: Difference, pa: Policy, pb: Policy): string {
  const recordedUnder = header.provenance.details.policy ?? header.provenance.details.recordingPolicy;
  const source = recordedUnder ? `recorded under ${recordedUnder}` : `recorded from ${header.provenance.kind}`;
  if (d.kind === 'read') {
    const seen = d.recorded !== null ? `${hex(d.recorded)} (the value the source observed)` : `${hex(d.a)} (its value under ${pa.id})`;
    return (
      `From event ${d.index} on, the guest (${source}) had already seen ${d.reg} = ${seen}; ` +
      `later events replay what that guest did next. A live guest under ${pb.id}, reading ${hex(d.b)}, may have taken another path.`
    );
  }
  return (
    `From event ${d.index} on, the recorded guest (${source}) ran with the behaviour it saw then; ` +
    `later events replay what it did next, not what a live guest under ${pb.id} would do.`
  );
}
