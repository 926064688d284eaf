// Compact golden bodies (golden format 2): a body of COMPACT_MIN_BODY_BYTES or more is stored
// deflate-compressed (zlib stream, pako level 1) as base64 lines of 76 characters, so a long
// recording's golden is smaller than its trace and can live in git beside it. The header keeps
// body-lines and body-sha256 of the plain body (the same as the plain form's, so the ledger and
// every comparison see one body), and stored-sha256 of the stored lines, so a check that
// matches never inflates anything. pako is a JavaScript port of zlib: the same body gives the
// same bytes on every platform and Node version (Node's own zlib may pick other matches on
// other CPUs). Suite goldens stay far below the threshold and keep format 1.

import { createHash } from 'crypto';
import * as fs from 'fs';
import { Deflate } from 'pako';
import { InputError } from '../errors';
import { InflatingSource } from '../util/inflating-source';
import { fileError } from '../util/fs-error';
import { ScratchFile } from '../util/output-file';

/** Bodies this large or larger are stored compact; the largest suite golden is about 0.4 MB. */
export const COMPACT_MIN_BODY_BYTES = 16 * 1024 * 1024;
export const COMPACT_ENCODING = 'deflate-base64';

/** 57 bytes are 76 base64 characters, the MIME line length. */
const LINE_BYTES = 57;
const LINE_CHARS = 76;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Compress the body in `plainFile` into `out` as base64 lines; returns the SHA-256 of what was
 * written (the stored lines, each with its LF).
 */
export function packBody(plainFile: string, out: ScratchFile, what: string): string {
  const hash = createHash('sha256');
  const deflate = new Deflate({ level: 1, chunkSize: 1 << 16 });
  let carry: Buffer = Buffer.alloc(0);
  const emit = (bytes: Buffer, last: boolean): void => {
    const whole = last ? bytes.length : bytes.length - (bytes.length % LINE_BYTES);
    const parts: string[] = [];
    for (let i = 0; i < whole; i += LINE_BYTES) parts.push(bytes.toString('base64', i, Math.min(i + LINE_BYTES, whole)), '\n');
    if (parts.length) {
      const b = Buffer.from(parts.join(''), 'latin1');
      hash.update(b);
      out.write(b);
    }
    carry = bytes.subarray(whole);
  };
  deflate.onData = (c: Uint8Array) => emit(carry.length ? Buffer.concat([carry, c]) : Buffer.from(c.buffer, c.byteOffset, c.byteLength), false);
  const fd = openForRead(plainFile, what);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ; ) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      pos += n;
      deflate.push(buf.subarray(0, n), n === 0);
      if (n === 0) break;
    }
  } catch (e) {
    throw fileError(e, plainFile, `compress the ${what}`);
  } finally {
    fs.closeSync(fd);
  }
  if (deflate.err) throw new Error(`deflate failed: ${deflate.msg}`);
  emit(carry, true);
  return hash.digest('hex');
}

function openForRead(file: string, what: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    throw fileError(e, file, `compress the ${what}`);
  }
}

/** The stored base64 lines of a compact body, one at a time (null at the end), with their place. */
export interface StoredLines {
  next(): string | null;
  readonly lineNo: number;
}

/** The plain body bytes of a compact golden, inflated as they are read (bounded memory). */
export class CompactBodySource extends InflatingSource {
  private short = false;

  constructor(private readonly stored: StoredLines, private readonly file: string, private readonly onClose: () => void) {
    super();
  }

  /** Decode up to 256 stored lines into the inflater. */
  protected pump(): void {
    const bytes: Buffer[] = [];
    let last = false;
    for (let i = 0; i < 256; i++) {
      const l = this.stored.next();
      if (l === null) {
        last = true;
        break;
      }
      // Only the last line may be short or padded: anything else was not written by gicreplay.
      if (this.short || l.length > LINE_CHARS || !BASE64_LINE.test(l) || l.length % 4 !== 0) {
        throw new InputError('compact golden body is damaged: not the base64 lines gicreplay writes', { file: this.file, line: this.stored.lineNo }, `base64 lines of ${LINE_CHARS} characters; restore the golden from git or bless it again`);
      }
      if (l.length < LINE_CHARS || l.endsWith('=')) this.short = true;
      bytes.push(Buffer.from(l, 'base64'));
    }
    this.inflate.push(Buffer.concat(bytes), last);
    if (this.inflate.err) throw this.damaged(this.inflate.msg || `zlib error ${this.inflate.err}`);
    if (last) {
      if (!this.inflate.ended) throw this.damaged('the compressed stream ends early (truncated)');
      this.done = true;
    } else if (this.inflate.ended) {
      if (this.stored.next() !== null) throw this.damaged('lines follow the end of the compressed stream');
      this.done = true;
    }
  }

  private damaged(why: string): InputError {
    return new InputError(`compact golden body is damaged: ${why}`, { file: this.file, line: this.stored.lineNo }, 'a complete deflate stream; restore the golden from git or bless it again');
  }

  close(): void {
    this.onClose();
  }
}
