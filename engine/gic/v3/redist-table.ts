// KVM's GICv3 redistributor (vgic-mmio-v3.c vgic_v3_rd_registers; spec vgic-v3.md §4): one table
// for RD_base (+0) and SGI_base (+0x10000), in KVM's order. That order is not sorted (STATUSR
// comes before IIDR), so KVM's binary search never finds GICR_STATUSR; the table machinery runs
// the same search and gets the same answer. `cpu` is the redistributor's vCPU.

import * as R from '../core/irq-regs';
import { addrToIntid, extractBytes, lo32, RegRead, RegRow, RegWrite, update64, W32, W64, W8 } from '../core/regtable';
import { v3UserWriteActive, v3UserWritePending, ID_REG_NAMES, IMPLEMENTER_ARM, PRODUCT_ID_KVM } from './dist-table';
import { GICR_CTLR_FIELDS, GICR_TYPER_FIELDS, GICR_WAKER_FIELDS, IIDR_FIELDS, PENDBASER_FIELDS, PROPBASER_FIELDS } from './fields';
import { V3State } from './state';

type Row = RegRow<V3State>;

export const SGI_BASE = 0x10000;
export const GICR_IIDR_VALUE = ((PRODUCT_ID_KVM << 24) | IMPLEMENTER_ARM) >>> 0;
const CTLR_ENABLE_LPIS = 1;
const CTLR_IR_CES = 0x6;

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;
const raz: RegRead<V3State> = () => 0n;
const ro =
  (what: string): RegWrite<V3State> =>
  (_st, _c, _o, _s, value) =>
    value !== 0n ? `ignored: ${what} is read-only` : undefined;
const wi =
  (why: string): RegWrite<V3State> =>
  (_st, _c, _o, _s, value) =>
    value !== 0n ? `ignored: ${why}` : undefined;

function row(name: string, offset: number, len: number, widths: number, access: Row['access'], read: RegRead<V3State>, write: RegWrite<V3State>, extra: Partial<Row> = {}): Row {
  return { name, offset, len, bitsPerIrq: 0, widths, naming: { kind: 'single' }, access, read, write, ...extra };
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
  if (!st.its) return (v & ~gicrCtlr(st, cpu)) !== 0 ? 'ignored: without an ITS KVM ignores GICR_CTLR writes' : undefined;
  const want = v & CTLR_ENABLE_LPIS;
  if (want !== st.lpisEnabled[cpu]) {
    // 1 -> 0 passes through RWP and flushes pending LPIs (not modelled); 0 -> 1 enables LPIs.
    st.lpisEnabled[cpu] = want;
    if (st.core.deps.enabled) st.core.deps.write(`redist${cpu}:ctlr`);
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
  let sh = (v >> 10n) & 3n;
  if (sh === 2n) sh = 1n;
  let inner = (v >> 7n) & 7n;
  if (inner === 0n || inner === 1n) inner = 3n;
  let outer = (v >> 56n) & 7n;
  if (outer !== 0n && outer !== 1n) outer = 0n;
  v = (v & ~((3n << 10n) | (7n << 7n) | (7n << 56n))) | (sh << 10n) | (inner << 7n) | (outer << 56n);
  return v & ~res0 & 0xffffffffffffffffn;
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

function invWrite(what: string): RegWrite<V3State> {
  return (st, cpu, off) => {
    if (off & 4) return `ignored: writes to the upper word of ${what} are dropped (vPEs are not supported)`;
    if (!st.lpisEnabled[cpu]) return `ignored: LPIs are not enabled on this redistributor`;
    return `accepted; the LPI invalidation itself is not modelled`;
  };
}

export const V3_REDIST_ROWS: readonly Row[] = [
  row('GICR_CTLR', 0x0000, 4, W32, 'RW', (st, cpu) => BigInt(gicrCtlr(st, cpu)), gicrCtlrWrite, { fields: GICR_CTLR_FIELDS, policy: 'gicrCtlrIrCes' }),
  row('GICR_STATUSR', 0x0010, 4, W32, 'RAZ/WI', raz, wi('GICR_STATUSR is RAZ/WI'), { reset: 0n }),
  row('GICR_IIDR', 0x0004, 4, W32, 'RO', () => BigInt(GICR_IIDR_VALUE), ro('GICR_IIDR'), { fields: IIDR_FIELDS, reset: BigInt(GICR_IIDR_VALUE) }),
  row('GICR_TYPER', 0x0008, 8, W32 | W64, 'RO', (st, cpu, off, size) => extractBytes(gicrTyper(st, cpu), off & 7, size), ro('GICR_TYPER'), {
    fields: GICR_TYPER_FIELDS,
    uwrite: (_st, _c, _o, _s, value) => (value !== 0n ? 'ignored: GICR_TYPER is read-only' : undefined),
  }),
  row('GICR_WAKER', 0x0014, 4, W32, 'RAZ/WI', raz, wi('GICR_WAKER is RAZ/WI under KVM (ProcessorSleep and ChildrenAsleep always read 0)'), { fields: GICR_WAKER_FIELDS, reset: 0n }),
  row('GICR_PROPBASER', 0x0070, 8, W32 | W64, 'RW', (st, _cpu, off, size) => {
    if (st.core.deps.enabled) st.core.deps.read('dist:propbaser');
    return extractBytes(st.propbaser, off & 7, size);
  }, propbaserWrite, { fields: PROPBASER_FIELDS, reset: 0n }),
  row('GICR_PENDBASER', 0x0078, 8, W32 | W64, 'RW', (st, cpu, off, size) => {
    if (st.core.deps.enabled) st.core.deps.read(`redist${cpu}:pendbaser`);
    return extractBytes(st.pendbaser[cpu] & ~PTZ, off & 7, size);
  }, pendbaserWrite, { fields: PENDBASER_FIELDS, reset: 0x580n }),
  row('GICR_INVLPIR', 0x00a0, 8, W32 | W64, 'WO', raz, invWrite('GICR_INVLPIR'), { reset: 0n }),
  row('GICR_INVALLR', 0x00b0, 8, W32 | W64, 'WO', raz, invWrite('GICR_INVALLR'), { reset: 0n }),
  row('GICR_SYNCR', 0x00c0, 4, W32, 'RO', raz, ro('GICR_SYNCR'), { reset: 0n }),
  {
    name: 'GICR_IDREGS', offset: 0xffd0, len: 48, bitsPerIrq: 0, widths: W32, access: 'RO',
    naming: { kind: 'words', names: ID_REG_NAMES.map((n) => `GICR_${n}`) },
    read: (_st, _c, off) => ((off & 0xffff) === 0xffe8 ? 0x3bn : 0n),
    write: ro('the ID registers'),
  },
  // SGI_base
  row('GICR_IGROUPR0', SGI_BASE + 0x0080, 4, W32, 'RW', (st, cpu) => BigInt(R.readGroup(st.core, cpu, 0, 32)),
    (st, cpu, _o, _s, v) => R.writeGroup(st.core, cpu, 0, 32, lo32(v), 'guest', 'IGROUPR'), {
      reset: 0xffffffffn,
      policy: 'guestGroupWrites; userGroupWrites.v3',
      uwrite: (st, cpu, _o, _s, v) => R.writeGroup(st.core, cpu, 0, 32, lo32(v), 'user', 'IGROUPR'),
    }),
  row('GICR_ISENABLER0', SGI_BASE + 0x0100, 4, W32, 'RW', (st, cpu) => BigInt(R.readEnable(st.core, cpu, 0, 32)),
    (st, cpu, _o, _s, v) => (R.writeSetEnable(st.core, cpu, 0, 32, lo32(v), 'guest'), undefined), {
      reset: 0xffffn,
      uwrite: (st, cpu, _o, _s, v) => (R.writeSetEnable(st.core, cpu, 0, 32, lo32(v), 'user'), undefined),
    }),
  row('GICR_ICENABLER0', SGI_BASE + 0x0180, 4, W32, 'RW', (st, cpu) => BigInt(R.readEnable(st.core, cpu, 0, 32)),
    (st, cpu, _o, _s, v) => (R.writeClearEnable(st.core, cpu, 0, 32, lo32(v)), undefined), { reset: 0xffffn }),
  row('GICR_ISPENDR0', SGI_BASE + 0x0200, 4, W32, 'RW', (st, cpu) => BigInt(R.readPending(st.core, cpu, 0, 32, 'guest')),
    (st, cpu, _o, _s, v) => R.writeSetPending(st.core, cpu, 0, 32, lo32(v), 'guest', cpu), {
      reset: 0n,
      uread: (st, cpu) => BigInt(R.readPending(st.core, cpu, 0, 32, 'user')),
      uwrite: (st, cpu, _o, _s, v) => v3UserWritePending(st, cpu, 0, 32, lo32(v), cpu),
    }),
  row('GICR_ICPENDR0', SGI_BASE + 0x0280, 4, W32, 'RW', (st, cpu) => BigInt(R.readPending(st.core, cpu, 0, 32, 'guest')),
    (st, cpu, _o, _s, v) => R.writeClearPending(st.core, cpu, 0, 32, lo32(v), 'guest'), { reset: 0n, uread: raz, uwrite: () => undefined }),
  row('GICR_ISACTIVER0', SGI_BASE + 0x0300, 4, W32, 'RW', (st, cpu) => BigInt(R.readActive(st.core, cpu, 0, 32)),
    (st, cpu, _o, _s, v) => (R.writeActive(st.core, cpu, 0, 32, lo32(v), true, cpu), undefined), {
      reset: 0n,
      uwrite: (st, cpu, _o, _s, v) => v3UserWriteActive(st, cpu, 0, 32, lo32(v), true),
    }),
  row('GICR_ICACTIVER0', SGI_BASE + 0x0380, 4, W32, 'RW', (st, cpu) => BigInt(R.readActive(st.core, cpu, 0, 32)),
    (st, cpu, _o, _s, v) => (R.writeActive(st.core, cpu, 0, 32, lo32(v), false, cpu), undefined), {
      reset: 0n,
      uwrite: (st, cpu, _o, _s, v) => v3UserWriteActive(st, cpu, 0, 32, lo32(v), false),
    }),
  {
    name: 'GICR_IPRIORITYR', offset: SGI_BASE + 0x0400, len: 32, bitsPerIrq: 0, widths: W8 | W32, access: 'RW', reset: 0n,
    naming: { kind: 'array', base: SGI_BASE + 0x0400, bits: 8 },
    read: (st, cpu, off, size) => BigInt(R.readPriority(st.core, cpu, addrToIntid(off, 8), size)),
    write: (st, cpu, off, size, v) => R.writePriority(st.core, cpu, addrToIntid(off, 8), size, lo32(v)),
  },
  {
    name: 'GICR_ICFGR', offset: SGI_BASE + 0x0c00, len: 8, bitsPerIrq: 0, widths: W32, access: 'RO',
    naming: { kind: 'array', base: SGI_BASE + 0x0c00, bits: 2 },
    read: (st, cpu, off) => BigInt(R.readConfig(st.core, cpu, addrToIntid(off, 2), 16)),
    write: (st, cpu, off, _s, v) => R.writeConfig(st.core, cpu, addrToIntid(off, 2), 16, lo32(v)),
  },
  row('GICR_IGRPMODR0', SGI_BASE + 0x0d00, 4, W32, 'RAZ/WI', raz, wi('GICR_IGRPMODR0 is RAZ/WI (DS=1)'), { reset: 0n }),
  row('GICR_NSACR', SGI_BASE + 0x0e00, 4, W32, 'RAZ/WI', raz, wi('GICR_NSACR is RAZ/WI (DS=1)'), { reset: 0n }),
];
