// Bad input: every case gets one InputError naming the file, the byte offset, the event index
// and what was expected. Files are built byte by byte (fixtures.ts) to present exactly that input.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { EventKind, Frame } from './events';
import { buildRaw, encodeValue, everyKindV3, ICC_IAR1, tempDir, writeRaw } from './testing/fixtures';
import { headerToWire } from './header';
import { openTrace, readTrace } from './reader';
import { synthHeader } from './synth';

const dir = tempDir('gtr-reader-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let seq = 0;
function file(t: Parameters<typeof writeRaw>[2]) {
  return writeRaw(dir, `t${seq++}.gtr`, t);
}

interface Want {
  byteOffset?: number;
  eventIndex?: number;
  message: RegExp;
  expected?: RegExp;
}

function expectError(f: string, want: Want, opts: Parameters<typeof readTrace>[1] = {}): InputError {
  let err: unknown;
  try {
    readTrace(f, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  const e = err as InputError;
  expect(e.location?.file).toBe(f);
  expect(e.message).toContain(f);
  expect(e.message).toMatch(want.message);
  if (want.byteOffset !== undefined) {
    expect(e.location?.byteOffset).toBe(want.byteOffset);
    expect(e.message).toContain(`byte offset ${want.byteOffset}`);
  }
  if (want.eventIndex !== undefined) {
    expect(e.location?.eventIndex).toBe(want.eventIndex);
    expect(e.message).toContain(`event ${want.eventIndex}`);
  }
  if (want.expected) expect(e.expected).toMatch(want.expected);
  return e;
}

const w = (cycle: number, offset = 0x100, extra: Partial<Record<'cpu' | 'frame' | 'index' | 'size' | 'value', unknown>> = {}) => [
  EventKind.MmioWrite,
  cycle,
  'cpu' in extra ? extra.cpu : 0,
  'frame' in extra ? extra.frame : Frame.Dist,
  'index' in extra ? extra.index : 0,
  offset,
  'size' in extra ? extra.size : 4,
  'value' in extra ? extra.value : 1,
];

describe('valid traces', () => {
  test('every event kind reads back exactly, 64-bit values and cycles above 2^53 included', () => {
    const evs = everyKindV3();
    const t = file({ events: evs });
    const r = readTrace(t.file);
    expect(r.events).toEqual(evs);
    expect(r.trailer).toEqual({ events: evs.length, digest: t.digest });
  });

  test('values straddling every possible read boundary decode the same (tiny chunks)', () => {
    const evs = everyKindV3();
    const t = file({ events: evs });
    for (const chunkBytes of [16, 17, 23, 31, 64]) expect(readTrace(t.file, { chunkBytes }).events).toEqual(evs);
  });

  test('a newer format minor is accepted: unknown header fields and trailing event fields are ignored', () => {
    const h = { ...headerToWire(synthHeader()), formatMinor: 7, futureField: 'x' };
    const t = file({ header: h, events: [[...w(1), 'a later field'], w(2)] });
    const r = readTrace(t.file);
    expect(r.header.formatMinor).toBe(7);
    expect(r.events).toHaveLength(2);
  });

  test('non-canonical integer encodings (uint64 for small values, positive int64) are accepted', () => {
    const ev = Buffer.from([0x98, 0x02, 0xcf, 0, 0, 0, 0, 0, 0, 0, 5, 0x00, 0x00, 0x00, 0xcd, 0x01, 0x00, 0x08, 0xd3, 0, 0, 0, 1, 0, 0, 0, 0]);
    const t = file({ events: [ev] });
    expect(readTrace(t.file).events[0]).toMatchObject({ kind: EventKind.MmioWrite, cycle: 5n, offset: 0x100, value: 0x100000000n });
  });

  test('kind, frame, size and level in uint8 form read as their fixint form does', () => {
    // MMIO write: kind 2, cycle 7, cpu 0, frame 2 (redist-sgi), index 1, offset 0x100, size 4, value 1.
    const mmio = Buffer.from([0x98, 0xcc, 0x02, 0x07, 0x00, 0xcc, 0x02, 0x01, 0xcd, 0x01, 0x00, 0xcc, 0x04, 0x01]);
    // Line: kind 7, cycle 8, INTID 40, cpu nil, level 1.
    const line = Buffer.from([0x95, 0xcc, 0x07, 0x08, 0x28, 0xc0, 0xcc, 0x01]);
    const t = file({ events: [mmio, line] });
    expect(readTrace(t.file).events).toEqual([
      { kind: EventKind.MmioWrite, cycle: 7n, cpu: 0, frame: Frame.RedistSgi, index: 1, offset: 0x100, size: 4, value: 1n },
      { kind: EventKind.Line, cycle: 8n, intid: 40, cpu: null, level: 1 },
    ]);
  });
});

describe('framing and msgpack', () => {
  test('empty file', () => {
    const f = path.join(dir, 'empty.gtr');
    fs.writeFileSync(f, '');
    expectError(f, { byteOffset: 0, message: /empty file/, expected: /header/ });
  });

  test('missing file', () => {
    const f = path.join(dir, 'does-not-exist.gtr');
    expectError(f, { message: /cannot read trace/ });
  });

  test('wrong magic', () => {
    const t = file({ header: { ...headerToWire(synthHeader()), magic: 'pcap' }, events: [] });
    expectError(t.file, { byteOffset: 0, message: /not a gicreplay trace/, expected: /magic.*gicreplay-trace/ });
  });

  test('not msgpack at all (a text file)', () => {
    const f = path.join(dir, 'text.gtr');
    fs.writeFileSync(f, 'hello, this is not a trace\n');
    expectError(f, { byteOffset: 0, message: /not a gicreplay trace/ });
  });

  test('newer format major is refused naming both versions', () => {
    const t = file({ header: { ...headerToWire(synthHeader()), formatMajor: 2, formatMinor: 3 }, events: [] });
    const e = expectError(t.file, { byteOffset: 0, message: /trace format 2\.3 is newer than this gicreplay reads \(format 1\.2\)/, expected: /format major 1/ });
    expect(e.message).toContain('2.3');
  });

  test('corrupt msgpack: the never-used type byte 0xc1 inside an event', () => {
    const t = file({ events: [w(1), Buffer.from([0x93, 0x02, 0xc1, 0x00])] });
    expectError(t.file, { byteOffset: t.eventOffsets[1], eventIndex: 1, message: /corrupt msgpack.*0xc1/, expected: /msgpack type byte/ });
  });

  test('an extension type is refused', () => {
    const t = file({ events: [Buffer.from([0x92, 0x08, 0xd4, 0x72, 0x00])] });
    expectError(t.file, { byteOffset: t.eventOffsets[0], eventIndex: 0, message: /extension type 0xd4/ });
  });

  test('a float is refused', () => {
    const t = file({ events: [Buffer.from([0x98, 0x02, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xcd, 0x01, 0x00, 0x04, 0x01])] });
    expectError(t.file, { byteOffset: t.eventOffsets[0], eventIndex: 0, message: /float/, expected: /integers only/ });
  });

  test('a scalar where an event array belongs', () => {
    const t = file({ events: [w(1), Buffer.from([0x05])] });
    expectError(t.file, { byteOffset: t.eventOffsets[1], eventIndex: 1, message: /unexpected msgpack value/, expected: /event array or the trailer map/ });
  });
});

describe('truncation', () => {
  const evs = [w(1), w(2), w(3)];

  test('no trailer is an error, and with allowTruncated the whole prefix with the reason', () => {
    const t = file({ events: evs, trailer: null });
    expectError(t.file, { byteOffset: t.trailerOffset, eventIndex: 3, message: /truncated after 3 events.*without a trailer/, expected: /trailer/ });
    const r = openTrace(t.file, { allowTruncated: true });
    let n = 0;
    while (r.next()) n++;
    expect(n).toBe(3);
    expect(r.truncation).toMatch(/without a trailer/);
    expect(r.trailer).toBeNull();
    expect(r.nextIndex).toBe(3);
    r.close();
  });

  test('a file cut in the middle of an event: error, or the valid prefix with allowTruncated', () => {
    const full = buildRaw({ events: evs, trailer: null });
    const f = path.join(dir, 'cut.gtr');
    fs.writeFileSync(f, full.bytes.subarray(0, full.eventOffsets[2] + 4));
    expectError(f, { byteOffset: full.eventOffsets[2], eventIndex: 2, message: /event 2 is truncated or corrupt/ });
    const r = readTrace(f, { allowTruncated: true });
    expect(r.events).toHaveLength(2);
    const rd = openTrace(f, { allowTruncated: true });
    while (rd.next());
    expect(rd.truncation).toMatch(/array declared here claims 8 elements, more than the 3 bytes/);
    rd.close();
  });

  test('a file cut inside the header is an error even with allowTruncated', () => {
    const full = buildRaw({ events: evs });
    const f = path.join(dir, 'cut-header.gtr');
    fs.writeFileSync(f, full.bytes.subarray(0, 40));
    expectError(f, { byteOffset: 0, message: /the header is truncated or corrupt/ }, { allowTruncated: true });
  });

  test('a file cut inside the trailer', () => {
    const full = buildRaw({ events: evs });
    const f = path.join(dir, 'cut-trailer.gtr');
    fs.writeFileSync(f, full.bytes.subarray(0, full.bytes.length - 5));
    expectError(f, { byteOffset: full.trailerOffset, eventIndex: 3, message: /the trailer is truncated or corrupt/ });
    expect(readTrace(f, { allowTruncated: true }).events).toHaveLength(3);
  });
});

describe('trailer', () => {
  test('event count mismatch', () => {
    const t = file({ events: [w(1)], trailer: { trailer: true, events: 2, digest: 'a'.repeat(64) } });
    expectError(t.file, { byteOffset: t.trailerOffset, eventIndex: 1, message: /trailer claims 2 events, the file holds 1/ });
  });

  test('digest mismatch (an event byte flipped after writing)', () => {
    const good = buildRaw({ events: [w(1, 0x100, { value: 1 })] });
    const bad = Buffer.from(good.bytes);
    bad[good.trailerOffset - 1] = 0x02; // the value field: still a valid event
    const f = path.join(dir, 'digest.gtr');
    fs.writeFileSync(f, bad);
    expectError(f, { byteOffset: good.trailerOffset, eventIndex: 1, message: /digest mismatch/, expected: /SHA-256/ });
  });

  test('malformed trailer digest', () => {
    const t = file({ events: [], trailer: { trailer: true, events: 0, digest: 'XYZ' } });
    expectError(t.file, { byteOffset: t.trailerOffset, message: /trailer\.digest/, expected: /64 lower-case hex/ });
  });

  test('bytes after the trailer', () => {
    const t = file({ events: [w(1)], tail: Buffer.from([0x90]) });
    expectError(t.file, { message: /1 bytes follow the trailer/ });
  });
});

describe('hostile lengths are refused before allocation', () => {
  test('a trailer claiming 2^40 events', () => {
    const t = file({ events: [w(1)], trailer: { trailer: true, events: 1n << 40n, digest: '0'.repeat(64) } });
    expectError(t.file, { byteOffset: t.trailerOffset, eventIndex: 1, message: /trailer claims 1099511627776 events, the file holds 1/ });
  });

  test('a 4 GiB string in a marker', () => {
    const ev = Buffer.from([0x94, 0x08, 0x01, 0xc0, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61, 0x62]);
    const t = file({ events: [ev] });
    expectError(t.file, { byteOffset: t.eventOffsets[0], eventIndex: 0, message: /4294967295-byte payload.*past the end of the file/ });
  });

  test('a 4 GiB bin in the header', () => {
    const h = Buffer.concat([Buffer.from([0x81, 0xa5]), Buffer.from('magic'), Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff])]);
    const t = file({ header: h, events: [] });
    expectError(t.file, { byteOffset: 0, message: /the header is truncated or corrupt.*payload/ });
  });

  test('an event array claiming 2^32 - 1 elements', () => {
    const ev = Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01]);
    const t = file({ events: [ev] });
    expectError(t.file, { byteOffset: t.eventOffsets[0], eventIndex: 0, message: /array declared here claims 4294967295 elements/ });
  });

  test('a header map claiming 2^32 - 1 entries', () => {
    const t = file({ header: Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa5, 0x6d]), events: [] });
    expectError(t.file, { byteOffset: 0, message: /map declared here claims 4294967295 entries/ });
  });

  test('nesting deeper than the format allows', () => {
    const deep = Buffer.concat([Buffer.alloc(100, 0x91), Buffer.from([0x00])]);
    const t = file({ events: [deep] });
    expectError(t.file, { byteOffset: t.eventOffsets[0], eventIndex: 0, message: /nesting deeper than 32/ });
  });
});

describe('header schema', () => {
  /* eslint-disable @typescript-eslint/no-explicit-any -- hostile header shapes are the point */
  const base = () => headerToWire(synthHeader()) as Record<string, any>;
  const cases: [string, (h: Record<string, any>) => void, RegExp][] = [
    ['gic version 4', (h) => (h.gic.version = 4), /header\.gic\.version is integer 4/],
    ['cpus not an array', (h) => (h.gic.cpus = 4), /header\.gic\.cpus is integer 4/],
    ['no cpus', (h) => (h.gic.cpus = []), /0 entries/],
    ['mpidr a string', (h) => (h.gic.cpus[1].mpidr = '0x80000001'), /header\.gic\.cpus\[1\]\.mpidr is string/],
    ['spis too many', (h) => (h.gic.spis = 2000), /spis is 2000/],
    ['its on GICv2', (h) => ((h.gic.version = 2), (h.gic.its = true), delete h.gic.frames.redist), /its is true on GICv2/],
    ['missing writer', (h) => delete h.writer, /header\.writer is nothing \(missing\)/],
    ['unknown field at minor 0', (h) => (h.extra = 1), /unknown field header\.extra/],
    ['den 0', (h) => (h.timer.counterPerCycle.den = 0), /den is 0/],
    ['source kind', (h) => (h.provenance.kind = 'gdb'), /provenance\.kind is "gdb"/],
    ['details value not a string', (h) => (h.provenance.details = { a: 1 }), /details\.a is integer 1/],
  ];  /* eslint-enable @typescript-eslint/no-explicit-any */

  test.each(cases)('%s', (_name, mutate, message) => {
    const h = base();
    mutate(h);
    const t = file({ header: h, events: [] });
    expectError(t.file, { byteOffset: 0, message });
  });
});

describe('event rules', () => {
  const cases: [string, unknown[] | Buffer, RegExp, RegExp][] = [
    ['unknown event kind', [11, 1, 0], /unknown event kind integer 11/, /kind from 1/],
    ['a 1.2 event kind (mem-write) in a 1.0 trace', [9, 1, 0, 0x40000000, Buffer.from([1])], /mem-write event \(kind 9\) in a format 1\.0 trace/, /format 1\.2 or later/],
    ['missing field', [EventKind.MmioWrite, 1, 0, 0, 0, 0x100, 4], /7 fields; missing value/, /exactly 8 fields/],
    ['extra field at minor 0', [...w(1), 5], /9 fields/, /exactly 8/],
    ['wrong type: offset a string', w(1, '0x100' as unknown as number), /field 5 \(offset\) is string "0x100"/, /unsigned integer/],
    ['wrong type: negative cycle', Buffer.from([0x98, 0x02, 0xff, 0x00, 0x00, 0x00, 0xcd, 0x01, 0x00, 0x04, 0x01]) as unknown as unknown[], /field 1 \(cycle\) is integer -1/, /unsigned 64-bit/],
    ['size 3', w(1, 0x100, { size: 3 }), /field 6 \(size\) is integer 3/, /1, 2, 4 or 8/],
    ['frame 7', w(1, 0x100, { frame: 7 }), /field 3 \(frame\) is integer 7/, /Frame/],
    ['cpu-interface frame on GICv3', w(1, 0x0, { frame: Frame.CpuIf }), /frame cpuif does not exist on this GICv3/, /dist, redist-rd or redist-sgi/],
    ['ITS frame without an ITS', w(1, 0x0, { frame: Frame.Its }), /frame its does not exist/, /without an ITS/],
    ['offset outside the distributor', w(1, 0x10000), /offset 0x10000 \(\+4\) lies outside the dist frame/, /below 0x10000/],
    ['access crossing the frame end', w(1, 0xfffe), /offset 0xfffe \(\+4\)/, /inside the frame/],
    ['vCPU out of range', w(1, 0x100, { cpu: 4 }), /vCPU 4 out of range/, /below 4/],
    ['redistributor out of range', w(1, 0x0, { frame: Frame.RedistRd, index: 4 }), /redistributor 4 out of range/, /below 4/],
    ['index on the distributor', w(1, 0x0, { index: 1 }), /frame index 1 on the dist frame/, /index 0/],
    ['value wider than the access', w(1, 0x100, { value: 0x100000000n }), /does not fit a 4-byte access/, /below 2\^32/],
    ['sysreg without a vCPU', [EventKind.SysregRead, 1, null, ICC_IAR1, null], /field 2 \(cpu\) is nil/, /unsigned integer/],
    ['sysreg encoding out of range', [EventKind.SysregRead, 1, 0, 0x3ffff, null], /sysreg encoding 0x3ffff/, /op2<=7/],
    ['user group 4', [EventKind.UserWrite, 1, 4, null, 0, 4, 0], /field 2 \(group\) is integer 4/, /UserGroup/],
    ['cpu-regs group on GICv3', [EventKind.UserWrite, 1, 2, 0, 0, 4, 0], /group cpu-regs does not exist on GICv3/, /dist-regs, redist-regs or cpu-sysregs/],
    ['redist-regs without a vCPU', [EventKind.UserRead, 1, 1, null, 0, 4, null], /vCPU is nil/, /vCPU index/],
    ['line level 2', [EventKind.Line, 1, 40, null, 2], /field 4 \(level\) is integer 2/, /0 or 1/],
    ['SPI beyond the configured SPIs', [EventKind.Line, 1, 96, null, 1], /INTID 96 is not a PPI or an SPI/, /32\.\.95/],
    ['SPI naming a vCPU', [EventKind.Line, 1, 40, 1, 1], /SPI 40 line names vCPU 1/, /cpu nil/],
    ['PPI without a vCPU', [EventKind.Line, 1, 27, null, 1], /PPI 27 line without a vCPU/, /vCPU/],
    ['marker text not a string', [EventKind.Marker, 1, null, 5], /field 3 \(text\) is integer 5/, /a string/],
  ];
  test.each(cases)('%s', (_name, bad, message, expected) => {
    const t = file({ events: [w(1), bad] });
    expectError(t.file, { byteOffset: t.eventOffsets[1], eventIndex: 1, message, expected });
  });

  test('cycle going backwards', () => {
    const t = file({ events: [w(5), w(10), w(9)] });
    expectError(t.file, { byteOffset: t.eventOffsets[2], eventIndex: 2, message: /cycle 9 goes backwards \(previous event at cycle 10\)/, expected: /cycle >= 10/ });
  });

  test('equal cycles are fine (non-decreasing)', () => {
    const t = file({ events: [w(5), w(5), w(5)] });
    expect(readTrace(t.file).events).toHaveLength(3);
  });

  test('GICv2: redistributor frames and ICC system registers are refused, CNT* timer registers accepted', () => {
    const h = headerToWire(synthHeader(2, 2));
    const a = file({ header: h, events: [w(1, 0x0, { frame: Frame.RedistRd })] });
    expectError(a.file, { byteOffset: a.eventOffsets[0], eventIndex: 0, message: /frame redist-rd does not exist on this GICv2/, expected: /dist or cpuif/ });
    const b = file({ header: h, events: [[EventKind.SysregRead, 1, 0, ICC_IAR1, null]] });
    expectError(b.file, { byteOffset: b.eventOffsets[0], eventIndex: 0, message: /system-register access on GICv2/ });
    // The generic timer's system registers exist whatever the GIC: CNTVCT_EL0 is fine on GICv2.
    expect(readTrace(file({ header: h, events: [[EventKind.SysregRead, 1, 0, 0x33e02, 5]] }).file).events).toHaveLength(1);
    const c = file({ header: h, events: [w(1, 0x1000)] });
    expectError(c.file, { byteOffset: c.eventOffsets[0], eventIndex: 0, message: /outside the dist frame/, expected: /below 0x1000/ });
  });

  test('the error names the event, not only the file, deep into a long trace', () => {
    const evs = Array.from({ length: 5000 }, (_, i) => w(i));
    evs.push(w(1));
    const t = file({ events: evs });
    expectError(t.file, { byteOffset: t.eventOffsets[5000], eventIndex: 5000, message: /goes backwards/ }, { chunkBytes: 4096 });
  });
});

test('encodeValue writes 64-bit integers as uint64 and small ones in the shortest form', () => {
  expect(encodeValue(0x100000000n).toString('hex')).toBe('cf0000000100000000');
  expect(encodeValue(0xffffffffffffffffn).toString('hex')).toBe('cfffffffffffffffff');
  expect(encodeValue(5n).toString('hex')).toBe('05');
  expect(encodeValue(0xffffffff).toString('hex')).toBe('ceffffffff');
  expect(() => encodeValue(2 ** 32)).toThrow(RangeError);
  expect(() => encodeValue(1.5)).toThrow(RangeError);
});

describe('mutated files', () => {
  // Deterministic byte flips, truncations and insertions of a valid trace: the reader must either
  // accept the result or refuse it with an InputError, never crash with anything else.
  test('every mutation gives valid events or one InputError', () => {
    const base = buildRaw({ events: everyKindV3() }).bytes;
    let x = 0x9e3779b9;
    const rnd = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const f = path.join(dir, 'mutant.gtr');
    const outcomes = { accepted: 0, refused: 0 };
    for (let i = 0; i < 800; i++) {
      let b = Buffer.from(base);
      const op = rnd(3);
      if (op === 0) for (let k = 0; k <= rnd(3); k++) b[rnd(b.length)] = rnd(256);
      else if (op === 1) b = b.subarray(0, rnd(b.length));
      else {
        const at = rnd(b.length);
        b = Buffer.concat([b.subarray(0, at), Buffer.from([rnd(256), rnd(256)]), b.subarray(at)]);
      }
      fs.writeFileSync(f, b);
      for (const allowTruncated of [false, true]) {
        try {
          readTrace(f, { allowTruncated, chunkBytes: 64 });
          outcomes.accepted++;
        } catch (e) {
          if (!(e instanceof InputError)) throw new Error(`mutation ${i} (op ${op}) crashed the reader: ${(e as Error).stack}`, { cause: e });
          expect(e.location?.file).toBe(f);
          outcomes.refused++;
        }
      }
    }
    expect(outcomes.refused).toBeGreaterThan(500);
  });
});
