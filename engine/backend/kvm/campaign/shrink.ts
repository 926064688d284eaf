// Shrinking a campaign difference to a minimal stream, with real KVM as the oracle: ddmin over
// the stream's events (cut after the difference first), every candidate checked to be a valid
// trace the runner can express, every round's candidates of every target run in one boot per GIC
// version. A candidate reproduces when model and KVM still disagree, unexplained, with the same
// signature (what differs, on which register). Bounded by a number of rounds (boots).

import { CTRL_INIT, EventKind, TraceEvent, UserGroup } from '../../../trace/events';
import { EventValidator } from '../../../trace/validate';
import { Policy } from '../../../policy/policy';
import { FidelityDifference } from '../fidelity';
import { KvmHost } from '../host';
import { buildTraceJob } from '../job';
import { Stream } from './generate';
import { compareStreams, signature } from './run';

export interface ShrinkTarget {
  stream: Stream;
  difference: FidelityDifference;
}

export interface Shrunk {
  signature: string;
  from: string;
  stream: Stream;
  /** The difference in the minimal stream. */
  difference: FidelityDifference;
  rounds: number;
  /** ddmin reached 1-minimality within the bound. */
  minimal: boolean;
}

/** Events that stay: the vGIC's init (a GICv3 guest cannot run before it). */
export const pinned = (ev: TraceEvent): boolean => ev.kind === EventKind.UserWrite && ev.group === UserGroup.Ctrl && ev.offset === CTRL_INIT;

/** A stream the reader and the KVM runner accept (and not empty). */
export function valid(s: Stream): boolean {
  try {
    const v = new EventValidator(s.header, s.name);
    s.events.forEach((e, i) => v.check(e, i));
    buildTraceJob('c', s.header, s.events, { file: s.name });
    return s.events.length > 0;
  } catch {
    return false;
  }
}

interface State {
  t: ShrinkTarget;
  sig: string;
  events: TraceEvent[];
  n: number;
  done: boolean;
  best?: FidelityDifference;
  rounds: number;
}

export function shrinkAll(targets: readonly ShrinkTarget[], o: { host: KvmHost; policy: Policy; maxRounds?: number; runTimeoutMs?: number; progress?: (l: string) => void }): Shrunk[] {
  const states: State[] = targets.map((t) => ({ t, sig: signature(t.difference), events: t.stream.events.slice(0, t.difference.index + 1), n: 2, done: false, best: t.difference, rounds: 0 }));
  const maxRounds = o.maxRounds ?? 12;
  let seq = 0;
  for (let round = 0; round < maxRounds && states.some((s) => !s.done); round++) {
    const batch: { st: State; events: TraceEvent[]; stream: Stream }[] = [];
    for (const st of states) {
      if (st.done) continue;
      const evs = st.events;
      const free = evs.map((e, i) => i).filter((i) => !pinned(evs[i]));
      const n = Math.min(st.n, free.length);
      const chunk = Math.ceil(free.length / n);
      const cands: TraceEvent[][] = [];
      for (let k = 0; k < n; k++) {
        const drop = new Set(free.slice(k * chunk, (k + 1) * chunk));
        if (!drop.size) continue;
        cands.push(evs.filter((_, i) => !drop.has(i)));
        if (n > 2) cands.push(evs.filter((e, i) => drop.has(i) || pinned(e)));
      }
      for (const c of cands) {
        const stream: Stream = { name: `shrink${seq++}`, header: st.t.stream.header, events: c };
        if (valid(stream)) batch.push({ st, events: c, stream });
      }
    }
    if (!batch.length) break;
    const rep = compareStreams(
      batch.map((b) => b.stream),
      o,
    );
    const byName = new Map(rep.traces.map((t) => [t.trace, t]));
    const improved = new Set<State>();
    for (const b of batch) {
      if (improved.has(b.st)) continue;
      const t = byName.get(b.stream.name);
      const hit = t?.differences.find((d) => d.class === 'unexplained' && signature(d) === b.st.sig);
      if (!hit) continue;
      // The first (smallest, in batch order complements come first) reproducing candidate wins.
      if (b.events.length < b.st.events.length) {
        b.st.events = b.events.slice(0, hit.index + 1);
        b.st.best = hit;
        improved.add(b.st);
      }
    }
    for (const st of states) {
      if (st.done) continue;
      st.rounds++;
      const free = st.events.filter((e) => !pinned(e)).length;
      if (improved.has(st)) st.n = Math.max(st.n - 1, 2);
      else if (st.n >= free) st.done = true;
      else st.n = Math.min(free, st.n * 2);
    }
    o.progress?.(`shrink round ${round + 1}: ${states.map((s) => s.events.length).join(' ')} events`);
  }
  return states.map((st) => ({
    signature: st.sig,
    from: st.t.stream.name,
    stream: { name: `${st.t.stream.name}-min`, header: st.t.stream.header, events: st.events },
    difference: st.best!,
    rounds: st.rounds,
    minimal: st.done,
  }));
}
