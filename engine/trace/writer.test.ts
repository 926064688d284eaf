// Writer: exact round trips, the wire encoding of 64-bit values, the digest, and atomicity (an
// exception mid-write leaves nothing under the final name and no temp file behind).

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { EventKind, Frame, TraceEvent } from './events';
import { everyKindV2, everyKindV3, headerV2, tempDir } from './testing/fixtures';
import { openTrace, readTrace } from './reader';
import { synthEvents, synthHeader } from './synth';
import { MsgpackWalker } from './walk';
import { TraceWriter, writeTrace } from './writer';

const dir = tempDir('gtr-writer-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const listDir = (d: string) => fs.readdirSync(d).sort();

test('GICv3 round trip of every event kind, 64-bit values and cycles above 2^53 exact', () => {
  const f = path.join(dir, 'v3.gtr');
  const evs = everyKindV3();
  const t = writeTrace(f, synthHeader(4, 3), evs);
  const r = readTrace(f);
  expect(r.events).toEqual(evs);
  expect(r.trailer).toEqual(t);
  expect(r.header).toEqual(synthHeader(4, 3));
  // Bigints stay bigints after the round trip, even the small ones.
  for (const e of r.events) expect(typeof e.cycle).toBe('bigint');
});

test('GICv2 round trip', () => {
  const f = path.join(dir, 'v2.gtr');
  writeTrace(f, headerV2(2), everyKindV2());
  expect(readTrace(f).events).toEqual(everyKindV2());
});

test('header 64-bit fields above 2^53 survive', () => {
  const h = synthHeader(1, 3);
  h.gic.frames.redist = [0xffff_0000_0000_0000n];
  h.timer.virtualOffset = 0xffff_ffff_ffff_fff0n;
  h.gic.cpus[0].mpidr = 0xff_8000_0000n;
  h.provenance.details = { zeta: 'z', alpha: 'a' };
  const f = path.join(dir, 'h64.gtr');
  writeTrace(f, h, []);
  const back = readTrace(f).header;
  expect(back).toEqual(h);
  expect(Object.keys(back.provenance.details)).toEqual(['alpha', 'zeta']);
});

test('values at or above 2^32 are written as msgpack uint64 (0xcf), never float or int64', () => {
  const f = path.join(dir, 'wire.gtr');
  const ev: TraceEvent = { kind: EventKind.SysregWrite, cycle: 0x1_0000_0000n, cpu: 0, enc: 0x30cc1, value: 0x7fff_ffff_ffff_ffffn };
  writeTrace(f, synthHeader(1, 3), [ev]);
  const bytes = fs.readFileSync(f).toString('hex');
  expect(bytes).toContain('9504cf0000000100000000' + '00' + 'ce00030cc1' + 'cf7fffffffffffffff');
});

test('the trailer digest is the SHA-256 of exactly the event bytes', () => {
  const f = path.join(dir, 'digest.gtr');
  const t = writeTrace(f, synthHeader(4, 3), synthEvents(100));
  const bytes = fs.readFileSync(f);
  const w = new MsgpackWalker();
  const headerEnd = w.walk(bytes, 0, bytes.length, bytes.length);
  let p = headerEnd;
  for (let i = 0; i < 100; i++) p = w.walk(bytes, p, bytes.length, bytes.length);
  expect(createHash('sha256').update(bytes.subarray(headerEnd, p)).digest('hex')).toBe(t.digest);
  expect(t.events).toBe(100);
});

test('an exception from the event source mid-write leaves no file and no temp file', () => {
  const sub = fs.mkdtempSync(path.join(dir, 'atomic-'));
  const f = path.join(sub, 'out.gtr');
  function* failing(): Generator<TraceEvent> {
    yield* synthEvents(5000);
    throw new Error('recorder crashed');
  }
  expect(() => writeTrace(f, synthHeader(), failing())).toThrow('recorder crashed');
  expect(listDir(sub)).toEqual([]);
});

test('a failed rewrite keeps the previous trace under the final name intact', () => {
  const sub = fs.mkdtempSync(path.join(dir, 'keep-'));
  const f = path.join(sub, 'out.gtr');
  writeTrace(f, synthHeader(), synthEvents(10));
  const before = fs.readFileSync(f);
  const bad: TraceEvent = { kind: EventKind.MmioWrite, cycle: 1n, cpu: 9, frame: Frame.Dist, index: 0, offset: 0, size: 4, value: 0n };
  expect(() => writeTrace(f, synthHeader(), [...synthEvents(3), bad])).toThrow(InputError);
  expect(fs.readFileSync(f).equals(before)).toBe(true);
  expect(listDir(sub)).toEqual(['out.gtr']);
});

test('the writer refuses what the reader would refuse, naming the event', () => {
  const f = path.join(dir, 'refuse.gtr');
  const w = TraceWriter.create(f, synthHeader(2, 3));
  w.write({ kind: EventKind.Line, cycle: 10n, intid: 40, cpu: null, level: 1 });
  let err: unknown;
  try {
    w.write({ kind: EventKind.Line, cycle: 9n, intid: 40, cpu: null, level: 0 });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).message).toMatch(/event 1: cannot write event: cycle 9 goes backwards/);
  // A float smuggled in where an integer belongs is refused too, not written as a float64.
  expect(() => w.write({ kind: EventKind.Line, cycle: 11n, intid: 40.5, cpu: null, level: 0 })).toThrow(/field 2 \(intid\)/);
  // After refusals the writer is still usable.
  w.write({ kind: EventKind.Line, cycle: 12n, intid: 41, cpu: null, level: 0 });
  w.finish();
  expect(readTrace(f).events).toHaveLength(2);
});

test('an invalid header is refused before any file is created', () => {
  const sub = fs.mkdtempSync(path.join(dir, 'hdr-'));
  const h = synthHeader(2, 3);
  h.gic.spis = 5000;
  expect(() => TraceWriter.create(path.join(sub, 'x.gtr'), h)).toThrow(/header\.gic\.spis is 5000/);
  expect(listDir(sub)).toEqual([]);
});

test('abort() removes the temp file; finish() after abort is refused', () => {
  const sub = fs.mkdtempSync(path.join(dir, 'abort-'));
  const w = TraceWriter.create(path.join(sub, 'a.gtr'), synthHeader());
  for (const e of synthEvents(10)) w.write(e);
  expect(listDir(sub)).toHaveLength(1);
  expect(listDir(sub)[0]).toMatch(/^\.a\.gtr\.tmp-/);
  w.abort();
  w.abort();
  expect(listDir(sub)).toEqual([]);
  expect(() => w.finish()).toThrow(/aborted/);
});

test('finish(accept) refusing the trailer leaves nothing behind', () => {
  const sub = fs.mkdtempSync(path.join(dir, 'accept-'));
  const w = TraceWriter.create(path.join(sub, 'a.gtr'), synthHeader());
  w.write({ kind: EventKind.Marker, cycle: 0n, cpu: null, text: 'x' });
  expect(() =>
    w.finish(() => {
      throw new Error('no');
    }),
  ).toThrow('no');
  expect(listDir(sub)).toEqual([]);
});

test('a large trace streams through several flushes and reads back event for event', () => {
  const f = path.join(dir, 'large.gtr');
  const n = 80_000;
  writeTrace(f, synthHeader(), synthEvents(n));
  expect(fs.statSync(f).size).toBeGreaterThan(1 << 20);
  const r = openTrace(f);
  const gen = synthEvents(n);
  const ser = (e: unknown) => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  let i = 0;
  const mismatches: number[] = [];
  for (let e = r.next(); e; e = r.next(), i++) if (ser(e) !== ser(gen.next().value)) mismatches.push(i);
  expect(mismatches).toEqual([]);
  expect(i).toBe(n);
  r.close();
});
