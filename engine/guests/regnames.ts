// Register name -> (frame, offset, size) for guest scripts, so a guest writes 'GICD_IGROUPR1' or
// 'GICR_ISENABLER0' instead of raw offsets. One table per frame, one row per register (a row
// with `count` stands for an indexed array, GICD_IGROUPR<n>). Offsets from the Arm GIC
// architecture spec (IHI 0069 / IHI 0048) as Linux's arm-gic-v3.h and arm-gic.h spell them.
// This only names registers: whether KVM implements one, and how, is the models' business.

import { AccessSize, Frame, GicVersion } from '../trace/events';

interface RegRow {
  /** Name without the index, e.g. GICD_IGROUPR. */
  name: string;
  offset: number;
  /** Natural access size in bytes. */
  size: AccessSize;
  /** Indexed array: valid indices 0..count-1, at offset + index * stride. */
  count?: number;
  stride?: number;
  /** Fields packed per byte (IPRIORITYR, ITARGETSR): `.B<k>` names one byte of a word. */
  byteFields?: boolean;
  /** GIC versions that define the register at this offset; both when omitted. */
  only?: GicVersion;
}

const arr = (name: string, offset: number, count: number, extra: Partial<RegRow> = {}): RegRow => ({ name, offset, size: 4, count, stride: 4, ...extra });
const one = (name: string, offset: number, extra: Partial<RegRow> = {}): RegRow => ({ name, offset, size: 4, ...extra });

/** Distributor, both versions; version-specific rows say so. */
const GICD: readonly RegRow[] = [
  one('GICD_CTLR', 0x0000),
  one('GICD_TYPER', 0x0004),
  one('GICD_IIDR', 0x0008),
  one('GICD_TYPER2', 0x000c, { only: 3 }),
  one('GICD_STATUSR', 0x0010, { only: 3 }),
  one('GICD_SETSPI_NSR', 0x0040, { only: 3 }),
  one('GICD_CLRSPI_NSR', 0x0048, { only: 3 }),
  one('GICD_SETSPI_SR', 0x0050, { only: 3 }),
  one('GICD_CLRSPI_SR', 0x0058, { only: 3 }),
  arr('GICD_IGROUPR', 0x0080, 32),
  arr('GICD_ISENABLER', 0x0100, 32),
  arr('GICD_ICENABLER', 0x0180, 32),
  arr('GICD_ISPENDR', 0x0200, 32),
  arr('GICD_ICPENDR', 0x0280, 32),
  arr('GICD_ISACTIVER', 0x0300, 32),
  arr('GICD_ICACTIVER', 0x0380, 32),
  arr('GICD_IPRIORITYR', 0x0400, 255, { byteFields: true }),
  arr('GICD_ITARGETSR', 0x0800, 255, { byteFields: true }),
  arr('GICD_ICFGR', 0x0c00, 64),
  arr('GICD_IGRPMODR', 0x0d00, 32, { only: 3 }),
  arr('GICD_NSACR', 0x0e00, 64),
  one('GICD_SGIR', 0x0f00),
  arr('GICD_CPENDSGIR', 0x0f10, 4, { byteFields: true }),
  arr('GICD_SPENDSGIR', 0x0f20, 4, { byteFields: true }),
  // GICD_IROUTER<n> is indexed by INTID (0..31 reserved), 64-bit.
  { name: 'GICD_IROUTER', offset: 0x6000, size: 8, count: 1020, stride: 8, only: 3 },
  // GICv3 identification block.
  one('GICD_PIDR4', 0xffd0, { only: 3 }),
  one('GICD_PIDR5', 0xffd4, { only: 3 }),
  one('GICD_PIDR6', 0xffd8, { only: 3 }),
  one('GICD_PIDR7', 0xffdc, { only: 3 }),
  one('GICD_PIDR0', 0xffe0, { only: 3 }),
  one('GICD_PIDR1', 0xffe4, { only: 3 }),
  one('GICD_PIDR2', 0xffe8, { only: 3 }),
  one('GICD_PIDR3', 0xffec, { only: 3 }),
  arr('GICD_CIDR', 0xfff0, 4, { only: 3 }),
  // GICv2 identification block (4 KiB frame).
  one('GICD_ICPIDR2', 0x0fe8, { only: 2 }),
  arr('GICD_ICCIDR', 0x0ff0, 4, { only: 2 }),
];

/** GICv3 redistributor, RD_base frame. */
const GICR_RD: readonly RegRow[] = [
  one('GICR_CTLR', 0x0000),
  one('GICR_IIDR', 0x0004),
  { name: 'GICR_TYPER', offset: 0x0008, size: 8 },
  one('GICR_STATUSR', 0x0010),
  one('GICR_WAKER', 0x0014),
  { name: 'GICR_SETLPIR', offset: 0x0040, size: 8 },
  { name: 'GICR_CLRLPIR', offset: 0x0048, size: 8 },
  { name: 'GICR_PROPBASER', offset: 0x0070, size: 8 },
  { name: 'GICR_PENDBASER', offset: 0x0078, size: 8 },
  { name: 'GICR_INVLPIR', offset: 0x00a0, size: 8 },
  { name: 'GICR_INVALLR', offset: 0x00b0, size: 8 },
  one('GICR_SYNCR', 0x00c0),
  one('GICR_PIDR2', 0xffe8),
];

/** GICv3 redistributor, SGI_base frame (offsets relative to SGI_base). */
const GICR_SGI: readonly RegRow[] = [
  one('GICR_IGROUPR0', 0x0080),
  one('GICR_ISENABLER0', 0x0100),
  one('GICR_ICENABLER0', 0x0180),
  one('GICR_ISPENDR0', 0x0200),
  one('GICR_ICPENDR0', 0x0280),
  one('GICR_ISACTIVER0', 0x0300),
  one('GICR_ICACTIVER0', 0x0380),
  arr('GICR_IPRIORITYR', 0x0400, 8, { byteFields: true }),
  arr('GICR_ICFGR', 0x0c00, 2),
  one('GICR_IGRPMODR0', 0x0d00),
  one('GICR_NSACR', 0x0e00),
];

/** GICv3 ITS (control frame, and GITS_TRANSLATER in the translation frame at +64 KiB). */
const GITS: readonly RegRow[] = [
  one('GITS_CTLR', 0x0000),
  one('GITS_IIDR', 0x0004),
  { name: 'GITS_TYPER', offset: 0x0008, size: 8 },
  { name: 'GITS_CBASER', offset: 0x0080, size: 8 },
  { name: 'GITS_CWRITER', offset: 0x0088, size: 8 },
  { name: 'GITS_CREADR', offset: 0x0090, size: 8 },
  { name: 'GITS_BASER', offset: 0x0100, size: 8, count: 8, stride: 8 },
  one('GITS_PIDR2', 0xffe8),
  one('GITS_TRANSLATER', 0x10040),
];

/** GICv2 CPU interface. */
const GICC: readonly RegRow[] = [
  one('GICC_CTLR', 0x0000),
  one('GICC_PMR', 0x0004),
  one('GICC_BPR', 0x0008),
  one('GICC_IAR', 0x000c),
  one('GICC_EOIR', 0x0010),
  one('GICC_RPR', 0x0014),
  one('GICC_HPPIR', 0x0018),
  one('GICC_ABPR', 0x001c),
  one('GICC_AIAR', 0x0020),
  one('GICC_AEOIR', 0x0024),
  one('GICC_AHPPIR', 0x0028),
  arr('GICC_APR', 0x00d0, 4),
  arr('GICC_NSAPR', 0x00e0, 4),
  one('GICC_IIDR', 0x00fc),
  one('GICC_DIR', 0x1000),
];

interface FrameTable {
  prefix: string;
  frame: Frame;
  version: GicVersion;
  rows: readonly RegRow[];
}

const TABLES: readonly FrameTable[] = [
  { prefix: 'GICD_', frame: Frame.Dist, version: 3, rows: GICD },
  { prefix: 'GICD_', frame: Frame.Dist, version: 2, rows: GICD },
  { prefix: 'GICR_', frame: Frame.RedistRd, version: 3, rows: GICR_RD },
  { prefix: 'GICR_', frame: Frame.RedistSgi, version: 3, rows: GICR_SGI },
  { prefix: 'GICC_', frame: Frame.CpuIf, version: 2, rows: GICC },
  { prefix: 'GITS_', frame: Frame.Its, version: 3, rows: GITS },
];

export interface ResolvedReg {
  /** Canonical name, e.g. GICD_IPRIORITYR8 or GICD_IPRIORITYR8.B2. */
  name: string;
  frame: Frame;
  offset: number;
  size: AccessSize;
}

/** Why a name does not resolve, phrased for a guest author. */
export class RegisterNameError extends Error {}

const NAME_RE = /^([A-Z0-9_]+?)(\d+)?(?:\.B([0-3]))?$/;

function lookupRow(version: GicVersion, base: string): { table: FrameTable; row: RegRow } | undefined {
  for (const t of TABLES) {
    if (t.version !== version || !base.startsWith(t.prefix)) continue;
    for (const row of t.rows) {
      if (row.only !== undefined && row.only !== version) continue;
      if (row.name === base) return { table: t, row };
    }
  }
  return undefined;
}

/**
 * Resolve 'GICD_IGROUPR1', 'GICR_ISENABLER0', 'GICC_IAR', 'GICD_IPRIORITYR8.B2' (byte 2 of word 8)
 * or 'GICD_IROUTER40' for a GIC version. Throws RegisterNameError for anything else.
 */
export function resolveRegister(version: GicVersion, name: string): ResolvedReg {
  // Fixed names that end in a digit (GICR_IGROUPR0, GICD_PIDR2) win over the indexed reading.
  const exact = lookupRow(version, name);
  if (exact && exact.row.count === undefined) return { name, frame: exact.table.frame, offset: exact.row.offset, size: exact.row.size };
  const m = NAME_RE.exec(name);
  if (m) {
    const [, base, idx, byte] = m;
    const hit = lookupRow(version, base);
    if (hit && hit.row.count !== undefined && idx !== undefined) {
      const index = Number(idx);
      if (index >= hit.row.count) throw new RegisterNameError(`${name}: index ${index} is out of range (${base}0..${base}${hit.row.count - 1})`);
      const offset = hit.row.offset + index * (hit.row.stride ?? hit.row.size);
      if (byte !== undefined) {
        if (!hit.row.byteFields) throw new RegisterNameError(`${name}: ${base} has no byte fields (.B<k> applies to IPRIORITYR, ITARGETSR, *PENDSGIR)`);
        return { name, frame: hit.table.frame, offset: offset + Number(byte), size: 1 };
      }
      return { name, frame: hit.table.frame, offset, size: hit.row.size };
    }
    if (hit && hit.row.count === undefined && idx === undefined && byte === undefined) {
      return { name, frame: hit.table.frame, offset: hit.row.offset, size: hit.row.size };
    }
    if (hit && hit.row.count !== undefined && idx === undefined) throw new RegisterNameError(`${name} needs an index, e.g. ${base}0`);
  }
  const other = lookupRow(version === 3 ? 2 : 3, name) ?? (m ? lookupRow(version === 3 ? 2 : 3, m[1]) : undefined);
  if (other) throw new RegisterNameError(`${name} is a GICv${version === 3 ? 2 : 3} register; this guest has a GICv${version}`);
  throw new RegisterNameError(`unknown register name ${JSON.stringify(name)} for GICv${version}`);
}

/** Every register name a version defines, indexed arrays expanded (GICD_IGROUPR0..31); for listings and tests. */
export function allRegisterNames(version: GicVersion): string[] {
  const out: string[] = [];
  for (const t of TABLES) {
    if (t.version !== version) continue;
    for (const r of t.rows) {
      if (r.only !== undefined && r.only !== version) continue;
      if (r.count === undefined) out.push(r.name);
      else for (let i = r.name === 'GICD_IROUTER' ? 32 : 0; i < r.count; i++) out.push(`${r.name}${i}`);
    }
  }
  return out;
}
