// The GICv2 CPU interface as the guest reaches it: the host's GICV frame mapped at GICC
// (vgic-v2.md §5.3; Arm GICv2 virtual CPU interface register list). 32-bit accesses only.
// The userspace view (KVM_DEV_ARM_VGIC_GRP_CPU_REGS, vgic_v2_cpu_registers) is a separate,
// smaller table: KVM serves it from the saved VMCR/APR, not from GICV.

import { FrameTable, RegRow, W32 } from './frame-table';

export enum C {
  Ctlr,
  Pmr,
  Bpr,
  Iar,
  Eoir,
  Rpr,
  Hppir,
  Abpr,
  Aiar,
  Aeoir,
  Ahppir,
  Apr,
  /** GICC_NSAPRn: not part of the virtual CPU interface (GICV has APRn only): RAZ/WI. */
  Nsapr,
  Iidr,
  Dir,
}

function one(name: string, offset: number, kind: C): RegRow<C> {
  return { name, offset, length: 4, widths: W32, indexed: false, kind, bitsPerIrq: 0 };
}

export const GICV2_CPUIF_ROWS: readonly RegRow<C>[] = [
  one('GICC_CTLR', 0x000, C.Ctlr),
  one('GICC_PMR', 0x004, C.Pmr),
  one('GICC_BPR', 0x008, C.Bpr),
  one('GICC_IAR', 0x00c, C.Iar),
  one('GICC_EOIR', 0x010, C.Eoir),
  one('GICC_RPR', 0x014, C.Rpr),
  one('GICC_HPPIR', 0x018, C.Hppir),
  one('GICC_ABPR', 0x01c, C.Abpr),
  one('GICC_AIAR', 0x020, C.Aiar),
  one('GICC_AEOIR', 0x024, C.Aeoir),
  one('GICC_AHPPIR', 0x028, C.Ahppir),
  { name: 'GICC_APR', offset: 0x0d0, length: 16, widths: W32, indexed: true, kind: C.Apr, bitsPerIrq: 0 },
  { name: 'GICC_NSAPR', offset: 0x0e0, length: 16, widths: W32, indexed: true, kind: C.Nsapr, bitsPerIrq: 0 },
  one('GICC_IIDR', 0x0fc, C.Iidr),
  one('GICC_DIR', 0x1000, C.Dir),
];

/** KVM_VGIC_V2_CPU_SIZE: 8 KiB, GICC_DIR in the second page. */
export const GICV2_CPUIF = new FrameTable<C>('GICC', 0x2000, GICV2_CPUIF_ROWS, W32);

/** KVM's userspace CPU_REGS table: CTLR, PMR (as VMPriMask), BPR, ABPR, APR0-3, IIDR. */
export const GICV2_CPUIF_USER_ROWS: readonly RegRow<C>[] = [
  one('GICC_CTLR', 0x000, C.Ctlr),
  one('GICC_PMR', 0x004, C.Pmr),
  one('GICC_BPR', 0x008, C.Bpr),
  one('GICC_ABPR', 0x01c, C.Abpr),
  { name: 'GICC_APR', offset: 0x0d0, length: 16, widths: W32, indexed: true, kind: C.Apr, bitsPerIrq: 0 },
  one('GICC_IIDR', 0x0fc, C.Iidr),
];

export const GICV2_CPUIF_USER = new FrameTable<C>('GICC', 0x100, GICV2_CPUIF_USER_ROWS, W32);
