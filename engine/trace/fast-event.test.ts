// The reader's fast paths must agree with msgpackr + decodeEvent on everything they accept, and
// give up (null) on everything else: random flat arrays of every encoding, checked both ways.

import { Unpackr } from 'msgpackr';
import { decodeEvent } from './codec';
import { FastEventDecoder } from './fast-event';
import { FlatArrayDecoder } from './walk';

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
const show = (o: unknown): string => JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

/** Deterministic xorshift so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s & 0xff;
  };
}

function element(r: () => number): number[] {
  switch (r() % 20) {
    case 0: return [r() & 0x7f];
    case 1: return [0];
    case 2: return [1];
    case 3: return [2];
    case 4: return [4];
    case 5: return [8];
    case 6: return [0xc0];
    case 7: return [0xc2];
    case 8: return [0xc3];
    case 9: return [0xcc, r()];
    case 10: return [0xcd, r(), r()];
    case 11: return [0xce, r(), r(), r(), r()];
    // Below 2^53 and up to 2^64 - 1 (the fast path reads both with DataView#getBigUint64).
    case 12: return [0xcf, r() % 3 === 0 ? r() : r() & 1, r() % 3 === 0 ? r() & 0x1f : r(), r(), r(), r(), r(), r(), r()];
    case 13: return [0xd0, r()];
    case 14: return [0xf0];
    case 15: return [0xa1, 0x41];
    case 16: return [3];
    case 17: return [5];
    case 18: return [0xcf, 0, 0, 0, 0, 0, 0, 0, 5];
    default: return [0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, r()];
  }
}

const WANT = [0, 8, 8, 5, 5, 7, 7, 5, 4];

test('fast paths match msgpackr + decodeEvent on what they accept', () => {
  const r = rng(12345);
  const fast = new FastEventDecoder();
  const flat = new FlatArrayDecoder();
  let accepted = 0;
  for (let it = 0; it < 8000; it++) {
    const kind = 1 + (r() % 8);
    const n = r() % 5 !== 0 ? WANT[kind] : r() % 12;
    const bytes = [0x90 | n];
    if (n > 0) bytes.push(kind);
    for (let i = 1; i < n; i++) bytes.push(...element(r));
    // At byte 0 of the buffer too: a uint32 there has fewer than 3 bytes before its type byte,
    // which the fast path's one 8-byte read of a uint32 needs.
    const start = it % 2;
    const b = Buffer.from([...(start ? [7] : []), ...bytes, 0xc1]);
    const end = start + bytes.length;
    const ref = unpackr.unpack(b, { start, end }) as unknown[];
    for (const avail of [end, end + 1, end - 1]) {
      const a = flat.decode(b, start, avail);
      if (a !== null) {
        expect(avail).toBeGreaterThanOrEqual(end);
        expect(flat.end).toBe(end);
        expect(a.map((x) => typeof x)).toEqual(ref.map((x) => typeof x));
        expect(show(a)).toBe(show(ref));
      }
      const ev = fast.decode(b, start, avail);
      if (ev === null) continue;
      accepted++;
      expect(avail).toBeGreaterThanOrEqual(end);
      expect(fast.end).toBe(end);
      const want = decodeEvent(ref, 0);
      expect(Object.keys(ev)).toEqual(Object.keys(want));
      expect(show(ev)).toBe(show(want));
      for (const k of Object.keys(ev) as (keyof typeof ev)[]) expect(typeof ev[k]).toBe(typeof want[k]);
    }
  }
  expect(accepted).toBeGreaterThan(100);
});
