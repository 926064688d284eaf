// `gicreplay matrix --migrations`: every trace migrated between every ordered pair of policies
// (the same policy on both sides included), at its midpoint and at its last event, with one VMM
// recipe; for each, whether the guest can tell, what the destination dropped, and what differs.

import { Policy } from '../policy/policy';
import { openTrace } from '../trace/reader';
import { registerFamily } from './pairwise';
import { migrate, MigrationReport } from './migrate';
import { VmmRecipeId } from './migrate-recipe';
import { describeDifference } from './render';

export type MigrationPointName = 'midpoint' | 'last';

export interface MigrationCell {
  from: string;
  to: string;
  at: MigrationPointName;
  index: number;
  invisible: boolean;
  /** Guest-visible differences after the migration. */
  visible: number;
  /** Register families of the restore steps the destination treated differently from the source. */
  dropped: string[];
  /** Register families left different at the end of the trace. */
  leftDifferent: string[];
  /** Register families of the differences the guest sees ("cpu0 FIQ" for outputs). */
  seen: string[];
  first: string | null;
  /** The saved interrupt groups differ from their reset value (the guest, or its VMM, configured groups). */
  groupsConfigured: boolean;
  /** Noticed through more than the registers that report the revision (GICD_IIDR, GICR_CTLR's IR/CES bits): in reads, outputs or registers left different. */
  beyondRevision: boolean;
}

/** The registers a revision change shows in by itself. */
const REVISION_REGISTERS = new Set(['GICD_IIDR', 'GICR_CTLR']);

export interface TraceMigrations {
  trace: string;
  gic: 2 | 3;
  events: number;
  vmm: VmmRecipeId;
  cells: MigrationCell[];
}

const uniq = (xs: readonly string[]) => [...new Set(xs)].sort();

/** Whether a saved IGROUPR word differs from reset (GICv2: all Group 0; KVM's GICv3: all Group 1). */
function groupsConfigured(r: MigrationReport, gic: 2 | 3): boolean {
  const reset = gic === 2 ? 0n : 0xffffffffn;
  return r.save.values.some((v) => (registerFamily(v.reg) === 'GICD_IGROUPR' || v.reg === 'GICR_IGROUPR0') && v.value !== reset);
}

export function cellOf(r: MigrationReport, at: MigrationPointName, gic: 2 | 3): MigrationCell {
  const cell: MigrationCell = {
    from: r.from,
    to: r.to,
    at,
    index: r.at.index,
    invisible: r.invisible,
    visible: r.visibleCount,
    dropped: uniq(r.restore.changed.map((s) => registerFamily(s.reg))),
    leftDifferent: uniq(r.stateAtEnd.map((d) => registerFamily(d.reg))),
    seen: uniq(r.groups.filter((g) => g.kind !== 'write').map((g) => g.subject)),
    first: r.first ? describeDifference(r.first, `staying on ${r.from}`, `migrated to ${r.to}`) : null,
    groupsConfigured: groupsConfigured(r, gic),
    beyondRevision: false,
  };
  const c = cell;
  // What the guest can see decides; a restore step treated differently but leaving the same value is not seen.
  c.beyondRevision = !c.invisible && [...c.leftDifferent, ...c.seen].some((f) => !REVISION_REGISTERS.has(f));
  return c;
}

export function traceMigrations(file: string, label: string, policies: readonly Policy[], vmm: VmmRecipeId = 'qemu'): TraceMigrations {
  const reader = openTrace(file);
  let events = 0;
  const gic = reader.header.gic.version;
  try {
    while (reader.next()) events++;
  } finally {
    reader.close();
  }
  const cells: MigrationCell[] = [];
  if (events === 0) return { trace: label, gic, events, vmm, cells };
  const points: Array<[MigrationPointName, number]> = [['midpoint', Math.floor((events - 1) / 2)], ['last', events - 1]];
  for (const from of policies) {
    for (const to of policies) {
      for (const [at, index] of points) {
        const r = migrate(file, from, to, { at: { index }, vmm, analysis: false, maxListed: 0 });
        cells.push(cellOf(r, at, gic));
      }
    }
  }
  return { trace: label, gic, events, vmm, cells };
}
