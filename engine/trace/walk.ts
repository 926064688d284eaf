// Msgpack framing without decoding: finds where one top-level value ends and checks every
// declared length and element count against the bytes the file still holds, so a hostile header
// (a 4 GiB string, an array of 2^32 elements) is refused before anything is allocated for it.
// msgpackr only ever sees a value whose full extent has been proven to lie inside the file.

import { isUtf8 } from 'buffer';

/** Largest single value the format allows (header, event, trailer). Bounds reader memory. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** Deepest nesting the format uses is 4 (header.gic.frames.redist); 32 leaves room for minors. */
export const MAX_DEPTH = 32;

export const WALK_NEED_MORE = -1;
export const WALK_ERROR = -2;

export type WalkFailure = 'truncated' | 'corrupt';

export class MsgpackWalker {
  /** After WALK_ERROR: what went wrong, where (buffer offset), and whether the file simply ends too early. */
  error = '';
  expected = '';
  errorAt = 0;
  failure: WalkFailure = 'corrupt';
  /** The last walked value contains a float (the format never uses floats). */
  sawFloat = false;
  private readonly stack = new Float64Array(MAX_DEPTH);

  /**
   * Walk one value starting at `start`. `avail` is the end of the bytes loaded in `b`; `fileEnd`
   * is where the file ends, in the same coordinates (>= avail). Returns the offset just past the
   * value, WALK_NEED_MORE when the value continues past `avail` but fits in the file, or
   * WALK_ERROR (see error/errorAt/failure).
   */
  walk(b: Uint8Array, start: number, avail: number, fileEnd: number): number {
    const limit = Math.min(fileEnd, start + MAX_VALUE_BYTES);
    const stack = this.stack;
    this.sawFloat = false;
    let p = start;
    let depth = 0;
    let remaining = 1;
    for (;;) {
      if (p >= avail) return p >= fileEnd ? this.fail(p, 'truncated', 'the file ends in the middle of a msgpack value', 'the rest of the value') : WALK_NEED_MORE;
      const t = b[p];
      const at = p;
      let children = 0;
      let hdr = 1;
      let len = 0;
      if (t <= 0x7f || t >= 0xe0) {
        // positive / negative fixint
      } else if (t <= 0x8f) {
        children = (t & 0x0f) * 2;
      } else if (t <= 0x9f) {
        children = t & 0x0f;
      } else if (t <= 0xbf) {
        len = t & 0x1f;
      } else {
        switch (t) {
          case 0xc0:
          case 0xc2:
          case 0xc3:
            break;
          case 0xca:
            len = 4;
            this.sawFloat = true;
            break;
          case 0xcb:
            len = 8;
            this.sawFloat = true;
            break;
          case 0xcc:
          case 0xd0:
            len = 1;
            break;
          case 0xcd:
          case 0xd1:
            len = 2;
            break;
          case 0xce:
          case 0xd2:
            len = 4;
            break;
          case 0xcf:
          case 0xd3:
            len = 8;
            break;
          case 0xc4:
          case 0xd9:
          case 0xc5:
          case 0xda:
          case 0xc6:
          case 0xdb:
          case 0xdc:
          case 0xdd:
          case 0xde:
          case 0xdf: {
            const w = t === 0xc4 || t === 0xd9 ? 1 : t === 0xc5 || t === 0xda || t === 0xdc || t === 0xde ? 2 : 4;
            hdr = 1 + w;
            if (p + hdr > avail) {
              if (p + hdr > fileEnd) return this.fail(at, 'truncated', 'the file ends inside a msgpack length field', `${w} length bytes`);
              return WALK_NEED_MORE;
            }
            const n = w === 1 ? b[p + 1] : w === 2 ? (b[p + 1] << 8) | b[p + 2] : b[p + 1] * 0x1000000 + ((b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]);
            if (t >= 0xdc) {
              children = t >= 0xde ? n * 2 : n;
            } else {
              len = n;
            }
            break;
          }
          case 0xc1:
            return this.fail(at, 'corrupt', 'byte 0xc1 is not a msgpack type', 'a msgpack type byte');
          default:
            return this.fail(at, 'corrupt', `msgpack extension type 0x${t.toString(16)} is not used by the trace format`, 'nil, bool, int, string or array/map');
        }
      }
      const next = p + hdr + len;
      if (next > limit) {
        const what = len > 0 ? `${len}-byte payload` : 'value';
        if (next > fileEnd) return this.fail(at, 'truncated', `a ${what} declared here runs ${next - fileEnd} bytes past the end of the file`, `at most ${fileEnd - p - hdr} bytes`);
        return this.fail(at, 'corrupt', `a ${what} declared here makes the value larger than the ${MAX_VALUE_BYTES}-byte limit`, `a value of at most ${MAX_VALUE_BYTES} bytes`);
      }
      if (next > avail) return WALK_NEED_MORE;
      p = next;
      remaining--;
      if (children > 0) {
        // Every element takes at least one byte: a count larger than the bytes left is a lie.
        if (children > limit - p) {
          const kind = t <= 0x8f || t >= 0xde ? 'map' : 'array';
          const claim = kind === 'map' ? `${children / 2} entries` : `${children} elements`;
          const failure: WalkFailure = children > fileEnd - p ? 'truncated' : 'corrupt';
          return this.fail(at, failure, `${kind === 'map' ? 'a map' : 'an array'} declared here claims ${claim}, more than the ${Math.min(limit, fileEnd) - p} bytes that follow`, failure === 'truncated' ? `${claim} after it (the file is cut short, or the count is corrupt)` : 'at most one element per remaining byte');
        }
        if (depth === MAX_DEPTH) return this.fail(at, 'corrupt', `msgpack nesting deeper than ${MAX_DEPTH}`, `nesting of at most ${MAX_DEPTH}`);
        stack[depth++] = remaining;
        remaining = children;
        continue;
      }
      while (remaining === 0) {
        if (depth === 0) return p;
        remaining = stack[--depth];
      }
    }
  }

  private fail(at: number, failure: WalkFailure, error: string, expected: string): number {
    this.errorAt = at;
    this.failure = failure;
    this.error = error;
    this.expected = expected;
    return WALK_ERROR;
  }
}

/**
 * Fast path for the common event shape: a fixarray of nil, bool and integer elements lying wholly
 * inside b[start, avail). Returns exactly the values msgpackr produces with int64AsType 'bigint'
 * (uint64/int64 as bigint, every other integer as a number) and sets `end` past the array; returns
 * null for anything else (strings, floats, nested values, wider arrays, a value running past
 * `avail`), which the caller then frames with MsgpackWalker and decodes with msgpackr as before.
 * Whatever it accepts, the walker would accept with the same end (no floats, far below
 * MAX_VALUE_BYTES, inside the loaded bytes), so the validation is the same.
 */
export class FlatArrayDecoder {
  end = 0;

  decode(b: Buffer, start: number, avail: number): unknown[] | null {
    if (start >= avail) return null;
    const t = b[start];
    if (t < 0x90 || t > 0x9f) return null;
    const n = t & 0x0f;
    const a: unknown[] = [];
    let p = start + 1;
    for (let i = 0; i < n; i++) {
      if (p >= avail) return null;
      const x = b[p++];
      if (x <= 0x7f) {
        a.push(x);
        continue;
      }
      if (x >= 0xe0) {
        a.push(x - 0x100);
        continue;
      }
      switch (x) {
        case 0xc0:
          a.push(null);
          break;
        case 0xc2:
          a.push(false);
          break;
        case 0xc3:
          a.push(true);
          break;
        case 0xcc:
          if (p + 1 > avail) return null;
          a.push(b[p]);
          p += 1;
          break;
        case 0xcd:
          if (p + 2 > avail) return null;
          a.push((b[p] << 8) | b[p + 1]);
          p += 2;
          break;
        case 0xce:
          if (p + 4 > avail) return null;
          a.push(b.readUInt32BE(p));
          p += 4;
          break;
        case 0xcf:
          if (p + 8 > avail) return null;
          a.push(b.readBigUInt64BE(p));
          p += 8;
          break;
        case 0xd0:
          if (p + 1 > avail) return null;
          a.push(b.readInt8(p));
          p += 1;
          break;
        case 0xd1:
          if (p + 2 > avail) return null;
          a.push(b.readInt16BE(p));
          p += 2;
          break;
        case 0xd2:
          if (p + 4 > avail) return null;
          a.push(b.readInt32BE(p));
          p += 4;
          break;
        case 0xd3:
          if (p + 8 > avail) return null;
          a.push(b.readBigInt64BE(p));
          p += 8;
          break;
        default:
          return null;
      }
    }
    this.end = p;
    return a;
  }
}

/**
 * What msgpackr would accept but the format does not: a string that is not valid UTF-8 (it would
 * be decoded with replacement characters, silently changing a marker or the header), or a map
 * with a key given twice (the later value would silently win). Checks one value already framed by
 * MsgpackWalker (wholly inside b[start, end)); returns the problem, or null.
 */
export function strictnessProblem(b: Buffer, start: number, end: number): { at: number; what: string; expected: string } | null {
  let p = start;
  const lenAt = (w: number) => (w === 1 ? b[p + 1] : w === 2 ? (b[p + 1] << 8) | b[p + 2] : b.readUInt32BE(p + 1));
  const value = (depth: number): { at: number; what: string; expected: string } | null => {
    const t = b[p];
    const at = p;
    if (t >= 0xa0 && t <= 0xbf) return str(at, 1, t & 0x1f);
    if (t === 0xd9 || t === 0xda || t === 0xdb) {
      const w = t === 0xd9 ? 1 : t === 0xda ? 2 : 4;
      return str(at, 1 + w, lenAt(w));
    }
    let n = -1;
    let map = false;
    if (t >= 0x80 && t <= 0x9f) {
      n = t & 0x0f;
      map = t <= 0x8f;
      p += 1;
    } else if (t >= 0xdc && t <= 0xdf) {
      const w = t === 0xdc || t === 0xde ? 2 : 4;
      n = lenAt(w);
      map = t >= 0xde;
      p += 1 + w;
    }
    if (n < 0) {
      p = skipScalar(b, p);
      return null;
    }
    const keys = map ? new Set<string>() : null;
    for (let i = 0; i < n; i++) {
      const k = p;
      const e = value(depth + 1);
      if (e) return e;
      if (keys) {
        const key = b.toString('latin1', k, p);
        if (keys.has(key)) return { at: k, what: `map key ${describeKey(b, k, p)} given twice`, expected: 'each key once in a map' };
        keys.add(key);
        const v = value(depth + 1);
        if (v) return v;
      }
    }
    return null;
  };
  const str = (at: number, hdr: number, len: number) => {
    const s = b.subarray(at + hdr, at + hdr + len);
    p = at + hdr + len;
    return isUtf8(s) ? null : { at, what: 'a string that is not valid UTF-8', expected: 'UTF-8 strings' };
  };
  const r = value(0);
  if (!r && p !== end) throw new Error(`strictnessProblem: walked to ${p}, the value ends at ${end}`);
  return r;
}

function describeKey(b: Buffer, from: number, to: number): string {
  const t = b[from];
  const hdr = t >= 0xa0 && t <= 0xbf ? 1 : t === 0xd9 ? 2 : t === 0xda ? 3 : t === 0xdb ? 5 : 0;
  return hdr ? JSON.stringify(b.toString('utf8', from + hdr, to).slice(0, 60)) : `0x${b.toString('hex', from, Math.min(to, from + 9))}`;
}

/** Offset past a scalar (nil, bool, int, float, bin) starting at p. */
function skipScalar(b: Buffer, p: number): number {
  const t = b[p];
  if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return p + 1;
  switch (t) {
    case 0xcc:
    case 0xd0:
      return p + 2;
    case 0xcd:
    case 0xd1:
      return p + 3;
    case 0xca:
    case 0xce:
    case 0xd2:
      return p + 5;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return p + 9;
    case 0xc4:
      return p + 2 + b[p + 1];
    case 0xc5:
      return p + 3 + b.readUInt16BE(p + 1);
    case 0xc6:
      return p + 5 + b.readUInt32BE(p + 1);
    default:
      throw new Error(`strictnessProblem: type byte 0x${t.toString(16)} the walker does not accept`);
  }
}
