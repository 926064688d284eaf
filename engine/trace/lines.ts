// Streaming line reader for text inputs (the JSON-lines form): fixed-size chunks, so a file of
// any length is read in bounded memory. Lines are split on \n; a trailing \r is dropped.

import * as fs from 'fs';
import { StringDecoder } from 'string_decoder';
import { InputError } from '../errors';

/** Longest line accepted; a longer one is refused rather than buffered without bound. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

export class LineReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 16);
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private lines: string[] = [];
  private at = 0;
  private eof = false;
  /** 1-based number of the line next() returned last. */
  lineNo = 0;

  constructor(readonly file: string) {
    try {
      this.fd = fs.openSync(file, 'r');
    } catch (e) {
      throw new InputError(`cannot read: ${(e as Error).message}`, { file }, 'a readable file');
    }
  }

  /** Next line without its terminator, or null at the end of the file. */
  next(): string | null {
    while (this.at >= this.lines.length) {
      if (this.eof) return null;
      this.fill();
    }
    this.lineNo++;
    return this.lines[this.at++];
  }

  private fill(): void {
    this.lines = [];
    this.at = 0;
    const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, null);
    let text = this.pending + (n > 0 ? this.decoder.write(this.buf.subarray(0, n)) : this.decoder.end());
    if (n === 0) {
      this.eof = true;
      this.pending = '';
      if (text.length > 0) this.lines.push(text.endsWith('\r') ? text.slice(0, -1) : text);
      return;
    }
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.pending = text;
      if (text.length > MAX_LINE_CHARS) throw new InputError(`line longer than ${MAX_LINE_CHARS} characters`, { file: this.file, line: this.lineNo + 1 }, 'one JSON object per line');
      return;
    }
    this.pending = text.slice(last + 1);
    text = text.slice(0, last);
    for (const l of text.split('\n')) this.lines.push(l.endsWith('\r') ? l.slice(0, -1) : l);
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
