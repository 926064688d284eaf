// The one line reader for text inputs (goldens, JSON lines, QEMU logs, ftrace text): synchronous,
// bounded memory, time linear in the input however long a line is. Lines are split on LF bytes,
// so UTF-8 never breaks across chunks; a line longer than the cap is refused as soon as that many
// bytes were read. The bytes come from a ByteSource: a regular file, or a gzip stream inflated
// as it is read (engine/util/gzip-source.ts).

import { isUtf8 } from 'buffer';
import { createHash, Hash } from 'crypto';
import * as fs from 'fs';
import { InputError } from '../errors';
import { fileError } from './fs-error';
import { openInputFile } from './input-file';

const CHUNK = 1 << 16;

/** Bytes already in memory (a log given as text). */
export class BufferSource implements ByteSource {
  private at = 0;
  constructor(private readonly data: Buffer) {}

  read(buf: Buffer, off: number, len: number): number {
    const n = this.data.copy(buf, off, this.at, this.at + len);
    this.at += n;
    return n;
  }

  close(): void {}
}

/** Where the bytes come from. read() returns 0 at the end. */
export interface ByteSource {
  read(buf: Buffer, off: number, len: number): number;
  close(): void;
}

/** A regular file (FIFOs, folders and devices are refused by openInputFile). */
export class FileSource implements ByteSource {
  private fd: number;
  readonly size: number;
  /** Bytes read so far. */
  position = 0;
  /** `onBytes` sees every byte read, as stored (e.g. to hash the file). */
  constructor(readonly file: string, what: string, private readonly onBytes?: (b: Buffer) => void) {
    const f = openInputFile(file, what);
    this.fd = f.fd;
    this.size = f.size;
  }

  read(buf: Buffer, off: number, len: number): number {
    let n: number;
    try {
      n = fs.readSync(this.fd, buf, off, len, this.position);
    } catch (e) {
      throw fileError(e, this.file, 'read it');
    }
    if (n > 0) this.onBytes?.(buf.subarray(off, off + n));
    this.position += n;
    return n;
  }

  /** The first `n` bytes of the file (or fewer), without moving on. */
  peek(n: number): Buffer {
    const b = Buffer.alloc(n);
    let got: number;
    try {
      got = fs.readSync(this.fd, b, 0, n, 0);
    } catch (e) {
      throw fileError(e, this.file, 'read it');
    }
    return b.subarray(0, got);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export interface LineReaderOptions {
  /** Longest line accepted, in bytes (without the LF). */
  maxLineBytes: number;
  /** What a line is, for the too-long message ("one JSON object per line"). */
  expected?: string;
  /** A CR before the LF: drop it ('strip'), leave it ('keep'), or the error to throw for line `lineNo` (1-based). */
  crlf: 'strip' | 'keep' | ((lineNo: number) => Error);
  /** Refuse a line that is not valid UTF-8 (else undecodable bytes become U+FFFD). */
  strictUtf8?: boolean;
  /** Skip empty lines (counted in lineNo, never returned): a gigabyte of them costs a byte loop. */
  skipEmpty?: boolean;
}

export class LineReader {
  private buf = Buffer.allocUnsafe(CHUNK);
  /** buf[start, end) holds bytes not yet returned; the LF search resumes at `scan`. */
  private start = 0;
  private end = 0;
  private scan = 0;
  private eof = false;
  /** 1-based number of the last line returned. */
  lineNo = 0;
  /** False when the last line returned had no terminating LF (a truncated file). */
  lastTerminated = true;
  /** Bytes consumed before buf[0]. */
  private consumed = 0;
  private hash: Hash | null = null;
  private hashFrom = 0;
  /** Whether the hash has taken any bytes since startHash(). */
  private hashed = false;

  constructor(readonly file: string, private readonly src: ByteSource, private readonly o: LineReaderOptions) {}

  /** Byte offset (in the decompressed stream) of the next line. */
  get offset(): number {
    return this.consumed + this.start;
  }

  /** Next line without its line end, or null at the end. */
  next(): string | null {
    for (;;) {
      if (this.o.skipEmpty) this.skipEmptyLines();
      let nl = this.scan < this.end ? this.buf.indexOf(10, this.scan) : -1;
      if (nl >= this.end) nl = -1; // the sentinel fill() puts after the data
      if (nl >= 0) {
        let e = nl;
        if (e > this.start && this.buf[e - 1] === 13 && this.o.crlf !== 'keep') {
          if (this.o.crlf !== 'strip') throw this.o.crlf(this.lineNo + 1);
          e--;
        }
        const s = this.text(this.start, e);
        this.start = this.scan = nl + 1;
        this.lineNo++;
        return s;
      }
      this.scan = this.end;
      if (this.end - this.start > this.o.maxLineBytes) {
        throw new InputError(`line is longer than ${this.o.maxLineBytes} bytes`, { file: this.file, line: this.lineNo + 1 }, this.o.expected ?? `lines of at most ${this.o.maxLineBytes} bytes`);
      }
      if (this.eof) {
        if (this.start >= this.end) return null;
        const s = this.text(this.start, this.end);
        this.start = this.scan = this.end;
        this.lineNo++;
        this.lastTerminated = false;
        return s;
      }
      this.fill();
    }
  }

  /** Step over LF (or CR LF with crlf 'strip') lines in the buffer, counting them. */
  private skipEmptyLines(): void {
    const b = this.buf;
    const strip = this.o.crlf === 'strip';
    let p = this.start;
    let n = 0;
    for (;;) {
      if (p < this.end && b[p] === 10) p++;
      else if (strip && p + 1 < this.end && b[p] === 13 && b[p + 1] === 10) p += 2;
      else break;
      n++;
    }
    if (n === 0) return;
    this.lineNo += n;
    this.start = p;
    if (this.scan < p) this.scan = p;
  }

  private text(a: number, b: number): string {
    if (this.o.strictUtf8 && !isUtf8(this.buf.subarray(a, b))) {
      throw new InputError('line is not valid UTF-8', { file: this.file, line: this.lineNo + 1 }, 'UTF-8 text');
    }
    return this.buf.toString('utf8', a, b);
  }

  /** Move the unreturned bytes to the front (hashing what leaves), grow if full, read more. */
  private fill(): void {
    if (this.start > 0) {
      if (this.hash && this.start > this.hashFrom) {
        this.hash.update(this.buf.subarray(this.hashFrom, this.start));
        this.hashed = true;
      }
      this.buf.copyWithin(0, this.start, this.end);
      this.consumed += this.start;
      this.end -= this.start;
      this.scan -= this.start;
      this.start = 0;
      this.hashFrom = 0;
    }
    if (this.end === this.buf.length) {
      // One line longer than the buffer: double it, so a long line costs linear time.
      const nb = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.o.maxLineBytes + CHUNK + 1));
      this.buf.copy(nb, 0, 0, this.end);
      this.buf = nb;
    }
    const n = this.src.read(this.buf, this.end, this.buf.length - this.end);
    if (n === 0) this.eof = true;
    this.end += n;
    // An LF right after the data stops the search there, not in stale bytes further on.
    if (this.end < this.buf.length) this.buf[this.end] = 10;
  }

  /** From here on, hash the raw bytes of every line returned, line ends included. */
  startHash(): void {
    this.hash = createHash('sha256');
    this.hashFrom = this.start;
    this.hashed = false;
  }

  /**
   * What hashRest() would hash, for another thread to hash instead: the bytes held since
   * startHash(), then the file from byte `from` to its end. Null unless the bytes come straight
   * from a file, none were hashed yet, and the file has more to read. Leaves the reader as it is.
   */
  restOfFile(): { path: string; from: number; prefix: Buffer } | null {
    if (!this.hash || this.hashed || this.eof || !(this.src instanceof FileSource)) return null;
    return { path: this.src.file, from: this.src.position, prefix: Buffer.from(this.buf.subarray(this.hashFrom, this.end)) };
  }

  /** SHA-256 (hex) of the bytes of the lines returned since startHash(). */
  hashDigest(): string {
    if (!this.hash) throw new Error('LineReader.hashDigest() without startHash()');
    this.hash.update(this.buf.subarray(this.hashFrom, this.start));
    this.hashFrom = this.start;
    this.hashed = true;
    return this.hash.digest('hex');
  }

  /**
   * Consume everything left without splitting it into lines (no string per line) and return the
   * SHA-256 (hex) of the bytes since startHash(), the rest of the input included. A golden whose
   * body bytes hash to its header's digest needs no line-by-line reading at all.
   */
  hashRest(): string {
    if (!this.hash) throw new Error('LineReader.hashRest() without startHash()');
    this.hash.update(this.buf.subarray(this.hashFrom, this.end));
    this.hashed = true;
    this.start = this.scan = this.hashFrom = this.end;
    if (!this.eof) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = this.src.read(chunk, 0, chunk.length);
        if (n === 0) break;
        this.hash.update(chunk.subarray(0, n));
        this.consumed += n;
      }
      this.eof = true;
    }
    return this.hash.digest('hex');
  }

  close(): void {
    this.src.close();
  }
}
