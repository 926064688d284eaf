// The read-ahead reader (read-ahead.ts, on a thread of its own) gives what the streaming reader
// gives: the same events (fields, order, types), byte offsets, trailer, truncation and errors.
// A thread runs compiled code only, so these tests drive dist/ (`npm test` builds it first) and
// hold it to the reader of the sources, on every suite trace and on crafted bad input.

import * as fs from 'fs';
import * as path from 'path';
import { projectRoot } from '../util/project-root';
import { EventKind, Frame, TraceEvent, TraceHeader } from './events';
import type * as ReadAheadModule from './read-ahead';
import { openTrace, ReadOptions, TraceReader } from './reader';
import type * as ReaderModule from './reader';
import { buildRaw, everyKindV3, tempDir, writeRaw } from './testing/fixtures';
import { synthHeader } from './synth';
import { writeTrace } from './writer';

const root = projectRoot();
const dist = (m: string) => path.join(root, 'dist', 'engine', 'trace', `${m}.js`);
let compiled: typeof ReaderModule;
let ahead: typeof ReadAheadModule;
beforeAll(async () => {
  if (!fs.existsSync(dist('read-ahead-worker'))) throw new Error('dist/ is missing the read-ahead thread: run `npx tsc -p tsconfig.json` (npm test does) before these tests');
  compiled = (await import(dist('reader'))) as typeof ReaderModule;
  ahead = (await import(dist('read-ahead'))) as typeof ReadAheadModule;
});

const dir = tempDir('gtr-ahead-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Reading {
  events: TraceEvent[];
  /** reader.offset before each next(), as streamTrace takes it for its error locations. */
  offsets: number[];
  end: { trailer: unknown; truncation: string | null; nextIndex: number } | null;
  error: { name: string; message: string; location?: unknown; expected?: string } | null;
}

function drain(r: TraceReader, limit = Infinity): Reading {
  const out: Reading = { events: [], offsets: [], end: null, error: null };
  try {
    for (let i = 0; i < limit; i++) {
      out.offsets.push(r.offset);
      const ev = r.next();
      if (!ev) {
        out.end = { trailer: r.trailer, truncation: r.truncation, nextIndex: r.nextIndex };
        break;
      }
      out.events.push(ev);
    }
  } catch (e) {
    const x = e as Error & { location?: unknown; expected?: string };
    out.error = { name: x.name, message: x.message, location: x.location, expected: x.expected };
  } finally {
    r.close();
  }
  return out;
}

/** Events as comparable values: key order, bigint versus number, Buffer versus other bytes all count. */
function shape(evs: TraceEvent[]): string[] {
  return evs.map((e) => JSON.stringify(Object.entries(e).map(([k, v]) => [k, typeof v, v instanceof Uint8Array ? `${v.constructor.name}:${Buffer.from(v).toString('hex')}` : String(v)])));
}

function expectSame(file: string, opts: ReadOptions = {}, entries?: number): Reading {
  const want = drain(openTrace(file, { ...opts, readAhead: false }));
  const r = entries === undefined ? compiled.openTrace(file, { ...opts, readAhead: true }) : startSmall(file, opts, entries);
  expect(r).toBeInstanceOf(ahead.ReadAheadReader);
  const got = drain(r);
  expect(shape(got.events)).toEqual(shape(want.events));
  expect(got.offsets).toEqual(want.offsets);
  expect(got.end).toEqual(want.end);
  expect(got.error).toEqual(want.error);
  return got;
}

/** A reader whose ring holds `entries` events, so each thread waits on the other again and again. */
function startSmall(file: string, opts: ReadOptions, entries: number): TraceReader {
  const h = compiled.openTrace(file, { ...opts, readAhead: false });
  const start = { file, header: h.header, headerEnd: h.offset, fileSize: h.fileSize, allowTruncated: opts.allowTruncated ?? false, entries };
  h.close();
  return new ahead.ReadAheadReader(start);
}

function suiteTraces(d = path.join(root, 'traces')): string[] {
  return fs
    .readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? suiteTraces(path.join(d, e.name)) : e.name.endsWith('.gtr') ? [path.join(d, e.name)] : []))
    .sort();
}

test('every suite trace reads the same, event for event', () => {
  const files = suiteTraces();
  expect(files.length).toBeGreaterThan(30);
  let events = 0;
  for (const f of files) events += expectSame(f).events.length;
  expect(events).toBeGreaterThan(10000);
});

test('every event kind, through a ring of two entries (messages for the rare kinds)', () => {
  const t = writeRaw(dir, 'kinds.gtr', { events: everyKindV3() });
  const got = expectSame(t.file, {}, 2);
  expect(got.error).toBeNull();
  expect(new Set(got.events.map((e) => e.kind))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
});

test('format 1.2 events (guest memory, MSIs): the memory bytes are a Buffer, as the reader gives them', () => {
  const h = synthHeader(2, 3);
  const header: TraceHeader = { ...h, formatMinor: 2, gic: { ...h.gic, its: true, frames: { dist: 0x08000000n, redist: [0x080a0000n], its: 0x08080000n } } };
  const f = path.join(dir, 'its.gtr');
  writeTrace(f, header, [
    { kind: EventKind.MemWrite, cycle: 1n, cpu: 0, addr: 0x40000000n, data: new Uint8Array(32).fill(7) },
    { kind: EventKind.Msi, cycle: 2n, cpu: null, address: 0x08090040n, data: 3, devid: 0x10 },
    { kind: EventKind.SysregRead, cycle: 3n, cpu: 0, enc: 0x30cc0, observed: 0x3ffn },
  ]);
  const got = expectSame(f, {}, 2);
  expect(got.error).toBeNull();
  expect(got.events.map((e) => e.kind)).toEqual([EventKind.MemWrite, EventKind.Msi, EventKind.SysregRead]);
  expect(got.events[0].kind === EventKind.MemWrite && Buffer.isBuffer(got.events[0].data)).toBe(true);
});

const w = (cycle: number | bigint, extra: { cpu?: number | null; value?: number | bigint } = {}) => [EventKind.MmioWrite, cycle, extra.cpu === undefined ? 0 : extra.cpu, Frame.Dist, 0, 0x100, 4, extra.value ?? 1];

test('64-bit cycles and values, nil CPUs and nil observed values stay exact', () => {
  const big = 0xffff_ffff_ffff_fff0n;
  const events = [w(1), w(0x1_0000_0000n, { cpu: null, value: 0xffff_ffff }), [EventKind.MmioRead, big, null, Frame.Dist, 0, 0, 4, null], [EventKind.SysregWrite, big, 1, 0x30cb5, big], [EventKind.SysregRead, big + 1n, 1, 0x30cc0, null], [EventKind.Line, big + 2n, 40, null, 1]];
  const got = expectSame(writeRaw(dir, 'wide.gtr', { events }).file, {}, 4);
  expect(got.error).toBeNull();
  expect(got.events.map((e) => e.cycle)).toEqual([1n, 0x1_0000_0000n, big, big, big + 1n, big + 2n]);
  expect(got.events[3].kind === EventKind.SysregWrite && got.events[3].value).toBe(big);
});

describe('bad input gives the streaming reader\'s error, at the same place', () => {
  const evs = Array.from({ length: 40 }, (_, i) => w(i + 1));

  test('a corrupt event deep in the trace', () => {
    const full = buildRaw({ events: evs });
    const bytes = Buffer.from(full.bytes);
    bytes[full.eventOffsets[30]] = 0xc1; // a type byte msgpack never uses
    const f = path.join(dir, 'corrupt.gtr');
    fs.writeFileSync(f, bytes);
    const got = expectSame(f, {}, 8);
    expect(got.events).toHaveLength(30);
    expect(got.error?.name).toBe('InputError');
    expect(got.error?.location).toMatchObject({ file: f, eventIndex: 30, byteOffset: full.eventOffsets[30] });
  });

  test('a wrong event digest in the trailer', () => {
    const t = writeRaw(dir, 'digest.gtr', { events: evs, trailer: { trailer: true, events: evs.length, digest: '0'.repeat(64) } });
    expect(expectSame(t.file).error?.message).toMatch(/event digest mismatch/);
  });

  test('no trailer: an error, or with allowTruncated the prefix and the reason', () => {
    const t = writeRaw(dir, 'cut.gtr', { events: evs, trailer: null });
    expect(expectSame(t.file).error?.message).toMatch(/truncated after 40 events/);
    const got = expectSame(t.file, { allowTruncated: true }, 2);
    expect(got.end).toEqual({ trailer: null, truncation: 'the file ends without a trailer', nextIndex: 40 });
  });

  test('a file cut inside an event, with allowTruncated', () => {
    const full = buildRaw({ events: evs, trailer: null });
    const f = path.join(dir, 'cut-mid.gtr');
    fs.writeFileSync(f, full.bytes.subarray(0, full.eventOffsets[25] + 3));
    expect(expectSame(f, { allowTruncated: true }).events).toHaveLength(25);
  });
});

describe('start-up: the reader that read the header serves until the thread catches up', () => {
  const evs = Array.from({ length: 1000 }, (_, i) => w(i + 1, { value: i }));
  const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);

  /** Read `before` events at once (the thread cannot have started), give the thread time, read on. */
  function readPaused(file: string, before: number, opts: ReadOptions = {}): { reading: Reading; handedOverAt: number | null } {
    const r = compiled.openTrace(file, { ...opts, readAhead: true }) as InstanceType<typeof ahead.ReadAheadReader>;
    expect(r).toBeInstanceOf(ahead.ReadAheadReader);
    const first = drainKeepOpen(r, before);
    pause();
    const handedOverAt = () => r.handedOverAt;
    const rest = drain(r);
    return { reading: { events: [...first.events, ...rest.events], offsets: [...first.offsets, ...rest.offsets], end: rest.end, error: first.error ?? rest.error }, handedOverAt: handedOverAt() };
  }

  function drainKeepOpen(r: TraceReader, n: number): Reading {
    const out: Reading = { events: [], offsets: [], end: null, error: null };
    for (let i = 0; i < n; i++) {
      out.offsets.push(r.offset);
      out.events.push(r.next()!);
    }
    return out;
  }

  function expectAsStreaming(file: string, got: Reading, opts: ReadOptions = {}): void {
    const want = drain(openTrace(file, { ...opts, readAhead: false }));
    expect(shape(got.events)).toEqual(shape(want.events));
    expect(got.offsets).toEqual(want.offsets);
    expect(got.end).toEqual(want.end);
    expect(got.error).toEqual(want.error);
  }

  test('the thread takes over at the first look after it has caught up, passing over what was read here', () => {
    const t = writeRaw(dir, 'handover.gtr', { events: evs });
    const { reading, handedOverAt } = readPaused(t.file, 100);
    // Looks come every 64 events: at 0 and 64 the thread had not started, at 128 it had.
    expect(handedOverAt).toBe(128);
    expectAsStreaming(t.file, reading);
    expect(reading.end?.nextIndex).toBe(1000);
  });

  test('a corrupt event before or after the hand-over is the streaming reader\'s error', () => {
    const full = buildRaw({ events: evs });
    for (const at of [50, 600]) {
      const bytes = Buffer.from(full.bytes);
      bytes[full.eventOffsets[at]] = 0xc1;
      const f = path.join(dir, `corrupt-${at}.gtr`);
      fs.writeFileSync(f, bytes);
      const { reading, handedOverAt } = readPaused(f, 40);
      expect(handedOverAt).toBe(at < 64 ? null : 64);
      expect(reading.error?.location).toMatchObject({ file: f, eventIndex: at, byteOffset: full.eventOffsets[at] });
      expectAsStreaming(f, reading);
    }
  });

  test('a trace that ends before the thread catches up ends as the streaming reader ends it', () => {
    const t = writeRaw(dir, 'short-cut.gtr', { events: evs.slice(0, 30), trailer: null });
    const r = compiled.openTrace(t.file, { readAhead: true, allowTruncated: true }) as InstanceType<typeof ahead.ReadAheadReader>;
    const got = drain(r);
    expect(r.handedOverAt).toBeNull();
    expectAsStreaming(t.file, got, { allowTruncated: true });
    expect(got.end).toEqual({ trailer: null, truncation: 'the file ends without a trailer', nextIndex: 30 });
  });
});

test('closing before the end stops the thread (the test process would not exit otherwise)', () => {
  const t = writeRaw(dir, 'early.gtr', { events: Array.from({ length: 5000 }, (_, i) => w(i)) });
  const got = drain(startSmall(t.file, {}, 16), 3);
  expect(got.events).toHaveLength(3);
});

test('a thread that dies is noticed within about a second, as an error naming the file', () => {
  const t = writeRaw(dir, 'dies.gtr', { events: [w(1), w(2)] });
  // A thread script that says it exits (as both real ones do first), then fails before reading.
  const script = path.join(dir, 'dies.js');
  fs.writeFileSync(script, `const { workerData } = require('worker_threads');\nconst ring = require(${JSON.stringify(dist('read-ahead-ring'))});\nring.reportExit(ring.ringViews(workerData.sab, workerData.entries).ctl);\nthrow new Error('a module that would not load');\n`);
  const h = compiled.openTrace(t.file, { readAhead: false });
  const start = { file: t.file, header: h.header, headerEnd: h.offset, fileSize: h.fileSize, allowTruncated: false, thread: { script, data: {}, transferList: [] } };
  h.close();
  const r = new ahead.ReadAheadReader(start);
  const got = drain(r);
  expect(got.events).toHaveLength(0);
  expect(got.error?.message).toMatch(/the trace reader's thread: the thread stopped before it finished .*dies\.gtr, event 0/);
  r.terminate();
});

test('openTrace reads ahead by default only for large traces, and never with a per-event check', () => {
  const t = writeRaw(dir, 'small.gtr', { events: [w(1)] });
  const small = compiled.openTrace(t.file);
  expect(small).not.toBeInstanceOf(ahead.ReadAheadReader);
  small.close();
  const checked = compiled.openTrace(t.file, { readAhead: true, check: () => undefined });
  expect(checked).not.toBeInstanceOf(ahead.ReadAheadReader);
  checked.close();
  expect(ahead.READ_AHEAD_MIN_BYTES).toBe(16 << 20);
});
