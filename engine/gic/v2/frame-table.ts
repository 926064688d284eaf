// Offset-indexed lookup over a register table: one row per register (or per register array),
// resolved by a word-indexed array so that the replay hot path does no string work.

export const W8 = 1;
export const W32 = 4;

export interface RegRow<K extends number> {
  /** Architecture name without the index: "GICD_IGROUPR", "GICC_CTLR". */
  name: string;
  offset: number;
  /** Bytes covered by the row (4 for a single register). */
  length: number;
  /** Bit mask of the access sizes KVM (or the GICV hardware) accepts: W8 | W32. */
  widths: number;
  /** Registers in the row get an index suffix (GICD_IGROUPR1) when the row holds more than one. */
  indexed: boolean;
  /** Handler selector the model switches on. */
  kind: K;
  /** Bits per interrupt for per-INTID arrays (0 otherwise): the first INTID of an access is offset*8/bits. */
  bitsPerIrq: number;
}

export interface Resolved<K extends number> {
  row: RegRow<K> | undefined;
  reg: string;
  error?: string;
}

export class FrameTable<K extends number> {
  private readonly byWord: Int16Array;

  constructor(readonly prefix: string, readonly frameBytes: number, readonly rows: readonly RegRow<K>[], private readonly reservedWidths: number) {
    this.byWord = new Int16Array(frameBytes >> 2).fill(-1);
    rows.forEach((r, i) => {
      for (let o = r.offset; o < r.offset + r.length; o += 4) {
        if (this.byWord[o >> 2] !== -1) throw new Error(`${prefix} table: rows overlap at 0x${o.toString(16)}`);
        this.byWord[o >> 2] = i;
      }
    });
  }

  row(offset: number): RegRow<K> | undefined {
    if (offset < 0 || offset >= this.frameBytes) return undefined;
    const i = this.byWord[offset >> 2];
    return i < 0 ? undefined : this.rows[i];
  }

  /** Names of 32-bit accesses by word, and of byte accesses by offset, built on first use. */
  private readonly wordNames: (string | undefined)[] = [];
  private readonly byteNames: (string | undefined)[] = [];

  /** Register name of an access: GICD_ITARGETSR8, GICD_ITARGETSR8.B1 (byte access), GICD+0xf04 (no register). */
  name(row: RegRow<K> | undefined, offset: number, size: number): string {
    if (offset >= 0 && offset < this.frameBytes) {
      const cache = size === 4 ? this.wordNames : size === 1 ? this.byteNames : undefined;
      if (cache) {
        const k = size === 4 ? offset >> 2 : offset;
        return cache[k] ?? (cache[k] = this.buildName(row, offset, size));
      }
    }
    return this.buildName(row, offset, size);
  }

  private buildName(row: RegRow<K> | undefined, offset: number, size: number): string {
    if (!row) return `${this.prefix}+0x${offset.toString(16)}`;
    let n = row.name;
    if (row.indexed) n += String((offset - row.offset) >> 2);
    if (size < 4 && (row.widths & W8) !== 0) n += `.B${offset & 3}`;
    return n;
  }

  resolve(offset: number, size: number): Resolved<K> {
    const row = this.row(offset);
    const reg = this.name(row, offset, size);
    if (offset < 0 || offset >= this.frameBytes) {
      return { row: undefined, reg, error: `offset 0x${offset.toString(16)} is outside the ${this.frameBytes / 1024} KiB ${this.prefix} frame` };
    }
    if ((offset & (size - 1)) !== 0) return { row, reg, error: `${size}-byte access at 0x${offset.toString(16)} is misaligned` };
    const widths = row ? row.widths : this.reservedWidths;
    if ((size !== 1 && size !== 4) || (size & widths) === 0) {
      return { row, reg, error: `${reg} allows ${describeWidths(widths)} accesses only (got ${size * 8}-bit)` };
    }
    return { row, reg };
  }
}

function describeWidths(w: number): string {
  if (w === (W8 | W32)) return '8- and 32-bit';
  return w === W8 ? '8-bit' : '32-bit';
}
