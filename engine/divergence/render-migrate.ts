// Rendering of a migration report (text and JSON). The comparison lives in migrate.ts; the shared
// divergence part (first divergence, causal slice, groups) is render.ts's, as `diff` prints it.

import { hex } from '../util/hex';
import { MigrationReport, StateDifference } from './migrate';
import { renderDivergence } from './render';

const MAX_STEPS = 20;

const cpuOf = (cpu: number | null) => (cpu === null ? '' : ` (vCPU ${cpu})`);

function stateLine(d: StateDifference, a: string, b: string): string {
  const fa = d.fieldsA ? ` (${d.fieldsA})` : '';
  const fb = d.fieldsB ? ` (${d.fieldsB})` : '';
  return `${d.reg}${cpuOf(d.cpu)}: ${a} ${hex(d.a)}${fa}, ${b} ${hex(d.b)}${fb}`;
}

/** Where the migration happened, in words. */
export function migrationPoint(r: MigrationReport): string {
  return `after event ${r.at.index} (cycle ${hex(r.at.cycle)}${r.at.marker !== null ? `, marker ${JSON.stringify(r.at.marker)}` : ''})`;
}

export function renderMigrationText(r: MigrationReport): string {
  const A = `staying on ${r.from}`;
  const B = `migrated to ${r.to}`;
  const out: string[] = [];
  out.push(`${r.trace}: migrated from ${r.from} to ${r.to} ${migrationPoint(r)} of ${r.events} events, VMM recipe ${r.vmm}`);
  out.push('');
  out.push('Save/restore recipe:');
  for (const s of r.recipe) out.push(`  - ${s}`);
  out.push('');
  if (r.save.note) out.push(`Save: ${r.save.note}.`);
  else out.push(`Save: ${r.save.reads} device-attribute reads${r.save.refused ? `, ${r.save.refused} refused by the source` : ''}. Restore: ${r.restore.steps} steps, ${r.restore.changed.length} treated differently by ${r.to} than by ${r.from}${r.restore.inherent ? `, ${r.restore.inherent} not applied by ${r.from} either (read-only registers, the recipe's own clears)` : ''}.`);
  if (r.restore.changed.length) {
    out.push('');
    out.push(`Restore steps ${r.to} dropped or changed (what a vGIC under ${r.from} does instead):`);
    for (const s of r.restore.changed.slice(0, MAX_STEPS)) {
      const errno = s.errno ? `KVM_SET_DEVICE_ATTR returns ${s.errno}: ` : '';
      out.push(`  step ${s.step}: ${s.event}: ${r.to} ${errno}${s.to}; ${r.from} ${s.from}`);
    }
    if (r.restore.changed.length > MAX_STEPS) out.push(`  (${r.restore.changed.length - MAX_STEPS} more; --json lists them all)`);
  }
  if (r.restoredDifferently.length) {
    out.push('');
    out.push(`Restored differently (read back from ${r.to} right after the restore):`);
    for (const d of r.restoredDifferently.slice(0, MAX_STEPS)) out.push(`  ${stateLine(d, 'saved', 'restored')}`);
    if (r.restoredDifferently.length > MAX_STEPS) out.push(`  (${r.restoredDifferently.length - MAX_STEPS} more; --json lists them all)`);
  }
  out.push('');
  if (r.count === 0) {
    out.push(`After the migration the guest sees the same values and interrupt outputs as ${A}.`);
  } else {
    out.push(`After the migration: ${r.count} difference${r.count === 1 ? '' : 's'}, ${r.visibleCount} of them visible to the guest (reads, IRQ/FIQ outputs); the rest are writes one side dropped or changed.`);
    renderDivergence(out, r, A, B);
  }
  if (r.stateAtEnd.length) {
    out.push('');
    out.push(`Left different at the end of the trace (what the guest would read next):`);
    for (const d of r.stateAtEnd.slice(0, MAX_STEPS)) out.push(`  ${stateLine(d, r.from, r.to)}`);
    if (r.stateAtEnd.length > MAX_STEPS) out.push(`  (${r.stateAtEnd.length - MAX_STEPS} more; --json lists them all)`);
  }
  out.push('');
  out.push(
    r.invisible
      ? `invisible: the guest cannot tell this migration from staying on ${r.from}.`
      : `NOTICED: the guest can tell it was migrated from ${r.from} to ${r.to} (${r.visibleCount} guest-visible difference${r.visibleCount === 1 ? '' : 's'}, ${r.stateAtEnd.length} register${r.stateAtEnd.length === 1 ? '' : 's'} left different).`,
  );
  return out.join('\n') + '\n';
}

/** JSON with bigints as hex strings; the saved segment is left out (`--save` writes it). */
export function migrationToJson(r: MigrationReport): string {
  const { segment, ...rest } = r;
  return JSON.stringify({ ...rest, segmentEvents: segment.length }, (_k, v) => (typeof v === 'bigint' ? hex(v) : v));
}
