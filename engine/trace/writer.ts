// Streaming trace writer: header, events, trailer go to a temp file in the target folder, which
// finish() fsyncs and renames over the final name; abort() (or an exception in writeTrace) removes
// it. A crash never leaves a half-written trace under the final name. Every event is checked with
// the reader's own rules first, so the writer cannot produce a file the reader refuses.

import { createHash, Hash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { EventChecker } from './check';
import { decodeEvent, eventToWire } from './codec';
import { MsgpackEncoder } from './encode';
import { TraceEvent, TraceHeader, TraceTrailer } from './events';
import { headerToWire, parseHeader, trailerToWire } from './header';
import { Violation } from './violation';

export { headerToWire } from './header';

const FLUSH_BYTES = 1 << 20;

// Temp files of writers still open, removed if the process exits without finishing them.
const liveTemps = new Set<string>();
let exitHookInstalled = false;
let tempSeq = 0;

function trackTemp(tmp: string): void {
  liveTemps.add(tmp);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const t of liveTemps) {
        try {
          fs.unlinkSync(t);
        } catch {
          // already gone
        }
      }
    });
  }
}

function tempPath(file: string): { dir: string; tmp: string } {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  return { dir, tmp: path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${tempSeq++}`) };
}

function writeAll(fd: number, buf: Buffer, len: number): void {
  let off = 0;
  while (off < len) off += fs.writeSync(fd, buf, off, len - off);
}

function fsyncDir(dir: string): void {
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  }
}

export class TraceWriter {
  private readonly enc = new MsgpackEncoder(FLUSH_BYTES + (1 << 16));
  private readonly hash: Hash = createHash('sha256');
  /** Offset in enc's buffer where event bytes not yet hashed start. */
  private hashFrom: number;
  private readonly checker: EventChecker;
  private readonly dir: string;
  private readonly tmp: string;
  private fd: number;
  private count = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(readonly file: string, header: TraceHeader) {
    let wire: Record<string, unknown>;
    try {
      wire = headerToWire(header);
      this.checker = new EventChecker(parseHeader(wire));
    } catch (e) {
      if (e instanceof Violation) throw new InputError(`invalid trace header: ${e.what}`, { file }, e.expected);
      throw new InputError(`invalid trace header: ${(e as Error).message}`, { file });
    }
    this.enc.value(wire);
    this.hashFrom = this.enc.len;
    const t = tempPath(file);
    this.dir = t.dir;
    this.tmp = t.tmp;
    this.fd = fs.openSync(this.tmp, 'wx');
    trackTemp(this.tmp);
  }

  static create(file: string, header: TraceHeader): TraceWriter {
    return new TraceWriter(file, header);
  }

  /** Number of events written so far. */
  get events(): number {
    return this.count;
  }

  write(ev: TraceEvent): void {
    if (this.state !== 'open') throw new Error(`trace writer for ${this.file} is ${this.state}`);
    try {
      // Same type and rule checks the reader applies: a trace we write is a trace we can read.
      decodeEvent(eventToWire(ev), false);
      this.checker.check(ev);
    } catch (e) {
      if (e instanceof Violation) throw new InputError(`cannot write event: ${e.what}`, { file: this.file, eventIndex: this.count }, e.expected);
      throw new InputError(`cannot write event: ${(e as Error).message}`, { file: this.file, eventIndex: this.count });
    }
    this.enc.event(ev);
    this.count++;
    if (this.enc.len >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    const b = this.enc.buf;
    if (this.enc.len > this.hashFrom) this.hash.update(b.subarray(this.hashFrom, this.enc.len));
    writeAll(this.fd, b, this.enc.len);
    this.enc.reset();
    this.hashFrom = 0;
  }

  /**
   * Write the trailer and move the file into place. `accept`, if given, sees the trailer first and
   * may throw to refuse it (the temp file is then removed and nothing appears under the name).
   */
  finish(accept?: (t: TraceTrailer) => void): TraceTrailer {
    if (this.state !== 'open') throw new Error(`trace writer for ${this.file} is ${this.state}`);
    try {
      this.flush();
      const trailer: TraceTrailer = { events: this.count, digest: this.hash.digest('hex') };
      if (accept) accept(trailer);
      this.enc.value(trailerToWire(trailer));
      this.hashFrom = this.enc.len;
      writeAll(this.fd, this.enc.buf, this.enc.len);
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tmp, this.file);
      liveTemps.delete(this.tmp);
      this.state = 'finished';
      fsyncDir(this.dir);
      return trailer;
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Give up: close and remove the temp file. Safe to call more than once, and after finish(). */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // closing is best effort; removal below is what matters
      }
      this.fd = -1;
    }
    try {
      fs.unlinkSync(this.tmp);
    } catch {
      // already gone
    }
    liveTemps.delete(this.tmp);
  }
}

/** Write a whole trace; on any exception the temp file is removed and nothing appears under `file`. */
export function writeTrace(file: string, header: TraceHeader, events: Iterable<TraceEvent>): TraceTrailer {
  const w = TraceWriter.create(file, header);
  try {
    for (const e of events) w.write(e);
    return w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** Write a whole file atomically: temp file in the same folder, fsync, rename, fsync the folder. */
export function writeFileAtomic(file: string, data: Buffer | string): void {
  const { dir, tmp } = tempPath(file);
  const fd = fs.openSync(tmp, 'wx');
  trackTemp(tmp);
  try {
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      writeAll(fd, buf, buf.length);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  } finally {
    liveTemps.delete(tmp);
  }
  fsyncDir(dir);
}
