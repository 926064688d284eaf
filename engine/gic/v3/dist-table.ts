// KVM's GICv3 distributor (vgic-mmio-v3.c vgic_v3_dist_registers; spec vgic-v3.md §3.2), one row
// per register or per-INTID array, in KVM's table order. Offsets no row claims are RAZ/WI.

import * as R from '../core/irq-regs';
import { addrToIntid, FieldDef, lo32, RegRead, RegRow, RegWrite, W32, W64, W8 } from '../core/regtable';
import { GICD_CTLR_FIELDS, GICD_TYPER2_FIELDS, GICD_TYPER_FIELDS, IIDR_FIELDS, IROUTER_FIELDS } from './fields';
import { V3State } from './state';

type Row = RegRow<V3State>;

export const PRODUCT_ID_KVM = 0x4b;
export const IMPLEMENTER_ARM = 0x43b;
const CTLR_ENABLE_G1 = 1 << 1;
const CTLR_ARE = 1 << 4;
const CTLR_DS = 1 << 6;

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

export function gicdIidr(rev: number): number {
  return ((PRODUCT_ID_KVM << 24) | (rev << 12) | IMPLEMENTER_ARM) >>> 0;
}

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

const ro =
  (what: string): RegWrite<V3State> =>
  () =>
    `ignored: ${what} is read-only`;

const raz: RegRead<V3State> = () => 0n;
const wiRaz =
  (why: string): RegWrite<V3State> =>
  (_st, _cpu, _off, _size, value) =>
    value !== 0n ? `ignored: ${why}` : undefined;

function single(name: string, offset: number, access: Row['access'], read: RegRead<V3State>, write: RegWrite<V3State>, extra: Partial<Row> = {}): Row {
  return { name, offset, len: 4, bitsPerIrq: 0, widths: W32, naming: { kind: 'single' }, access, read, write, ...extra };
}

/**
 * REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED: the first 32 INTIDs' bank is RAZ/WI (SGIs and PPIs
 * live in the redistributors under ARE=1), the rest gets the real handlers.
 */
function perIrq(name: string, offset: number, bits: number, widths: number, real: Partial<Row> & Pick<Row, 'read' | 'write' | 'access'>, fields?: readonly FieldDef[]): Row[] {
  const privLen = (bits * 32) / 8;
  const naming = { kind: 'array', base: offset, bits } as const;
  return [
    {
      name, offset, len: privLen, bitsPerIrq: bits, widths, naming, access: 'RAZ/WI', reset: 0n,
      read: raz, write: wiRaz('the SGI/PPI bank of the distributor is RAZ/WI under ARE=1 (use the redistributor)'),
    },
    { name, offset: offset + privLen, len: (bits * (1024 - 32)) / 8, bitsPerIrq: bits, widths, naming, fields, ...real },
  ];
}

/** Helpers: first INTID and INTID count of an access to a per-IRQ row. */
const first1 = (off: number): number => addrToIntid(off, 1);
const n1 = (size: number): number => size * 8;

function irouterRead(st: V3State, _cpu: number, off: number, size: number): bigint {
  const intid = addrToIntid(off, 64);
  const slot = st.core.irqs.slot(0, intid);
  st.core.depRead(slot, 'route');
  if (off & 4) return 0n; // Aff3 word: RAZ
  return BigInt(st.core.irqs.mpidr[slot]) & (size === 8 ? 0xffffffffffffffffn : 0xffffffffn);
}

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

function idregRead(_st: V3State, _cpu: number, off: number): bigint {
  return (off & 0xffff) === 0xffe8 ? 0x3bn : 0n;
}

export const ID_REG_NAMES = ['PIDR4', 'PIDR5', 'PIDR6', 'PIDR7', 'PIDR0', 'PIDR1', 'PIDR2', 'PIDR3', 'CIDR0', 'CIDR1', 'CIDR2', 'CIDR3'];

export const V3_DIST_ROWS: readonly Row[] = [
  single('GICD_CTLR', 0x0000, 'RW', (st) => BigInt(readCtlr(st)), (st, _c, _o, _s, value) => {
    const v = lo32(value);
    st.core.setDistEnabled((v & CTLR_ENABLE_G1) !== 0, true);
    const stored = readCtlr(st);
    // Report bits the guest set that do not read back (EnableGrp0, RWP, ...); RAO bits written 0 are normal.
    return (v & ~stored) !== 0 ? `stored ${hex(stored)}: GICD_CTLR keeps only EnableGrp1 under KVM (one enable for both groups; ARE and DS read 1)` : undefined;
  }, {
    fields: GICD_CTLR_FIELDS,
    reset: 0x50n,
    uwrite: (st, _c, _o, _s, value) => {
      // vgic_mmio_uaccess_write_v3_misc: no kick, nASSGIreq cleared without GICv4.1.
      const v = lo32(value);
      st.core.setDistEnabled((v & CTLR_ENABLE_G1) !== 0, false);
      const stored = readCtlr(st);
      return (v & ~stored) !== 0 ? `stored ${hex(stored)}: GICD_CTLR keeps only EnableGrp1 under KVM` : undefined;
    },
  }),
  single('GICD_TYPER', 0x0004, 'RO', (st) => BigInt(gicdTyper(st)), ro('GICD_TYPER'), { fields: GICD_TYPER_FIELDS }),
  single('GICD_IIDR', 0x0008, 'RO', (st) => {
    if (st.core.deps.enabled) st.core.deps.read('dist:revision');
    return BigInt(gicdIidr(st.core.revision));
  }, ro('GICD_IIDR (the guest cannot change the revision)'), {
    fields: IIDR_FIELDS,
    policy: 'revision; userSelectableRevisions',
    uwrite: (st, _c, _o, _s, value) => {
      const core = st.core;
      const cur = gicdIidr(core.revision);
      const v = lo32(value);
      if (((cur ^ v) & ~0xf000) !== 0) return `rejected (-EINVAL): only the Revision field of GICD_IIDR may change (current ${hex(cur)})`;
      const rev = (v >> 12) & 0xf;
      if (!core.policy.userMaySelectRevision(rev)) {
        return `rejected (-EINVAL): policy ${core.policy.id} lets userspace select revision ${core.policy.data.userSelectableRevisions.join(' or ')}, not ${rev}`;
      }
      core.revision = rev;
      core.userWroteIidr = true;
      if (core.deps.enabled) {
        core.deps.write('dist:revision');
        core.deps.write('dist:user-iidr-written');
      }
      // The revision decides which later writes are honoured; no list or output depends on it.
      return undefined;
    },
  }),
  single('GICD_TYPER2', 0x000c, 'RO', () => 0n, ro('GICD_TYPER2'), {
    fields: GICD_TYPER2_FIELDS,
    reset: 0n,
    uwrite: (_st, _c, _o, _s, value) => (value === 0n ? undefined : 'rejected (-EINVAL): nASSGIcap needs a GICv4.1 host with vSGIs (not modelled)'),
  }),
  single('GICD_STATUSR', 0x0010, 'RAO/WI', () => 0xffffffffn, (_st, _c, _o, _s, v) => (v !== 0xffffffffn ? 'ignored: GICD_STATUSR is RAO/WI under KVM' : undefined), { reset: 0xffffffffn }),
  ...perIrq('GICD_IGROUPR', 0x0080, 1, W32, {
    access: 'RW',
    reset: 0xffffffffn,
    policy: 'guestGroupWrites; userGroupWrites.v3',
    read: (st, _c, off, size) => BigInt(R.readGroup(st.core, 0, first1(off), n1(size))),
    write: (st, _c, off, size, v) => R.writeGroup(st.core, 0, first1(off), n1(size), lo32(v), 'guest', 'IGROUPR'),
    uwrite: (st, _c, off, size, v) => R.writeGroup(st.core, 0, first1(off), n1(size), lo32(v), 'user', 'IGROUPR'),
  }),
  ...perIrq('GICD_ISENABLER', 0x0100, 1, W32, {
    access: 'RW',
    reset: 0n,
    read: (st, _c, off, size) => BigInt(R.readEnable(st.core, 0, first1(off), n1(size))),
    write: (st, _c, off, size, v) => (R.writeSetEnable(st.core, 0, first1(off), n1(size), lo32(v), 'guest'), undefined),
    uwrite: (st, _c, off, size, v) => (R.writeSetEnable(st.core, 0, first1(off), n1(size), lo32(v), 'user'), undefined),
  }),
  ...perIrq('GICD_ICENABLER', 0x0180, 1, W32, {
    access: 'RW',
    reset: 0n,
    read: (st, _c, off, size) => BigInt(R.readEnable(st.core, 0, first1(off), n1(size))),
    write: (st, _c, off, size, v) => (R.writeClearEnable(st.core, 0, first1(off), n1(size), lo32(v)), undefined),
  }),
  ...perIrq('GICD_ISPENDR', 0x0200, 1, W32, {
    access: 'RW',
    reset: 0n,
    read: (st, _c, off, size) => BigInt(R.readPending(st.core, 0, first1(off), n1(size), 'guest')),
    write: (st, cpu, off, size, v) => R.writeSetPending(st.core, 0, first1(off), n1(size), lo32(v), 'guest', cpu),
    uread: (st, _c, off, size) => BigInt(R.readPending(st.core, 0, first1(off), n1(size), 'user')),
    uwrite: (st, cpu, off, size, v) => v3UserWritePending(st, 0, first1(off), n1(size), lo32(v), cpu),
  }),
  ...perIrq('GICD_ICPENDR', 0x0280, 1, W32, {
    access: 'RW',
    reset: 0n,
    read: (st, _c, off, size) => BigInt(R.readPending(st.core, 0, first1(off), n1(size), 'guest')),
    write: (st, _c, off, size, v) => R.writeClearPending(st.core, 0, first1(off), n1(size), lo32(v), 'guest'),
    uread: raz,
    uwrite: () => undefined,
  }),
  ...perIrq('GICD_ISACTIVER', 0x0300, 1, W32, {
    access: 'RW',
    reset: 0n,
    read: (st, _c, off, size) => BigInt(R.readActive(st.core, 0, first1(off), n1(size))),
    write: (st, cpu, off, size, v) => (R.writeActive(st.core, 0, first1(off), n1(size), lo32(v), true, cpu), undefined),
    uwrite: (st, _c, off, size, v) => v3UserWriteActive(st, 0, first1(off), n1(size), lo32(v), true),
  }),
  ...perIrq('GICD_ICACTIVER', 0x0380, 1, W32, {
    access: 'RW',
    reset: 0n,
    read: (st, _c, off, size) => BigInt(R.readActive(st.core, 0, first1(off), n1(size))),
    write: (st, cpu, off, size, v) => (R.writeActive(st.core, 0, first1(off), n1(size), lo32(v), false, cpu), undefined),
    uwrite: (st, _c, off, size, v) => v3UserWriteActive(st, 0, first1(off), n1(size), lo32(v), false),
  }),
  ...perIrq('GICD_IPRIORITYR', 0x0400, 8, W8 | W32, {
    access: 'RW',
    reset: 0n,
    read: (st, _c, off, size) => BigInt(R.readPriority(st.core, 0, addrToIntid(off, 8), size)),
    write: (st, _c, off, size, v) => R.writePriority(st.core, 0, addrToIntid(off, 8), size, lo32(v)),
  }),
  ...perIrq('GICD_ITARGETSR', 0x0800, 8, W8 | W32, {
    access: 'RAZ/WI',
    reset: 0n,
    read: raz,
    write: wiRaz('GICD_ITARGETSR is RAZ/WI under ARE=1 (use GICD_IROUTER)'),
  }),
  ...perIrq('GICD_ICFGR', 0x0c00, 2, W32, {
    access: 'RW',
    reset: 0xaaaaaaaan,
    read: (st, _c, off, size) => BigInt(R.readConfig(st.core, 0, addrToIntid(off, 2), size * 4)),
    write: (st, _c, off, size, v) => R.writeConfig(st.core, 0, addrToIntid(off, 2), size * 4, lo32(v)),
  }),
  ...perIrq('GICD_IGRPMODR', 0x0d00, 1, W32, {
    access: 'RAZ/WI',
    reset: 0n,
    read: raz,
    write: wiRaz('GICD_IGRPMODR is RAZ/WI (no Security Extensions, DS=1)'),
  }),
  ...perIrq('GICD_IROUTER', 0x6000, 64, W32 | W64, { access: 'RW', reset: 0n, read: irouterRead, write: irouterWrite }, IROUTER_FIELDS),
  {
    name: 'GICD_IDREGS', offset: 0xffd0, len: 48, bitsPerIrq: 0, widths: W32, access: 'RO',
    naming: { kind: 'words', names: ID_REG_NAMES.map((n) => `GICD_${n}`) },
    read: idregRead, write: ro('the ID registers'),
  },
];

/** vgic_v3_uaccess_write_pending: set the latch for 1 bits, clear it for 0 bits. */
export function v3UserWritePending(st: V3State, cpu: number, first: number, n: number, v: number, writer: number): string | undefined {
  R.writeSetPending(st.core, cpu, first, n, v, 'user', writer);
  R.writeClearPending(st.core, cpu, first, n, ~v >>> 0, 'user');
  return undefined;
}

/**
 * vgic_mmio_uaccess_write_[sc]active: no running vCPU, so a HW-mapped (non-SGI) interrupt's
 * active state is left alone (vgic_hw_irq_change_active returns early for uaccess).
 */
export function v3UserWriteActive(st: V3State, cpu: number, first: number, n: number, v: number, set: boolean): string | undefined {
  const s = st.core.irqs;
  let hwBits = 0;
  for (let i = 0; i < n && first + i < s.nrIrqs; i++) {
    const intid = first + i;
    if (intid >= 16 && s.hw[s.slot(cpu, intid)] && (v >>> i) & 1) hwBits |= 1 << i;
  }
  R.writeActive(st.core, cpu, first, n, (v & ~hwBits) >>> 0, set, 0);
  return hwBits ? `ignored for HW-mapped INTID(s) (mask 0x${(hwBits >>> 0).toString(16)}): userspace cannot change their active state` : undefined;
}
