// The matrix per group of traces (a guest kind, a source): which policies no trace of the group
// can tell apart, and for the others what differs across the group — "Linux guests: rev1 ≡
// rev1-iidr-only; differ from rev3 only in GICD_IIDR and GICR_CTLR". Analysis only; the
// renderers in render-matrix.ts print it.

import { PairResult, TraceMatrix } from './matrix';

export interface ClassPair {
  /** The two classes, each in policy order. */
  a: string[];
  b: string[];
  /** What differs on any trace of the group, sorted. */
  subjects: string[];
  /** Traces of the group on which the two classes differ at all. */
  traces: number;
  /** Guest-visible differences summed over those traces. */
  differences: number;
}

export interface GroupSummary {
  /** The tag value (guest kind, source). */
  key: string;
  traces: string[];
  /** Policies indistinguishable on every trace of the group, in policy order. */
  classes: string[][];
  /** Every pair of classes, in class order: each differs on at least one trace. */
  pairs: ClassPair[];
}

export function pairOf(m: TraceMatrix, a: string, b: string): PairResult | undefined {
  return m.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
}

/**
 * Intersect the traces' equivalences: two policies are one class of the group when they are one
 * class on every trace. Class members answer alike on each trace, so the differences between two
 * classes are those between their first members.
 */
export function summarizeGroup(key: string, ms: readonly TraceMatrix[], policies: readonly string[]): GroupSummary {
  const classOf = (m: TraceMatrix, id: string) => m.classes.findIndex((c) => c.includes(id));
  const bySignature = new Map<string, string[]>();
  const classes: string[][] = [];
  for (const id of policies) {
    const sig = ms.map((m) => classOf(m, id)).join(',');
    let c = bySignature.get(sig);
    if (!c) {
      c = [];
      bySignature.set(sig, c);
      classes.push(c);
    }
    c.push(id);
  }
  const pairs: ClassPair[] = [];
  for (let i = 0; i < classes.length; i++) {
    for (let j = i + 1; j < classes.length; j++) {
      const subjects = new Set<string>();
      let traces = 0;
      let differences = 0;
      for (const m of ms) {
        const p = pairOf(m, classes[i][0], classes[j][0]);
        if (!p || p.differences === 0) continue;
        traces++;
        differences += p.differences;
        for (const s of p.subjects) subjects.add(s);
      }
      pairs.push({ a: classes[i], b: classes[j], subjects: [...subjects].sort(), traces, differences });
    }
  }
  return { key, traces: ms.map((m) => m.trace), classes, pairs };
}

/** One summary per value of `keyOf`, in byte order of the values (deterministic, locale-free). */
export function summarizeBy(ms: readonly TraceMatrix[], keyOf: (m: TraceMatrix) => string, policies: readonly string[]): GroupSummary[] {
  const groups = new Map<string, TraceMatrix[]>();
  for (const m of ms) {
    const k = keyOf(m);
    const g = groups.get(k) ?? [];
    g.push(m);
    groups.set(k, g);
  }
  return [...groups.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).map((k) => summarizeGroup(k, groups.get(k)!, policies));
}

/** The policies of a matrix run, in run order (every trace has them all). */
export function matrixPolicies(ms: readonly TraceMatrix[]): string[] {
  return ms.length ? (ms[0].policies ?? ms[0].classes.flat()) : [];
}
