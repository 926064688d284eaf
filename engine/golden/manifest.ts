// The suite's manifest: which (trace × policy) pairs exist, which goldens are on disk, and from
// the difference of the two, which goldens are obsolete. Always computed from the full set of
// traces and policies, never from what a filtered or sharded run happened to check.

import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors';
import { Policy } from '../policy/policy';
import { selectPolicies } from '../policy/select';
import { abs, byCodeUnit, goldenPathFor, Layout, layoutFor, listGoldenFiles, listTraces, pairForGoldenPath, pairId, resolvePathFilter, TRACE_EXT, UnreadableEntry } from './layout';
import { Manifest, ObsoleteGolden } from './results';
import { isOwnedGolden, openGolden } from './store';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${s}: expected i/n with 1 <= i <= n, e.g. 2/4`);
  return { index, count };
}

export interface PlannedPair {
  id: string;
  trace: string;
  policy: Policy;
  golden: string;
  /** The policy is known only through --policy-file: hints name this file (project-relative when inside it). */
  policyFile?: string;
}

export interface SuitePlan {
  layout: Layout;
  universe: Policy[];
  manifest: Manifest;
  /** Normalised filter: trace scopes ("x.gtr" exact or "dir" prefix) and policy IDs; empty = everything. */
  filter: { paths: string[]; policies: string[]; pairs: string[] };
  /** Pairs this run checks (after filter and shard), in suite order. */
  pairs: PlannedPair[];
  shard?: Shard;
}

export interface PlanOptions {
  root: string;
  cwd?: string;
  paths?: readonly string[];
  policies?: readonly string[];
  policyFiles?: readonly string[];
  shard?: Shard;
}

export function planSuite(o: PlanOptions): SuitePlan {
  const layout = layoutFor(o.root);
  if (!fs.existsSync(layout.tracesDir) && !fs.existsSync(layout.goldenDir)) {
    throw new UsageError(`${layout.root} has neither traces/ nor golden/; run from a gicreplay project or pass --root`);
  }
  const unreadable: UnreadableEntry[] = [];
  const traces = listTraces(layout, unreadable);
  // --policy and --policy-file narrow the run to the policies they name (policy/select.ts).
  const { universe, chosen, filtered, adHoc } = selectPolicies({ root: layout.root, cwd: o.cwd, ids: o.policies, files: o.policyFiles });
  const selTraces = o.paths && o.paths.length ? resolvePathFilter(layout, traces, o.paths, o.cwd ?? process.cwd()) : traces;
  const all: PlannedPair[] = [];
  const hintFile = (p: Policy) => {
    if (!adHoc.includes(p)) return undefined;
    const rel = path.relative(layout.root, path.resolve(p.file));
    return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(p.file) : rel.split(path.sep).join('/');
  };
  for (const t of selTraces) {
    for (const p of chosen) {
      const pp: PlannedPair = { id: pairId(t, p.id), trace: t, policy: p, golden: goldenPathFor(t, p.id) };
      const f = hintFile(p);
      if (f) pp.policyFile = f;
      all.push(pp);
    }
  }
  const pairs = o.shard ? all.filter((_, i) => i % o.shard!.count === o.shard!.index - 1) : all;
  const scopes = o.paths && o.paths.length ? scopesOf(layout, o.paths, o.cwd ?? process.cwd()) : [];
  return {
    layout,
    universe,
    manifest: buildManifest(layout, traces, universe, unreadable),
    filter: { paths: scopes, policies: filtered ? chosen.map((p) => p.id) : [], pairs: all.map((p) => p.id) },
    pairs,
    shard: o.shard,
  };
}

function scopesOf(l: Layout, paths: readonly string[], cwd: string): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const a = path.resolve(cwd, p);
    const fromTraces = path.relative(l.tracesDir, a);
    const rel = !fromTraces.startsWith('..') ? fromTraces : path.relative(l.goldenDir, a);
    const posix = rel.split(path.sep).join('/');
    out.add(posix.endsWith('.golden') ? `${path.posix.dirname(posix)}${TRACE_EXT}` : posix);
  }
  return [...out].sort(byCodeUnit);
}

export function buildManifest(l: Layout, traces: readonly string[], universe: readonly Policy[], unreadable: readonly UnreadableEntry[] = []): Manifest {
  const pairs: string[] = [];
  for (const t of traces) for (const p of universe) pairs.push(pairId(t, p.id));
  const goldenFiles = listGoldenFiles(l);
  const expected = new Set<string>();
  for (const t of traces) for (const p of universe) expected.add(goldenPathFor(t, p.id));
  const owned: string[] = [];
  const foreign: string[] = [];
  for (const g of goldenFiles) {
    if (!isOwnedGolden(abs(l, g))) {
      foreign.push(g);
      continue;
    }
    if (!expected.has(g) && isMatcherGolden(abs(l, g))) continue;
    owned.push(g);
  }
  const m: Manifest = { pairs: pairs.sort(byCodeUnit), goldenFiles, ownedGoldens: owned, foreign, policies: universe.map((p) => p.id), traces: [...traces] };
  if (unreadable.length) m.unreadable = unreadable.map((u) => ({ ...u }));
  return m;
}

/** Goldens written by the Jest matcher carry a subject instead of a trace: not part of the suite. */
function isMatcherGolden(file: string): boolean {
  try {
    const g = openGolden(file);
    if (!g) return false;
    g.reader.close();
    return g.header.subject !== undefined && g.header.trace === undefined;
  } catch {
    return false;
  }
}

function inScope(filter: SuitePlan['filter'], golden: string): boolean {
  const pair = pairForGoldenPath(golden);
  if (filter.policies.length && (!pair || !filter.policies.includes(pair.policy))) return false;
  if (!filter.paths.length) return true;
  if (!pair) return false;
  return filter.paths.some((s) => s === '' || pair.trace === s || pair.trace === `${s}${TRACE_EXT}` || pair.trace.startsWith(`${s}/`));
}

/**
 * Goldens with gicreplay's header that no (trace, policy) of the full suite accounts for,
 * limited to the filter's scope so a filtered run reports only what it was asked about.
 */
export function findObsolete(m: Manifest, filter: SuitePlan['filter']): ObsoleteGolden[] {
  const traces = new Set(m.traces);
  const policies = new Set(m.policies);
  const expected = new Set<string>();
  for (const id of m.pairs) {
    const i = id.lastIndexOf('::');
    expected.add(goldenPathFor(id.slice(0, i), id.slice(i + 2)));
  }
  // golden/<p>/… under an unreadable traces/<p>: its traces are unknown, so nothing there is provably obsolete.
  const unknown = (m.unreadable ?? []).map((u) => `golden/${u.path.endsWith(TRACE_EXT) ? u.path.slice(0, -TRACE_EXT.length) : u.path}/`);
  const out: ObsoleteGolden[] = [];
  for (const g of m.ownedGoldens) {
    if (expected.has(g) || !inScope(filter, g) || unknown.some((u) => g.startsWith(u))) continue;
    const pair = pairForGoldenPath(g);
    let reason: string;
    if (!pair) reason = 'not at golden/<trace>/<policy>.golden';
    else if (!traces.has(pair.trace)) reason = `trace traces/${pair.trace} no longer exists`;
    else if (!policies.has(pair.policy)) reason = `no policy "${pair.policy}" (not built in, not registered in package.json "gicreplay.policyFiles", not given with --policy-file)`;
    else reason = 'not expected';
    out.push({ golden: g, reason });
  }
  return out;
}
