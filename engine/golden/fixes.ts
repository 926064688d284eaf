// The commands that fix what a check found: one per fix, not one per pair. A new policy is one
// `bless --policy P`, a new trace one `bless TRACE`, a model change one bless of exactly the
// pairs it changed. Each command is exact: run on the same tree it writes the goldens of its fix
// and no other (bless leaves matching goldens alone, so naming a folder whose every trace is in
// the fix is the same as naming the traces). Plain objects; report.ts renders them as text.

import { CheckReport } from './results';

/** One `gicreplay bless` invocation; paths are project-relative (traces/…). */
export interface BlessCommand {
  paths: string[];
  /** --policy IDs; empty = no --policy (every policy, or exactly the --policy-file ones). */
  policies: string[];
  /** --policy-file files (project-relative or absolute) for policies neither built in nor registered. */
  policyFiles: string[];
  prune?: boolean;
}

export interface Fix {
  /** What this fix accepts, for the reader: "the drift above", "new policy vendor", … */
  what: string;
  commands: BlessCommand[];
  /** The pair IDs it writes. */
  pairs: string[];
}

export interface FixContext {
  report: CheckReport;
  /** Selected traces and policies, in suite order. */
  traces: readonly string[];
  policies: readonly string[];
  adHocPolicyFiles: Readonly<Record<string, string>>;
}

/** A filter scope (relative to traces/, "" for all of it) as the path a command names. */
const scopePath = (s: string) => (s === '' ? 'traces' : `traces/${s}`);

const pairKey = (id: string) => {
  const i = id.lastIndexOf('::');
  return { trace: id.slice(0, i), policy: id.slice(i + 2) };
};

function policyFilesFor(ctx: FixContext, ids: readonly string[]): string[] {
  return ids.filter((id) => ctx.adHocPolicyFiles[id] !== undefined).map((id) => ctx.adHocPolicyFiles[id]);
}

/** The --policy part of a command that runs exactly `ids` (of the selection's policies). */
function policyArgs(ctx: FixContext, ids: readonly string[]): Pick<BlessCommand, 'policies' | 'policyFiles'> {
  const all = ids.length === ctx.policies.length && ctx.policies.every((p) => ids.includes(p));
  const unfiltered = ctx.report.filter.policies.length === 0;
  if (all && unfiltered) return { policies: [], policyFiles: [] };
  const files = policyFilesFor(ctx, ids);
  // --policy-file alone selects exactly its policies; with IDs as well, --policy names them all.
  const onlyFiles = files.length === ids.length;
  return { policies: onlyFiles ? [] : [...ids], policyFiles: files };
}

/**
 * Paths naming exactly `traces`: the run's own scopes when the set is the whole selection,
 * otherwise folders whose every trace (in the whole suite) is in the set, and single files.
 */
function pathArgs(ctx: FixContext, traces: readonly string[]): string[] {
  const set = new Set(traces);
  if (set.size === ctx.traces.length && ctx.traces.every((t) => set.has(t))) return ctx.report.filter.paths.map(scopePath);
  const suite = ctx.report.manifest.traces;
  const out: string[] = [];
  const covered = new Set<string>();
  // Widest folders first: a folder qualifies when every trace of the suite under it is in the set.
  const folders = new Set<string>();
  for (const t of traces) for (let d = t.lastIndexOf('/'); d > 0; d = t.lastIndexOf('/', d - 1)) folders.add(t.slice(0, d));
  const byDepth = [...folders].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  for (const f of byDepth) {
    if ([...covered].some((c) => f.startsWith(`${c}/`))) continue;
    const under = suite.filter((t) => t.startsWith(`${f}/`));
    if (under.length > 1 && under.every((t) => set.has(t))) {
      out.push(`traces/${f}`);
      covered.add(f);
    }
  }
  for (const t of traces) if (![...covered].some((c) => t.startsWith(`${c}/`))) out.push(`traces/${t}`);
  return out.sort();
}

/** Commands that bless exactly these pairs: traces with the same set of policies share one. */
function cover(ctx: FixContext, pairs: readonly string[]): BlessCommand[] {
  const byTrace = new Map<string, string[]>();
  for (const id of pairs) {
    const { trace, policy } = pairKey(id);
    byTrace.set(trace, [...(byTrace.get(trace) ?? []), policy]);
  }
  const groups = new Map<string, { policies: string[]; traces: string[] }>();
  for (const t of ctx.traces) {
    const ps = byTrace.get(t);
    if (!ps) continue;
    const ordered = ctx.policies.filter((p) => ps.includes(p));
    const key = ordered.join(',');
    const g = groups.get(key) ?? { policies: ordered, traces: [] };
    g.traces.push(t);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ paths: pathArgs(ctx, g.traces), ...policyArgs(ctx, g.policies) }));
}

/** The run's own selection as a bless: it writes every pair this check did not find matching. */
export function runCommand(rep: CheckReport, adHoc: Readonly<Record<string, string>>, traces: readonly string[], policies: readonly string[]): BlessCommand {
  return { paths: rep.filter.paths.map(scopePath), ...policyArgs({ report: rep, traces, policies, adHocPolicyFiles: adHoc }, policies) };
}

/** Missing or stale goldens of one reason (summary.ts AttentionGroup). */
export interface FixGroup {
  status: 'missing' | 'stale';
  reason: string;
  pairs: readonly string[];
}

/** `drift`: what the drift is, when it has one cause ("GICD_TYPER.ITLinesNumber"). */
export function fixesFor(ctx: FixContext, driftCause: string | null, attention: readonly FixGroup[]): { fixes: Fix[]; acceptAll: Fix | null } {
  const rep = ctx.report;
  const fixes: Fix[] = [];
  for (const a of attention) {
    const what = a.status === 'missing' ? (a.reason.startsWith('new ') ? `the ${a.reason}` : 'the missing goldens') : `the restamp (${a.reason})`;
    fixes.push({ what, commands: cover(ctx, a.pairs), pairs: [...a.pairs] });
  }
  const drift = rep.results.filter((r) => r.status === 'drift').map((r) => r.id);
  if (drift.length) {
    const what = driftCause ? `the drift above (${driftCause})` : 'the drift above';
    fixes.push({ what, commands: cover(ctx, drift), pairs: drift });
  }
  if (rep.obsolete.length || rep.leftovers?.length) {
    fixes.push({ what: rep.obsolete.length ? 'remove the obsolete goldens' : 'remove what interrupted blesses left', commands: [{ paths: [], policies: [], policyFiles: [], prune: true }], pairs: [] });
  }
  // Everything that does not match, and nothing else, is in the fixes: one bless of the run does it all.
  const notMatching = rep.results.filter((r) => r.status !== 'match');
  const fixed = new Set(fixes.flatMap((f) => f.pairs));
  const exact = notMatching.every((r) => fixed.has(r.id)) && !notMatching.some((r) => r.status === 'error') && !rep.obsolete.length && !rep.leftovers?.length;
  let acceptAll: Fix | null = null;
  if (exact && fixed.size) {
    const whole = runCommand(rep, ctx.adHocPolicyFiles, ctx.traces, ctx.policies);
    if (fixes.length === 1) {
      // One fix that is the whole run: when naming its pairs takes more than a few words, the run's
      // own selection says the same (bless leaves matching goldens alone) in fewer.
      const words = (c: BlessCommand) => c.paths.length + c.policies.length + c.policyFiles.length;
      const f = fixes[0];
      if (f.commands.length > 1 || (words(f.commands[0]) > 4 && words(whole) < words(f.commands[0]))) f.commands = [whole];
    } else acceptAll = { what: 'all of it at once', commands: [whole], pairs: [...fixed] };
  }
  return { fixes, acceptAll };
}
