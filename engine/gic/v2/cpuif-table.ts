// The GICv2 CPU interface, two tables:
//  - the guest's: the host's GICV frame mapped at GICC (vgic-v2.md §5.3; Arm GICv2 virtual CPU
//    interface register list), 32-bit accesses only, DIR in the second 4 KiB page;
//  - the VMM's: KVM's vgic_v2_cpu_registers (KVM_DEV_ARM_VGIC_GRP_CPU_REGS), served from the
//    saved VMCR/APR with KVM's ABI quirks.

import { FrameTable, lo32, raz, RegRead, RegRow, RegWrite, ro, W32, wi } from '../core/regtable';
import { GICC_BPR_FIELDS, GICC_CTLR_FIELDS, GICC_IIDR_FIELDS, GICC_INTID_FIELDS, GICC_PRIORITY_FIELDS } from './fields';
import { GICC_IIDR_USER } from './ids';
import { V2State } from './state';

type Row = RegRow<V2State>;

/** A GICV register read from the CPU interface state: the unsigned 32-bit value. */
const gicv = (f: (st: V2State, cpu: number) => number): RegRead<V2State> => (st, cpu) => BigInt(f(st, cpu) >>> 0);

function reg(name: string, offset: number, access: Row['access'], read: RegRead<V2State>, write: RegWrite<V2State>, extra: Partial<Row> = {}): Row {
  return { name, offset, len: 4, bitsPerIrq: 0, widths: W32, naming: { kind: 'single' }, access, read, write, uaccess: 'same', ...extra };
}

/**
 * Acknowledge registers (IAR, AIAR): reading them changes state, so an ignored write is judged as
 * against a register that reads 0 (every bit written 1 is reported).
 */
const ackReadOnly = (name: string): RegWrite<V2State> => wi(`${name} is read-only`);
const readRpr = gicv((st, c) => st.gicc.rpr(c));
const readHppir = gicv((st, c) => st.gicc.hppir(c));
const readAhppir = gicv((st, c) => st.gicc.ahppir(c));
const readGicvIidr: RegRead<V2State> = (st) => BigInt(st.gicvIidr);
const readUserIidr: RegRead<V2State> = () => BigInt(GICC_IIDR_USER);

function wo(name: string, offset: number, write: RegWrite<V2State>): Row {
  return reg(name, offset, 'WO', () => 0n, write, { fields: GICC_INTID_FIELDS });
}

export const V2_CPUIF_ROWS: readonly Row[] = [
  reg('GICC_CTLR', 0x000, 'RW', gicv((st, c) => st.gicc.readCtlr(c)), (st, c, _o, _s, v) => st.gicc.writeCtlr(c, lo32(v)), { reset: 0n, fields: GICC_CTLR_FIELDS }),
  reg('GICC_PMR', 0x004, 'RW', gicv((st, c) => st.gicc.readPmr(c)), (st, c, _o, _s, v) => st.gicc.writePmr(c, lo32(v)), { reset: 0n, fields: GICC_PRIORITY_FIELDS }),
  reg('GICC_BPR', 0x008, 'RW', gicv((st, c) => st.gicc.readBpr(c)), (st, c, _o, _s, v) => st.gicc.writeBpr(c, lo32(v)), { fields: GICC_BPR_FIELDS }),
  reg('GICC_IAR', 0x00c, 'RO', gicv((st, c) => st.gicc.iar(c)), ackReadOnly('GICC_IAR'), { fields: GICC_INTID_FIELDS }),
  wo('GICC_EOIR', 0x010, (st, c, _o, _s, v) => st.gicc.eoir(c, lo32(v))),
  reg('GICC_RPR', 0x014, 'RO', readRpr, ro('GICC_RPR', readRpr), { reset: 0xffn, fields: GICC_PRIORITY_FIELDS }),
  reg('GICC_HPPIR', 0x018, 'RO', readHppir, ro('GICC_HPPIR', readHppir), { fields: GICC_INTID_FIELDS }),
  reg('GICC_ABPR', 0x01c, 'RW', gicv((st, c) => st.gicc.readAbpr(c)), (st, c, _o, _s, v) => st.gicc.writeAbpr(c, lo32(v)), { fields: GICC_BPR_FIELDS }),
  reg('GICC_AIAR', 0x020, 'RO', gicv((st, c) => st.gicc.aiar(c)), ackReadOnly('GICC_AIAR'), { fields: GICC_INTID_FIELDS }),
  wo('GICC_AEOIR', 0x024, (st, c, _o, _s, v) => st.gicc.aeoir(c, lo32(v))),
  reg('GICC_AHPPIR', 0x028, 'RO', readAhppir, ro('GICC_AHPPIR', readAhppir), { fields: GICC_INTID_FIELDS }),
  {
    name: 'GICC_APR', offset: 0x0d0, len: 16, bitsPerIrq: 0, widths: W32, naming: { kind: 'array', base: 0x0d0, bits: 32 }, access: 'RW', reset: 0n, uaccess: 'same',
    read: (st, c, off) => BigInt(st.gicc.readApr(c, (off - 0xd0) >> 2)),
    write: (st, c, off, _s, v) => st.gicc.writeApr(c, (off - 0xd0) >> 2, lo32(v)),
  },
  {
    // Not part of the virtual CPU interface: GICV has APRn only.
    name: 'GICC_NSAPR', offset: 0x0e0, len: 16, bitsPerIrq: 0, widths: W32, naming: { kind: 'array', base: 0x0e0, bits: 32 }, access: 'RAZ/WI', reset: 0n, uaccess: 'same',
    read: raz,
    write: wi('GICC_NSAPRn is not part of the virtual CPU interface (RAZ/WI)'),
  },
  reg('GICC_IIDR', 0x0fc, 'RO', readGicvIidr, ro('GICC_IIDR', readGicvIidr), { fields: GICC_IIDR_FIELDS }),
  wo('GICC_DIR', 0x1000, (st, c, _o, _s, v) => st.gicc.dir(c, lo32(v))),
];

/** KVM_VGIC_V2_CPU_SIZE: 8 KiB. */
export const V2_CPUIF = new FrameTable<V2State>('GICC', 0x2000, V2_CPUIF_ROWS, '8 KiB GICv2 CPU interface frame');

/** vgic_v2_cpu_registers: CTLR, PMR (as VMPriMask), BPR, ABPR, APR0-3, IIDR. */
export const V2_CPUIF_USER_ROWS: readonly Row[] = [
  reg('GICC_CTLR', 0x000, 'RW', gicv((st, c) => st.gicc.readCtlr(c)), (st, c, _o, _s, v) => st.gicc.userWriteCtlr(c, lo32(v)), { fields: GICC_CTLR_FIELDS }),
  reg('GICC_PMR', 0x004, 'RW', gicv((st, c) => st.gicc.userReadPmr(c)), (st, c, _o, _s, v) => st.gicc.userWritePmr(c, lo32(v))),
  reg('GICC_BPR', 0x008, 'RW', gicv((st, c) => st.gicc.readBpr(c)), (st, c, _o, _s, v) => st.gicc.writeBpr(c, lo32(v)), { fields: GICC_BPR_FIELDS }),
  reg('GICC_ABPR', 0x01c, 'RW', gicv((st, c) => st.gicc.readAbpr(c)), (st, c, _o, _s, v) => st.gicc.writeAbpr(c, lo32(v)), { fields: GICC_BPR_FIELDS }),
  {
    name: 'GICC_APR', offset: 0x0d0, len: 16, bitsPerIrq: 0, widths: W32, naming: { kind: 'array', base: 0x0d0, bits: 32 }, access: 'RW', uaccess: 'same',
    read: (st, c, off) => BigInt(st.gicc.readApr(c, (off - 0xd0) >> 2)),
    write: (st, c, off, _s, v) => st.gicc.writeApr(c, (off - 0xd0) >> 2, lo32(v)),
  },
  reg('GICC_IIDR', 0x0fc, 'RO', readUserIidr, ro('GICC_IIDR', readUserIidr), { fields: GICC_IIDR_FIELDS }),
];

// Sized like the guest frame (engine/trace/check.ts USER_GROUP_BYTES); offsets no row claims read 0.
export const V2_CPUIF_USER = new FrameTable<V2State>('GICC', 0x2000, V2_CPUIF_USER_ROWS, '8 KiB GICv2 CPU_REGS attribute space');
