// Data-driven register tables with KVM's dispatch rules (vgic-mmio.c vgic_find_mmio_region,
// check_region): one row per register or per-INTID array, in KVM's table order. The offset ->
// row lookup is precomputed per 32-bit word by running the same binary search KVM runs over
// the same table, so quirks of an unsorted table (GICR_STATUSR is never found) come out as
// KVM has them.

export const W8 = 1;
export const W32 = 4;
export const W64 = 8;

export type AccessKind = 'RW' | 'RO' | 'WO' | 'RAZ/WI' | 'RAO/WI';

export interface FieldDef {
  name: string;
  lsb: number;
  width: number;
}

/** How a row names the register an access hits. */
export type Naming =
  | { kind: 'single' }
  /** One name per 32-bit word of the row (GICD_CTLR/TYPER/IIDR/TYPER2 share KVM's misc region). */
  | { kind: 'words'; names: readonly string[] }
  /** A register array: `base` is the offset of index 0; 64-bit-per-INTID arrays are indexed by INTID. */
  | { kind: 'array'; base: number; bits: number };

export type RegRead<M> = (m: M, cpu: number, off: number, size: number) => bigint;
/** Returns an effect sentence when the write was dropped or stored differently. */
export type RegWrite<M> = (m: M, cpu: number, off: number, size: number, value: bigint) => string | undefined;

/**
 * KVM's uaccess columns (KVM_{GET,SET}_DEVICE_ATTR): 'same' = the guest's handlers (KVM's NULL
 * uaccess_read/uaccess_write), 'none' = userspace cannot reach the register (-ENXIO), or the
 * handlers KVM names, where an absent one is the guest's.
 */
export type Uaccess<M> = 'same' | 'none' | { read?: RegRead<M>; write?: RegWrite<M> };

// ---- the one set of RAZ / RAO / WI / RO handlers ------------------------------------------------
// One effect rule for every write a register ignores: it leaves an effect only when it wrote bits
// that do not read back (a write of 0 to a RAZ/WI register, or of the current value to a
// read-only one, leaves none). The CTLR handlers apply the same rule to the bits they keep.

/** vgic_mmio_read_raz. */
export const raz = (): bigint => 0n;
/** vgic_mmio_read_rao (32-bit registers). */
export const rao = (): bigint => 0xffffffffn;

/** A write the register ignores, judged against what `readBack` (free of side effects) returns. */
export function ignoredWrite<M>(why: string, readBack: RegRead<M> = raz): RegWrite<M> {
  return (m, cpu, off, size, value) => ((value & ~readBack(m, cpu, off, size)) !== 0n ? `ignored: ${why}` : undefined);
}

/** vgic_mmio_write_wi on a register that reads as zero: every bit written 1 is reported. */
export function wi<M>(why: string): RegWrite<M> {
  return ignoredWrite<M>(why);
}

/** A read-only register: `read` must have no side effects (it is asked which written bits read back). */
export function ro<M>(name: string, read: RegRead<M>): RegWrite<M> {
  return ignoredWrite(`${name} is read-only`, read);
}

export interface RegRow<M> {
  name: string;
  offset: number;
  /** Bytes covered (KVM's region len). */
  len: number;
  /** Non-zero for per-INTID regions: check_region refuses a first INTID >= nr_irqs. */
  bitsPerIrq: number;
  /** Bit mask of accepted sizes: W8 | W32 | W64. */
  widths: number;
  naming: Naming;
  access: AccessKind;
  /** Reset value as a reader sees it, when it does not depend on the configuration. */
  reset?: bigint;
  /** The policy switch that changes the row, if any (for reports and docs). */
  policy?: string;
  read: RegRead<M>;
  write: RegWrite<M>;
  /** Userspace (device attribute) access, KVM's uaccess_read / uaccess_write columns. */
  uaccess: Uaccess<M>;
  fields?: readonly FieldDef[];
}

/** The handler userspace reaches for a read, or null for -ENXIO. */
export function userReadOf<M>(row: RegRow<M>): RegRead<M> | null {
  const u = row.uaccess;
  if (u === 'none') return null;
  return u === 'same' ? row.read : (u.read ?? row.read);
}

/** The handler userspace reaches for a write, or null for -ENXIO. */
export function userWriteOf<M>(row: RegRow<M>): RegWrite<M> | null {
  const u = row.uaccess;
  if (u === 'none') return null;
  return u === 'same' ? row.write : (u.write ?? row.write);
}

export function sizeName(size: number): string {
  return `${size * 8}-bit`;
}

function widthsText(widths: number): string {
  const l: string[] = [];
  if (widths & W8) l.push('8');
  if (widths & W32) l.push('32');
  if (widths & W64) l.push('64');
  return l.length === 1 ? `${l[0]}-bit accesses only` : `${l.slice(0, -1).join('-, ')}- and ${l[l.length - 1]}-bit accesses`;
}

/** The 48-byte ID register block at 0xFFD0 of every GIC frame (GICD, GICR, GITS), word by word. */
export const ID_REG_NAMES: readonly string[] = ['PIDR4', 'PIDR5', 'PIDR6', 'PIDR7', 'PIDR0', 'PIDR1', 'PIDR2', 'PIDR3', 'CIDR0', 'CIDR1', 'CIDR2', 'CIDR3'];

/** VGIC_ADDR_TO_INTID. */
export function addrToIntid(off: number, bits: number): number {
  // `| 0` is Math.floor here: the quotient is non-negative and far below 2^31.
  return (((off & (bits * 128 - 1)) * 8) / bits) | 0;
}

export interface Resolution<M> {
  row: RegRow<M> | undefined;
  reg: string;
  /** Set when KVM refuses the access (it then reads 0 / ignores the write, silently). */
  refused?: string;
  /** Set when the access shape is one no KVM guest can produce correctly (validator error). */
  error?: string;
  /** No register claims the offset (KVM reads 0 and ignores writes); `trace validate` flags it. */
  unclaimed?: true;
}

/** A Resolution as the register registries report it. */
export function accessOf<M>(r: Resolution<M>): { reg: string; error?: string; unclaimed?: boolean } {
  if (r.error) return { reg: r.reg, error: r.error };
  return r.unclaimed ? { reg: r.reg, unclaimed: true } : { reg: r.reg };
}

export class FrameTable<M> {
  /** word index -> row index + 1 (0 = no region). */
  private readonly wordRow: Int16Array;
  private readonly wordNames: (string | undefined)[];
  readonly rows: readonly RegRow<M>[];

  constructor(
    /** Name prefix for unclaimed offsets: "GICD" gives "GICD+0x14". */
    readonly prefix: string,
    /** Frame size in bytes. */
    readonly size: number,
    rows: readonly RegRow<M>[],
    /** Human name of the frame for error messages. */
    readonly title: string,
  ) {
    this.rows = rows.map(uniformRow);
    this.wordRow = new Int16Array(size >> 2);
    this.wordNames = new Array(size >> 2);
    for (let w = 0; w < size >> 2; w++) this.wordRow[w] = kvmBsearch(rows, w << 2) + 1;
  }

  /**
   * KVM's check_region, the fast path: the row when KVM accepts an access of `size` bytes at
   * `off` (row found, width allowed, aligned, inside the frame, first INTID below nrIrqs), else
   * undefined. `resolve` gives the reason for a refusal; this is what every access pays.
   */
  accept(off: number, size: number, nrIrqs: number): RegRow<M> | undefined {
    if (off < 0 || off + size > this.size || (off & (size - 1)) !== 0) return undefined;
    const row = this.rowAt(off);
    if (!row || !(row.widths & size)) return undefined;
    if (row.bitsPerIrq && addrToIntid(off, row.bitsPerIrq) >= nrIrqs) return undefined;
    return row;
  }

  rowAt(off: number): RegRow<M> | undefined {
    const i = this.wordRow[off >> 2];
    return i ? this.rows[i - 1] : undefined;
  }

  /** Register name of a 32-bit word (cached): GICD_IGROUPR1, GICR_TYPER.HI, GICD_IROUTER40. */
  wordName(off: number): string {
    const w = off >> 2;
    let n = this.wordNames[w];
    if (n === undefined) {
      const row = this.rowAt(off);
      n = row ? nameInRow(row, w << 2) : `${this.prefix}+0x${(w << 2).toString(16)}`;
      this.wordNames[w] = n;
    }
    return n;
  }

  /** Name of an access: the word name, plus .Bn for a byte access to a byte-accessible row. */
  accessName(off: number, size: number): string {
    const row = this.rowAt(off);
    if (!row) return size === 4 || size === 8 ? this.wordName(off) : `${this.prefix}+0x${off.toString(16)}`;
    if (size === 1 && row.widths & W8) return `${this.wordName(off)}.B${off & 3}`;
    return this.wordName(off);
  }

  /** check_region plus naming. `nrIrqs` bounds per-INTID rows. */
  resolve(off: number, size: number, nrIrqs: number): Resolution<M> {
    if (off < 0 || off + size > this.size) {
      return { row: undefined, reg: `${this.prefix}+0x${off.toString(16)}`, refused: 'outside the frame', error: `offset 0x${off.toString(16)} (${size} bytes) is outside the ${this.title}` };
    }
    const row = this.rowAt(off);
    const reg = this.accessName(off, size);
    const aligned = (off & (size - 1)) === 0;
    if (size !== 1 && size !== 4 && size !== 8) {
      const why = `${sizeName(size)} access: KVM accepts 8-, 32- and 64-bit accesses only and returns 0`;
      return { row: undefined, reg, refused: why, error: row ? `${row.name} allows ${widthsText(row.widths)}` : why };
    }
    if (!aligned) {
      const why = `misaligned ${size}-byte access at 0x${off.toString(16)}: KVM ignores it`;
      return { row: undefined, reg, refused: why, error: why };
    }
    if (!row) return { row: undefined, reg, unclaimed: true };
    if (!(row.widths & size)) {
      return { row: undefined, reg, refused: `${sizeName(size)} access: KVM allows ${widthsText(row.widths)} here and ignores it`, error: `${row.name} allows ${widthsText(row.widths)}` };
    }
    if (row.bitsPerIrq) {
      const intid = addrToIntid(off, row.bitsPerIrq);
      if (intid >= nrIrqs) return { row: undefined, reg, refused: `INTID ${intid} does not exist (nr_irqs ${nrIrqs}): KVM reads 0 and ignores writes` };
    }
    return { row, reg };
  }
}

/**
 * The row with every RegRow property, always in this order. The tables' helpers build rows with
 * and without reset, policy and fields, in their own orders: each shape is a hidden class of its
 * own in V8, and the loads every access makes (widths, bitsPerIrq, read, write) went megamorphic.
 */
function uniformRow<M>(r: RegRow<M>): RegRow<M> {
  const { name, offset, len, bitsPerIrq, widths, naming, access, reset, policy, read, write, uaccess, fields } = r;
  return { name, offset, len, bitsPerIrq, widths, naming, access, reset, policy, read, write, uaccess, fields };
}

function nameInRow<M>(row: RegRow<M>, off: number): string {
  const nm = row.naming;
  switch (nm.kind) {
    case 'single':
      return row.len > 4 && off - row.offset >= 4 ? `${row.name}.HI` : row.name;
    case 'words':
      return nm.names[(off - row.offset) >> 2] ?? row.name;
    case 'array':
      if (nm.bits === 64) {
        const intid = (off - nm.base) >> 3;
        return (off - nm.base) & 4 ? `${row.name}${intid}.HI` : `${row.name}${intid}`;
      }
      return `${row.name}${(off - nm.base) >> 2}`;
  }
}

/** Linux lib/bsearch.c over KVM's region table with match_region. */
export function kvmBsearch<M>(rows: readonly RegRow<M>[], key: number): number {
  let base = 0;
  let num = rows.length;
  while (num > 0) {
    const pivot = base + (num >> 1);
    const r = rows[pivot];
    const cmp = key < r.offset ? -1 : key >= r.offset + r.len ? 1 : 0;
    if (cmp === 0) return pivot;
    if (cmp > 0) {
      base = pivot + 1;
      num--;
    }
    num >>= 1;
  }
  return -1;
}

/** "EnableGrp1=1 ARE=1 DS=1": non-zero fields, fields under 8 bits in decimal, wider ones in hex. */
export function formatFieldList(fields: readonly FieldDef[], value: bigint): string {
  // Goldens render the fields of every register read; a value that fits 32 bits (nearly all)
  // is taken apart with Number operations, which print the same digits as bigints do.
  const small = value <= 0xffffffffn;
  const n = small ? Number(value) : 0;
  let out = '';
  for (const f of fields) {
    let v: number | bigint;
    if (!small) v = (value >> BigInt(f.lsb)) & ((1n << BigInt(f.width)) - 1n);
    else if (f.lsb >= 32) v = 0;
    else v = f.width >= 32 - f.lsb ? n >>> f.lsb : (n >>> f.lsb) & ((1 << f.width) - 1);
    if (v === 0 || v === 0n) continue;
    const text = `${f.name}=${f.width >= 8 ? `0x${v.toString(16)}` : v.toString(10)}`;
    out = out ? `${out} ${text}` : text;
  }
  return out || 'all fields 0';
}

/** The low 32 bits of a written value as a Number; allocates no bigint when the value already fits (every 32-bit access). */
export function lo32(v: bigint): number {
  return v <= 0xffffffffn ? Number(v) : Number(v & 0xffffffffn);
}

/** Split a 64-bit bigint read into the `size` bytes at byte offset `byteOff` (extract_bytes). */
export function extractBytes(v: bigint, byteOff: number, size: number): bigint {
  return (v >> BigInt(byteOff * 8)) & ((1n << BigInt(size * 8)) - 1n);
}

/** update_64bit_reg: replace the half (or whole) a 32/64-bit write covers. */
export function update64(reg: bigint, byteOff: number, size: number, val: bigint): bigint {
  const lower = BigInt((byteOff & 4) * 8);
  const mask = ((1n << BigInt(size * 8)) - 1n) << lower;
  return (reg & ~mask & 0xffffffffffffffffn) | ((val << lower) & mask);
}

/**
 * vgic_sanitise_field with KVM's three rules for a BASER-style register (vgic-mmio-v3.c):
 * OuterShareable becomes InnerShareable, an inner nCnB/nC cacheability becomes RaWb, an outer
 * one other than SameAsInner/nC becomes SameAsInner. The shifts say where the fields are.
 */
export function sanitiseBaserAttrs(v: bigint, shShift: bigint, innerShift: bigint, outerShift: bigint): bigint {
  let sh = (v >> shShift) & 3n;
  if (sh === 2n) sh = 1n;
  let inner = (v >> innerShift) & 7n;
  if (inner === 0n || inner === 1n) inner = 3n;
  let outer = (v >> outerShift) & 7n;
  if (outer !== 0n && outer !== 1n) outer = 0n;
  v &= ~((3n << shShift) | (7n << innerShift) | (7n << outerShift));
  return (v | (sh << shShift) | (inner << innerShift) | (outer << outerShift)) & 0xffffffffffffffffn;
}
