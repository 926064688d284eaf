// Human-readable rendering of check results (the printSnapshot.ts of gicreplay): kept apart
// from comparison so the text, --json and JUnit outputs all render the same result objects.
// Order per drifting pair: first difference, then every difference grouped, then the diff.

import { printable } from '../util/printable';
import { CheckReport, DiffGroup, Difference, DriftReport, PairResult } from './results';

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

export function renderDrift(d: DriftReport, indent = '  '): string[] {
  const out: string[] = [];
  out.push(`${indent}first difference: ${describeDifference(d.first)}`);
  out.push(`${indent}${d.total} difference${d.total === 1 ? '' : 's'}, grouped:`);
  for (const g of d.groups) out.push(`${indent}  ${describeGroup(g)}`);
  if (d.groupsOmitted) out.push(`${indent}  … and ${d.groupsOmitted} difference(s) in further groups`);
  if (d.unified.length) {
    out.push(`${indent}diff of the golden text:`);
    for (const l of d.unified) out.push(`${indent}  ${l}`);
    if (d.unifiedOmitted) out.push(`${indent}  … ${d.unifiedOmitted} more changed line(s) not shown (see --json for every difference group)`);
  }
  return out;
}

export function renderPair(r: PairResult): string[] {
  const share = r.sameAs ? ` (shares ${r.sameAs}'s golden)` : '';
  const head = `${r.status.toUpperCase()} ${r.id}${share}`;
  const out = [head];
  if (r.message) out.push(`  ${r.message}`);
  if (r.stale && r.status === 'drift') out.push(`  also stale: ${r.stale.join('; ')}`);
  if (r.drift) out.push(...renderDrift(r.drift));
  if (r.pending) out.push(`  new output written to ${r.pending} (under --pending)`);
  return out;
}

/** The full text report: every non-matching pair, obsolete and foreign goldens, the verdict. */
export function renderReport(rep: CheckReport): string[] {
  const out: string[] = [];
  for (const r of rep.results) if (r.status !== 'match') out.push(...renderPair(r));
  for (const u of rep.manifest.unreadable ?? []) out.push(`ERROR traces/${printable(u.path)}: ${u.reason}; ${unreadableConsequence(u.path)}`);
  for (const x of rep.leftovers ?? []) out.push(`LEFTOVER ${x.file}: ${x.reason}; remove with \`gicreplay bless --prune --reason "…"\``);
  for (const o of rep.obsolete) out.push(`OBSOLETE ${o.golden}: ${o.reason}; remove with \`gicreplay bless --prune --reason "…"\``);
  for (const i of rep.invariants ?? []) if (!i.ok) out.push(`INVARIANT ${i.id}: ${i.message}`);
  for (const f of rep.foreign) out.push(`note: ${f} has no gicreplay header; it is not checked and never deleted`);
  const shared = sharedSummary(rep.results);
  if (shared.length) out.push(...shared);
  out.push(rep.verdict.summary);
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
