// KVM's GICv3 distributor (vgic-mmio-v3.c vgic_v3_dist_registers; spec vgic-v3.md §3.2), one row
// per register or per-INTID array, in KVM's table order. Offsets no row claims are RAZ/WI.

import { activeHandlers, configHandlers, enableClearHandlers, enableSetHandlers, groupHandlers, pendingClearHandlers, pendingSetHandlers, priorityHandlers } from '../core/irq-handlers';
import { gicdIidr, IMPLEMENTER_ARM, PRODUCT_ID_KVM, readIidr, userWriteIidr } from '../core/iidr';
import { addrToIntid, FieldDef, ID_REG_NAMES, ignoredWrite, lo32, rao, raz, RegRead, RegRow, RegWrite, ro, W32, W64, W8, wi } from '../core/regtable';
import { hex } from '../../util/hex';
import { GICD_CTLR_FIELDS, GICD_TYPER2_FIELDS, GICD_TYPER_FIELDS, IIDR_FIELDS, IROUTER_FIELDS } from './fields';
import { V3State } from './state';

type Row = RegRow<V3State>;

export { gicdIidr, IMPLEMENTER_ARM, PRODUCT_ID_KVM };
const CTLR_ENABLE_G1 = 1 << 1;
const CTLR_ARE = 1 << 4;
const CTLR_DS = 1 << 6;

export function gicdTyper(st: V3State): number {
  let v = ((st.core.irqs.nrIrqs >> 5) - 1) & 0x1f;
  // INTERRUPT_ID_BITS_ITS = 16, INTERRUPT_ID_BITS_SPIS = 10 (IDbits = bits - 1).
  if (st.its) v |= (15 << 19) | (1 << 17);
  else v |= 9 << 19;
  return v >>> 0;
}

function readCtlr(st: V3State): number {
  if (st.core.deps.enabled) st.core.deps.read('dist:ctlr');
  return (st.core.distEnabled ? CTLR_ENABLE_G1 : 0) | CTLR_ARE | CTLR_DS;
}

function single(name: string, offset: number, access: Row['access'], read: RegRead<V3State>, write: RegWrite<V3State>, extra: Partial<Row> = {}): Row {
  return { name, offset, len: 4, bitsPerIrq: 0, widths: W32, naming: { kind: 'single' }, access, read, write, uaccess: 'same', ...extra };
}

/**
 * REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED: the first 32 INTIDs' bank is RAZ/WI (SGIs and PPIs
 * live in the redistributors under ARE=1), the rest gets the real handlers.
 */
function perIrq(name: string, offset: number, bits: number, widths: number, real: Partial<Row> & Pick<Row, 'read' | 'write' | 'access' | 'uaccess'>, fields?: readonly FieldDef[]): Row[] {
  const privLen = (bits * 32) / 8;
  const naming = { kind: 'array', base: offset, bits } as const;
  return [
    {
      name, offset, len: privLen, bitsPerIrq: bits, widths, naming, access: 'RAZ/WI', reset: 0n, uaccess: 'same',
      read: raz, write: wi('the SGI/PPI bank of the distributor is RAZ/WI under ARE=1 (use the redistributor)'),
    },
    { name, offset: offset + privLen, len: (bits * (1024 - 32)) / 8, bitsPerIrq: bits, widths, naming, fields, ...real },
  ];
}

/** vgic_mmio_read_irouter. */
function irouterRead(st: V3State, _cpu: number, off: number, size: number): bigint {
  const intid = addrToIntid(off, 64);
  const slot = st.core.irqs.slot(0, intid);
  st.core.depRead(slot, 'route');
  if (off & 4) return 0n; // Aff3 word: RAZ
  return BigInt(st.core.irqs.mpidr[slot]) & (size === 8 ? 0xffffffffffffffffn : 0xffffffffn);
}

/** vgic_mmio_write_irouter. */
function irouterWrite(st: V3State, _cpu: number, off: number, _size: number, value: bigint): string | undefined {
  if (off & 4) return value !== 0n ? 'ignored: the IROUTER upper word (Aff3) is WI under KVM' : undefined;
  const s = st.core.irqs;
  const intid = addrToIntid(off, 64);
  const slot = s.slot(0, intid);
  const aff = Number(value & 0xffffffn);
  s.mpidr[slot] = aff;
  s.target[slot] = st.vcpuByAffinity(aff, 0);
  if (st.core.deps.enabled) st.core.deps.write(s.key(slot, 'route'));
  st.core.touch(slot);
  const parts: string[] = [];
  if (BigInt(aff) !== value) parts.push(`stored ${hex(aff)}: KVM keeps Aff2.Aff1.Aff0 only (IRM and Aff3 are discarded)`);
  if (s.target[slot] < 0) parts.push(`no vCPU has affinity ${hex(aff)}: SPI ${intid} cannot be delivered`);
  return parts.length ? parts.join('; ') : undefined;
}

/** vgic_mmio_read_v3_idregs: PIDR2 reports a GICv3 (0x3b), every other ID register 0. */
export function idregRead(_st: V3State, _cpu: number, off: number): bigint {
  return (off & 0xffff) === 0xffe8 ? 0x3bn : 0n;
}

export { ID_REG_NAMES } from '../core/regtable';

/** vgic_mmio_write_v3_misc, GICD_CTLR: one enable for both groups (EnableGrp1); ARE and DS read 1. */
function ctlrWrite(st: V3State, _cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  const v = lo32(value);
  st.core.setDistEnabled((v & CTLR_ENABLE_G1) !== 0, true);
  const stored = readCtlr(st);
  // Report bits the guest set that do not read back (EnableGrp0, RWP, ...); RAO bits written 0 are normal.
  return (v & ~stored) !== 0 ? `stored ${hex(stored)}: GICD_CTLR keeps only EnableGrp1 under KVM (one enable for both groups; ARE and DS read 1)` : undefined;
}

/** vgic_mmio_uaccess_write_v3_misc, GICD_CTLR: no kick, nASSGIreq cleared without GICv4.1. */
function ctlrUserWrite(st: V3State, _cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  const v = lo32(value);
  st.core.setDistEnabled((v & CTLR_ENABLE_G1) !== 0, false);
  const stored = readCtlr(st);
  return (v & ~stored) !== 0 ? `stored ${hex(stored)}: GICD_CTLR keeps only EnableGrp1 under KVM` : undefined;
}

const readTyper: RegRead<V3State> = (st) => BigInt(gicdTyper(st));
const readIidrRow: RegRead<V3State> = (st) => BigInt(readIidr(st.core));

/** vgic_mmio_uaccess_write_v3_misc, GICD_TYPER2: -EINVAL unless the value is what it reads (0: no GICv4.1 vSGIs). */
function typer2UserWrite(_st: V3State, _cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  return value === 0n ? undefined : 'rejected (-EINVAL): nASSGIcap needs a GICv4.1 host with vSGIs (not modelled)';
}

/** vgic_v3_dist_registers, row by row. */
export const V3_DIST_ROWS: readonly Row[] = [
  single('GICD_CTLR', 0x0000, 'RW', (st) => BigInt(readCtlr(st)), ctlrWrite, { fields: GICD_CTLR_FIELDS, reset: 0x50n, uaccess: { write: ctlrUserWrite } }),
  single('GICD_TYPER', 0x0004, 'RO', readTyper, ro('GICD_TYPER', readTyper), { fields: GICD_TYPER_FIELDS }),
  single('GICD_IIDR', 0x0008, 'RO', readIidrRow, ro('GICD_IIDR (the guest cannot change the revision)', readIidrRow), {
    fields: IIDR_FIELDS,
    policy: 'revision; userSelectableRevisions',
    uaccess: { write: (st, _c, _o, _s, value) => userWriteIidr(st.core, lo32(value)) },
  }),
  single('GICD_TYPER2', 0x000c, 'RO', raz, ro('GICD_TYPER2', raz), { fields: GICD_TYPER2_FIELDS, reset: 0n, uaccess: { write: typer2UserWrite } }),
  single('GICD_STATUSR', 0x0010, 'RAO/WI', rao, ignoredWrite('GICD_STATUSR is RAO/WI under KVM', rao), { reset: 0xffffffffn }),
  ...perIrq('GICD_IGROUPR', 0x0080, 1, W32, { ...groupHandlers(), access: 'RW', reset: 0xffffffffn, policy: 'guestGroupWrites; userGroupWrites.v3' }),
  ...perIrq('GICD_ISENABLER', 0x0100, 1, W32, { ...enableSetHandlers(), access: 'RW', reset: 0n }),
  ...perIrq('GICD_ICENABLER', 0x0180, 1, W32, { ...enableClearHandlers(), access: 'RW', reset: 0n }),
  ...perIrq('GICD_ISPENDR', 0x0200, 1, W32, { ...pendingSetHandlers(3), access: 'RW', reset: 0n }),
  ...perIrq('GICD_ICPENDR', 0x0280, 1, W32, { ...pendingClearHandlers(3), access: 'RW', reset: 0n }),
  ...perIrq('GICD_ISACTIVER', 0x0300, 1, W32, { ...activeHandlers(true), access: 'RW', reset: 0n }),
  ...perIrq('GICD_ICACTIVER', 0x0380, 1, W32, { ...activeHandlers(false), access: 'RW', reset: 0n }),
  ...perIrq('GICD_IPRIORITYR', 0x0400, 8, W8 | W32, { ...priorityHandlers(), access: 'RW', reset: 0n }),
  ...perIrq('GICD_ITARGETSR', 0x0800, 8, W8 | W32, { access: 'RAZ/WI', reset: 0n, read: raz, write: wi('GICD_ITARGETSR is RAZ/WI under ARE=1 (use GICD_IROUTER)'), uaccess: 'same' }),
  ...perIrq('GICD_ICFGR', 0x0c00, 2, W32, { ...configHandlers(), access: 'RW', reset: 0xaaaaaaaan }),
  ...perIrq('GICD_IGRPMODR', 0x0d00, 1, W32, { access: 'RAZ/WI', reset: 0n, read: raz, write: wi('GICD_IGRPMODR is RAZ/WI (no Security Extensions, DS=1)'), uaccess: 'same' }),
  ...perIrq('GICD_IROUTER', 0x6000, 64, W32 | W64, { access: 'RW', reset: 0n, read: irouterRead, write: irouterWrite, uaccess: 'same' }, IROUTER_FIELDS),
  {
    name: 'GICD_IDREGS', offset: 0xffd0, len: 48, bitsPerIrq: 0, widths: W32, access: 'RO', uaccess: 'same',
    naming: { kind: 'words', names: ID_REG_NAMES.map((n) => `GICD_${n}`) },
    read: idregRead, write: ro('the ID registers', idregRead),
  },
];
