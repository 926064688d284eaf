// What a check report means for the person who has to act on it, as plain objects: the drift
// grouped by cause across every pair ("GICD_TYPER.ITLinesNumber: 24 traces × 5 policies"), one
// detail block per distinct difference (policies that drift identically on a trace together),
// missing and stale goldens grouped by why, and the commands that fix them (fixes.ts). Built from
// the result objects alone (so a merged shard report summarises the same way); report.ts renders.

import { canonicalJson } from '../util/canonical-json';
import { Fix, fixesFor, FixContext } from './fixes';
import { CheckReport, DiffGroup, PairResult } from './results';
import { UNRECORDED } from './ledger';

/** One value change of a cause, e.g. ITLinesNumber 8 → 9, and where it happens. */
export interface CauseVariant {
  /** "8 → 9" for one field, "CES 0 → 1, IR 0 → 1" for several, "0x0 → 0x6" for a value without fields. */
  change: string;
  traces: string[];
  pairs: number;
  /** Records (reads, writes, output changes) that differ this way, over all its pairs. */
  records: number;
}

/** One cause: the same kind of difference in the same register (and fields), wherever it occurs. */
export interface DriftCause {
  /** `<kind>:<op>:<register family>:<field names>` — stable across runs. */
  id: string;
  kind: DiffGroup['kind'];
  op: string;
  reg: string;
  /** Names of the fields that change (empty: the value changed but decodes to no named field). */
  fields: string[];
  variants: CauseVariant[];
  traces: string[];
  policies: string[];
  pairs: number;
  records: number;
  /** Some of it lies in registers the traces' sources could not observe. */
  unobservable: boolean;
}

/** Policies whose drift on one trace is the same, difference for difference: shown once. */
export interface DriftBlock {
  trace: string;
  policies: string[];
  /** The first of them: its drift is the one shown. */
  result: PairResult;
}

/** Goldens missing or stale for one reason. */
export interface AttentionGroup {
  status: 'missing' | 'stale';
  /** What the group is: "new policy vendor", "new traces", "model version 3 → 4 (output unchanged)", … */
  reason: string;
  traces: string[];
  policies: string[];
  pairs: string[];
}

export interface ReportSummary {
  /** What was checked. */
  traces: number;
  policies: string[];
  causes: DriftCause[];
  blocks: DriftBlock[];
  attention: AttentionGroup[];
  errors: PairResult[];
  fixes: Fix[];
  /** One bless of the whole run accepts everything in `fixes` at once (set when there are several). */
  acceptAll: Fix | null;
}

function uniq<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

function changeText(g: DiffGroup): string {
  if (g.fields?.length) {
    if (g.fields.length === 1) return `${g.fields[0].old} → ${g.fields[0].new}`;
    return g.fields.map((f) => `${f.field} ${f.old} → ${f.new}`).join(', ');
  }
  if (g.kind === 'changed') return `${g.old} → ${g.new}`;
  if (g.kind === 'added') return `new ${g.new ?? 'record'}`;
  if (g.kind === 'removed') return `gone ${g.old ?? 'record'}`;
  return 'new decoding';
}

/** The drift of every pair, grouped so that one cause is one entry. */
export function driftCauses(results: readonly PairResult[], policyOrder: readonly string[]): DriftCause[] {
  const causes = new Map<string, DriftCause & { variantMap: Map<string, CauseVariant & { pairSet: Set<string> }>; pairSet: Set<string> }>();
  for (const r of results) {
    if (!r.drift) continue;
    for (const g of r.drift.groups) {
      const fields = (g.fields ?? []).map((f) => f.field);
      const id = `${g.kind}:${g.op}:${g.reg}:${fields.join(',')}`;
      let c = causes.get(id);
      if (!c) {
        c = { id, kind: g.kind, op: g.op, reg: g.reg, fields, variants: [], traces: [], policies: [], pairs: 0, records: 0, unobservable: false, variantMap: new Map(), pairSet: new Set() };
        causes.set(id, c);
      }
      c.records += g.count;
      c.unobservable ||= g.unobservable;
      c.pairSet.add(r.id);
      if (!c.traces.includes(r.trace)) c.traces.push(r.trace);
      if (!c.policies.includes(r.policy)) c.policies.push(r.policy);
      const ch = changeText(g);
      let v = c.variantMap.get(ch);
      if (!v) {
        v = { change: ch, traces: [], pairs: 0, records: 0, pairSet: new Set() };
        c.variantMap.set(ch, v);
      }
      v.records += g.count;
      v.pairSet.add(r.id);
      if (!v.traces.includes(r.trace)) v.traces.push(r.trace);
    }
    // A pair whose differences were too many to group still counts towards no cause: say so.
    if (r.drift.groupsOmitted) {
      const id = 'omitted';
      let c = causes.get(id);
      if (!c) {
        c = { id, kind: 'changed', op: 'record', reg: '(more groups than a report lists)', fields: [], variants: [], traces: [], policies: [], pairs: 0, records: 0, unobservable: false, variantMap: new Map(), pairSet: new Set() };
        causes.set(id, c);
      }
      c.records += r.drift.groupsOmitted;
      c.pairSet.add(r.id);
      if (!c.traces.includes(r.trace)) c.traces.push(r.trace);
      if (!c.policies.includes(r.policy)) c.policies.push(r.policy);
    }
  }
  const rank = (p: string) => {
    const i = policyOrder.indexOf(p);
    return i < 0 ? policyOrder.length : i;
  };
  return [...causes.values()]
    .map(({ variantMap, pairSet, ...c }) => ({
      ...c,
      pairs: pairSet.size,
      policies: [...c.policies].sort((a, b) => rank(a) - rank(b)),
      variants: [...variantMap.values()].map(({ pairSet: ps, ...v }) => ({ ...v, pairs: ps.size })).sort((a, b) => b.pairs - a.pairs || (a.change < b.change ? -1 : 1)),
    }))
    .sort((a, b) => b.pairs - a.pairs || b.records - a.records || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What makes two pairs' drift the same: every difference, not the ids or the file names. */
function driftSignature(r: PairResult): string {
  const d = r.drift!;
  const strip = <T extends { id: string }>(x: T) => ({ ...x, id: '' });
  return canonicalJson({ first: strip(d.first), total: d.total, groups: d.groups.map(strip), groupsOmitted: d.groupsOmitted, shown: d.shown.map(strip) });
}

/** One block per trace and distinct drift; identical drifts under several policies share one. */
export function driftBlocks(results: readonly PairResult[]): DriftBlock[] {
  const out: DriftBlock[] = [];
  const byKey = new Map<string, DriftBlock>();
  for (const r of results) {
    if (r.status !== 'drift' || !r.drift) continue;
    const key = `${r.trace}\u0000${driftSignature(r)}`;
    const b = byKey.get(key);
    if (b) b.policies.push(r.policy);
    else {
      const nb = { trace: r.trace, policies: [r.policy], result: r };
      byKey.set(key, nb);
      out.push(nb);
    }
  }
  return out;
}

function staleReason(s: string): string {
  if (s === UNRECORDED) return 'no ledger entry records the body (copied in by hand or from a --pending folder?)';
  let m = /^policy (\S+) changed/.exec(s);
  if (m) return `policy ${m[1]} changed since its goldens were blessed`;
  m = /^model version changed \(golden (\d+), now (\d+)\)/.exec(s);
  if (m) return `model version ${m[1]} → ${m[2]} (output unchanged)`;
  if (s.startsWith('trace digest changed')) return 'trace re-recorded since blessed (output unchanged)';
  if (s.startsWith('the body it shares')) return 'the body it shares changed (an interrupted bless, or a merge that took one side)';
  return s;
}

/** Missing goldens by why (a new policy, a new trace), stale ones by what changed. */
export function attentionGroups(results: readonly PairResult[], traces: readonly string[], policies: readonly string[]): AttentionGroup[] {
  const out: AttentionGroup[] = [];
  const missing = results.filter((r) => r.status === 'missing');
  const missingIds = new Set(missing.map((r) => r.id));
  const taken = new Set<string>();
  const everything = missing.length === results.length;
  // A policy none of whose selected pairs has a golden, while others have theirs: a new policy.
  // (One policy selected and nothing of it blessed: a new policy too, e.g. `check --policy-file F`.)
  if (traces.length > 1 && (!everything || policies.length === 1)) {
    for (const p of policies) {
      const col = results.filter((r) => r.policy === p);
      if (col.length && col.every((r) => missingIds.has(r.id))) {
        out.push({ status: 'missing', reason: `new policy ${p}`, traces: col.map((r) => r.trace), policies: [p], pairs: col.map((r) => r.id) });
        for (const r of col) taken.add(r.id);
      }
    }
  }
  // A trace none of whose pairs has a golden (beyond a new policy's): a new trace.
  const newTraces = everything ? [] : traces.filter((t) => {
    const row = results.filter((r) => r.trace === t);
    return row.every((r) => missingIds.has(r.id)) && row.some((r) => !taken.has(r.id));
  });
  if (newTraces.length) {
    const rows = missing.filter((r) => newTraces.includes(r.trace) && !taken.has(r.id));
    out.push({ status: 'missing', reason: `new trace${newTraces.length === 1 ? '' : 's'}`, traces: newTraces, policies: uniq(rows.map((r) => r.policy)), pairs: rows.map((r) => r.id) });
    for (const r of rows) taken.add(r.id);
  }
  const rest = missing.filter((r) => !taken.has(r.id));
  if (rest.length) out.push({ status: 'missing', reason: everything ? 'no goldens yet' : 'no golden yet', traces: uniq(rest.map((r) => r.trace)), policies: uniq(rest.map((r) => r.policy)), pairs: rest.map((r) => r.id) });
  const stale = new Map<string, PairResult[]>();
  for (const r of results) {
    if (r.status !== 'stale') continue;
    const key = uniq((r.stale ?? ['stale']).map(staleReason)).join('; ');
    stale.set(key, [...(stale.get(key) ?? []), r]);
  }
  for (const [reason, rs] of stale) out.push({ status: 'stale', reason, traces: uniq(rs.map((r) => r.trace)), policies: uniq(rs.map((r) => r.policy)), pairs: rs.map((r) => r.id) });
  return out;
}

export interface SummaryOptions {
  /** Policies given with --policy-file that are neither built in nor registered: ID -> file, as a command names it. */
  adHocPolicyFiles?: Readonly<Record<string, string>>;
}

export function summarize(rep: CheckReport, o: SummaryOptions = {}): ReportSummary {
  const traces = uniq(rep.results.map((r) => r.trace));
  const policies = uniq(rep.results.map((r) => r.policy));
  const causes = driftCauses(rep.results, policies);
  const blocks = driftBlocks(rep.results);
  const attention = attentionGroups(rep.results, traces, policies);
  const errors = rep.results.filter((r) => r.status === 'error');
  const ctx: FixContext = { report: rep, traces, policies, adHocPolicyFiles: o.adHocPolicyFiles ?? {} };
  const one = causes.length === 1 ? `${causes[0].reg}${causes[0].fields.length ? `.${causes[0].fields.join(',')}` : ''}` : null;
  const { fixes, acceptAll } = rep.shard ? { fixes: [], acceptAll: null } : fixesFor(ctx, one, attention);
  return { traces: traces.length, policies, causes, blocks, attention, errors, fixes, acceptAll };
}
