// `gicreplay minimize`: the smallest trace — by events, then by vCPUs and SPIs in the header —
// that still shows one difference (between two policies, against a golden, or between the model
// and real KVM). Events after the difference cannot matter and markers cannot either; the causal
// slice proposes a first candidate (usually already close to minimal, so delta debugging has
// little left to do); delta debugging makes the result 1-minimal; then the header shrinks. Every
// candidate is a valid trace, and the same input gives the same output.

import { TraceEvent, TraceHeader, EventKind } from '../trace/events';
import { writeTrace } from '../trace/writer';
import { BuiltCandidate, buildCandidate, Candidate, cpuUsed, Shape, shapeOf, spisUsed } from './candidate';
import { BudgetExhausted, ddmin } from './ddmin';
import { Judge, Target } from './judges';

export interface MinimizeStep {
  /** "prefix", "causal slice", "delta debugging", "vCPUs", "SPIs", "markers". */
  phase: string;
  what: string;
  events: number;
  cpus: number;
  spis: number;
  /** Replays used so far (all phases). */
  replays: number;
}

export interface MinimizeResult {
  header: TraceHeader;
  events: TraceEvent[];
  /** Original index of each kept event. */
  kept: number[];
  target: Target;
  /** Where the difference is in the minimised trace. */
  targetIndex: number;
  before: { events: number; cpus: number; spis: number };
  steps: MinimizeStep[];
  replays: number;
  boots: number;
  /** The replay budget ran out: the result shows the difference but may not be minimal. */
  bounded: boolean;
}

export interface MinimizeOptions {
  keepMarkers?: boolean;
  /** Called with a one-line status while it works (the CLI shows it on a terminal only). */
  progress?: (line: string) => void;
  /** Provenance: what the minimised trace was made from and how (kept in its header details). */
  source: { name: string; digest: string; question: string };
}

const isMarker = (ev: TraceEvent): boolean => ev.kind === EventKind.Marker;

export function minimizeTrace(header: TraceHeader, events: readonly TraceEvent[], judge: Judge, o: MinimizeOptions): MinimizeResult {
  const t = judge.target.index;
  const orig = shapeOf(header);
  let shape: Shape = orig;
  const steps: MinimizeStep[] = [];
  let keep: number[] = [];
  let bounded: boolean;
  const build = (c: Candidate): BuiltCandidate | null => buildCandidate(header, events, c);
  const step = (phase: string, what: string): void => {
    steps.push({ phase, what, events: keep.length, cpus: shape.cpus, spis: shape.spis, replays: judge.replays });
    o.progress?.(`${phase}: ${keep.length} events, ${shape.cpus} vCPUs, ${shape.spis} SPIs (${judge.replays} replays)`);
  };
  const oracle = (sets: readonly (readonly number[])[]): number => judge.firstShowing(sets.map((k) => build({ keep: k, shape })));

  // Events after the difference, and markers, cannot change it.
  const prefix = events.slice(0, t + 1).map((ev, i) => (isMarker(ev) && i !== t ? -1 : i)).filter((i) => i >= 0);
  keep = prefix;
  step('prefix', `events up to the difference at event ${t}, markers left out`);

  const fixed = judge.fixed();
  const fixedSet = new Set(fixed);
  let free = prefix.filter((i) => !fixedSet.has(i));
  try {
    // The causal slice's events as the first candidate.
    const slice = judge.slice().filter((i) => !fixedSet.has(i) && !isMarker(events[i]));
    const guided = [...fixed, ...slice].sort((a, b) => a - b);
    if (guided.length < prefix.length && oracle([guided]) === 0) {
      free = slice;
      keep = guided;
      step('causal slice', `the ${guided.length} events the difference depends on`);
    }
    const r = ddmin(free, fixed, oracle);
    keep = r.keep;
    bounded = r.bounded;
    step('delta debugging', `${r.steps.length} reductions, 1-minimal${r.bounded ? ' not reached (replay budget)' : ''}`);

    // The header: fewer vCPUs (the highest one used must stay), then fewer SPIs (multiples of 32, as KVM's NR_IRQS needs).
    if (!bounded) {
      const needCpus = Math.max(1, ...keep.map((i) => cpuUsed(events[i]) + 1));
      const cpuTries: Shape[] = [];
      for (let n = needCpus; n < shape.cpus; n++) cpuTries.push({ ...shape, cpus: n });
      const kc = judge.firstShowing(cpuTries.map((s) => build({ keep, shape: s })));
      if (kc >= 0) {
        shape = cpuTries[kc];
        step('vCPUs', `${orig.cpus} → ${shape.cpus}`);
      }
      const needSpis = Math.max(0, ...keep.map((i) => spisUsed(events[i])));
      const spiTries: Shape[] = [];
      for (let s = Math.max(32, Math.ceil(needSpis / 32) * 32); s < shape.spis; s += 32) spiTries.push({ ...shape, spis: s });
      const ks = judge.firstShowing(spiTries.map((s) => build({ keep, shape: s })));
      if (ks >= 0) {
        shape = spiTries[ks];
        step('SPIs', `${orig.spis} → ${shape.spis}`);
      }
    }
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
    bounded = true;
    step('stopped', 'replay budget exhausted; the trace so far shows the difference');
  }

  if (o.keepMarkers) {
    // A marker stays when the event before it stays: it says what that event was for.
    const kept = new Set(keep);
    const withMarkers = [...keep];
    // Markers up to the difference, and those right after it (what the guest made of it).
    let end = t + 1;
    while (end < events.length && isMarker(events[end])) end++;
    for (let i = 1; i < end; i++) {
      if (!isMarker(events[i])) continue;
      let j = i - 1;
      while (j >= 0 && isMarker(events[j])) j--;
      if (j >= 0 && kept.has(j)) withMarkers.push(i);
    }
    withMarkers.sort((a, b) => a - b);
    if (withMarkers.length > keep.length) {
      keep = withMarkers;
      step('markers', 'markers after kept events put back');
    }
  }

  const built = build({ keep, shape });
  if (!built) throw new Error('minimiser: the result is not a valid trace (a bug: every accepted candidate was valid)');
  const h: TraceHeader = {
    ...built.header,
    provenance: {
      ...built.header.provenance,
      details: {
        ...built.header.provenance.details,
        minimizedFrom: `${o.source.name} (trace digest ${o.source.digest})`,
        minimizedEvents: `${keep.join(',')} of ${events.length}`,
        minimizedDifference: `${o.source.question}: ${judge.target.describe} (original event ${t})`,
      },
    },
  };
  return {
    header: h,
    events: built.events,
    kept: keep,
    target: judge.target,
    targetIndex: keep.indexOf(t),
    before: { events: events.length, cpus: orig.cpus, spis: orig.spis },
    steps,
    replays: judge.replays,
    boots: judge.boots,
    bounded,
  };
}

/** Write the result atomically (never over one of `inputs`). */
export function writeMinimized(file: string, r: MinimizeResult, inputs: readonly string[]): void {
  writeTrace(file, r.header, r.events, { inputs });
}
