// The golden body as bytes, rendered straight into a buffer and hashed a buffer at a time: the
// check of a pair that matches (nearly every pair) needs the body's SHA-256, not its lines, and
// building, joining and encoding one string per record costs more than the replay itself on a
// large trace. The bytes are exactly renderRecord's lines (render.ts), each followed by LF; the
// common records (reads, write effects, output changes) are written field by field with cached
// pieces, every other record goes through renderRecord. render-bytes.test.ts holds the two
// renderers to the same bytes over every suite trace and crafted corner cases.

import { createHash, Hash } from 'crypto';
import { registerIntids } from '../arch/intids';
import { ReplayRecord } from '../replay/records';
import { errnoName } from '../util/errno';
import { FieldFormatter, quote, renderRecord } from './render';

const SIZE = 1 << 18;
/** Room a record's fixed parts can take (numbers, cached pieces); strings are measured. */
const SLACK = 1024;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const TWO32 = 4294967296;
/** "00".."99" and "00".."ff", two ASCII digits per entry. */
const DEC2 = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');
const HEX2 = Buffer.from(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''), 'latin1');

/** A register's values repeat (status, IDs, enables): one tail per value is rendered once, up to this many per register. */
const TAILS_PER_REGISTER = 256;
const TAIL_BYTES = 4 << 20;

/**
 * Everything after `<idx> <cycle> <cpu>` of a read of one register by one path and size:
 * ` read <via> <reg>/<size> = <value>[ {fields}][ [INTIDs a-b]]` depends on the value alone when
 * nothing was recorded differently, no errno and not unmodelled (nearly every read), since
 * fields and INTIDs come from register and value only. byValue caches those tails; it is dropped
 * (null) for a register whose values do not repeat (a counter), so it costs a lookup no more.
 */
interface ReadTail {
  mid: Buffer;
  suffix: Buffer;
  byValue: Map<bigint, Buffer> | null;
  /** The same tails of the values below SMALL_VALUES, by Number. */
  small: (Buffer | undefined)[];
}

const SMALL_VALUES = 256;

/** Effect texts kept rendered (each at most 1 KiB). */
const EFFECTS = 1024;

const VIA_CODE: Record<string, number> = { mmio: 0, sysreg: 1, user: 2, line: 3, timer: 4 };

/**
 * Renders replay records into body bytes and hashes them; `lines` counts the records. A large
 * trace's check runs it on the check's thread (check-jobs.ts).
 */
export class BodyHasher {
  private readonly hash: Hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(SIZE);
  private at = 0;
  lines = 0;
  /** " read <via> <reg>/<size> = " / " write <via> <reg>/<size> " by register, then via × size. */
  private readonly mids = new Map<string, Buffer[]>();
  /** " [INTIDs a-b]" (or empty) by register, one table per access size. */
  private readonly suffixes: Map<string, Buffer>[] = [];
  private readonly cpus: Buffer[] = [];
  private readonly outputs: Buffer[] = [];
  private readonly effects = new Map<string, Buffer>();
  /** Read tails by register, then via × size (see ReadTail). */
  private readonly tails = new Map<string, ReadTail[]>();
  /** Bytes held by all ReadTail.byValue maps, bounded by TAIL_BYTES. */
  private tailBytes = 0;

  constructor(private readonly fields: FieldFormatter) {}

  add(r: ReplayRecord): void {
    this.lines++;
    if (this.at > SIZE - SLACK) this.flush();
    switch (r.op) {
      case 'read': {
        this.prefix(r.index, r.cycle, r.cpu);
        const t = this.readTail(r.reg, r.via, r.size);
        if (t.byValue !== null && (r.recorded === null || r.recorded === r.value) && !r.result && !r.unmodelled) {
          this.piece(this.cachedTail(t, r.reg, r.value));
          break;
        }
        this.piece(t.mid);
        this.hexBig(r.value);
        if (r.recorded !== null && r.recorded !== r.value) {
          this.ascii(' (recorded ');
          this.hexBig(r.recorded);
          this.byte(41);
        }
        if (r.result) this.text(` error ${errnoName(r.result)}`);
        if (r.unmodelled) this.ascii(' unmodelled');
        const f = this.fields(r.reg, r.value);
        if (f) this.text(` {${f}}`);
        this.piece(t.suffix);
        break;
      }
      case 'write': {
        this.prefix(r.index, r.cycle, r.cpu);
        const via = r.src === 'timer' ? 'timer' : r.src === 'guest' ? r.via : r.src === 'user' ? 'user' : 'line';
        this.piece(this.mid(r.reg, 1, via, r.size));
        this.hexBig(r.value);
        this.piece(this.effect(r.effect));
        if (r.result) this.text(` error ${errnoName(r.result)}`);
        if (r.unmodelled) this.ascii(' unmodelled');
        if (r.size > 0) this.piece(this.suffix(r.reg, r.size));
        break;
      }
      case 'irq':
      case 'fiq':
        this.index(r.index);
        this.byte(32);
        this.hexBig(r.cycle);
        this.piece(this.output(r.cpu, r.op, r.level));
        break;
      default:
        this.text(renderRecord(r, this.fields));
    }
    this.byte(10);
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    if (this.at) this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
  }

  private byte(b: number): void {
    this.buf[this.at++] = b;
  }

  private piece(b: Buffer): void {
    if (this.at + b.length > SIZE) this.flush();
    if (b.length > SIZE) {
      this.hash.update(b);
      return;
    }
    // TypedArray#set stays in V8 (no call into C++ as Buffer#copy makes); a loop is quicker still for a few bytes (cpu<n>).
    if (b.length <= 8) {
      const buf = this.buf;
      let at = this.at;
      for (let i = 0; i < b.length; i++) buf[at++] = b[i];
      this.at = at;
    } else {
      this.buf.set(b, this.at);
      this.at += b.length;
    }
  }

  /** A string known to be short ASCII (literals of this file). */
  private ascii(s: string): void {
    this.at += this.buf.write(s, this.at, 'latin1');
  }

  /** Any string, as UTF-8 (effects, fields, notes: their length is not bounded). */
  private text(s: string): void {
    if (this.at + 3 * s.length > SIZE - 16) {
      this.flush();
      if (3 * s.length > SIZE - 16) {
        this.hash.update(s, 'utf8');
        return;
      }
    }
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** `<idx> <cycle> <cpu>` */
  private prefix(index: number, cycle: bigint, cpu: number | null): void {
    this.index(index);
    this.byte(32);
    this.hexBig(cycle);
    this.byte(32);
    this.cpu(cpu);
  }

  private index(i: number): void {
    if (i < 0) this.byte(45);
    else this.dec(i);
  }

  /** A non-negative integer in decimal. */
  private dec(n: number): void {
    if (n < 10) {
      this.buf[this.at++] = 48 + n;
      return;
    }
    if (n < 0x80000000) {
      // Below 2^31 (every index): |0 division is exact, and two digits a step from DEC2.
      const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
      const buf = this.buf;
      let p = this.at + digits;
      this.at = p;
      let x = n;
      while (x >= 100) {
        const q = (x / 100) | 0;
        const r = (x - q * 100) << 1;
        buf[--p] = DEC2[r + 1];
        buf[--p] = DEC2[r];
        x = q;
      }
      if (x >= 10) {
        buf[p - 1] = DEC2[(x << 1) + 1];
        buf[p - 2] = DEC2[x << 1];
      } else buf[p - 1] = 48 + x;
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.at + digits;
    this.at = p;
    for (let x = n; ; ) {
      this.buf[--p] = 48 + (x % 10);
      x = Math.floor(x / 10);
      if (x === 0) break;
    }
  }

  private cpu(c: number | null): void {
    if (c === null) {
      this.byte(45);
      return;
    }
    let b = this.cpus[c];
    if (b === undefined) this.cpus[c] = b = Buffer.from(`cpu${c}`, 'latin1');
    this.piece(b);
  }

  /** `0x…` of a 64-bit value, as hex() prints it. */
  private hexBig(v: bigint): void {
    const n = Number(v);
    // Number() of a bigint of 2^53 or more is itself at least 2^53: below that it is exact.
    if (n >= 0 && n < 9007199254740992) {
      this.byte(48);
      this.byte(120);
      if (n < TWO32) this.hex32(n, 0);
      else {
        this.hex32(Math.floor(n / TWO32), 0);
        this.hex32(n >>> 0, 8);
      }
      return;
    }
    this.ascii(`0x${v.toString(16)}`);
  }

  /** An unsigned 32-bit value in hex, at least `width` digits; two digits a step from HEX2. */
  private hex32(n: number, width: number): void {
    let digits = n === 0 ? 1 : (35 - Math.clz32(n)) >> 2;
    if (digits < width) digits = width;
    const buf = this.buf;
    let p = this.at + digits;
    this.at = p;
    for (let left = digits; left > 1; left -= 2) {
      const b = (n & 255) << 1;
      buf[--p] = HEX2[b + 1];
      buf[--p] = HEX2[b];
      n >>>= 8;
    }
    if (digits & 1) buf[p - 1] = HEX[n & 15];
  }

  private readTail(reg: string, via: string, size: number): ReadTail {
    let byReg = this.tails.get(reg);
    if (byReg === undefined) this.tails.set(reg, (byReg = []));
    const code = via === 'mmio' ? 0 : via === 'sysreg' ? 1 : VIA_CODE[via];
    const k = (code ?? 5) * 16 + (size & 15);
    let t = byReg[k];
    if (t === undefined || size > 15 || code === undefined) {
      t = { mid: this.mid(reg, 0, via, size), suffix: this.suffix(reg, size), byValue: size > 15 || code === undefined ? null : new Map(), small: [] };
      if (size <= 15 && code !== undefined) byReg[k] = t;
    }
    return t;
  }

  /** The tail of a plain read of `value` (ReadTail), rendered as the field-by-field path would. */
  private cachedTail(t: ReadTail, reg: string, value: bigint): Buffer {
    // Most register values are small: an array lookup by Number, no bigint hashing.
    const n = Number(value);
    let b = n >= 0 && n < SMALL_VALUES ? t.small[n] : t.byValue!.get(value);
    if (b !== undefined) return b;
    const f = this.fields(reg, value);
    const head = t.mid.toString('utf8');
    b = Buffer.from(`${head}0x${value.toString(16)}${f ? ` {${f}}` : ''}${t.suffix.toString('utf8')}`, 'utf8');
    if (t.byValue!.size >= TAILS_PER_REGISTER || this.tailBytes + b.length > TAIL_BYTES) t.byValue = null;
    else {
      if (n >= 0 && n < SMALL_VALUES) t.small[n] = b;
      t.byValue!.set(value, b);
      this.tailBytes += b.length;
    }
    return b;
  }

  /** ` -> "<effect>"`: a model says the same few things about the writes it drops or changes. */
  private effect(e: string): Buffer {
    let b = this.effects.get(e);
    if (b === undefined) {
      b = Buffer.from(` -> ${quote(e)}`, 'utf8');
      if (this.effects.size < EFFECTS && b.length <= 1024) this.effects.set(e, b);
    }
    return b;
  }

  /** ` cpu<n> irq|fiq <level>` */
  private output(cpu: number, op: 'irq' | 'fiq', level: number): Buffer {
    const k = cpu * 4 + (op === 'irq' ? 0 : 2) + (level & 1);
    let b = this.outputs[k];
    if (b === undefined || level > 1 || level < 0) {
      b = Buffer.from(` cpu${cpu} ${op} ${level}`, 'latin1');
      if (level === 0 || level === 1) this.outputs[k] = b;
    }
    return b;
  }

  private mid(reg: string, write: number, via: string, size: number): Buffer {
    let t = this.mids.get(reg);
    if (t === undefined) this.mids.set(reg, (t = []));
    const k = ((VIA_CODE[via] ?? 5) * 2 + write) * 16 + (size & 15);
    let b = t[k];
    if (b === undefined || size > 15) {
      b = Buffer.from(write ? ` write ${via} ${reg}/${size} ` : ` read ${via} ${reg}/${size} = `, 'utf8');
      if (size <= 15 && VIA_CODE[via] !== undefined) t[k] = b;
    }
    return b;
  }

  private suffix(reg: string, size: number): Buffer {
    const bySize = (this.suffixes[size] ??= new Map());
    let b = bySize.get(reg);
    if (b === undefined) {
      const info = registerIntids(reg, size);
      b = Buffer.from(!info ? '' : info.count > 1 ? ` [INTIDs ${info.first}-${info.first + info.count - 1}]` : ` [INTIDs ${info.first}]`, 'utf8');
      bySize.set(reg, b);
    }
    return b;
  }
}
