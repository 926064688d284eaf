// Human-readable rendering of check results (the printSnapshot.ts of gicreplay): kept apart
// from comparison so the text, --json and JUnit outputs all render the same result objects.
// A report leads with what went wrong grouped by cause (summary.ts), then one detail block per
// distinct difference, then the verdict and the commands to run (fixes.ts), last, where the eye
// lands. A clean check is two lines. Colour comes in as a Style decided by the caller.

import * as path from 'path';
import { PLAIN, Style } from '../util/style';
import { printable } from '../util/printable';
import { BlessCommand, Fix } from './fixes';
import { CheckReport, DiffGroup, Difference, DriftReport, PairResult } from './results';
import { AttentionGroup, DriftCause, summarize } from './summary';

const ARROW = '→';

function cpuText(c: number | null): string {
  return c === null ? 'vCPU ?' : `vCPU ${c}`;
}

function fieldText(f: Difference['fields']): string {
  return f?.length ? ` (${f.map((x) => `${x.field} ${x.old} ${ARROW} ${x.new}`).join(', ')})` : '';
}

export function describeDifference(d: Difference): string {
  const where = `event ${d.index < 0 ? '(timer)' : d.index}, cycle ${d.cycle ?? '?'}, ${cpuText(d.cpu)}`;
  const what = d.reg ? `${d.op} ${d.reg}` : d.op;
  let s: string;
  switch (d.kind) {
    case 'changed':
      s = `${where}: ${what} ${d.old} ${ARROW} ${d.new}`;
      s += fieldText(d.fields);
      if (d.intids) s += ` [INTIDs ${d.intids}]`;
      break;
    case 'added':
      s = `${where}: new record: ${d.newLine ?? what}`;
      break;
    case 'removed':
      s = `${where}: record gone: ${d.oldLine ?? what}`;
      break;
    case 'rendering':
      s = `${where}: ${what}: same value, rendering changed (register decoding was updated; bless to restamp)`;
      break;
  }
  if (d.unobservable) s += ' — the trace source could not observe this register: the golden value is the model\'s alone';
  return s;
}

export function describeGroup(g: DiffGroup): string {
  const noun = g.op === 'read' ? 'read' : g.op === 'write' ? 'write' : g.op === 'irq' || g.op === 'fiq' ? `${g.op} change` : 'record';
  const n = `${g.count} ${noun}${g.count === 1 ? '' : 's'}`;
  const pre = g.intids ? `INTIDs ${g.intids}: ` : '';
  const unobs = g.unobservable ? ' (not observable by the trace source)' : '';
  switch (g.kind) {
    case 'changed':
      return `${pre}${g.reg} ${noun}s ${g.old} ${ARROW} ${g.new}${fieldText(g.fields)}, ${n}${unobs}`;
    case 'added':
      return `${pre}${g.reg}: ${n} only in the new output (${g.new})${unobs}`;
    case 'removed':
      return `${pre}${g.reg}: ${n} only in the golden (${g.old})${unobs}`;
    case 'rendering':
      return `${g.reg}: ${n} with the same value but new decoding`;
  }
}

export interface DriftRenderOptions {
  style?: Style;
  /** Unified-diff lines shown (after its ---/+++ header); the rest are counted. Default: all. */
  maxDiffLines?: number;
  /** Difference groups shown; the rest are counted. Default: all. */
  maxGroups?: number;
}

/** Colour a unified-diff line by its first character. */
export function styleDiffLine(l: string, st: Style): string {
  if (l.startsWith('---') || l.startsWith('+++')) return st.strong(l);
  if (l.startsWith('@@')) return st.dim(l);
  if (l.startsWith('-')) return st.removed(l);
  if (l.startsWith('+')) return st.added(l);
  return l;
}

export function renderDrift(d: DriftReport, indent = '  ', o: DriftRenderOptions = {}): string[] {
  const st = o.style ?? PLAIN;
  const out: string[] = [];
  out.push(`${indent}first difference: ${describeDifference(d.first)}`);
  out.push(`${indent}${d.total} difference${d.total === 1 ? '' : 's'}, grouped:`);
  const groups = o.maxGroups !== undefined ? d.groups.slice(0, o.maxGroups) : d.groups;
  for (const g of groups) out.push(`${indent}  ${describeGroup(g)}`);
  const hidden = d.groups.length - groups.length;
  if (hidden) out.push(`${indent}  … and ${hidden} more group(s) (--verbose shows them)`);
  if (d.groupsOmitted) out.push(`${indent}  … and ${d.groupsOmitted} difference(s) in further groups`);
  if (d.unified.length) {
    out.push(`${indent}diff of the golden text:`);
    const [h1, h2, ...body] = d.unified;
    const shown = o.maxDiffLines !== undefined ? body.slice(0, o.maxDiffLines) : body;
    for (const l of [h1, h2, ...shown]) out.push(`${indent}  ${styleDiffLine(l, st)}`);
    const cut = body.length - shown.length;
    if (cut) out.push(`${indent}  ${st.dim(`… ${cut} more diff line(s) (--verbose shows them)`)}`);
    if (d.unifiedOmitted) out.push(`${indent}  … ${d.unifiedOmitted} more changed line(s) not shown (see --json for every difference group)`);
  }
  return out;
}

/** One pair on its own (JUnit, --verbose): status, message, drift, pending file. */
export function renderPair(r: PairResult, o: DriftRenderOptions = {}): string[] {
  const st = o.style ?? PLAIN;
  const share = r.sameAs ? ` (shares ${r.sameAs}'s golden)` : '';
  const head = `${statusWord(r.status, st)} ${r.id}${share}`;
  const out = [head];
  if (r.message) out.push(`  ${r.message}`);
  if (r.stale && r.status === 'drift') out.push(`  also stale: ${r.stale.join('; ')}`);
  if (r.drift) out.push(...renderDrift(r.drift, '  ', o));
  if (r.pending) out.push(`  new output written to ${r.pending} (under --pending)`);
  return out;
}

function statusWord(s: string, st: Style): string {
  const w = s.toUpperCase();
  return s === 'drift' || s === 'error' ? st.bad(w) : s === 'match' ? st.good(w) : st.warn(w);
}

export interface ReportRenderOptions {
  style?: Style;
  /** Every pair's details, every group and diff line, the shared-body notes. */
  verbose?: boolean;
  /** Seconds the check took, for the verdict line (only where it cannot end up in a file). */
  seconds?: number;
  /** Project root and the folder commands will be pasted in: paths in commands are relative to it. */
  root?: string;
  cwd?: string;
  /** --policy-file policies that are neither built in nor registered: ID -> file as given. */
  adHocPolicyFiles?: Readonly<Record<string, string>>;
  /** Whether bless can accept what differs (not for real KVM: a difference there is a model bug). */
  blessable?: boolean;
  /** The --pending folder as given ('' for the default): the review hint names it. */
  pendingDir?: string;
  /** A trace's guest kind (traces/TAGS.json, guestKindOf): each cause then says which kinds it hits. */
  guestKind?: (trace: string) => string;
}

const DETAIL_DIFF_LINES = 12;
const DETAIL_GROUPS = 8;
const EXAMPLES = 3;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function quoteArg(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A bless command as text to paste, paths relative to where it is pasted. */
export function renderCommand(c: BlessCommand, o: Pick<ReportRenderOptions, 'root' | 'cwd'> = {}, verb = 'bless'): string {
  const rel = (p: string) => {
    if (!o.root || !o.cwd) return p;
    const r = path.relative(o.cwd, path.isAbsolute(p) ? p : path.join(o.root, p));
    if (path.isAbsolute(p) && r.startsWith(`..${path.sep}..${path.sep}..`)) return p;
    return (r === '' ? '.' : r).split(path.sep).join('/');
  };
  const words = ['gicreplay', verb, ...c.paths.map((p) => quoteArg(rel(p)))];
  if (c.policies.length) words.push('--policy', c.policies.join(','));
  for (const f of c.policyFiles) words.push('--policy-file', quoteArg(rel(f)));
  if (c.prune) words.push('--prune');
  words.push('--reason', '"…"');
  return words.join(' ');
}

/** "24 traces × 5 policies" when the pairs are every combination, else "13 pairs: 6 traces, rev1 and rev2". */
export function extentText(pairs: number, traces: number, policies: readonly string[]): string {
  if (pairs === traces * policies.length) return `${plural(traces, 'trace')} × ${policies.length === 1 ? `policy ${policies[0]}` : plural(policies.length, 'policy', 'policies')}`;
  return `${plural(pairs, 'pair')} (${plural(traces, 'trace')}; ${policies.length <= 3 ? policies.join(', ') : plural(policies.length, 'policy', 'policies')})`;
}

function causeName(c: DriftCause): string {
  const f = c.fields.length === 0 ? '' : c.fields.length === 1 ? `.${c.fields[0]}` : `.{${c.fields.join(',')}}`;
  return `${c.reg}${f}`;
}

function recordNoun(op: string, n: number): string {
  const noun = op === 'read' || op === 'write' ? op : op === 'irq' || op === 'fiq' ? `${op.toUpperCase()} change` : 'record';
  return plural(n, noun);
}

/** "linux (10 traces), kut (8), selftest (6)": which guest kinds traces are, most traces first. */
export function guestKindsText(traces: readonly string[], kindOf: (trace: string) => string): string {
  const n = new Map<string, number>();
  for (const t of traces) n.set(kindOf(t), (n.get(kindOf(t)) ?? 0) + 1);
  const kinds = [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return kinds.map(([k, count], i) => `${k} (${i === 0 ? plural(count, 'trace') : count})`).join(', ');
}

/** One summary line per cause, variants below it when the values differ between traces, then the guest kinds it hits. */
export function renderCause(c: DriftCause, st: Style = PLAIN, kindOf?: (trace: string) => string): string[] {
  const lines = causeLines(c, st);
  if (kindOf) lines.push(`    ${st.dim('guests:')} ${guestKindsText(c.traces, kindOf)}`);
  return lines;
}

function causeLines(c: DriftCause, st: Style): string[] {
  const extent = extentText(c.pairs, c.traces.length, c.policies);
  const what = c.kind === 'added' ? ' (only in the new output)' : c.kind === 'removed' ? ' (gone from the new output)' : c.kind === 'rendering' ? ' (same values, new decoding)' : '';
  const unobs = c.unobservable ? ' — partly in registers the trace sources could not observe' : '';
  const each = c.records === c.pairs ? `, ${recordNoun(c.op, 1)} each` : `, ${recordNoun(c.op, c.records)}`;
  if (c.variants.length === 1) return [`  ${st.strong(causeName(c))} ${c.variants[0].change}${what}: ${extent}${each}${unobs}`];
  const out = [`  ${st.strong(causeName(c))}${what}: ${extent}${each}${unobs}`];
  out.push(`    ${c.variants.map((v) => `${v.change} in ${plural(v.traces.length, 'trace')}`).join('; ')}`);
  return out;
}

function examples(traces: readonly string[]): string {
  const shown = traces.slice(0, EXAMPLES).map((t) => `traces/${printable(t)}`);
  return traces.length > EXAMPLES ? `${shown.join(', ')}, … ${traces.length - EXAMPLES} more` : shown.join(', ');
}

function renderAttention(a: AttentionGroup, st: Style, selected: number): string {
  const word = a.status === 'missing' ? st.warn('MISSING') : st.warn('STALE');
  const pol = a.policies.length <= 3 ? a.policies.join(', ') : plural(a.policies.length, 'policy', 'policies');
  const where = a.traces.length === selected && selected > 1 ? `every trace` : examples(a.traces);
  return `  ${word} ${plural(a.pairs.length, 'golden')}, ${a.reason}: ${where} under ${pol}`;
}

function renderFix(f: Fix, o: ReportRenderOptions, st: Style): string[] {
  return [`To accept ${f.what}:`, ...f.commands.map((c) => `  ${st.strong(renderCommand(c, o))}`)];
}

/** The full text report: what went wrong by cause, the details once each, the verdict, the commands. */
export function renderReport(rep: CheckReport, o: ReportRenderOptions = {}): string[] {
  const st = o.style ?? PLAIN;
  const sum = summarize(rep, { adHocPolicyFiles: o.adHocPolicyFiles });
  const out: string[] = [];
  const time = o.seconds !== undefined ? ` (${o.seconds.toFixed(1)} s)` : '';
  const what = `checked ${extentText(rep.results.length, sum.traces, sum.policies)}${sum.policies.length > 1 && sum.policies.length <= 6 ? ` (${sum.policies.join(', ')})` : ''} against golden/${rep.invariants.length ? `, ${plural(rep.invariants.length, 'invariant')}` : ''}`;
  const counts = rep.verdict.counts;
  const clean = rep.verdict.exit === 0;
  const notes = [...rep.foreign.map((f) => `note: ${f} has no gicreplay header; it is not checked and never deleted`)];
  if (clean) {
    out.push(what);
    if (o.verbose) out.push(...sharedSummary(rep.results));
    out.push(...notes);
    out.push(`${rep.verdict.summary}${time}`);
    return out;
  }

  // 1. The summary: one entry per cause.
  const bad = rep.results.length - counts.match;
  out.push(`${st.bad('FAIL')} ${what}: ${plural(bad, 'pair')} of ${rep.results.length} need attention`);
  if (sum.causes.length) {
    out.push('');
    out.push(`Drift by cause (${plural(counts.drift, 'pair')} in ${plural(sum.blocks.length ? new Set(sum.blocks.map((b) => b.trace)).size : 0, 'trace')}):`);
    for (const c of sum.causes) out.push(...renderCause(c, st, o.guestKind));
  }
  if (sum.attention.length) {
    out.push('');
    for (const a of sum.attention) out.push(renderAttention(a, st, sum.traces));
  }
  const problems: string[] = [];
  for (const r of sum.errors) problems.push(`  ${st.bad('ERROR')} ${r.golden}: ${r.message ?? 'bad input'}`);
  for (const u of rep.manifest.unreadable ?? []) problems.push(`  ${st.bad('ERROR')} traces/${printable(u.path)}: ${u.reason}; ${unreadableConsequence(u.path)}`);
  for (const i of rep.invariants ?? []) if (!i.ok) problems.push(`  ${st.bad('INVARIANT')} ${i.id}: ${i.message}`);
  for (const ob of rep.obsolete) problems.push(`  ${st.warn('OBSOLETE')} ${ob.golden}: ${ob.reason}`);
  for (const x of rep.leftovers ?? []) problems.push(`  ${st.warn('LEFTOVER')} ${x.file}: ${x.reason}`);
  if (problems.length) {
    out.push('');
    out.push(...problems);
  }

  // 2. The details, once per distinct difference.
  const lim: DriftRenderOptions = o.verbose ? { style: st } : { style: st, maxDiffLines: DETAIL_DIFF_LINES, maxGroups: DETAIL_GROUPS };
  if (sum.blocks.length) {
    out.push('');
    out.push(`Details (${plural(sum.blocks.length, 'distinct drift')}):`);
    for (const b of sum.blocks) {
      const r = b.result;
      const others = b.policies.length > 1 ? ` (identical under ${b.policies.length === 2 ? 'both' : `all ${b.policies.length}`}; diff shown for ${r.policy})` : '';
      out.push(`${st.bad('DRIFT')} traces/${printable(r.trace)} under ${b.policies.join(', ')}${others}`);
      if (r.stale) out.push(`  also stale: ${r.stale.join('; ')}`);
      out.push(...renderDrift(r.drift!, '  ', lim));
    }
  }
  if (o.verbose) {
    for (const r of rep.results) if (r.status === 'missing' || r.status === 'stale') out.push(...renderPair(r, { style: st }));
    out.push(...sharedSummary(rep.results));
  }
  const pending = rep.results.filter((r) => r.pending).length;
  out.push(...notes);

  // 3. The verdict, then what to run.
  out.push('');
  out.push(`${st.bad('FAIL')} ${rep.verdict.summary}${time}`);
  if (rep.shard) {
    if (pending) out.push(`${plural(pending, 'new output')} written under --pending`);
    return out;
  }
  const flag = o.pendingDir ? ` --pending ${quoteArg(o.pendingDir)}` : '';
  if (o.blessable !== false && (sum.fixes.length || sum.acceptAll)) {
    for (const f of sum.fixes) out.push(...renderFix(f, o, st));
    if (sum.acceptAll) out.push(...renderFix(sum.acceptAll, o, st));
    if (pending) out.push(`Or review the ${plural(pending, 'new output')} one at a time: ${st.strong(`gicreplay review${flag}`)} (scripts: \`gicreplay accept${flag} --reason "…"\`)`);
    else if (sum.fixes.some((f) => f.pairs.length)) out.push(`Or review each new output first: ${st.strong('gicreplay check --pending; gicreplay review')}`);
  }
  return out;
}

export function unreadableConsequence(p: string): string {
  const g = `golden/${printable(p.replace(/\.gtr$/, ''))}/`;
  return `the traces it holds are unknown, so nothing under ${g} is checked or pruned until it can be read`;
}

/** "traces x: rev2, rev1 share rev3's golden" lines, so reviewers see which policies agree. */
export function sharedSummary(results: readonly PairResult[]): string[] {
  const by = new Map<string, string[]>();
  for (const r of results) {
    if (!r.sameAs) continue;
    const k = `${r.trace}\u0000${r.sameAs}`;
    const l = by.get(k) ?? [];
    l.push(r.policy);
    by.set(k, l);
  }
  return [...by.keys()].sort().map((k) => {
    const [t, p] = k.split('\u0000');
    return `shared: traces/${t}: ${by.get(k)!.join(', ')} share ${p}'s golden (each is still checked)`;
  });
}
