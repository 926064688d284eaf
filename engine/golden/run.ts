// Orchestration of `check`: plan the suite, check each pair (in worker threads when that pays
// off), compute obsolete goldens on complete runs only, and reduce it all to one verdict.
// `mergeReports` turns shard reports back into the report a full run would have produced.

import * as path from 'path';
import { checkInvariants, loadInvariants } from '../divergence/invariants';
import { InputError, UsageError } from '../errors';
import { Policy } from '../policy/policy';
import { canonicalJson } from '../util/canonical-json';
import { GICREPLAY_VERSION, MODEL_VERSION } from '../version';
import { GoldenConfig } from './config';
import { byCodeUnit } from './layout';
import { findObsolete, planSuite, PlanOptions, Shard, SuitePlan } from './manifest';
import { CheckReport, InvariantOutcome, ObsoleteGolden, PairResult, REPORT_SCHEMA, Verdict } from './results';
import { latestBodies, readLedger, UNRECORDED } from './ledger';
import { blessHint, checkPair, ReplayInjection } from './pair';
import { runPairs } from './pool';

export interface CheckOptions extends PlanOptions {
  config?: GoldenConfig;
  /** Tests inject fake models here; forces in-process checking. */
  replay?: ReplayInjection;
  onProgress?: (done: number, total: number, id: string) => void;
  /** Write the new output of every pair that does not match under this folder (see PairInput). */
  pendingDir?: string;
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
    (p) => checkPair({ layout: plan.layout, trace: p.trace, policy: p.policy, golden: p.golden, replay: o.replay, pendingDir }),
    o.onProgress,
    pendingDir,
  );
  auditLedger(results, latestBodies(readLedger(plan.layout.goldenDir)));
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
function auditLedger(results: PairResult[], latest: Map<string, string | null>): void {
  for (const r of results) {
    if (!r.goldenSha256 || r.status === 'error' || r.status === 'missing') continue;
    if (latest.get(r.golden) === r.goldenSha256) continue;
    r.stale = [...(r.stale ?? []), UNRECORDED];
    if (r.status === 'match') {
      r.status = 'stale';
      r.message = `${UNRECORDED}; if it is right, record it with \`${blessHint(r.trace, r.policy)}\``;
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
    const id = `inv:${inv.trace}:${inv.policies[0]}:${inv.policies[1]}:${inv.expect}`;
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
  return { pairs: 0, match: 0, drift: 0, missing: 0, stale: 0, error: 0, obsolete: 0, invariantFailures: 0, unreadable: 0 };
}

/** Exit 2 on any bad input or an empty check; 1 on drift, missing, stale or obsolete; else 0. */
export function verdictOf(r: Pick<CheckReport, 'results' | 'obsolete' | 'shard' | 'invariants' | 'manifest'>): Verdict {
  const counts = emptyCounts();
  counts.pairs = r.results.length;
  for (const x of r.results) counts[x.status]++;
  counts.obsolete = r.obsolete.length;
  counts.invariantFailures = r.invariants.filter((i) => !i.ok).length;
  counts.unreadable = r.manifest.unreadable?.length ?? 0;
  let exit: Verdict['exit'] = 0;
  if (counts.error > 0 || counts.unreadable > 0 || (counts.pairs === 0 && !r.shard)) exit = 2;
  else if (counts.drift + counts.missing + counts.stale + counts.obsolete + counts.invariantFailures > 0) exit = 1;
  const parts = [`${counts.match} match`];
  for (const k of ['drift', 'missing', 'stale', 'error', 'obsolete'] as const) if (counts[k]) parts.push(`${counts[k]} ${k}`);
  if (counts.invariantFailures) parts.push(`${counts.invariantFailures} invariant(s) violated`);
  if (counts.unreadable) parts.push(`${counts.unreadable} unreadable entr${counts.unreadable === 1 ? 'y' : 'ies'} under traces/`);
  let summary = `${counts.pairs} (trace × policy) pair${counts.pairs === 1 ? '' : 's'}: ${parts.join(', ')}`;
  if (counts.pairs === 0 && !r.shard) summary = `nothing to compare: no (trace × policy) pairs were checked${counts.obsolete ? ` (${counts.obsolete} obsolete)` : ''}; a check that compares nothing fails`;
  if (r.shard) summary = `shard ${r.shard.index}/${r.shard.count}: ${summary} (partial: merge all shards with \`gicreplay check --merge\`)`;
  return { exit, counts, summary };
}

/** Combine shard reports into the report of the complete run; obsolete detection happens here. */
export function mergeReports(reports: readonly CheckReport[], names: readonly string[]): CheckReport {
  if (!reports.length) throw new UsageError('--merge needs at least one shard report');
  const first = reports[0];
  const count = first.shard?.count;
  const seen = new Map<number, string>();
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    if (r.schema !== REPORT_SCHEMA) throw new UsageError(`${names[i]}: report schema ${r.schema}, this gicreplay reads ${REPORT_SCHEMA}`);
    if (!r.shard) throw new UsageError(`${names[i]} is not a shard report (made without --shard)`);
    if (r.shard.count !== count) throw new UsageError(`${names[i]} is shard ${r.shard.index}/${r.shard.count}, but ${names[0]} is of ${count} shards`);
    if (seen.has(r.shard.index)) throw new UsageError(`${names[i]} and ${seen.get(r.shard.index)} are both shard ${r.shard.index}/${count}`);
    seen.set(r.shard.index, names[i]);
    if (canonicalJson(r.manifest) !== canonicalJson(first.manifest) || canonicalJson(r.filter) !== canonicalJson(first.filter)) {
      throw new UsageError(`${names[i]} was made from a different checkout or filter than ${names[0]} (traces, policies, goldens or arguments differ)`);
    }
    if (r.tool.model !== first.tool.model || r.tool.gicreplay !== first.tool.gicreplay) throw new UsageError(`${names[i]} was made by another gicreplay or model version than ${names[0]}`);
  }
  const missing: number[] = [];
  for (let i = 1; i <= count!; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing from --merge`);
  const byId = new Map<string, PairResult>();
  for (const r of reports) for (const x of r.results) byId.set(x.id, x);
  const order = first.filter.pairs;
  const absent = order.filter((id) => !byId.has(id));
  if (absent.length || byId.size !== order.length) throw new UsageError(`the shard reports do not cover the suite exactly (${absent.length} pair(s) missing, e.g. ${absent[0] ?? '?'})`);
  const results = order.map((id) => byId.get(id)!);
  const obsolete: ObsoleteGolden[] = findObsolete(first.manifest, first.filter);
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
  merged.verdict = verdictOf(merged);
  return merged;
}

export type { Shard };
export { byCodeUnit };
