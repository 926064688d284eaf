// What "still shows the same difference" means, one judge per question the minimiser can ask:
// two policies (the lockstep comparison of `gicreplay diff`), a policy against its checked-in
// golden, or the model against real KVM (the fidelity comparison). A judge finds the target
// difference in the original trace, proposes the events its causal slice says it depends on, and
// judges candidates — each difference is pinned to the original event it was seen at, so a
// candidate shows "the same" difference only at the same event, with the same values.

import { registryFor } from '../gic';
import { RecordingDeps } from '../model/deps';
import { Policy } from '../policy/policy';
import { ReplayRecord } from '../replay/records';
import { replayEvents } from '../replay/replay';
import { recordRenderer } from '../golden/render';
import { Lockstep } from '../divergence/lockstep';
import { compareBatch, Difference, isGuestVisible } from '../divergence/pairwise';
import { hex } from '../util/hex';
import { TraceEvent, TraceHeader } from '../trace/events';
import { BuiltCandidate } from './candidate';
import { BudgetExhausted } from './ddmin';

export interface Target {
  /** Original index of the event the difference is seen at. */
  index: number;
  /** Everything that makes it "the same" difference, as one comparable string. */
  signature: string;
  /** For people: "cpu0 read GICD_IGROUPR1: rev1 0xffffffff, rev3 0xf0f0f0f". */
  describe: string;
  /** 'first': the candidate's first difference must be this one; 'present': it must show it. */
  mode: 'first' | 'present';
}

export interface Judge {
  readonly target: Target;
  /** Original indices of the events the target depends on by the models' dependencies (the causal slice, transitively). */
  slice(): number[];
  /** Events every candidate keeps (the target's event; with a golden, its whole slice). */
  fixed(): number[];
  /** The first candidate (in order) that shows the target; null entries are invalid traces. */
  firstShowing(cands: readonly (BuiltCandidate | null)[]): number;
  /** Candidates run (model replays, or traces run on KVM). */
  readonly replays: number;
  /** Runs of the backend that cost a boot (real KVM), else 0. */
  readonly boots: number;
}

/** Counts replays against a budget. */
export class ReplayBudget {
  used = 0;
  constructor(private readonly max: number) {}
  take(n = 1): void {
    if (this.used + n > this.max) throw new BudgetExhausted();
    this.used += n;
  }
}

// ---- the causal slice, transitively -------------------------------------------------------------

/** The causal slice of event `target` under one policy: replay up to it, recording what each event read and wrote. */
export function policySlice(header: TraceHeader, events: readonly TraceEvent[], target: number, policy: Policy): number[] {
  const deps = new RecordingDeps();
  replayEvents(header, events.slice(0, target + 1), { policy, deps }, () => undefined);
  return sliceClosure(target, [deps]);
}

/**
 * Every event the target's reads depend on under any of `deps`, transitively: for each key an
 * event read, the last event before it that wrote the key, and every write to it that was dropped
 * after that one (under the other policy it may be the one that decided the value).
 */
export function sliceClosure(target: number, deps: readonly RecordingDeps[]): number[] {
  const seen = new Set<number>([target]);
  const work = [target];
  while (work.length) {
    const e = work.pop()!;
    const keys = new Set<string>();
    for (const d of deps) for (const k of d.readsByEvent.get(e) ?? []) keys.add(k);
    for (const k of [...keys].sort()) {
      for (const d of deps) {
        const w = d.lastWriter(k, e - 1);
        const last = w !== undefined && w >= 0 ? w : -1;
        const found: number[] = last >= 0 ? [last] : [];
        for (const x of d.dropped.get(k) ?? []) if (x.index > last && x.index < e && x.index >= 0) found.push(x.index);
        for (const i of found) {
          if (seen.has(i)) continue;
          seen.add(i);
          work.push(i);
        }
      }
    }
  }
  return [...seen].sort((a, b) => a - b);
}

// ---- two policies -------------------------------------------------------------------------------

function signatureOf(d: Difference): string {
  switch (d.kind) {
    case 'read':
      return `read cpu${d.cpu ?? '-'} ${d.via} ${d.reg} ${hex(d.a)} ${hex(d.b)}`;
    case 'write':
      return `write cpu${d.cpu ?? '-'} ${d.reg} ${d.a ?? 'stored'} | ${d.b ?? 'stored'}`;
    case 'output': {
      const lv = (xs: string[]) => xs.map((s) => s.split('@')[0]).join(',');
      return `${d.line} cpu${d.cpu} ${lv(d.a)} | ${lv(d.b)}`;
    }
  }
}

function describeDiff(d: Difference, a: string, b: string): string {
  const cpu = d.cpu === null ? '' : `cpu${d.cpu} `;
  switch (d.kind) {
    case 'read':
      return `${cpu}read ${d.reg}: ${a} ${hex(d.a)}, ${b} ${hex(d.b)}`;
    case 'write':
      return `${cpu}write ${d.reg}: ${a} ${d.a ?? 'stored as written'}; ${b} ${d.b ?? 'stored as written'}`;
    case 'output':
      return `${cpu}${d.line.toUpperCase()} output: ${a} ${d.a.join(' ') || 'unchanged'}, ${b} ${d.b.join(' ') || 'unchanged'}`;
  }
}

/** Every difference between the two policies' records, pinned to original event indices. */
function policyDifferences(h: TraceHeader, events: readonly TraceEvent[], orig: readonly number[], pa: Policy, pb: Policy, deps: boolean): { diffs: Difference[]; ls: Lockstep } {
  const registry = registryFor(h.gic);
  const ls = new Lockstep(h, pa, pb, { trackDeps: deps });
  const diffs: Difference[] = [];
  const visit = (index: number, _ev: TraceEvent | null, a: ReplayRecord[], b: ReplayRecord[]): void => {
    compareBatch(h, registry, index < 0 ? -1 : orig[index], a, b, (d) => diffs.push(d), [pa.id, pb.id]);
  };
  ls.takeInitial(visit);
  events.forEach((ev, i) => ls.step(ev, i, visit));
  return { diffs, ls };
}

const firstOf = (diffs: readonly Difference[]): Difference | undefined => diffs.find(isGuestVisible) ?? diffs[0];

export class PoliciesJudge implements Judge {
  readonly target: Target;
  readonly boots = 0;

  private constructor(
    private readonly header: TraceHeader,
    private readonly events: readonly TraceEvent[],
    private readonly pa: Policy,
    private readonly pb: Policy,
    private readonly budget: ReplayBudget,
    target: Target,
  ) {
    this.target = target;
  }

  get replays(): number {
    return this.budget.used;
  }

  /** The judge, or null when the trace shows no difference (at `at`, when given). */
  static create(header: TraceHeader, events: readonly TraceEvent[], pa: Policy, pb: Policy, budget: ReplayBudget, at?: number): PoliciesJudge | null {
    const { diffs } = policyDifferences(header, events, events.map((_, i) => i), pa, pb, false);
    const first = firstOf(diffs);
    if (!first) return null;
    let d = first;
    if (at !== undefined) {
      const here = diffs.filter((x) => x.index === at);
      const pick = here.find(isGuestVisible) ?? here[0];
      if (!pick) return null;
      d = pick;
    }
    const signature = signatureOf(d);
    const mode = first.index === d.index && signatureOf(first) === signature ? 'first' : 'present';
    return new PoliciesJudge(header, events, pa, pb, budget, { index: d.index, signature, describe: describeDiff(d, pa.id, pb.id), mode });
  }

  slice(): number[] {
    const t = this.target.index;
    const prefix = this.events.slice(0, t + 1);
    const { ls } = policyDifferences(this.header, prefix, prefix.map((_, i) => i), this.pa, this.pb, true);
    return sliceClosure(t, [ls.a.deps, ls.b.deps]);
  }

  fixed(): number[] {
    return [this.target.index];
  }

  shows(c: BuiltCandidate): boolean {
    let diffs: Difference[];
    try {
      diffs = policyDifferences(c.header, c.events, c.orig, this.pa, this.pb, false).diffs;
    } catch {
      return false; // a model that refuses the candidate (e.g. its shape) does not show the difference
    }
    if (this.target.mode === 'first') {
      const f = firstOf(diffs);
      return f !== undefined && f.index === this.target.index && signatureOf(f) === this.target.signature;
    }
    return diffs.some((d) => d.index === this.target.index && signatureOf(d) === this.target.signature);
  }

  firstShowing(cands: readonly (BuiltCandidate | null)[]): number {
    for (let i = 0; i < cands.length; i++) {
      const c = cands[i];
      if (!c) continue;
      this.budget.take();
      if (this.shows(c)) return i;
    }
    return -1;
  }
}

// ---- a policy against its golden ------------------------------------------------------------------

/** The golden line without its event index (candidates renumber events). */
const unindexed = (line: string): string => line.slice(line.indexOf(' ') + 1);

/** Rendered records per event index; timer records (index -1) belong to the next event. */
function linesByEvent(h: TraceHeader, events: readonly TraceEvent[], policy: Policy): { lines: string[]; byEvent: Map<number, string[]> } {
  const render = recordRenderer(h.gic);
  const lines: string[] = [];
  const byEvent = new Map<number, string[]>();
  replayEvents(h, events, { policy }, (r: ReplayRecord) => {
    const l = render(r);
    lines.push(l);
    const idx = 'index' in r ? r.index : -1;
    if (idx >= 0) {
      let a = byEvent.get(idx);
      if (!a) byEvent.set(idx, (a = []));
      a.push(unindexed(l));
    }
  });
  return { lines, byEvent };
}

function lineIdx(l: string): number {
  const t = l.slice(0, l.indexOf(' '));
  return /^\d+$/.test(t) ? Number(t) : -1;
}

/**
 * A judge whose causal slice is one policy's model slice of the target (policySlice, computed
 * once) and whose replays are its budget's count: the golden and the KVM judges.
 */
export abstract class PolicySliceJudge implements Judge {
  abstract readonly boots: number;
  private sliceCache: number[] | undefined;

  protected constructor(
    protected readonly header: TraceHeader,
    protected readonly events: readonly TraceEvent[],
    protected readonly policy: Policy,
    protected readonly budget: ReplayBudget,
    readonly target: Target,
  ) {}

  get replays(): number {
    return this.budget.used;
  }

  slice(): number[] {
    this.sliceCache ??= policySlice(this.header, this.events, this.target.index, this.policy);
    return this.sliceCache;
  }

  abstract fixed(): number[];
  abstract firstShowing(cands: readonly (BuiltCandidate | null)[]): number;
}

export class GoldenJudge extends PolicySliceJudge {
  readonly boots = 0;

  private constructor(header: TraceHeader, events: readonly TraceEvent[], policy: Policy, budget: ReplayBudget, target: Target, private readonly golden: string[]) {
    super(header, events, policy, budget, target);
  }

  /** The judge for the first drift from `golden` (body lines), or null when the replay matches it. */
  static create(header: TraceHeader, events: readonly TraceEvent[], policy: Policy, golden: readonly string[], budget: ReplayBudget): GoldenJudge | null {
    const { lines, byEvent } = linesByEvent(header, events, policy);
    const goldenBy = new Map<number, string[]>();
    for (const l of golden) {
      const i = lineIdx(l);
      if (i < 0) continue;
      let a = goldenBy.get(i);
      if (!a) goldenBy.set(i, (a = []));
      a.push(unindexed(l));
    }
    // The first event whose records differ, preferring one the guest can see (a read, an IRQ/FIQ change), as diff does.
    // An unindexed line is "<cycle> <cpu> <op> …".
    const visible = (ls: readonly string[]) => ls.some((l) => ['read', 'irq', 'fiq'].includes(l.split(' ')[2]));
    let index = -1;
    let firstAny = -1;
    const all = [...new Set([...byEvent.keys(), ...goldenBy.keys()])].sort((a, b) => a - b);
    for (const i of all) {
      const a = byEvent.get(i) ?? [];
      const b = goldenBy.get(i) ?? [];
      if (a.join('\n') === b.join('\n')) continue;
      if (firstAny < 0) firstAny = i;
      const da = a.filter((l) => !b.includes(l));
      const db = b.filter((l) => !a.includes(l));
      if (visible(da) || visible(db)) {
        index = i;
        break;
      }
    }
    if (index < 0) index = firstAny;
    if (index < 0) {
      // Only timer-driven records (index -) differ, or none: the whole bodies decide.
      if (lines.join('\n') === golden.join('\n')) return null;
      index = events.length - 1;
    }
    const now = byEvent.get(index) ?? [];
    const was = golden.filter((l) => lineIdx(l) === index).map(unindexed);
    const describe = `event ${index}: golden ${was.join('; ') || '(no record)'}; now ${now.join('; ') || '(no record)'}`;
    return new GoldenJudge(header, events, policy, budget, { index, signature: now.join('\n'), describe, mode: 'present' }, was);
  }

  /**
   * The model that wrote the golden cannot be run again, so a candidate keeps everything the
   * differing access depends on under today's model (writes it dropped included) and must give
   * today's records at that event, which still differ from the golden's.
   */
  fixed(): number[] {
    return this.slice();
  }

  firstShowing(cands: readonly (BuiltCandidate | null)[]): number {
    for (let i = 0; i < cands.length; i++) {
      const c = cands[i];
      if (!c) continue;
      this.budget.take();
      const at = c.orig.indexOf(this.target.index);
      if (at < 0) continue;
      let got: string[];
      try {
        got = linesByEvent(c.header, c.events, this.policy).byEvent.get(at) ?? [];
      } catch {
        continue;
      }
      if (got.join('\n') === this.target.signature && got.join('\n') !== this.golden.join('\n')) return i;
    }
    return -1;
  }
}
