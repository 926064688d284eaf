// Orchestration of `check`: plan the suite, check each pair (in worker threads when that pays
// off), compute obsolete goldens on complete runs only, and reduce it all to one verdict.
// `mergeReports` turns shard reports back into the report a full run would have produced.

import * as fs from 'fs';
import * as path from 'path';
import { checkInvariants, loadInvariants } from '../divergence/invariants';
import { InputError, UsageError } from '../errors';
import { Policy } from '../policy/policy';
import { canonicalJson } from '../util/canonical-json';
import { GICREPLAY_VERSION, MODEL_VERSION } from '../version';
import { loadPolicyFile } from '../policy/policy';
import { GoldenConfig } from './config';
import { GoldenHeader } from './format';
import { abs, byCodeUnit, goldenPathFor, Layout, layoutFor, pairId } from './layout';
import { findLeftovers } from './leftovers';
import { findObsolete, planSuite, PlanOptions, Shard, SuitePlan } from './manifest';
import { CheckReport, InvariantOutcome, ObsoleteGolden, PairResult, PairStatus, REPORT_SCHEMA, Verdict } from './results';
import { openGolden } from './store';
import { latestBodies, readLedger, UNRECORDED } from './ledger';
import { blessHint, checkTracePairs, ReplayInjection } from './pair';
import { runPairs } from './pool';
import { PENDING_EXT, removePending } from './pending';

export interface CheckOptions extends PlanOptions {
  config?: GoldenConfig;
  /** Tests inject fake models here; forces in-process checking. */
  replay?: ReplayInjection;
  onProgress?: (done: number, total: number, id: string) => void;
  /** Write the new output of every pair that does not match under this folder (see PairInput). */
  pendingDir?: string;
  /** Stop between pairs when aborted (Ctrl-C); --pending temp files are removed. */
  signal?: AbortSignal;
}

export async function checkGoldens(o: CheckOptions): Promise<CheckReport> {
  const plan = planSuite(o);
  const pendingDir = o.pendingDir ? path.resolve(o.cwd ?? o.root, o.pendingDir) : undefined;
  if (pendingDir && isInside(plan.layout.goldenDir, pendingDir)) throw new UsageError(`--pending ${o.pendingDir} is inside golden/: check never writes there; pick another folder`);
  const workers = o.replay ? 0 : (o.config?.workers ?? 'auto');
  const results = await runPairs(
    plan.layout,
    plan.pairs,
    workers,
    (ps) => checkTracePairs(ps.map((p) => ({ layout: plan.layout, trace: p.trace, policy: p.policy, golden: p.golden, replay: o.replay, pendingDir, policyFile: p.policyFile }))),
    o.onProgress,
    pendingDir,
    o.signal,
  );
  // A pair that matches now has nothing to review: an older pending output of it goes.
  if (pendingDir) removePending(results.filter((r) => r.status === 'match').map((r) => ({ dir: pendingDir, file: path.join(pendingDir, ...`${r.golden}${PENDING_EXT}`.split('/')) })));
  const files = new Map(plan.pairs.map((p) => [p.id, p.policyFile]));
  auditLedger(results, latestBodies(readLedger(plan.layout.goldenDir)), files);
  const obsolete = o.shard ? [] : findObsolete(plan.manifest, plan.filter);
  const invariants = runInvariants(plan, o.replay);
  const report: CheckReport = {
    schema: REPORT_SCHEMA,
    tool: { gicreplay: GICREPLAY_VERSION, model: MODEL_VERSION },
    filter: plan.filter,
    manifest: plan.manifest,
    results,
    obsolete,
    foreign: plan.manifest.foreign,
    invariants,
    verdict: { exit: 0, counts: emptyCounts(), summary: '' },
  };
  if (o.shard) report.shard = o.shard;
  else {
    const leftovers = findLeftovers(plan.layout);
    if (leftovers.length) report.leftovers = leftovers;
  }
  report.verdict = verdictOf(report);
  return report;
}

function isInside(dir: string, p: string): boolean {
  const r = path.relative(dir, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

/**
 * Every golden must be the one its latest ledger entry recorded: a golden copied in from a
 * --pending folder, or rewritten with a recomputed hash, passes the hash check but not this.
 */
function auditLedger(results: PairResult[], latest: Map<string, string | null>, policyFiles: Map<string, string | undefined>): void {
  for (const r of results) {
    if (!r.goldenSha256 || r.status === 'error' || r.status === 'missing') continue;
    if (latest.get(r.golden) === r.goldenSha256) continue;
    r.stale = [...(r.stale ?? []), UNRECORDED];
    if (r.status === 'match') {
      r.status = 'stale';
      r.message = `${UNRECORDED}; if it is right, record it with \`${blessHint(r.trace, r.policy, policyFiles.get(r.id))}\``;
    }
  }
}

export const INVARIANTS_FILE = 'invariants.json';

/**
 * Enforce golden/invariants.json for the traces this run selected; a shard takes every n-th
 * invariant, so a merge sees each exactly once.
 */
function runInvariants(plan: SuitePlan, replay: ReplayInjection | undefined): InvariantOutcome[] {
  const all = loadInvariants(path.join(plan.layout.goldenDir, INVARIANTS_FILE));
  const selected = new Set(plan.filter.pairs.map((id) => id.slice(0, id.lastIndexOf('::'))));
  const policies = new Map<string, Policy>(plan.universe.map((p) => [p.id, p]));
  const mine = all.filter((inv) => selected.has(inv.trace)).filter((_, i) => !plan.shard || i % plan.shard.count === plan.shard.index - 1);
  return mine.map((inv) => {
    const id = `inv:${inv.trace}:${inv.policies[0]}:${inv.policies[1]}:${inv.expect}${inv.migration ? `:migrate@${inv.migration.at}:${inv.migration.vmm}` : ''}`;
    const base = { id, trace: inv.trace, policies: inv.policies, expect: inv.expect };
    const unknown = inv.policies.find((p) => !policies.has(p));
    if (unknown) return { ...base, ok: false, message: `invariant names policy "${unknown}", which is not built in, not registered in package.json and not given with --policy-file` };
    try {
      const [r] = checkInvariants(plan.layout.tracesDir, [inv], (pid) => policies.get(pid)!, { ...replay });
      return { ...base, ok: r.ok, message: r.message };
    } catch (e) {
      if (e instanceof InputError || e instanceof UsageError) return { ...base, ok: false, message: e.message };
      throw e;
    }
  });
}

function emptyCounts(): Verdict['counts'] {
  return { pairs: 0, match: 0, drift: 0, missing: 0, stale: 0, error: 0, obsolete: 0, invariantFailures: 0, unreadable: 0, leftovers: 0 };
}

/** Exit 2 on any bad input or an empty check; 1 on drift, missing, stale or obsolete; else 0. */
export function verdictOf(r: Pick<CheckReport, 'results' | 'obsolete' | 'shard' | 'invariants' | 'manifest' | 'leftovers'>): Verdict {
  const counts = emptyCounts();
  counts.pairs = r.results.length;
  for (const x of r.results) counts[x.status]++;
  counts.obsolete = r.obsolete.length;
  counts.invariantFailures = r.invariants.filter((i) => !i.ok).length;
  counts.unreadable = r.manifest.unreadable?.length ?? 0;
  counts.leftovers = r.leftovers?.length ?? 0;
  let exit: Verdict['exit'] = 0;
  if (counts.error > 0 || counts.unreadable > 0 || (counts.pairs === 0 && !r.shard)) exit = 2;
  else if (counts.drift + counts.missing + counts.stale + counts.obsolete + counts.invariantFailures + counts.leftovers > 0) exit = 1;
  const parts = [`${counts.match} match`];
  for (const k of ['drift', 'missing', 'stale', 'error', 'obsolete'] as const) if (counts[k]) parts.push(`${counts[k]} ${k}`);
  if (counts.invariantFailures) parts.push(`${counts.invariantFailures} invariant(s) violated`);
  if (counts.leftovers) parts.push(`${counts.leftovers} leftover file(s) of interrupted blesses`);
  if (counts.unreadable) parts.push(`${counts.unreadable} unreadable entr${counts.unreadable === 1 ? 'y' : 'ies'} under traces/`);
  let summary = `${counts.pairs} (trace × policy) pair${counts.pairs === 1 ? '' : 's'}: ${parts.join(', ')}`;
  if (counts.pairs === 0 && !r.shard) summary = `nothing to compare: no (trace × policy) pairs were checked${counts.obsolete ? ` (${counts.obsolete} obsolete)` : ''}; a check that compares nothing fails`;
  if (r.shard) summary = `shard ${r.shard.index}/${r.shard.count}: ${summary} (partial: merge all shards with \`gicreplay check --merge\`)`;
  return { exit, counts, summary };
}

/** The checkout `check --merge` runs in: shard results are verified against its goldens. */
export interface MergeCheckout {
  root: string;
  /** The --policy-file files the shards were checked with. */
  policyFiles?: readonly string[];
}

const STATUSES: readonly PairStatus[] = ['match', 'drift', 'missing', 'stale', 'error'];

/**
 * Combine shard reports into the report of the complete run; obsolete detection happens here.
 * Nothing in a report is taken on trust: its shape, every status, which pairs it holds (exactly
 * its shard's, each once) and every golden digest it claims are checked against the checkout
 * the merge runs in, so a forged or stale report is bad input (exit 2), never a green verdict.
 */
export function mergeReports(reports: readonly CheckReport[], names: readonly string[], checkout: MergeCheckout): CheckReport {
  if (!reports.length) throw new UsageError('--merge needs at least one shard report');
  reports.forEach((r, i) => checkReportShape(r, names[i]));
  const first = reports[0];
  const count = first.shard!.count;
  const seen = new Map<number, string>();
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    if (r.shard!.count !== count) throw new UsageError(`${names[i]} is shard ${r.shard!.index}/${r.shard!.count}, but ${names[0]} is of ${count} shards`);
    if (seen.has(r.shard!.index)) throw new UsageError(`${names[i]} and ${seen.get(r.shard!.index)} are both shard ${r.shard!.index}/${count}`);
    seen.set(r.shard!.index, names[i]);
    if (canonicalJson(r.manifest) !== canonicalJson(first.manifest) || canonicalJson(r.filter) !== canonicalJson(first.filter)) {
      throw new UsageError(`${names[i]} was made from a different checkout or filter than ${names[0]} (traces, policies, goldens or arguments differ)`);
    }
    if (r.tool.model !== MODEL_VERSION || r.tool.gicreplay !== GICREPLAY_VERSION) {
      throw new UsageError(`${names[i]} was made by gicreplay ${r.tool.gicreplay} (model ${r.tool.model}); this is ${GICREPLAY_VERSION} (model ${MODEL_VERSION}): check the shards with the gicreplay that merges them`);
    }
  }
  const missing: number[] = [];
  for (let i = 1; i <= count; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing from --merge`);
  const plan = planFromFilter(checkout, first);
  if (canonicalJson(plan.manifest) !== canonicalJson(first.manifest) || canonicalJson(plan.filter) !== canonicalJson(first.filter)) {
    throw new UsageError(`the shard reports were made from another checkout than ${plan.layout.root} (its traces, policies or goldens differ, or the shards were checked with other arguments): merge in the checkout the shards checked`);
  }
  const order = first.filter.pairs;
  const byId = new Map<string, PairResult>();
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    const mine = order.filter((_, k) => k % count === r.shard!.index - 1);
    const ids = r.results.map((x) => x.id);
    if (canonicalJson(ids) !== canonicalJson(mine)) {
      const dup = ids.find((id, k) => ids.indexOf(id) !== k);
      const extra = ids.find((id) => !mine.includes(id));
      const lack = mine.find((id) => !ids.includes(id));
      throw new InputError(
        dup ? `pair ${dup} appears twice` : extra ? `pair ${extra} does not belong to shard ${r.shard!.index}/${count}` : lack ? `pair ${lack} of shard ${r.shard!.index}/${count} is missing` : 'the pairs are not in suite order',
        { file: names[i] },
        `exactly the pairs of shard ${r.shard!.index}/${count}, each once, in suite order`,
      );
    }
    for (const x of r.results) {
      verifyAgainstCheckout(plan.layout, x, names[i]);
      byId.set(x.id, x);
    }
  }
  const results = order.map((id) => byId.get(id)!);
  const obsolete: ObsoleteGolden[] = findObsolete(plan.manifest, plan.filter);
  const invariants = reports.flatMap((r) => r.invariants ?? []).sort((a, b) => byCodeUnit(a.id, b.id));
  const merged: CheckReport = {
    schema: REPORT_SCHEMA,
    tool: first.tool,
    filter: first.filter,
    manifest: first.manifest,
    results,
    obsolete,
    foreign: first.manifest.foreign,
    invariants,
    verdict: { exit: 0, counts: emptyCounts(), summary: '' },
  };
  const leftovers = findLeftovers(plan.layout);
  if (leftovers.length) merged.leftovers = leftovers;
  merged.verdict = verdictOf(merged);
  return merged;
}

/** Plan the merging checkout's suite with the arguments the shards recorded. */
function planFromFilter(c: MergeCheckout, r: CheckReport): SuitePlan {
  const l = layoutFor(c.root);
  const fileIds = new Set((c.policyFiles ?? []).map((f) => loadPolicyFile(path.resolve(c.root, f)).id));
  return planSuite({
    root: c.root,
    cwd: c.root,
    paths: r.filter.paths.map((p) => path.join(l.tracesDir, ...p.split('/'))),
    policies: r.filter.policies.filter((id) => !fileIds.has(id)),
    policyFiles: c.policyFiles,
  });
}

/** A shard's claim about one pair, held against the golden in this checkout. */
function verifyAgainstCheckout(l: Layout, x: PairResult, name: string): void {
  const bad = (what: string): never => {
    throw new InputError(`${x.id}: ${what}`, { file: name }, `the shard's result for the golden in ${l.root}`);
  };
  if (x.golden !== goldenPathFor(x.trace, x.policy)) bad(`golden ${JSON.stringify(x.golden)} is not the place of the pair (${goldenPathFor(x.trace, x.policy)})`);
  if (x.status === 'error') return;
  let header: GoldenHeader | null = null;
  const file = abs(l, x.golden);
  if (!fs.existsSync(file)) {
    if (x.status !== 'missing') bad(`the shard says ${x.status}, but this checkout has no golden ${x.golden}`);
    return;
  }
  try {
    const g = openGolden(file, x.golden);
    g?.reader.close();
    header = g?.header ?? null;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    bad(`the shard says ${x.status}, but here the golden is damaged (${e.detail})`);
  }
  if (x.status === 'missing') {
    if (header) bad('the shard says missing, but this checkout has the golden');
    return;
  }
  if (!header) return bad(`the shard says ${x.status}, but this checkout has no golden ${x.golden}`);
  if (x.goldenSha256 !== header.bodySha256) bad(`the shard checked a golden with body ${short(x.goldenSha256)}, this checkout's has ${short(header.bodySha256)} (made from another commit?)`);
  if (x.status === 'match' && (x.bodySha256 !== header.bodySha256 || x.traceDigest !== header.traceDigest || x.drift !== undefined || x.stale !== undefined)) {
    bad('the shard says match, but its own digests say otherwise (a forged or edited report?)');
  }
}

function short(d: string | undefined): string {
  return typeof d === 'string' ? d.slice(0, 12) : '(none)';
}

/** The fields a merge relies on, with their types: anything else is not a gicreplay shard report. */
function checkReportShape(r: CheckReport, name: string): void {
  const fail = (what: string): never => {
    throw new InputError(`not a gicreplay shard report: ${what}`, { file: name }, 'the output of `gicreplay check --json --shard i/n`');
  };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const strs = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!isObj(r)) fail('not a JSON object');
  if (r.schema !== REPORT_SCHEMA) fail(`report schema ${JSON.stringify(r.schema)}, this gicreplay reads ${REPORT_SCHEMA}`);
  if (!isObj(r.shard) || !Number.isInteger(r.shard.index) || !Number.isInteger(r.shard.count) || r.shard.count < 1 || r.shard.index < 1 || r.shard.index > r.shard.count) {
    throw new UsageError(`${name} is not a shard report (made without --shard)`);
  }
  if (!isObj(r.tool) || typeof r.tool.gicreplay !== 'string' || typeof r.tool.model !== 'number') fail('"tool" is not {gicreplay, model}');
  if (!isObj(r.filter) || !strs(r.filter.paths) || !strs(r.filter.policies) || !strs(r.filter.pairs)) fail('"filter" is not {paths, policies, pairs}');
  const m = r.manifest as unknown;
  if (!isObj(m) || !(['pairs', 'goldenFiles', 'ownedGoldens', 'foreign', 'policies', 'traces'] as const).every((k) => strs(m[k]))) fail('"manifest" lacks its lists');
  if (!Array.isArray(r.results)) fail('"results" is not a list');
  r.results.forEach((x, i) => {
    const at = `results[${i}]`;
    if (!isObj(x)) fail(`${at} is not an object`);
    for (const k of ['id', 'trace', 'policy', 'golden'] as const) if (typeof x[k] !== 'string') fail(`${at}.${k} is not a string`);
    if (!(STATUSES as readonly unknown[]).includes(x.status)) fail(`${at}.status is ${JSON.stringify(x.status)}, not one of ${STATUSES.join(', ')}`);
    if (x.id !== pairId(x.trace, x.policy)) fail(`${at}.id ${JSON.stringify(x.id)} is not ${JSON.stringify(pairId(x.trace, x.policy))}`);
    for (const k of ['message', 'sameAs', 'bodySha256', 'traceDigest', 'goldenSha256', 'pending'] as const) if (x[k] !== undefined && typeof x[k] !== 'string') fail(`${at}.${k} is not a string`);
    if (x.stale !== undefined && !strs(x.stale)) fail(`${at}.stale is not a list of strings`);
    if (x.drift !== undefined && (!isObj(x.drift) || !isObj(x.drift.first) || typeof x.drift.total !== 'number' || !Array.isArray(x.drift.groups) || !strs(x.drift.unified))) fail(`${at}.drift is not a drift report`);
    if (x.status === 'drift' && x.drift === undefined) fail(`${at} says drift but has no drift report`);
    if ((x.status === 'error' || x.status === 'missing' || x.status === 'stale' || x.status === 'drift') && typeof x.message !== 'string') fail(`${at} says ${x.status} but has no message`);
  });
  if (r.invariants !== undefined && (!Array.isArray(r.invariants) || !r.invariants.every((v) => isObj(v) && typeof v.id === 'string' && typeof v.ok === 'boolean' && typeof v.message === 'string'))) fail('"invariants" is not a list of invariant outcomes');
}

export type { Shard };
export { byCodeUnit };
