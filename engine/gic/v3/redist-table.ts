// KVM's GICv3 redistributor (vgic-mmio-v3.c vgic_v3_rd_registers; spec vgic-v3.md §4): one table
// for RD_base (+0) and SGI_base (+0x10000), in KVM's order. That order is not sorted (STATUSR
// comes before IIDR), so KVM's binary search never finds GICR_STATUSR; the table machinery runs
// the same search and gets the same answer. `cpu` is the redistributor's vCPU.

import { activeHandlers, configHandlers, enableClearHandlers, enableSetHandlers, groupHandlers, pendingClearHandlers, pendingSetHandlers, priorityHandlers } from '../core/irq-handlers';
import { IMPLEMENTER_ARM, PRODUCT_ID_KVM } from '../core/iidr';
import { extractBytes, lo32, raz, RegRead, RegRow, RegWrite, ro, sanitiseBaserAttrs, update64, W32, W64, W8, wi } from '../core/regtable';
import { ID_REG_NAMES, idregRead } from './dist-table';
import { GICR_CTLR_FIELDS, GICR_TYPER_FIELDS, GICR_WAKER_FIELDS, IIDR_FIELDS, PENDBASER_FIELDS, PROPBASER_FIELDS } from './fields';
import { V3State } from './state';
import { hex } from '../../util/hex';

type Row = RegRow<V3State>;

export const SGI_BASE = 0x10000;
export const GICR_IIDR_VALUE = ((PRODUCT_ID_KVM << 24) | IMPLEMENTER_ARM) >>> 0;
const CTLR_ENABLE_LPIS = 1;
const CTLR_IR_CES = 0x6;

function row(name: string, offset: number, len: number, widths: number, access: Row['access'], read: RegRead<V3State>, write: RegWrite<V3State>, extra: Partial<Row> = {}): Row {
  return { name, offset, len, bitsPerIrq: 0, widths, naming: { kind: 'single' }, access, read, write, uaccess: 'same', ...extra };
}

/** One SGI_base register covering the 32 private INTIDs (REGISTER_DESC_WITH_LENGTH, `bits` per INTID). */
function privateIrqs(name: string, offset: number, bits: number, widths: number, h: Pick<Row, 'read' | 'write' | 'uaccess' | 'access'> & Partial<Row>): Row {
  return { name, offset, len: (bits * 32) / 8, bitsPerIrq: 0, widths, naming: bits === 1 ? { kind: 'single' } : { kind: 'array', base: offset, bits }, ...h };
}

export function gicrCtlr(st: V3State, cpu: number): number {
  const core = st.core;
  if (core.deps.enabled) {
    core.deps.read(`redist${cpu}:ctlr`);
    core.deps.read('dist:revision');
  }
  let v = st.lpisEnabled[cpu] ? CTLR_ENABLE_LPIS : 0;
  if (core.policy.gicrCtlrAdvertisesIrCes(core.revision)) v |= CTLR_IR_CES;
  return v;
}

function gicrCtlrWrite(st: V3State, cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  const v = lo32(value);
  if (!st.vits) return (v & ~gicrCtlr(st, cpu)) !== 0 ? 'ignored: without an ITS KVM ignores GICR_CTLR writes' : undefined;
  const want = v & CTLR_ENABLE_LPIS;
  if (want !== st.lpisEnabled[cpu]) {
    const p = st.core.policy;
    if (st.core.deps.enabled) st.core.deps.read('dist:revision');
    if (!want && !p.enableLpisClearable(st.core.revision)) {
      return `ignored: policy ${p.id} does not clear EnableLPIs while GICR_CTLR.CES is not advertised (revision ${st.core.revision})`;
    }
    st.lpisEnabled[cpu] = want;
    if (st.core.deps.enabled) st.core.deps.write(`redist${cpu}:ctlr`);
    // 0 -> 1: vgic_enable_lpis reads the pending table; 1 -> 0 passes through RWP, takes the
    // vCPU's LPIs off its ap_list (vgic_flush_pending_lpis) and drops the ITS translation caches.
    if (want) st.vits.lpi.enableLpis(cpu);
    else st.vits.lpi.flushPending(cpu);
  }
  const stored = gicrCtlr(st, cpu);
  return (v & ~stored) !== 0 ? `stored ${hex(stored)}: only EnableLPIs is writable (IR/CES follow the revision)` : undefined;
}

/** GICR_TYPER (vgic_mmio_read_v3r_typer); one redistributor region, so only the last vCPU has Last. */
export function gicrTyper(st: V3State, cpu: number): bigint {
  let v = (BigInt(st.aff[cpu]) << 32n) | BigInt((cpu & 0xffff) << 8);
  if (st.its) v |= 1n;
  if (cpu === st.cpus - 1) v |= 0x10n;
  return v;
}

// Sanitising of PROPBASER/PENDBASER as vgic_sanitise_*: OuterShareable -> InnerShareable,
// inner nCnB/nC -> RaWb, outer other than SameAsInner/nC -> SameAsInner, RES0 cleared.
function sanitiseBaser(v: bigint, res0: bigint): bigint {
  return sanitiseBaserAttrs(v, 10n, 7n, 56n) & ~res0;
}
const PROPBASER_RES0 = (0x1fn << 59n) | (0xfn << 52n) | (3n << 5n);
const PENDBASER_RES0 = (1n << 63n) | (7n << 59n) | (0xfn << 52n) | (0xfn << 12n) | 0x7fn;
const PTZ = 1n << 62n;

function baserEffect(written: bigint, off: number, size: number, storedFull: bigint): string | undefined {
  const stored = extractBytes(storedFull, off & 4, size);
  return stored !== written ? `stored ${hex(stored)}: KVM sanitises shareability/cacheability and clears RES0 bits` : undefined;
}

function propbaserWrite(st: V3State, cpu: number, off: number, size: number, value: bigint): string | undefined {
  if (st.lpisEnabled[cpu]) return 'ignored: GICR_PROPBASER cannot change while LPIs are enabled';
  st.propbaser = sanitiseBaser(update64(st.propbaser, off, size, value), PROPBASER_RES0);
  if (st.core.deps.enabled) st.core.deps.write('dist:propbaser');
  return baserEffect(value, off, size, st.propbaser);
}

function pendbaserWrite(st: V3State, cpu: number, off: number, size: number, value: bigint): string | undefined {
  if (st.lpisEnabled[cpu]) return 'ignored: GICR_PENDBASER cannot change while LPIs are enabled';
  st.pendbaser[cpu] = sanitiseBaser(update64(st.pendbaser[cpu], off, size, value), PENDBASER_RES0);
  if (st.core.deps.enabled) st.core.deps.write(`redist${cpu}:pendbaser`);
  return baserEffect(value, off, size, st.pendbaser[cpu] & ~PTZ);
}

/**
 * vgic_mmio_write_invlpi / _invall, behind policy.lpiInvalidationHonoured: KVM registers both at
 * every revision (IR only advertises them), so a guest that uses them at revision 2 gets them.
 */
function invWrite(what: 'GICR_INVLPIR' | 'GICR_INVALLR'): RegWrite<V3State> {
  return (st, cpu, off, _size, value) => {
    const p = st.core.policy;
    if (!p.lpiInvalidationRegistered) return `ignored: policy ${p.id} has no ${what} (no region: RAZ/WI)`;
    if (off & 4) return `ignored: writes to the upper word of ${what} are dropped (vPEs are not supported)`;
    if (st.core.deps.enabled) st.core.deps.read(`redist${cpu}:ctlr`);
    if (!st.lpisEnabled[cpu] || !st.vits) return `ignored: LPIs are not enabled on this redistributor`;
    if (st.core.deps.enabled) st.core.deps.read('dist:revision');
    if (!p.lpiInvalidationHonoured(st.core.revision)) return `ignored: policy ${p.id} honours ${what} only while GICR_CTLR.IR is advertised (revision ${st.core.revision})`;
    const lpi = st.vits.lpi;
    lpi.missing = 0;
    let done: string;
    if (what === 'GICR_INVLPIR') {
      const intid = lo32(value);
      // Since d561491ba927 (6.13, in the stable kernels) a non-LPI INTID is ignored.
      if (intid < 8192) return `ignored: INTID ${intid} is not an LPI`;
      if (!lpi.invalidate(intid)) return `ignored: LPI ${intid} is not mapped`;
      done = `LPI ${intid}'s configuration re-read from the property table`;
    } else {
      done = `${lpi.invalidateAll(cpu)} LPI(s) targeting vCPU ${cpu} re-read from the property table`;
    }
    return lpi.missing ? `${done}; ${lpi.missing} property byte(s) not in the trace (read as 0)` : undefined;
  };
}

const readGicrIidr: RegRead<V3State> = () => BigInt(GICR_IIDR_VALUE);
const readGicrTyper: RegRead<V3State> = (st, cpu, off, size) => extractBytes(gicrTyper(st, cpu), off & 7, size);

/** vgic_v3_rd_registers, row by row, in KVM's (unsorted) order. */
export const V3_REDIST_ROWS: readonly Row[] = [
  row('GICR_CTLR', 0x0000, 4, W32, 'RW', (st, cpu) => BigInt(gicrCtlr(st, cpu)), gicrCtlrWrite, { fields: GICR_CTLR_FIELDS, policy: 'gicrCtlrIrCes' }),
  row('GICR_STATUSR', 0x0010, 4, W32, 'RAZ/WI', raz, wi('GICR_STATUSR is RAZ/WI'), { reset: 0n }),
  row('GICR_IIDR', 0x0004, 4, W32, 'RO', readGicrIidr, ro('GICR_IIDR', readGicrIidr), { fields: IIDR_FIELDS, reset: BigInt(GICR_IIDR_VALUE) }),
  // vgic_mmio_write_wi and vgic_mmio_uaccess_write_wi: the same rule for both.
  row('GICR_TYPER', 0x0008, 8, W32 | W64, 'RO', readGicrTyper, ro('GICR_TYPER', readGicrTyper), { fields: GICR_TYPER_FIELDS }),
  row('GICR_WAKER', 0x0014, 4, W32, 'RAZ/WI', raz, wi('GICR_WAKER is RAZ/WI under KVM (ProcessorSleep and ChildrenAsleep always read 0)'), { fields: GICR_WAKER_FIELDS, reset: 0n }),
  row('GICR_PROPBASER', 0x0070, 8, W32 | W64, 'RW', (st, _cpu, off, size) => {
    if (st.core.deps.enabled) st.core.deps.read('dist:propbaser');
    return extractBytes(st.propbaser, off & 7, size);
  }, propbaserWrite, { fields: PROPBASER_FIELDS }),
  row('GICR_PENDBASER', 0x0078, 8, W32 | W64, 'RW', (st, cpu, off, size) => {
    if (st.core.deps.enabled) st.core.deps.read(`redist${cpu}:pendbaser`);
    return extractBytes(st.pendbaser[cpu] & ~PTZ, off & 7, size);
  }, pendbaserWrite, { fields: PENDBASER_FIELDS, reset: 0x580n }),
  row('GICR_INVLPIR', 0x00a0, 8, W32 | W64, 'WO', raz, invWrite('GICR_INVLPIR'), { reset: 0n, policy: 'gicrLpiInvalidation' }),
  row('GICR_INVALLR', 0x00b0, 8, W32 | W64, 'WO', raz, invWrite('GICR_INVALLR'), { reset: 0n, policy: 'gicrLpiInvalidation' }),
  // vgic_mmio_read_sync: 0 while no invalidation is in flight, which is always here.
  row('GICR_SYNCR', 0x00c0, 4, W32, 'RO', raz, ro('GICR_SYNCR', raz), { reset: 0n, policy: 'gicrLpiInvalidation' }),
  {
    name: 'GICR_IDREGS', offset: 0xffd0, len: 48, bitsPerIrq: 0, widths: W32, access: 'RO', uaccess: 'same',
    naming: { kind: 'words', names: ID_REG_NAMES.map((n) => `GICR_${n}`) },
    read: idregRead, write: ro('the ID registers', idregRead),
  },
  // SGI_base
  privateIrqs('GICR_IGROUPR0', SGI_BASE + 0x0080, 1, W32, { ...groupHandlers(), access: 'RW', reset: 0xffffffffn, policy: 'guestGroupWrites; userGroupWrites.v3' }),
  privateIrqs('GICR_ISENABLER0', SGI_BASE + 0x0100, 1, W32, { ...enableSetHandlers(), access: 'RW', reset: 0xffffn }),
  privateIrqs('GICR_ICENABLER0', SGI_BASE + 0x0180, 1, W32, { ...enableClearHandlers(), access: 'RW', reset: 0xffffn }),
  privateIrqs('GICR_ISPENDR0', SGI_BASE + 0x0200, 1, W32, { ...pendingSetHandlers(3), access: 'RW', reset: 0n }),
  privateIrqs('GICR_ICPENDR0', SGI_BASE + 0x0280, 1, W32, { ...pendingClearHandlers(3), access: 'RW', reset: 0n }),
  privateIrqs('GICR_ISACTIVER0', SGI_BASE + 0x0300, 1, W32, { ...activeHandlers(true), access: 'RW', reset: 0n }),
  privateIrqs('GICR_ICACTIVER0', SGI_BASE + 0x0380, 1, W32, { ...activeHandlers(false), access: 'RW', reset: 0n }),
  privateIrqs('GICR_IPRIORITYR', SGI_BASE + 0x0400, 8, W8 | W32, { ...priorityHandlers(), access: 'RW', reset: 0n }),
  // SGI configuration is read-only and PPI configuration too under KVM: the handler drops both.
  privateIrqs('GICR_ICFGR', SGI_BASE + 0x0c00, 2, W32, { ...configHandlers(), access: 'RO' }),
  row('GICR_IGRPMODR0', SGI_BASE + 0x0d00, 4, W32, 'RAZ/WI', raz, wi('GICR_IGRPMODR0 is RAZ/WI (DS=1)'), { reset: 0n }),
  row('GICR_NSACR', SGI_BASE + 0x0e00, 4, W32, 'RAZ/WI', raz, wi('GICR_NSACR is RAZ/WI (DS=1)'), { reset: 0n }),
];
