// The GICv3 CPU interface system registers as a KVM guest sees them (spec vgic-v3.md §6.3):
// ICV_* hardware behaviour for most rows, KVM's trap handlers for ICC_SGI*R and ICC_SRE, and
// KVM's userspace accessors (vgic-sys-reg-v3.c) for the rows userspace can reach.
// One row per register; encodings from engine/arch/sysregs.ts.

import { sysregByName } from '../../arch/sysregs';
import { ACK_G0, ACK_G1 } from '../core/cpuif';
import { FieldDef, lo32 } from '../core/regtable';
import { V3_FIELDS } from './fields';
import { dispatchSgi, sgiEffect } from './sgi';
import { V3State } from './state';
import { bigFromUint } from '../../util/bigint';
import { hex } from '../../util/hex';

export type IccRead = (st: V3State, cpu: number) => bigint;
export type IccWrite = (st: V3State, cpu: number, value: bigint) => string | undefined;

export interface IccRow {
  name: string;
  enc: number;
  access: 'RW' | 'RO' | 'WO' | 'UNDEF';
  /** Reset value under KVM (host parameters from the policy's defaults), when constant. */
  reset?: bigint;
  read?: IccRead;
  write?: IccWrite;
  /**
   * Userspace access (KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, vgic-sys-reg-v3.c): 'same' = the guest's
   * handlers, 'none' = -ENXIO, or KVM's own accessors (an absent one is the guest's).
   */
  uaccess: 'same' | 'none' | { read?: IccRead; write?: IccWrite };
  fields?: readonly FieldDef[];
  /** Why the register UNDEFs for the guest when access is UNDEF. */
  undef?: string;
  /** ICC_AP<g>R<n>_EL1: n (the register exists only below the host's APR count); -1 for every other row. */
  apr: number;
  /**
   * A guest write always ends in an exit: the SGI registers trap (access_gic_sgi runs in the
   * host), and EOIR and DIR are deactivating writes the replay re-enters the vCPU after.
   */
  exitsOnWrite: boolean;
}

/** A row as the table below spells it: the two per-access facts default to "not an APR" and "no exit". */
type IccRowDef = Omit<IccRow, 'apr' | 'exitsOnWrite'> & Partial<Pick<IccRow, 'apr' | 'exitsOnWrite'>>;

/**
 * Every row with every property, in one order: rows built by different helpers would otherwise
 * be hidden classes of their own, and the loads each access makes (read, write, apr) go
 * megamorphic (as FrameTable's uniformRow says for the MMIO tables).
 */
function uniformRow(r: IccRowDef): IccRow {
  const { name, enc, access, reset, read, write, uaccess, fields, undef, apr = -1, exitsOnWrite = false } = r;
  return { name, enc, access, reset, read, write, uaccess, fields, undef, apr, exitsOnWrite };
}


function enc(name: string): number {
  const s = sysregByName(name);
  if (!s) throw new Error(`unknown system register ${name}`);
  return s.enc;
}

export function iccCtlr(st: V3State, cpu: number): bigint {
  const h = st.core.policy.host;
  const c = st.cpuif.state[cpu];
  st.cpuif.readDep(cpu, 'ctlr');
  return BigInt(c.cbpr | (c.eoiMode << 1) | ((h.priBits - 1) << 8) | (h.idBits << 11) | (h.seis << 14) | (h.a3v << 15));
}

function ctlrWrite(st: V3State, cpu: number, value: bigint): string | undefined {
  const c = st.cpuif.state[cpu];
  c.cbpr = Number(value & 1n);
  c.eoiMode = Number((value >> 1n) & 1n);
  st.cpuif.markDirty(cpu, 'ctlr');
  const stored = iccCtlr(st, cpu);
  // Bits set in the write that do not read back; read-only fields written as 0 are normal.
  return (value & ~stored) !== 0n ? `stored ${hex(stored)}: only CBPR and EOImode are writable` : undefined;
}

/**
 * KVM's userspace ICC_CTLR_EL1 read (6.1 access_gic_ctlr read side, mainline get_gic_ctlr): PRIbits
 * and IDbits from the vCPU's num_pri_bits/num_id_bits (what the VMM last restored), SEIS and A3V
 * from the host's ICH_VTR_EL2, CBPR and EOImode from the VMCR.
 */
function ctlrUserRead(st: V3State, cpu: number): bigint {
  const h = st.core.policy.host;
  const c = st.cpuif.state[cpu];
  return BigInt(c.cbpr | (c.eoiMode << 1) | ((st.numPriBits[cpu] - 1) << 8) | (st.numIdBits[cpu] << 11) | (h.seis << 14) | (h.a3v << 15));
}

/**
 * KVM's userspace ICC_CTLR_EL1 write (6.1 access_gic_ctlr, mainline set_gic_ctlr), in its order:
 * PRIbits+1 above the vCPU's current num_pri_bits is -EINVAL, else it becomes num_pri_bits; then
 * IDbits against num_id_bits the same way; then SEIS and A3V must equal the host's. Each check
 * happens after the previous field was stored, so a write refused for IDbits/SEIS/A3V has already
 * lowered num_pri_bits (and IDbits), and a lowered value cannot be raised again on that vCPU.
 * Only an accepted write sets CBPR and EOImode. The guest's own ICV_CTLR_EL1 keeps the host's bits.
 */
function ctlrUserWrite(st: V3State, cpu: number, value: bigint): string | undefined {
  const h = st.core.policy.host;
  const pri = Number((value >> 8n) & 7n) + 1;
  if (pri > st.numPriBits[cpu]) return `rejected (-EINVAL): PRIbits ${pri - 1} exceeds this vCPU's ${st.numPriBits[cpu] - 1}`;
  st.numPriBits[cpu] = pri;
  const id = Number((value >> 11n) & 7n);
  if (id > st.numIdBits[cpu]) return `rejected (-EINVAL): IDbits ${id} exceeds this vCPU's ${st.numIdBits[cpu]}`;
  st.numIdBits[cpu] = id;
  if (Number((value >> 14n) & 1n) !== h.seis) return 'rejected (-EINVAL): SEIS differs from the host';
  if (Number((value >> 15n) & 1n) !== h.a3v) return 'rejected (-EINVAL): A3V differs from the host';
  const c = st.cpuif.state[cpu];
  c.cbpr = Number(value & 1n);
  c.eoiMode = Number((value >> 1n) & 1n);
  st.cpuif.markDirty(cpu, 'ctlr');
  const stored = ctlrUserRead(st, cpu);
  return (value & ~stored) !== 0n ? `stored ${hex(stored)}: only CBPR, EOImode, PRIbits and IDbits are kept` : undefined;
}

function pmrWriteBy(user: boolean): IccWrite {
  return (st, cpu, value) => {
    const stored = st.cpuif.writePmr(cpu, lo32(value) & 0xff, user);
    if (BigInt(stored) === value) return undefined;
    return stored === Number(value & 0xffn) ? `stored ${hex(stored)}: PMR is 8 bits` : `stored ${hex(stored)}: PMR keeps ${st.core.policy.host.priBits} priority bits`;
  };
}

function bpr0Write(st: V3State, cpu: number, value: bigint): string | undefined {
  const stored = st.cpuif.writeBpr0(cpu, lo32(value));
  return BigInt(stored) !== value ? `stored ${stored}: BPR0 is 3 bits with minimum ${st.cpuif.minBpr0}` : undefined;
}

function bpr1Write(st: V3State, cpu: number, value: bigint): string | undefined {
  const stored = st.cpuif.writeBpr1(cpu, lo32(value));
  if (stored < 0) return 'ignored: ICC_BPR1_EL1 writes are ignored while ICC_CTLR_EL1.CBPR=1';
  return BigInt(stored) !== value ? `stored ${stored}: BPR1 is 3 bits with minimum ${st.cpuif.minBpr0 + 1}` : undefined;
}

function grpenRow(name: string, group: 0 | 1): IccRowDef {
  const read: IccRead = (st, cpu) => {
    st.cpuif.readDep(cpu, `igrpen${group}`);
    const c = st.cpuif.state[cpu];
    return BigInt(group ? c.grpEn1 : c.grpEn0);
  };
  const write: IccWrite = (st, cpu, value) => {
    const c = st.cpuif.state[cpu];
    const b = Number(value & 1n);
    if (group) c.grpEn1 = b;
    else c.grpEn0 = b;
    st.cpuif.markDirty(cpu, `igrpen${group}`);
    return value > 1n ? `stored ${b}: only bit 0 (Enable) is writable` : undefined;
  };
  return { name, enc: enc(name), access: 'RW', reset: 0n, read, write, uaccess: 'same', fields: V3_FIELDS[name] };
}

function aprRow(name: string, group: 0 | 1, n: number): IccRowDef {
  const read: IccRead = (st, cpu) => bigFromUint(st.cpuif.readApr(cpu, group, n));
  const write: IccWrite = (st, cpu, value) => {
    st.cpuif.writeApr(cpu, group, n, lo32(value));
    return value > 0xffffffffn ? `stored ${hex(lo32(value))}: APRs are 32 bits` : undefined;
  };
  return {
    name, enc: enc(name), access: 'RW', reset: 0n, read, write, uaccess: 'same',
    undef: `ICC_AP${group}R${n}_EL1 is not implemented with the host's preemption bits: the access is UNDEFINED`,
    apr: n,
  };
}

/** A write-only register; every one of them (SGIs, EOIR, DIR) exits on a write. */
function wo(name: string, write: IccWrite, trapped: boolean): IccRowDef {
  return {
    name, enc: enc(name), access: 'WO', write, fields: V3_FIELDS[name], uaccess: 'none',
    undef: trapped ? `${name} is write-only: KVM injects UNDEF on a read (read_from_write_only)` : `${name} is write-only: a read is UNDEFINED`,
    exitsOnWrite: true,
  };
}

function roRow(name: string, read: IccRead): IccRowDef {
  return { name, enc: enc(name), access: 'RO', read, fields: V3_FIELDS[name], uaccess: 'none', undef: `${name} is read-only: a write is UNDEFINED` };
}

function sgiRow(name: string, allowGroup1: boolean): IccRowDef {
  return wo(name, (st, cpu, value) => sgiEffect(name, value, dispatchSgi(st, cpu, value, allowGroup1)), true);
}

const ROWS: readonly IccRowDef[] = [
  {
    name: 'ICC_PMR_EL1', enc: enc('ICC_PMR_EL1'), access: 'RW', reset: 0n, fields: V3_FIELDS.ICC_PMR_EL1,
    read: (st, cpu) => (st.cpuif.readDep(cpu, 'pmr'), bigFromUint(st.cpuif.state[cpu].pmr)),
    write: pmrWriteBy(false), uaccess: { read: (st, cpu) => bigFromUint(st.cpuif.state[cpu].pmr), write: pmrWriteBy(true) },
  },
  roRow('ICC_IAR0_EL1', (st, cpu) => bigFromUint(st.cpuif.acknowledge(cpu, ACK_G0))),
  wo('ICC_EOIR0_EL1', (st, cpu, v) => st.cpuif.endOfInterrupt(cpu, lo32(v), ACK_G0), false),
  roRow('ICC_HPPIR0_EL1', (st, cpu) => bigFromUint(st.cpuif.hppir(cpu, ACK_G0))),
  {
    name: 'ICC_BPR0_EL1', enc: enc('ICC_BPR0_EL1'), access: 'RW', fields: V3_FIELDS.ICC_BPR0_EL1,
    read: (st, cpu) => (st.cpuif.readDep(cpu, 'bpr0'), bigFromUint(st.cpuif.state[cpu].bpr0)),
    write: bpr0Write, uaccess: { read: (st, cpu) => bigFromUint(st.cpuif.state[cpu].bpr0) },
  },
  aprRow('ICC_AP0R0_EL1', 0, 0),
  aprRow('ICC_AP0R1_EL1', 0, 1),
  aprRow('ICC_AP0R2_EL1', 0, 2),
  aprRow('ICC_AP0R3_EL1', 0, 3),
  aprRow('ICC_AP1R0_EL1', 1, 0),
  aprRow('ICC_AP1R1_EL1', 1, 1),
  aprRow('ICC_AP1R2_EL1', 1, 2),
  aprRow('ICC_AP1R3_EL1', 1, 3),
  {
    name: 'ICC_NMIAR1_EL1', enc: enc('ICC_NMIAR1_EL1'), access: 'UNDEF', uaccess: 'none',
    undef: 'ICC_NMIAR1_EL1 needs FEAT_GICv3_NMI, which KVM does not expose to this guest',
  },
  wo('ICC_DIR_EL1', (st, cpu, v) => st.cpuif.deactivateInterrupt(cpu, lo32(v)), false),
  roRow('ICC_RPR_EL1', (st, cpu) => (st.cpuif.readDep(cpu, 'apr'), bigFromUint(st.cpuif.runningPriority(cpu)))),
  sgiRow('ICC_SGI1R_EL1', true),
  sgiRow('ICC_ASGI1R_EL1', false),
  sgiRow('ICC_SGI0R_EL1', false),
  roRow('ICC_IAR1_EL1', (st, cpu) => bigFromUint(st.cpuif.acknowledge(cpu, ACK_G1))),
  wo('ICC_EOIR1_EL1', (st, cpu, v) => st.cpuif.endOfInterrupt(cpu, lo32(v), ACK_G1), false),
  roRow('ICC_HPPIR1_EL1', (st, cpu) => bigFromUint(st.cpuif.hppir(cpu, ACK_G1))),
  {
    name: 'ICC_BPR1_EL1', enc: enc('ICC_BPR1_EL1'), access: 'RW', fields: V3_FIELDS.ICC_BPR1_EL1,
    read: (st, cpu) => bigFromUint(st.cpuif.readBpr1(cpu)),
    write: bpr1Write, uaccess: 'same',
  },
  {
    name: 'ICC_CTLR_EL1', enc: enc('ICC_CTLR_EL1'), access: 'RW', fields: V3_FIELDS.ICC_CTLR_EL1,
    read: iccCtlr, write: ctlrWrite, uaccess: { read: ctlrUserRead, write: ctlrUserWrite },
  },
  {
    name: 'ICC_SRE_EL1', enc: enc('ICC_SRE_EL1'), access: 'RW', reset: 7n, fields: V3_FIELDS.ICC_SRE_EL1,
    read: () => 7n,
    write: (_st, _c, v) => (v !== 7n ? 'ignored: KVM keeps ICC_SRE_EL1 at 0x7 (SRE|DFB|DIB)' : undefined),
    // set_gic_sre only checks the SRE bit and stores nothing.
    uaccess: { write: (_st, _c, v) => (!(v & 1n) ? 'rejected (-EINVAL): ICC_SRE_EL1.SRE must be 1' : v !== 7n ? 'accepted; KVM keeps ICC_SRE_EL1 at 0x7' : undefined) },
  },
  grpenRow('ICC_IGRPEN0_EL1', 0),
  grpenRow('ICC_IGRPEN1_EL1', 1),
];

export const V3_ICC_ROWS: readonly IccRow[] = ROWS.map(uniformRow);

/** The userspace read accessor, or null for -ENXIO. */
export function iccUserRead(row: IccRow): IccRead | null {
  const u = row.uaccess;
  if (u === 'none') return null;
  return (u === 'same' ? row.read : (u.read ?? row.read)) ?? null;
}

/** The userspace write accessor, or null for -ENXIO. */
export function iccUserWrite(row: IccRow): IccWrite | null {
  const u = row.uaccess;
  if (u === 'none') return null;
  return (u === 'same' ? row.write : (u.write ?? row.write)) ?? null;
}

const byEnc = new Map<number, IccRow>(V3_ICC_ROWS.map((r) => [r.enc, r]));

export function iccRow(encoding: number): IccRow | undefined {
  return byEnc.get(encoding);
}
