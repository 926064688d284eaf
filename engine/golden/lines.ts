// Bounded-memory, synchronous line IO for goldens: replay is synchronous, so the comparison pulls
// golden lines on demand instead of loading a body that may be hundreds of megabytes.

import { createHash, Hash } from 'crypto';
import * as fs from 'fs';
import { InputError } from '../errors';

const CHUNK = 1 << 16;

/** Reads a file line by line (LF only). Splits on bytes, so UTF-8 never breaks across chunks. */
export class LineReader {
  private fd: number;
  private buf = Buffer.alloc(0);
  private pos = 0;
  private eof = false;
  /** 1-based number of the last line returned. */
  lineNo = 0;
  /** False when the last line returned had no terminating LF (a truncated file). */
  lastTerminated = true;
  /** startHash(): the bytes of the lines returned since, hashed as the buffer moves on. */
  private hash: Hash | null = null;
  private hashFrom = 0;

  constructor(readonly file: string) {
    try {
      this.fd = fs.openSync(file, 'r');
    } catch (e) {
      throw new InputError(`cannot read golden: ${(e as Error).message}`, { file });
    }
  }

  /** Next line without its LF, or null at end of file. */
  next(): string | null {
    for (;;) {
      const nl = this.buf.indexOf(10, this.pos);
      if (nl >= 0) {
        const end = nl > this.pos && this.buf[nl - 1] === 13 ? -1 : nl;
        if (end < 0) throw new InputError('golden has CRLF line endings', { file: this.file, line: this.lineNo + 1 }, 'LF only (add `*.golden -text` to .gitattributes so git does not convert it)');
        const s = this.buf.toString('utf8', this.pos, nl);
        this.pos = nl + 1;
        this.lineNo++;
        return s;
      }
      if (this.eof) {
        if (this.pos >= this.buf.length) return null;
        const s = this.buf.toString('utf8', this.pos);
        this.pos = this.buf.length;
        this.lineNo++;
        this.lastTerminated = false;
        return s;
      }
      if (this.hash && this.pos > this.hashFrom) this.hash.update(this.buf.subarray(this.hashFrom, this.pos));
      this.hashFrom = 0;
      const rest = this.buf.subarray(this.pos);
      const chunk = Buffer.allocUnsafe(CHUNK);
      const n = fs.readSync(this.fd, chunk, 0, CHUNK, null);
      if (n === 0) this.eof = true;
      this.buf = rest.length ? Buffer.concat([rest, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      this.pos = 0;
    }
  }

  /**
   * From here on, hash the raw bytes of every line returned, LFs included: for a well-formed
   * file the same digest as LineHasher over those lines, without re-encoding them.
   */
  startHash(): void {
    this.hash = createHash('sha256');
    this.hashFrom = this.pos;
  }

  /** SHA-256 (hex) of the bytes of the lines returned since startHash(). */
  hashDigest(): string {
    if (!this.hash) throw new Error('LineReader.hashDigest() without startHash()');
    this.hash.update(this.buf.subarray(this.hashFrom, this.pos));
    this.hashFrom = this.pos;
    return this.hash.digest('hex');
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** sha256 over lines, each followed by LF, fed in batches (one update per line is slow). */
export class LineHasher {
  private readonly hash: Hash = createHash('sha256');
  private pending: string[] = [];
  private size = 0;
  lines = 0;

  add(line: string): void {
    this.pending.push(line);
    this.size += line.length + 1;
    this.lines++;
    if (this.size > CHUNK) this.drain();
  }

  private drain(): void {
    if (this.pending.length) this.hash.update(this.pending.join('\n') + '\n', 'utf8');
    this.pending = [];
    this.size = 0;
  }

  digest(): string {
    this.drain();
    return this.hash.digest('hex');
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
