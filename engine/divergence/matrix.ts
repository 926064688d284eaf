// `gicreplay matrix`: for each trace, which policies a guest cannot tell apart (equivalence
// classes), and for each distinguishable pair how many accesses differ and where first. All
// policies replay side by side in one pass over the trace.

import { registryFor } from '../gic';
import { Policy } from '../policy/policy';
import { ReplayRecord } from '../replay/records';
import { Replayer, ReplayOptions, streamTrace } from '../replay/replay';
import { openTrace } from '../trace/reader';
import { compareBatch, Difference, isGuestVisible, registerFamily } from './pairwise';
import { CoverageScanner, SwitchCoverage } from './coverage';

export interface PairResult {
  a: string;
  b: string;
  /** Guest-visible differences (reads, IRQ/FIQ output changes). */
  differences: number;
  /** Writes one policy dropped or changed and the other did not. */
  sideEffects: number;
  first: Difference | null;
  /** What differs, sorted: register families of differing reads, and "cpuN IRQ"/"cpuN FIQ" outputs. */
  subjects: string[];
}

export interface TraceMatrix {
  trace: string;
  gic: 2 | 3;
  source: string;
  /** A minimal witness (made by `gicreplay minimize`): the difference it keeps and where it came from. */
  witness?: { difference: string; from: string };
  /** Guest kind from traces/TAGS.json ("untagged" without an entry); set by the caller, which knows the project. */
  guest?: string;
  /** The policies replayed, in run order. */
  policies: string[];
  events: number;
  /** Policy IDs under which the guest sees identical values and outputs, each class in policy order. */
  classes: string[][];
  /** Every pair of policies with any difference (visible, or in write side effects only). */
  pairs: PairResult[];
  coverage: SwitchCoverage[];
}

export interface MatrixOptions {
  modelFactory?: ReplayOptions['modelFactory'];
  timerFactory?: ReplayOptions['timerFactory'];
}

export function traceMatrix(trace: string, label: string, policies: readonly Policy[], opts: MatrixOptions = {}): TraceMatrix {
  const reader = openTrace(trace);
  try {
    const header = reader.header;
    const registry = registryFor(header.gic);
    const bufs: ReplayRecord[][] = policies.map(() => []);
    const n = policies.length;
    // differs[k][j]: differences between policy k and j (k < j); first[k][j] the first one.
    const counts: number[][] = policies.map(() => new Array<number>(n).fill(0));
    const sideEffects: number[][] = policies.map(() => new Array<number>(n).fill(0));
    const firsts: (Difference | null)[][] = policies.map(() => new Array<Difference | null>(n).fill(null));
    const subjects: Set<string>[][] = policies.map(() => policies.map(() => new Set<string>()));
    const coverage = new CoverageScanner(registry);

    const compareAll = (index: number) => {
      for (let k = 0; k < n; k++) {
        for (let j = k + 1; j < n; j++) {
          compareBatch(header, registry, index, bufs[k], bufs[j], (d) => {
            if (!isGuestVisible(d)) {
              sideEffects[k][j]++;
              return;
            }
            counts[k][j]++;
            if (!firsts[k][j]) firsts[k][j] = d;
            subjects[k][j].add(d.kind === 'read' ? registerFamily(d.reg) : d.kind === 'output' ? `cpu${d.cpu} ${d.line.toUpperCase()}` : registerFamily(d.reg));
          }, [policies[k].id, policies[j].id]);
        }
      }
      for (const b of bufs) b.length = 0;
    };

    const events = streamTrace(reader, () => {
      const replayers = policies.map((policy, k) => new Replayer(header, { policy, modelFactory: opts.modelFactory, timerFactory: opts.timerFactory }, (r) => bufs[k].push(r)));
      compareAll(-1);
      return (ev, i) => {
        coverage.add(ev);
        for (const r of replayers) r.apply(ev, i);
        compareAll(i);
      };
    });

    // Identical output is an equivalence relation: union-find over the zero-difference pairs.
    const parent = policies.map((_, k) => k);
    const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
    for (let k = 0; k < n; k++) for (let j = k + 1; j < n; j++) if (counts[k][j] === 0) parent[find(j)] = find(k);
    const classMap = new Map<number, string[]>();
    for (let k = 0; k < n; k++) {
      const root = find(k);
      if (!classMap.has(root)) classMap.set(root, []);
      classMap.get(root)!.push(policies[k].id);
    }
    const classes = [...classMap.keys()].sort((x, y) => x - y).map((r) => classMap.get(r)!);
    const pairs: PairResult[] = [];
    for (let k = 0; k < n; k++) for (let j = k + 1; j < n; j++) if (counts[k][j] > 0 || sideEffects[k][j] > 0) pairs.push({ a: policies[k].id, b: policies[j].id, differences: counts[k][j], sideEffects: sideEffects[k][j], first: firsts[k][j], subjects: [...subjects[k][j]].sort() });
    const det = header.provenance.details;
    const witness = det.minimizedDifference ? { witness: { difference: det.minimizedDifference, from: det.minimizedFrom ?? '' } } : {};
    return { trace: label, gic: header.gic.version, source: header.provenance.kind, ...witness, policies: policies.map((p) => p.id), events, classes, pairs, coverage: coverage.result(header.gic.version) };
  } finally {
    reader.close();
  }
}
