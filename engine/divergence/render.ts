// Rendering of divergence reports (text, JSON, Markdown). Comparison lives in compare.ts/diff.ts.

import { intidLabel } from '../arch/intids';
import { hex } from '../util/hex';
import { Difference } from './pairwise';
import { PolicyDiff } from './diff';
import { PLAIN, Style } from '../util/style';

const cpuName = (cpu: number | null) => (cpu === null ? 'cpu ?' : `cpu${cpu}`);

export function describeDifference(d: Difference, a: string, b: string, st: Style = PLAIN): string {
  if (d.kind === 'read') {
    const ints = d.intids && d.intids.length ? ` [${intidLabel(d.intids)}]` : '';
    const fa = d.fieldsA ? ` (${d.fieldsA})` : '';
    const fb = d.fieldsB ? ` (${d.fieldsB})` : '';
    const unobs = d.observable ? '' : ' — a register this trace\'s source could not observe';
    return `event ${d.index} @${hex(d.cycle)} ${cpuName(d.cpu)} read ${st.strong(d.reg)}${ints}: ${st.removed(`${a} ${hex(d.a)}${fa}`)}, ${st.added(`${b} ${hex(d.b)}${fb}`)}${unobs}`;
  }
  if (d.kind === 'write') {
    return `event ${d.index} @${hex(d.cycle)} ${cpuName(d.cpu)} write ${st.strong(d.reg)}: ${st.removed(`${a} ${d.a ?? 'stored as written'}`)}; ${st.added(`${b} ${d.b ?? 'stored as written'}`)}`;
  }
  return `event ${d.index} @${hex(d.cycle)} cpu${d.cpu} ${st.strong(`${d.line.toUpperCase()} output`)}: ${st.removed(`${a} [${d.a.join(' ') || 'no change'}]`)}, ${st.added(`${b} [${d.b.join(' ') || 'no change'}]`)}`;
}

/** The diff as text; `st` colours it for a terminal (the words are the same either way). */
export function renderDiffText(r: PolicyDiff, st: Style = PLAIN): string {
  const A = r.policyA;
  const B = r.policyB;
  const out: string[] = [];
  out.push(`${r.trace}: ${A} vs ${B} over ${r.events} events`);
  if (r.identical) {
    out.push(`${st.good('identical')}: the guest sees the same values and interrupt outputs under ${A} and ${B}.`);
    return out.join('\n') + '\n';
  }
  out.push(`${st.bad(`${r.count} difference${r.count === 1 ? '' : 's'}`)}, ${r.visibleCount} of them visible to the guest (reads, IRQ/FIQ outputs); the rest are writes one policy dropped or changed.`);
  renderDivergence(out, r, A, B, st);
  return out.join('\n') + '\n';
}

/** The part of a divergence report `diff` and `migrate` share: the first divergence, its causal slice, the caveat and the grouped differences. */
export type Divergence = Pick<PolicyDiff, 'count' | 'first' | 'slice' | 'replayCaveat' | 'groups' | 'differences'>;

export function renderDivergence(out: string[], r: Divergence, A: string, B: string, st: Style = PLAIN): void {
  out.push('');
  out.push(st.strong('First divergence:'));
  out.push(`  ${describeDifference(r.first!, A, B, st)}`);
  if (r.slice) {
    out.push('');
    out.push('Why (causal slice, from the models\' read/write dependencies):');
    out.push(`  state read: ${r.slice.keys.join(', ') || '(none recorded)'}`);
    for (const e of r.slice.events) out.push(`  ${e.label ?? `event ${e.index}`}: ${e.event} → ${e.key}: ${A} ${e.a}; ${B} ${e.b}`);
    if (r.slice.fromReset.length) out.push(`  not written by any earlier event (reset value or set by the policy): ${r.slice.fromReset.join(', ')}`);
    if (r.slice.policySwitches.length) {
      out.push('  policy switches:');
      for (const s of r.slice.policySwitches) out.push(`    ${s}`);
    }
  }
  if (r.replayCaveat) {
    out.push('');
    out.push(`Note: ${r.replayCaveat}`);
  }
  out.push('');
  out.push(st.strong('All differences, grouped:'));
  for (const g of r.groups) {
    const ints = g.intids.length ? `${intidLabel(g.intids)}: ` : '';
    const unobs = g.observable ? '' : ' (not observable by the trace source)';
    out.push(`  ${st.strong(`[${g.id}]`)} ${ints}${g.summary}, ${g.count} time${g.count === 1 ? '' : 's'}, first at event ${g.firstIndex}${unobs}`);
  }
  if (r.differences.length < r.count) {
    out.push('');
    out.push(`(${r.differences.length} of ${r.count} differences listed individually with --json; all are counted above)`);
  }
}

/** JSON with bigints as hex strings and a fixed key order (the objects are built in order). */
export function diffToJson(r: PolicyDiff): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? hex(v) : v));
}
