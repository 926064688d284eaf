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

const VIA_CODE: Record<string, number> = { mmio: 0, sysreg: 1, user: 2, line: 3, timer: 4 };

/** Renders replay records into body bytes and hashes them; `lines` counts the records. */
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

  constructor(private readonly fields: FieldFormatter) {}

  add(r: ReplayRecord): void {
    this.lines++;
    if (this.at > SIZE - SLACK) this.flush();
    switch (r.op) {
      case 'read': {
        this.prefix(r.index, r.cycle, r.cpu);
        this.piece(this.mid(r.reg, 0, r.via, r.size));
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
        this.piece(this.suffix(r.reg, r.size));
        break;
      }
      case 'write': {
        this.prefix(r.index, r.cycle, r.cpu);
        const via = r.src === 'timer' ? 'timer' : r.src === 'guest' ? r.via : r.src === 'user' ? 'user' : 'line';
        this.piece(this.mid(r.reg, 1, via, r.size));
        this.hexBig(r.value);
        this.text(` -> ${quote(r.effect)}`);
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
        this.ascii(' cpu');
        this.dec(r.cpu);
        this.ascii(r.op === 'irq' ? ' irq ' : ' fiq ');
        this.byte(48 + r.level);
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
    this.at += b.copy(this.buf, this.at);
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

  /** An unsigned 32-bit value in hex, at least `width` digits. */
  private hex32(n: number, width: number): void {
    let digits = n === 0 ? 1 : (35 - Math.clz32(n)) >> 2;
    if (digits < width) digits = width;
    let p = this.at + digits;
    this.at = p;
    for (let i = 0; i < digits; i++) {
      this.buf[--p] = HEX[n & 15];
      n >>>= 4;
    }
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
