// Streaming trace reader: reads the file in chunks, frames one msgpack value at a time with the
// walker (which proves every declared length fits in the file before msgpackr allocates anything),
// decodes it with msgpackr, and checks it (FORMAT.md). Memory is bounded by the chunk size plus the
// largest single value (walk.ts MAX_VALUE_BYTES), whatever the trace's length.

import { createHash, Hash } from 'crypto';
import * as fs from 'fs';
import { Unpackr } from 'msgpackr';
import { InputError } from '../errors';
import { describeErrno } from '../util/fs-error';
import { openInputFile } from '../util/input-file';
import { EventChecker } from './check';
import { FastEventDecoder } from './fast-event';
import { READ_AHEAD_MIN_BYTES, ReadAheadReader, readAheadAvailable } from './read-ahead';
import type { ReadOptions, TraceReader } from './reader-types';
import { decodeEvent } from './codec';
import { TRACE_FORMAT_MINOR, TraceEvent, TraceHeader, TraceTrailer } from './events';
import { parseHeader, parseTrailer } from './header';
import { asInputError, Violation } from './violation';
import { FlatArrayDecoder, MAX_VALUE_BYTES, MsgpackWalker, strictnessProblem, WALK_ERROR, WALK_NEED_MORE } from './walk';

export type { ReadOptions, TraceReader } from './reader-types';

const DEFAULT_CHUNK = 1 << 20;

const isMapByte = (t: number) => (t >= 0x80 && t <= 0x8f) || t === 0xde || t === 0xdf;
const isArrayByte = (t: number) => (t >= 0x90 && t <= 0x9f) || t === 0xdc || t === 0xdd;

class StreamReader implements TraceReader {
  header!: TraceHeader;
  trailer: TraceTrailer | null = null;
  truncation: string | null = null;
  nextIndex = 0;

  private fd: number;
  readonly fileSize: number;
  private buf: Buffer;
  /** File offset of buf[0]. */
  private bufAbs = 0;
  private pos = 0;
  private avail = 0;
  /** Buffer offset of the first event byte not yet hashed; -1 while still in the header. */
  private hashFrom = -1;
  private readonly hash: Hash = createHash('sha256');
  private readonly walker = new MsgpackWalker();
  private readonly flat = new FlatArrayDecoder();
  private readonly fast = new FastEventDecoder();
  private readonly unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint', copyBuffers: true });
  private readonly unpackOpts = { start: 0, end: 0 };
  private checker!: EventChecker;
  private readonly extraCheck: ((ev: TraceEvent) => void) | null;
  private lenient = false;
  private done = false;
  private readonly chunk: number;

  constructor(readonly file: string, private readonly opts: ReadOptions) {
    // Only regular files: a FIFO would block forever, a dangling link is an unfetched LFS/annex file.
    const f = openInputFile(file, 'trace');
    this.fd = f.fd;
    this.fileSize = f.size;
    this.chunk = Math.max(16, opts.chunkBytes ?? DEFAULT_CHUNK);
    this.extraCheck = opts.check ?? null;
    this.buf = Buffer.allocUnsafe(Math.min(this.chunk, Math.max(16, this.fileSize)));
    try {
      this.readHeader();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  get offset(): number {
    return this.bufAbs + this.pos;
  }

  private fail(what: string, expected: string, at = this.offset, withIndex = true): never {
    throw new InputError(what, { file: this.file, byteOffset: at, ...(withIndex ? { eventIndex: this.nextIndex } : {}) }, expected);
  }

  /** Drop consumed bytes (hashing the event bytes among them), grow if one value fills the buffer, read more. */
  private refill(): void {
    if (this.hashFrom >= 0 && this.pos > this.hashFrom) this.hash.update(this.buf.subarray(this.hashFrom, this.pos));
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.avail);
      this.avail -= this.pos;
      this.bufAbs += this.pos;
      this.pos = 0;
    }
    if (this.hashFrom >= 0) this.hashFrom = 0;
    if (this.avail === this.buf.length) {
      // One value larger than the buffer: grow, within what the walker already allows.
      const size = Math.min(Math.max(this.buf.length * 2, 64), MAX_VALUE_BYTES + this.chunk, this.fileSize - this.bufAbs);
      const nb = Buffer.allocUnsafe(size);
      this.buf.copy(nb, 0, 0, this.avail);
      this.buf = nb;
    }
    const want = Math.min(this.buf.length - this.avail, this.fileSize - this.bufAbs - this.avail);
    let got = 0;
    try {
      got = want > 0 ? fs.readSync(this.fd, this.buf, this.avail, want, this.bufAbs + this.avail) : 0;
    } catch (e) {
      this.fail(`cannot read trace: ${describeErrno(e)}`, 'a readable trace file');
    }
    if (got === 0) this.fail('the file became shorter while it was read', `${this.fileSize} bytes`);
    this.avail += got;
  }

  /** Frame the next value; returns its end, or -1 when the file ends cleanly / is truncated (allowTruncated). */
  private frame(): number {
    for (;;) {
      const end = this.walker.walk(this.buf, this.pos, this.avail, this.fileSize - this.bufAbs);
      if (end >= 0) return end;
      if (end === WALK_NEED_MORE) {
        this.refill();
        continue;
      }
      if (end === WALK_ERROR) {
        const w = this.walker;
        const at = this.bufAbs + w.errorAt;
        if (w.failure === 'truncated' && this.opts.allowTruncated && this.hashFrom >= 0) {
          this.truncation = `${w.error} (byte offset ${at})`;
          return -1;
        }
        const what = this.hashFrom < 0 ? 'the header' : isMapByte(this.buf[this.pos]) ? 'the trailer' : `event ${this.nextIndex}`;
        const prefix = w.failure === 'truncated' ? `${what} is truncated or corrupt: ` : `corrupt msgpack in ${what}: `;
        this.fail(`${prefix}${w.error}${at !== this.offset ? ` (value starts at byte offset ${this.offset}, problem at ${at})` : ''}`, w.expected);
      }
    }
  }

  private decode(end: number): unknown {
    const bad = strictnessProblem(this.buf, this.pos, end);
    if (bad) this.fail(bad.what, bad.expected, this.bufAbs + bad.at, this.hashFrom >= 0);
    this.unpackOpts.start = this.pos;
    this.unpackOpts.end = end;
    try {
      return this.unpackr.unpack(this.buf, this.unpackOpts);
    } catch (e) {
      return this.fail(`corrupt msgpack: ${(e as Error).message}`, 'a well-formed msgpack value');
    }
  }

  private readHeader(): void {
    if (this.fileSize === 0) this.fail('empty file', 'a header map first', 0, false);
    this.refill();
    if (!isMapByte(this.buf[0])) this.fail('not a gicreplay trace: the first msgpack value is not a map', 'a header map whose "magic" is "gicreplay-trace"', 0, false);
    const end = this.frame();
    if (this.walker.sawFloat) this.fail('the header holds a float', 'integers only (the format never uses floats)', 0, false);
    const h = this.decode(end);
    try {
      this.header = parseHeader(h);
    } catch (e) {
      if (e instanceof Violation) this.fail(e.what, e.expected, 0, false);
      throw e;
    }
    this.lenient = this.header.formatMinor > TRACE_FORMAT_MINOR;
    this.checker = new EventChecker(this.header);
    this.pos = end;
    this.hashFrom = end;
  }

  next(): TraceEvent | null {
    if (this.done) return null;
    if (this.pos === this.avail && this.bufAbs + this.avail === this.fileSize) return this.endWithoutTrailer('the file ends without a trailer');
    // MMIO, sysreg and line events wholly in the buffer (nearly every event) decode straight to
    // the event; other flat integer arrays decode in one pass to the values msgpackr would give;
    // everything else is framed by the walker and decoded by msgpackr.
    const fastEv = this.fast.decode(this.buf, this.pos, this.avail);
    if (fastEv !== null) {
      // Exactly what decodeEvent would have built from msgpackr's array; the checks still run.
      try {
        this.checker.check(fastEv);
        if (this.extraCheck) this.extraCheck(fastEv);
      } catch (e) {
        if (e instanceof Violation) this.fail(e.what, e.expected);
        throw e;
      }
      this.pos = this.fast.end;
      this.nextIndex++;
      return fastEv;
    }
    let a = this.flat.decode(this.buf, this.pos, this.avail);
    let end: number;
    if (a !== null) {
      end = this.flat.end;
    } else {
      end = this.frame();
      if (end < 0) return this.endWithoutTrailer(this.truncation ?? 'truncated');
      const t = this.buf[this.pos];
      if (!isArrayByte(t)) {
        if (isMapByte(t)) return this.readTrailer(end);
        this.fail(`unexpected msgpack value (type byte 0x${t.toString(16)})`, 'an event array or the trailer map');
      }
      if (this.walker.sawFloat) this.fail('the event holds a float', 'integers only (the format never uses floats)');
      a = this.decode(end) as unknown[];
    }
    let ev: TraceEvent;
    try {
      ev = decodeEvent(a, this.header.formatMinor);
      this.checker.check(ev);
      if (this.extraCheck) this.extraCheck(ev);
    } catch (e) {
      if (e instanceof Violation) this.fail(e.what, e.expected);
      throw e;
    }
    this.pos = end;
    this.nextIndex++;
    return ev;
  }

  private endWithoutTrailer(reason: string): null {
    this.done = true;
    this.truncation = reason;
    if (!this.opts.allowTruncated) this.fail(`trace is truncated after ${this.nextIndex} events: ${reason}`, 'a trailer map after the last event');
    return null;
  }

  private readTrailer(end: number): null {
    const start = this.pos;
    const v = this.decode(end);
    let claimed: { events: bigint; digest: string };
    try {
      claimed = parseTrailer(v, this.lenient);
    } catch (e) {
      if (e instanceof Violation) this.fail(e.what, e.expected);
      throw e;
    }
    if (claimed.events !== BigInt(this.nextIndex)) this.fail(`trailer claims ${claimed.events} events, the file holds ${this.nextIndex}`, `"events": ${this.nextIndex}`);
    this.hash.update(this.buf.subarray(this.hashFrom, start));
    this.hashFrom = -1;
    const digest = this.hash.digest('hex');
    if (claimed.digest !== digest) this.fail(`event digest mismatch: trailer says ${claimed.digest}, the event bytes hash to ${digest}`, 'the SHA-256 of the event bytes (corrupt or edited file)');
    this.pos = end;
    if (this.offset !== this.fileSize) this.fail(`${this.fileSize - this.offset} bytes follow the trailer`, 'the end of the file after the trailer');
    this.trailer = { events: this.nextIndex, digest };
    this.done = true;
    return null;
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    this.done = true;
  }
}

export function openTrace(file: string, opts: ReadOptions = {}): TraceReader {
  const r = new StreamReader(file, opts);
  const thread = opts.readAheadThread;
  const ahead = thread !== undefined || (opts.readAhead ?? (r.fileSize >= READ_AHEAD_MIN_BYTES && opts.chunkBytes === undefined));
  if (!ahead || opts.check || !readAheadAvailable()) return r;
  // The header is read here, so a bad one fails as it always does; the thread reads the rest,
  // and `r` the first events while the thread starts.
  const start = { file, header: r.header, headerEnd: r.offset, fileSize: r.fileSize, allowTruncated: opts.allowTruncated ?? false, thread, local: r };
  try {
    return new ReadAheadReader(start);
  } catch {
    // No thread to be had (a resource limit): read here, as for a short trace.
    return r;
  }
}

/** Decode one event array (wire form) with full type checks; throws InputError. */
export function wireToEvent(a: unknown[]): TraceEvent {
  return asInputError(() => decodeEvent(a, TRACE_FORMAT_MINOR), 'event');
}

/** Validate a decoded header map and build the in-memory header; throws InputError. */
export function headerFromWire(h: Record<string, unknown>): TraceHeader {
  return asInputError(() => parseHeader(h), 'header');
}

/** Convenience for tests and small traces: the whole trace in memory. */
export function readTrace(file: string, opts: ReadOptions = {}): { header: TraceHeader; events: TraceEvent[]; trailer: TraceTrailer | null } {
  // Collecting is lighter than the hop from a read-ahead thread: read here unless told.
  const r = openTrace(file, { readAhead: false, ...opts });
  const events: TraceEvent[] = [];
  try {
    for (let e = r.next(); e; e = r.next()) events.push(e);
  } finally {
    r.close();
  }
  return { header: r.header, events, trailer: r.trailer };
}
