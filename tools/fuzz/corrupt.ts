// Corruptions of a valid trace file, as fast-check arbitraries: bit flips, truncation, spliced
// streams, hostile msgpack length headers, and wrong types in event fields. Each yields the
// corrupted bytes and a label saying what was done (so a failure can be reproduced by hand).

import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';

export interface Corruption {
  label: string;
  bytes: Buffer;
}

export function bitFlip(base: Buffer): fc.Arbitrary<Corruption> {
  return fc.tuple(fc.nat({ max: base.length - 1 }), fc.nat({ max: 7 }), fc.nat({ max: 3 })).map(([pos, bit, extra]) => {
    const b = Buffer.from(base);
    b[pos] ^= 1 << bit;
    // Sometimes flip a second, nearby bit so multi-bit damage in one value is covered too.
    if (extra === 0 && pos + 1 < b.length) b[pos + 1] ^= 0x80;
    return { label: `bit flip at byte ${pos} bit ${bit}${extra === 0 ? ' (+ byte ' + (pos + 1) + ' bit 7)' : ''}`, bytes: b };
  });
}

export function truncation(base: Buffer): fc.Arbitrary<Corruption> {
  return fc.nat({ max: base.length - 1 }).map((n) => ({ label: `truncated to ${n} bytes`, bytes: base.subarray(0, n) }));
}

/** Every truncation point of a small trace, in order: the exhaustive variant. */
export function allTruncations(base: Buffer): Corruption[] {
  const out: Corruption[] = [];
  for (let n = 0; n < base.length; n++) out.push({ label: `truncated to ${n} bytes`, bytes: base.subarray(0, n) });
  return out;
}

export function splice(a: Buffer, b: Buffer): fc.Arbitrary<Corruption> {
  return fc.tuple(fc.nat({ max: a.length }), fc.nat({ max: b.length })).map(([i, j]) => ({
    label: `first ${i} bytes of A + bytes ${j}.. of B`,
    bytes: Buffer.concat([a.subarray(0, i), b.subarray(j)]),
  }));
}

// msgpack headers that announce far more than any file holds: str32, bin32, array32, map32,
// ext32 with 0xffffffff, and a 2^40-ish uint64 where a count is expected.
const HOSTILE: Array<[string, number[]]> = [
  ['str32 of 4 GiB', [0xdb, 0xff, 0xff, 0xff, 0xff]],
  ['bin32 of 4 GiB', [0xc6, 0xff, 0xff, 0xff, 0xff]],
  ['array32 of 2^32-1 elements', [0xdd, 0xff, 0xff, 0xff, 0xff]],
  ['map32 of 2^32-1 entries', [0xdf, 0xff, 0xff, 0xff, 0xff]],
  ['ext32 of 4 GiB', [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ['uint64 2^40', [0xcf, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]],
  ['array16 of 65535', [0xdc, 0xff, 0xff]],
  ['str16 of 65535', [0xda, 0xff, 0xff]],
];

export function hostileLength(base: Buffer): fc.Arbitrary<Corruption> {
  return fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: HOSTILE.length - 1 }), fc.boolean()).map(([pos, k, overwrite]) => {
    const [name, bytes] = HOSTILE[k];
    const h = Buffer.from(bytes);
    const out = overwrite
      ? Buffer.concat([base.subarray(0, pos), h, base.subarray(Math.min(base.length, pos + h.length))])
      : Buffer.concat([base.subarray(0, pos), h, base.subarray(pos)]);
    return { label: `${overwrite ? 'overwrote' : 'inserted'} ${name} at byte ${pos}`, bytes: out };
  });
}

const WRONG_VALUES: Array<[string, unknown]> = [
  ['a string', 'x'],
  ['a negative number', -1],
  ['a float', 1.5],
  ['null', null],
  ['true', true],
  ['an array', [1, 2]],
  ['a map', { a: 1 }],
  ['2^64-1', 0xffffffffffffffffn],
  ['a huge small int', 0xffffffff],
];

/** Decode the stream, replace one field of one event with a value of the wrong type, re-encode. */
export function wrongType(base: Buffer): fc.Arbitrary<Corruption> {
  const values: unknown[] = [];
  new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' }).unpackMultiple(base, (v: unknown) => {
    values.push(v);
  });
  const eventIdx = values.map((v, i) => (Array.isArray(v) ? i : -1)).filter((i) => i >= 0);
  return fc.tuple(fc.nat({ max: eventIdx.length - 1 }), fc.nat({ max: 7 }), fc.nat({ max: WRONG_VALUES.length - 1 })).map(([e, field, w]) => {
    const vi = eventIdx[e];
    const ev = [...(values[vi] as unknown[])];
    const f = field % ev.length;
    const [what, wrong] = WRONG_VALUES[w];
    ev[f] = wrong;
    const packr = new Packr({ useRecords: false, variableMapSize: true });
    const parts = values.map((v, i) => (i === vi ? packr.pack(ev) : packr.pack(v)));
    return { label: `event ${vi - 1} field ${f} replaced by ${what}`, bytes: Buffer.concat(parts) };
  });
}

export function anyCorruption(base: Buffer, other: Buffer): fc.Arbitrary<Corruption> {
  return fc.oneof(bitFlip(base), truncation(base), splice(base, other), hostileLength(base), wrongType(base));
}
