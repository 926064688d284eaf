// KVM's GICv2 distributor (vgic-mmio-v2.c vgic_v2_dist_registers; spec vgic-v2.md §4.2), one row
// per register or per-INTID array, in KVM's table order. Offsets no row claims are RAZ/WI.
// Banked rows (INTIDs 0-31, SGIR, CPENDSGIR/SPENDSGIR) act on the accessing vCPU.

import { activeHandlers, configHandlers, enableClearHandlers, enableSetHandlers, groupHandlers, pendingClearHandlers, pendingSetHandlers, priorityHandlers } from '../core/irq-handlers';
import { addrToIntid, FieldDef, FrameTable, raz, RegRow, W32, W8, wi } from '../core/regtable';
import * as V2 from './dist';
import { GICD_SGIR_FIELDS } from './fields';
import { V2State } from './state';

type Row = RegRow<V2State>;

/** REGISTER_DESC_WITH_BITS_PER_IRQ: one region over all 1024 INTIDs, banked below 32. */
function perIrq(name: string, offset: number, bits: number, widths: number, h: Pick<Row, 'read' | 'write' | 'access' | 'uaccess'> & Partial<Row>): Row {
  return { name, offset, len: (bits * 1024) / 8, bitsPerIrq: bits, widths, naming: { kind: 'array', base: offset, bits }, ...h };
}

function idReg(name: string, offset: number): Row {
  return {
    name, offset, len: 4, bitsPerIrq: 0, widths: W8 | W32, naming: { kind: 'single' }, access: 'RAZ/WI', reset: 0n, uaccess: 'none',
    read: raz, write: wi(`${name} is not emulated by KVM (no region: RAZ/WI)`),
  };
}

/** vgic_v2_dist_registers, row by row. */
export const V2_DIST_ROWS: readonly Row[] = [
  {
    // KVM's one 12-byte misc region: GICD_CTLR, GICD_TYPER, GICD_IIDR.
    name: 'GICD_CTLR', offset: 0x000, len: 12, bitsPerIrq: 0, widths: W32,
    naming: { kind: 'words', names: ['GICD_CTLR', 'GICD_TYPER', 'GICD_IIDR'] }, access: 'RW', policy: 'GICD_IIDR revision; userMaySelectRevision',
    read: V2.readMisc, write: V2.writeMisc, uaccess: { write: V2.userWriteMisc },
  },
  perIrq('GICD_IGROUPR', 0x080, 1, W32, { ...groupHandlers(), access: 'RW', reset: 0n, policy: 'guestGroupWriteHonoured / userGroupWriteHonoured(2, …)' }),
  perIrq('GICD_ISENABLER', 0x100, 1, W32, { ...enableSetHandlers(), access: 'RW' }),
  perIrq('GICD_ICENABLER', 0x180, 1, W32, { ...enableClearHandlers(), access: 'RW' }),
  // uaccess: KVM cannot restore an SGI's source, so a set SGI names the attribute's vCPU; a clear forgets every source.
  perIrq('GICD_ISPENDR', 0x200, 1, W32, { ...pendingSetHandlers(2), access: 'RW' }),
  perIrq('GICD_ICPENDR', 0x280, 1, W32, { ...pendingClearHandlers(2), access: 'RW' }),
  // The requester becomes a v2 SGI's active source; userspace has no running vCPU (source 0).
  perIrq('GICD_ISACTIVER', 0x300, 1, W32, { ...activeHandlers(true), access: 'RW' }),
  perIrq('GICD_ICACTIVER', 0x380, 1, W32, { ...activeHandlers(false), access: 'RW' }),
  perIrq('GICD_IPRIORITYR', 0x400, 8, W8 | W32, { ...priorityHandlers(), access: 'RW', reset: 0n }),
  perIrq('GICD_ITARGETSR', 0x800, 8, W8 | W32, { access: 'RW', read: V2.readTargets, write: V2.writeTargets, uaccess: 'same' }),
  perIrq('GICD_ICFGR', 0xc00, 2, W32, { ...configHandlers(), access: 'RW' }),
  {
    name: 'GICD_SGIR', offset: 0xf00, len: 4, bitsPerIrq: 0, widths: W32, naming: { kind: 'single' }, access: 'WO', uaccess: 'same',
    fields: GICD_SGIR_FIELDS as readonly FieldDef[], read: raz, write: V2.writeSgir,
  },
  {
    name: 'GICD_CPENDSGIR', offset: 0xf10, len: 16, bitsPerIrq: 0, widths: W8 | W32, naming: { kind: 'array', base: 0xf10, bits: 32 }, access: 'RW', uaccess: 'same',
    reset: 0n, read: V2.readSgiPend, write: V2.writeSgiPendClear,
  },
  {
    name: 'GICD_SPENDSGIR', offset: 0xf20, len: 16, bitsPerIrq: 0, widths: W8 | W32, naming: { kind: 'array', base: 0xf20, bits: 32 }, access: 'RW', uaccess: 'same',
    reset: 0n, read: V2.readSgiPend, write: V2.writeSgiPendSet,
  },
  // Peripheral and component ID registers: KVM has no region here, so they read 0 and ignore
  // writes (QEMU-TCG reads ICPIDR2 as 0x2B). Named rows only so that reports say ICPIDR2.
  idReg('GICD_ICPIDR4', 0xfd0),
  idReg('GICD_ICPIDR5', 0xfd4),
  idReg('GICD_ICPIDR6', 0xfd8),
  idReg('GICD_ICPIDR7', 0xfdc),
  idReg('GICD_ICPIDR0', 0xfe0),
  idReg('GICD_ICPIDR1', 0xfe4),
  idReg('GICD_ICPIDR2', 0xfe8),
  idReg('GICD_ICPIDR3', 0xfec),
  idReg('GICD_ICCIDR0', 0xff0),
  idReg('GICD_ICCIDR1', 0xff4),
  idReg('GICD_ICCIDR2', 0xff8),
  idReg('GICD_ICCIDR3', 0xffc),
];

/** KVM decodes 4 KiB of distributor (KVM_VGIC_V2_DIST_SIZE). */
export const V2_DIST = new FrameTable<V2State>('GICD', 0x1000, V2_DIST_ROWS, '4 KiB GICv2 distributor frame');

/** Whether an access acts on the accessing vCPU's private state (so a missing vCPU matters). */
export function distBanked(row: Row, off: number): boolean {
  if (row.bitsPerIrq) return addrToIntid(off, row.bitsPerIrq) < 32;
  return row.offset >= 0xf00 && row.offset < 0xf30;
}

/** ID rows are ours, not KVM regions: userspace reaches nothing there (their uaccess is 'none'). */
export function isKvmRegion(row: Row): boolean {
  return row.uaccess !== 'none';
}
