// The fidelity report for people: the verdict first, then per trace every difference with its
// event, register, fields, both values and the rule that explains it.

import { BaselineComparison, differenceLine } from './baseline';
import { FidelityDifference, FidelityReport } from './fidelity';
import { KVM_RULES } from './kvm-rules';

const n = (x: number): string => String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function describe(d: FidelityDifference): string {
  const where = `#${d.index} ${d.cpu === null ? 'cpu?' : `cpu${d.cpu}`}`;
  const what = d.what === 'read' ? `read ${d.reg}` : d.what === 'errno' ? `errno of ${d.reg}` : `${d.what} output`;
  const fields = d.fields.length ? ` {${d.fields.join(', ')}}` : '';
  const why = d.class === 'unexplained' ? 'UNEXPLAINED' : `${d.class}: ${d.rule}`;
  return `${where} ${what}: model ${d.model}, KVM ${d.kvm}${fields}  [${why}]`;
}

export function fidelityCounts(r: FidelityReport): { reads: number; errnos: number; outputs: number; notComparable: number; byClass: Map<string, number>; total: number } {
  const byClass = new Map<string, number>();
  let reads = 0, errnos = 0, outputs = 0, notComparable = 0, total = 0;
  for (const t of r.traces) {
    reads += t.compared.reads;
    errnos += t.compared.errnos;
    outputs += t.compared.outputs;
    notComparable += t.notComparable;
    for (const d of t.differences) {
      byClass.set(d.class, (byClass.get(d.class) ?? 0) + 1);
      total++;
    }
  }
  return { reads, errnos, outputs, notComparable, byClass, total };
}

export function renderFidelity(r: FidelityReport, cmp?: BaselineComparison): string[] {
  const c = fidelityCounts(r);
  const out: string[] = [];
  const classes = ['unexplained', 'host', 'kernel-version', 'unmodelled'].filter((k) => c.byClass.get(k)).map((k) => `${n(c.byClass.get(k)!)} ${k}`);
  if (cmp) {
    const verdict = cmp.newUnexplained.length ? `FAIL: ${cmp.newUnexplained.length} new unexplained difference${cmp.newUnexplained.length === 1 ? '' : 's'} against the baseline` : 'no new unexplained difference against the baseline';
    out.push(`fidelity: ${verdict}`);
  }
  out.push(`fidelity: the model vs real KVM (${r.host}) under ${r.policy}`);
  out.push(`  ${r.traces.length} trace${r.traces.length === 1 ? '' : 's'}: ${n(c.reads)} reads, ${n(c.errnos)} device-attribute results and ${n(c.outputs)} IRQ/FIQ states compared; ${n(c.notComparable)} not comparable (they depend on when a host timer fired)`);
  out.push(`  ${n(c.total)} difference${c.total === 1 ? '' : 's'}${classes.length ? `: ${classes.join(', ')}` : ''}`);
  if (cmp) {
    if (cmp.newUnexplained.length) {
      out.push('', 'new unexplained differences (a model bug until a rule in engine/backend/kvm/kvm-rules.ts explains them):');
      for (const d of cmp.newUnexplained) out.push(`  ${d.trace} ${describe(d)}`);
    }
    if (cmp.newExplained.length) {
      out.push('', 'new differences a rule explains (not failing):');
      for (const d of cmp.newExplained) out.push(`  ${d.trace} ${describe(d)}`);
    }
    if (cmp.gone.length) {
      out.push('', `${cmp.gone.length} baseline difference${cmp.gone.length === 1 ? ' is' : 's are'} gone; shrink the baseline with \`gicreplay fidelity --backend kvm --write-baseline\`:`);
      for (const g of cmp.gone.slice(0, 50)) out.push(`  ${g.trace} ${g.line}`);
      if (cmp.gone.length > 50) out.push(`  … and ${cmp.gone.length - 50} more`);
    }
    if (cmp.unchecked.length) out.push('', `not replayed this time (filtered out): ${cmp.unchecked.join(', ')}`);
    return out;
  }
  for (const t of r.traces) {
    if (!t.differences.length) continue;
    out.push('', `${t.trace}: ${t.differences.length} difference${t.differences.length === 1 ? '' : 's'}`);
    for (const d of t.differences) out.push(`  ${describe(d)}`);
  }
  const used = new Set(r.traces.flatMap((t) => t.differences.map((d) => d.rule?.replace(/ \(.*$/, '')).filter((x): x is string => !!x)));
  if (used.size) {
    out.push('', 'rules:');
    for (const rule of KVM_RULES) if (used.has(rule.id)) out.push(`  ${rule.id} (${rule.class}): ${rule.reason}`);
  }
  return out;
}

export { differenceLine };
