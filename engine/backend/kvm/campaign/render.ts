// The campaign report for people: the verdict, the totals, one row per register class, the
// explained differences by rule, then every new unexplained signature with its minimal stream.

import { CampaignResult } from './index';
import { signature } from './run';

const n = (x: number): string => String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function renderCampaign(r: CampaignResult, o: { open?: string; written?: string[] } = {}): string[] {
  const p = r.report;
  const out: string[] = [];
  const unexplained = p.byExplanation.unexplained ?? 0;
  const verdict = o.open
    ? r.newSignatures.length
      ? `FAIL: ${r.newSignatures.length} unexplained difference signature${r.newSignatures.length === 1 ? '' : 's'} not in ${o.open}`
      : `no unexplained difference outside the ${r.signatures.length} open signature${r.signatures.length === 1 ? '' : 's'} of ${o.open}`
    : unexplained
      ? `FAIL: ${n(unexplained)} unexplained difference${unexplained === 1 ? '' : 's'} (${r.signatures.length} signatures)`
      : 'no unexplained difference';
  out.push(`campaign: ${verdict}`);
  const diffs = Object.values(p.byExplanation).reduce((a, b) => a + b, 0);
  out.push(`  ${p.host}, policy ${p.policy}, seed ${p.seed}: ${n(p.streams)} streams, ${n(p.accesses)} accesses in ${p.boots} boot${p.boots === 1 ? '' : 's'}`);
  out.push(`  compared ${n(p.compared.reads)} reads, ${n(p.compared.errnos)} device-attribute results, ${n(p.compared.outputs)} IRQ/FIQ states (${n(p.notComparable)} not comparable)`);
  out.push(`  differences ${n(diffs)}: ${['unexplained', 'host', 'kernel-version', 'unmodelled'].map((k) => `${n(p.byExplanation[k] ?? 0)} ${k}`).join(', ')}`);
  out.push('');
  out.push('  class               accesses   compared  differences  unexplained');
  for (const k of Object.keys(p.classes).sort()) {
    const c = p.classes[k];
    out.push(`  ${k.padEnd(18)} ${n(c.accesses).padStart(9)} ${n(c.compared).padStart(10)} ${n(c.differences).padStart(12)} ${n(c.unexplained).padStart(12)}`);
  }
  const rules = Object.keys(p.byRule).sort();
  if (rules.length) {
    out.push('');
    out.push('  explained, by rule (engine/backend/kvm/kvm-rules.ts):');
    for (const k of rules) out.push(`    ${k}: ${n(p.byRule[k])}`);
  }
  if (r.signatures.length) {
    out.push('');
    out.push('  unexplained, by signature (first occurrence):');
    for (const s of r.signatures) {
      const mine = p.unexplained.filter((d) => signature(d) === s);
      const first = mine[0];
      const count = mine.length;
      const isNew = r.newSignatures.includes(s) && o.open ? ' NEW' : '';
      out.push(`    ${s}${isNew}: ${n(count)}× — first ${first.stream} #${first.index}: model ${first.model}, KVM ${first.kvm}${first.fields.length ? ` {${first.fields.join(', ')}}` : ''}`);
    }
  }
  if (r.vanished.length) {
    out.push('');
    out.push(`  open signatures not seen this run (shrink the list with --write-open ${o.open}): ${r.vanished.join('; ')}`);
  }
  if (r.shrunk.length) {
    out.push('');
    out.push('  minimal streams:');
    r.shrunk.forEach((s, i) => {
      out.push(`    ${s.signature}: ${s.stream.events.length} events (from ${s.from}, ${s.rounds} rounds${s.minimal ? '' : ', bound reached'}): #${s.difference.index} model ${s.difference.model}, KVM ${s.difference.kvm}${o.written?.[i] ? ` -> ${o.written[i]}` : ''}`);
    });
  }
  return out;
}
