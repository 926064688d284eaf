// Text and JSON of a migration performed on real KVM (migrate.ts); the grouped differences are
// rendered as the model's migrate and diff render them.

import { renderDivergence } from '../../divergence/render';
import { hex } from '../../util/hex';
import { PLAIN, Style } from '../../util/style';
import { KvmMigrationReport } from './migrate';

export function renderKvmMigrationText(r: KvmMigrationReport, st: Style = PLAIN): string {
  const A = `staying on ${r.from}`;
  const B = `migrated to ${r.to}`;
  const out: string[] = [];
  out.push(`${r.trace}: migrated on real KVM (${r.host}) from ${r.from} to ${r.to} after event ${r.at}, ${r.vmm} recipe, ${r.boots} boot${r.boots === 1 ? '' : 's'}`);
  out.push(`  save: ${r.saved} device-attribute reads of the source VM${r.saveRefused ? `, ${r.saveRefused} refused by KVM` : ''}`);
  const rev = r.destinationRevision === 'kernel' ? "the kernel's own revision (no GICD_IIDR write, as QEMU restores)" : `revision ${r.destinationRevision} (a userspace GICD_IIDR write)`;
  out.push(`  restore: ${r.restoreSteps} steps into a fresh VM at ${rev}; ${r.refused.length ? `${r.refused.length} refused by the destination kernel:` : 'none refused'}`);
  for (const s of r.refused) out.push(`    step ${s.step}: ${s.reg}${s.cpu === null ? '' : ` (vCPU ${s.cpu})`}: ${s.errno}`);
  if (r.invisible) {
    out.push(`${st.good('invisible')}: after the migration the guest reads the same values and takes the same interrupts as if it had stayed on ${r.from}.`);
    return out.join('\n') + '\n';
  }
  out.push(`${st.bad(`the guest notices`)}: ${r.visibleCount} difference${r.visibleCount === 1 ? '' : 's'} it sees after the migration (${r.count} in all).`);
  renderDivergence(out, { ...r, slice: null, replayCaveat: null }, A, B, st);
  return out.join('\n') + '\n';
}

export function kvmMigrationToJson(r: KvmMigrationReport): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? hex(v) : v));
}
