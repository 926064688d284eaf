// The writer's msgpack encoder, for the small subset the format uses (nil, bool, unsigned ints,
// strings, arrays, string-keyed maps), always in the shortest form. Hand-written because msgpackr
// packs a BigInt below 2^63 as int64 (0xd3) and a JS number at or above 2^32 as float64, while
// the format wants every 64-bit quantity as uint64 (0xcf) and never a float: FORMAT.md "Integers".

import { EventKind, TraceEvent } from './events';

const TWO32 = 0x100000000n;
const TWO64 = 0x10000000000000000n;

export class MsgpackEncoder {
  buf: Buffer;
  len = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Make room for n more bytes. */
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }

  /** Forget everything encoded so far (the buffer is reused). */
  reset(): void {
    this.len = 0;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  nil(): void {
    this.ensure(1);
    this.buf[this.len++] = 0xc0;
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.len++] = v ? 0xc3 : 0xc2;
  }

  /** An unsigned integer: a JS number must be an integer below 2^32; a bigint any value below 2^64. */
  uint(v: number | bigint): void {
    if (typeof v === 'bigint') {
      if (v < TWO32) {
        if (v < 0n) throw new RangeError(`negative integer ${v} has no encoding in the trace format`);
        this.u32(Number(v));
        return;
      }
      if (v >= TWO64) throw new RangeError(`integer ${v} does not fit in 64 bits`);
      this.ensure(9);
      this.buf[this.len] = 0xcf;
      this.buf.writeBigUInt64BE(v, this.len + 1);
      this.len += 9;
      return;
    }
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${v} is not an unsigned integer below 2^32 (pass a bigint for larger values)`);
    this.u32(v);
  }

  private u32(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.len;
    if (v < 0x80) {
      b[p++] = v;
    } else if (v < 0x100) {
      b[p++] = 0xcc;
      b[p++] = v;
    } else if (v < 0x10000) {
      b[p++] = 0xcd;
      b[p++] = v >>> 8;
      b[p++] = v & 0xff;
    } else {
      b[p++] = 0xce;
      b.writeUInt32BE(v, p);
      p += 4;
    }
    this.len = p;
  }

  uintOrNil(v: number | bigint | null): void {
    if (v === null) this.nil();
    else this.uint(v);
  }

  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(5 + n);
    const b = this.buf;
    if (n < 0x20) {
      b[this.len++] = 0xa0 | n;
    } else if (n < 0x100) {
      b[this.len++] = 0xd9;
      b[this.len++] = n;
    } else if (n < 0x10000) {
      b[this.len++] = 0xda;
      b.writeUInt16BE(n, this.len);
      this.len += 2;
    } else {
      b[this.len++] = 0xdb;
      b.writeUInt32BE(n, this.len);
      this.len += 4;
    }
    this.len += b.write(s, this.len, 'utf8');
  }

  private header(n: number, fix: number, h16: number, h32: number): void {
    this.ensure(5);
    const b = this.buf;
    if (n < 16) {
      b[this.len++] = fix | n;
    } else if (n < 0x10000) {
      b[this.len++] = h16;
      b.writeUInt16BE(n, this.len);
      this.len += 2;
    } else {
      b[this.len++] = h32;
      b.writeUInt32BE(n, this.len);
      this.len += 4;
    }
  }

  /** msgpack bin (0xc4/0xc5/0xc6), shortest form: a mem-write's bytes. */
  bin(v: Uint8Array): void {
    const n = v.length;
    this.ensure(5 + n);
    const b = this.buf;
    if (n < 0x100) {
      b[this.len++] = 0xc4;
      b[this.len++] = n;
    } else if (n < 0x10000) {
      b[this.len++] = 0xc5;
      b.writeUInt16BE(n, this.len);
      this.len += 2;
    } else {
      b[this.len++] = 0xc6;
      b.writeUInt32BE(n, this.len);
      this.len += 4;
    }
    b.set(v, this.len);
    this.len += n;
  }

  arrayHeader(n: number): void {
    this.header(n, 0x90, 0xdc, 0xdd);
  }

  mapHeader(n: number): void {
    this.header(n, 0x80, 0xde, 0xdf);
  }

  /** Any value of the subset; map keys in insertion order, undefined entries left out. */
  value(v: unknown): void {
    if (v === null) this.nil();
    else if (typeof v === 'boolean') this.bool(v);
    else if (typeof v === 'number' || typeof v === 'bigint') this.uint(v);
    else if (typeof v === 'string') this.str(v);
    else if (v instanceof Uint8Array) this.bin(v);
    else if (Array.isArray(v)) {
      this.arrayHeader(v.length);
      for (const x of v) this.value(x);
    } else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      const ks = Object.keys(o).filter((k) => o[k] !== undefined);
      this.mapHeader(ks.length);
      for (const k of ks) {
        this.str(k);
        this.value(o[k]);
      }
    } else {
      throw new TypeError(`a ${typeof v} has no encoding in the trace format`);
    }
  }

  /** One event as its positional array (FORMAT.md "Events"); codec.ts eventToWire is the same layout. */
  event(ev: TraceEvent): void {
    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite:
        this.arrayHeader(8);
        this.u32(ev.kind);
        this.uint(ev.cycle);
        this.uintOrNil(ev.cpu);
        this.uint(ev.frame);
        this.uint(ev.index);
        this.uint(ev.offset);
        this.uint(ev.size);
        this.uintOrNil(ev.kind === EventKind.MmioRead ? ev.observed : ev.value);
        break;
      case EventKind.SysregRead:
      case EventKind.SysregWrite:
        this.arrayHeader(5);
        this.u32(ev.kind);
        this.uint(ev.cycle);
        this.uint(ev.cpu);
        this.uint(ev.enc);
        this.uintOrNil(ev.kind === EventKind.SysregRead ? ev.observed : ev.value);
        break;
      case EventKind.UserRead:
      case EventKind.UserWrite: {
        const withResult = ev.result !== undefined && ev.result !== null;
        this.arrayHeader(withResult ? 8 : 7);
        this.u32(ev.kind);
        this.uint(ev.cycle);
        this.uint(ev.group);
        this.uintOrNil(ev.cpu);
        this.uint(ev.offset);
        this.uint(ev.size);
        this.uintOrNil(ev.kind === EventKind.UserRead ? ev.observed : ev.value);
        if (withResult) this.uint(ev.result!);
        break;
      }
      case EventKind.Line:
        this.arrayHeader(5);
        this.u32(ev.kind);
        this.uint(ev.cycle);
        this.uint(ev.intid);
        this.uintOrNil(ev.cpu);
        this.uint(ev.level);
        break;
      case EventKind.Marker:
        this.arrayHeader(4);
        this.u32(ev.kind);
        this.uint(ev.cycle);
        this.uintOrNil(ev.cpu);
        if (typeof ev.text !== 'string') throw new TypeError('marker text must be a string');
        this.str(ev.text);
        break;
      case EventKind.MemWrite:
        this.arrayHeader(5);
        this.u32(ev.kind);
        this.uint(ev.cycle);
        this.uintOrNil(ev.cpu);
        this.uint(ev.addr);
        if (!(ev.data instanceof Uint8Array)) throw new TypeError('mem-write data must be a Uint8Array');
        this.bin(ev.data);
        break;
      case EventKind.Msi:
        this.arrayHeader(5);
        this.u32(ev.kind);
        this.uint(ev.cycle);
        this.uint(ev.address);
        this.uint(ev.data);
        this.uintOrNil(ev.devid);
        break;
      default:
        throw new TypeError(`unknown event kind ${String((ev as { kind: unknown }).kind)}`);
    }
  }
}
