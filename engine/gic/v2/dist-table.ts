// KVM's GICv2 distributor register table (vgic-mmio-v2.c vgic_v2_dist_registers, vgic-v2.md §4.2),
// one row per register or per-INTID array. Offsets outside every row are RAZ/WI, as KVM's
// dispatch does for an address no region claims (the ID registers 0xFD0-0xFFC included).

import { FrameTable, RegRow, W32, W8 } from './frame-table';

export enum D {
  Ctlr,
  Typer,
  Iidr,
  Igroupr,
  Isenabler,
  Icenabler,
  Ispendr,
  Icpendr,
  Isactiver,
  Icactiver,
  Ipriorityr,
  Itargetsr,
  Icfgr,
  Sgir,
  Cpendsgir,
  Spendsgir,
  /** Architected but not in KVM's table: read as zero, writes ignored (named for reports). */
  IdRaz,
}

function one(name: string, offset: number, kind: D, widths = W32): RegRow<D> {
  return { name, offset, length: 4, widths, indexed: false, kind, bitsPerIrq: 0 };
}

/** A per-INTID array sized, as KVM sizes it, for 1024 INTIDs. */
function perIrq(name: string, offset: number, bitsPerIrq: number, kind: D, widths = W32): RegRow<D> {
  return { name, offset, length: (bitsPerIrq * 1024) / 8, widths, indexed: true, kind, bitsPerIrq };
}

export const GICV2_DIST_ROWS: readonly RegRow<D>[] = [
  one('GICD_CTLR', 0x000, D.Ctlr),
  one('GICD_TYPER', 0x004, D.Typer),
  one('GICD_IIDR', 0x008, D.Iidr),
  perIrq('GICD_IGROUPR', 0x080, 1, D.Igroupr),
  perIrq('GICD_ISENABLER', 0x100, 1, D.Isenabler),
  perIrq('GICD_ICENABLER', 0x180, 1, D.Icenabler),
  perIrq('GICD_ISPENDR', 0x200, 1, D.Ispendr),
  perIrq('GICD_ICPENDR', 0x280, 1, D.Icpendr),
  perIrq('GICD_ISACTIVER', 0x300, 1, D.Isactiver),
  perIrq('GICD_ICACTIVER', 0x380, 1, D.Icactiver),
  perIrq('GICD_IPRIORITYR', 0x400, 8, D.Ipriorityr, W8 | W32),
  perIrq('GICD_ITARGETSR', 0x800, 8, D.Itargetsr, W8 | W32),
  perIrq('GICD_ICFGR', 0xc00, 2, D.Icfgr),
  one('GICD_SGIR', 0xf00, D.Sgir),
  { name: 'GICD_CPENDSGIR', offset: 0xf10, length: 16, widths: W8 | W32, indexed: true, kind: D.Cpendsgir, bitsPerIrq: 0 },
  { name: 'GICD_SPENDSGIR', offset: 0xf20, length: 16, widths: W8 | W32, indexed: true, kind: D.Spendsgir, bitsPerIrq: 0 },
  // Peripheral and component ID registers: KVM has no region here, so they read 0 (QEMU-TCG reads ICPIDR2 as 0x2B).
  one('GICD_ICPIDR4', 0xfd0, D.IdRaz, W8 | W32),
  one('GICD_ICPIDR5', 0xfd4, D.IdRaz, W8 | W32),
  one('GICD_ICPIDR6', 0xfd8, D.IdRaz, W8 | W32),
  one('GICD_ICPIDR7', 0xfdc, D.IdRaz, W8 | W32),
  one('GICD_ICPIDR0', 0xfe0, D.IdRaz, W8 | W32),
  one('GICD_ICPIDR1', 0xfe4, D.IdRaz, W8 | W32),
  one('GICD_ICPIDR2', 0xfe8, D.IdRaz, W8 | W32),
  one('GICD_ICPIDR3', 0xfec, D.IdRaz, W8 | W32),
  one('GICD_ICCIDR0', 0xff0, D.IdRaz, W8 | W32),
  one('GICD_ICCIDR1', 0xff4, D.IdRaz, W8 | W32),
  one('GICD_ICCIDR2', 0xff8, D.IdRaz, W8 | W32),
  one('GICD_ICCIDR3', 0xffc, D.IdRaz, W8 | W32),
];

/** KVM decodes 4 KiB of distributor (KVM_VGIC_V2_DIST_SIZE). Reserved words accept byte and word accesses (RAZ/WI). */
export const GICV2_DIST = new FrameTable<D>('GICD', 0x1000, GICV2_DIST_ROWS, W8 | W32);
