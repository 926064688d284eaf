// Fast path of the reader for the common events: MMIO, system-register and line events whose
// fields are all canonically encoded unsigned integers (or nil where allowed), decoded straight
// from the bytes into the TraceEvent that decodeEvent (codec.ts) would build from msgpackr's array.
// It only accepts what decodeEvent accepts unchanged, builds the same object (same fields, same
// order, same types), and returns null for everything else (other kinds, a field count other than
// the exact one, any value decodeEvent would reject or convert, a value crossing `avail`), which
// the reader then handles on its general path, errors included.

import { bigFromUint } from '../util/bigint';
import { AccessSize, EventKind, Frame, TraceEvent } from './events';

/** u() results that are not values. */
const NIL = -1;
const BAD = -2;

export class FastEventDecoder {
  /** After a successful decode: the offset just past the event. */
  end = 0;
  private b: Buffer = Buffer.alloc(0);
  /** A view of `b` for its 64-bit reads (getBigUint64 builds the bigint in one step). */
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private p = 0;
  private avail = 0;

  /** A canonically encoded unsigned integer below 2^32 (fixint, uint8/16/32), NIL for nil, BAD otherwise. */
  private u(): number {
    const p = this.p;
    if (p < this.avail) {
      const x = this.b[p];
      if (x <= 0x7f) {
        this.p = p + 1;
        return x;
      }
    }
    return this.uSlow();
  }

  private uSlow(): number {
    const b = this.b;
    let p = this.p;
    if (p >= this.avail) return BAD;
    const x = b[p++];
    let v: number;
    if (x === 0xc0) {
      v = NIL;
    } else if (x === 0xcc) {
      if (p + 1 > this.avail) return BAD;
      v = b[p];
      p += 1;
    } else if (x === 0xcd) {
      if (p + 2 > this.avail) return BAD;
      v = (b[p] << 8) | b[p + 1];
      p += 2;
    } else if (x === 0xce) {
      if (p + 4 > this.avail) return BAD;
      // By hand: Buffer#readUInt32BE validates its offset again, and this runs for most cycles.
      v = b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
      p += 4;
    } else {
      return BAD;
    }
    this.p = p;
    return v;
  }

  /** A u64 field as decodeEvent's u64/u64OrNil returns it: bigint, null (nil, when allowed), undefined to give up. */
  private u64(nilOk: boolean): bigint | null | undefined {
    const p = this.p;
    if (p < this.avail) {
      const x = this.b[p];
      if (x <= 0x7f) {
        this.p = p + 1;
        return bigFromUint(x);
      }
    }
    return this.u64Slow(nilOk);
  }

  private u64Slow(nilOk: boolean): bigint | null | undefined {
    const b = this.b;
    const p = this.p;
    if (p < this.avail) {
      const x = b[p];
      if (x === 0xcf) {
        if (p + 9 > this.avail) return undefined;
        this.p = p + 9;
        // DataView#getBigUint64 builds the bigint in one step: about twice as fast as BigInt() of
        // a Number above 2^32, and far faster than readBigUInt64BE's two halves shifted together.
        return this.dv.getBigUint64(p + 1);
      }
      if (x === 0xce && p >= 3) {
        // A uint32 (the cycle of nearly every event): the 8 bytes that end with it, cut to 32
        // bits, since BigInt() of a Number above the cached range is a call into the runtime.
        if (p + 5 > this.avail) return undefined;
        this.p = p + 5;
        return BigInt.asUintN(32, this.dv.getBigUint64(p - 3));
      }
    }
    const v = this.uSlow();
    if (v >= 0) return bigFromUint(v);
    if (v === NIL && nilOk) return null;
    return undefined;
  }

  decode(b: Buffer, start: number, avail: number): TraceEvent | null {
    if (start >= avail) return null;
    const t = b[start];
    if (t < 0x90 || t > 0x9f) return null;
    const n = t & 0x0f;
    if (b !== this.b) {
      this.b = b;
      this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    this.avail = avail;
    this.p = start + 1;
    if (n === 0) return null;
    const kind = this.u();
    switch (kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite: {
        if (n !== 8) return null;
        const cycle = this.u64(false);
        if (cycle === undefined || cycle === null) return null;
        const cpu = this.u();
        if (cpu === BAD) return null;
        const frame = this.u();
        if (!(frame >= 0 && frame <= 4)) return null;
        const index = this.u();
        if (index < 0) return null;
        const offset = this.u();
        if (offset < 0) return null;
        const size = this.u();
        if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return null;
        const v = this.u64(kind === EventKind.MmioRead);
        if (v === undefined) return null;
        this.end = this.p;
        return kind === EventKind.MmioRead
          ? { kind: EventKind.MmioRead, cycle, cpu: cpu === NIL ? null : cpu, frame: frame as Frame, index, offset, size: size as AccessSize, observed: v }
          : { kind: EventKind.MmioWrite, cycle, cpu: cpu === NIL ? null : cpu, frame: frame as Frame, index, offset, size: size as AccessSize, value: v as bigint };
      }
      case EventKind.SysregRead:
      case EventKind.SysregWrite: {
        if (n !== 5) return null;
        const cycle = this.u64(false);
        if (cycle === undefined || cycle === null) return null;
        const cpu = this.u();
        if (cpu < 0) return null;
        const enc = this.u();
        if (enc < 0) return null;
        const v = this.u64(kind === EventKind.SysregRead);
        if (v === undefined) return null;
        this.end = this.p;
        return kind === EventKind.SysregRead
          ? { kind: EventKind.SysregRead, cycle, cpu, enc, observed: v }
          : { kind: EventKind.SysregWrite, cycle, cpu, enc, value: v as bigint };
      }
      case EventKind.Line: {
        if (n !== 5) return null;
        const cycle = this.u64(false);
        if (cycle === undefined || cycle === null) return null;
        const intid = this.u();
        if (intid < 0) return null;
        const cpu = this.u();
        if (cpu === BAD) return null;
        const level = this.u();
        if (level !== 0 && level !== 1) return null;
        this.end = this.p;
        return { kind: EventKind.Line, cycle, intid, cpu: cpu === NIL ? null : cpu, level };
      }
      default:
        return null;
    }
  }
}
