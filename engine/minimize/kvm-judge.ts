// The model against real KVM as a minimiser's question: the first difference the fidelity
// comparison leaves unexplained (engine/backend/kvm/fidelity.ts and its rules), and candidates
// judged with the campaign shrinker's KVM oracle (campaign/run.ts compareStreams: every candidate
// of one call in one boot of the host per GIC version, its valid() and pinned() for what the
// runner can perform). The minimiser's ddmin hands over each round's candidates at once, so a
// round costs one boot. A candidate shows "the same" difference when, at the same original event
// and on the same vCPU, the comparison is still unexplained with the same signature and the same
// model and KVM values.

import { compareStreams, signature } from '../backend/kvm/campaign/run';
import { pinned, valid } from '../backend/kvm/campaign/shrink';
import { FidelityDifference } from '../backend/kvm/fidelity';
import { KvmHost } from '../backend/kvm/host';
import { Policy } from '../policy/policy';
import { TraceEvent, TraceHeader } from '../trace/events';
import { BuiltCandidate } from './candidate';
import { PolicySliceJudge, ReplayBudget, Target } from './judges';

const key = (d: FidelityDifference): string => `${signature(d)} cpu${d.cpu ?? '-'} model ${d.model} kvm ${d.kvm}`;

export class KvmJudge extends PolicySliceJudge {
  boots = 0;

  private constructor(
    header: TraceHeader,
    events: readonly TraceEvent[],
    policy: Policy,
    private readonly host: KvmHost,
    budget: ReplayBudget,
    target: Target,
    private readonly runTimeoutMs: number | undefined,
  ) {
    super(header, events, policy, budget, target);
  }

  /** The judge for the trace's first unexplained model-vs-KVM difference (one boot), or null when it has none. */
  static create(header: TraceHeader, events: readonly TraceEvent[], policy: Policy, host: KvmHost, budget: ReplayBudget, o: { runTimeoutMs?: number } = {}): KvmJudge | null {
    budget.take();
    const rep = compareStreams([{ name: 'original', header, events: [...events] }], { host, policy, runTimeoutMs: o.runTimeoutMs });
    const d = rep.traces[0].differences.find((x) => x.class === 'unexplained');
    const j = d ? new KvmJudge(header, events, policy, host, budget, { index: d.index, signature: key(d), describe: `cpu${d.cpu ?? '-'} ${d.what} ${d.reg}: model (${policy.id}) ${d.model}, KVM ${d.kvm}`, mode: 'present' }, o.runTimeoutMs) : null;
    if (j) j.boots = rep.boots;
    return j;
  }

  /** The differing event, and the vGIC's init (a GICv3 guest cannot run before it), as the shrinker keeps it. */
  fixed(): number[] {
    return this.events.map((e, i) => i).filter((i) => i === this.target.index || (i < this.target.index && pinned(this.events[i])));
  }

  firstShowing(cands: readonly (BuiltCandidate | null)[]): number {
    const runnable = cands.map((c, i) => ({ c, i, stream: c ? { name: `candidate${i}`, header: c.header, events: c.events } : null })).filter((x) => x.stream && valid(x.stream));
    if (!runnable.length) return -1;
    this.budget.take(runnable.length);
    const rep = compareStreams(
      runnable.map((x) => x.stream!),
      { host: this.host, policy: this.policy, runTimeoutMs: this.runTimeoutMs },
    );
    this.boots += rep.boots;
    const byName = new Map(rep.traces.map((t) => [t.trace, t]));
    for (const x of runnable) {
      const t = byName.get(x.stream!.name);
      if (t?.differences.some((d) => d.class === 'unexplained' && x.c!.orig[d.index] === this.target.index && key(d) === this.target.signature)) return x.i;
    }
    return -1;
  }
}
