// The one buffered writer over a file descriptor: standard output of every command, and output
// files that are written in place (a FIFO, a terminal, /dev/fd/N). Lines are encoded straight
// into a 64 KiB byte buffer, so a dump of millions of lines keeps no strings alive.
//
// The EPIPE rule, in one place: when the reader of standard output goes away (`| head`), writing
// stops with OutputClosed, which the CLI turns into a quiet exit; on any other descriptor a
// closed pipe means the output is incomplete, which is an error. A descriptor that would block
// (a non-blocking pipe whose reader is slow) is waited on, without spinning.

import * as fs from 'fs';
import { FaultOp, injectFault } from './faults';
import { fileError } from './fs-error';

/** The reader of standard output went away: stop producing output, exit quietly. */
export class OutputClosed extends Error {
  constructor() {
    super('the reader of standard output closed it');
    this.name = 'OutputClosed';
  }
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write all of buf[off, end) to fd. `name` and `doing` ("write the trace") make the error
 * message; `quietEpipe` makes a closed pipe an OutputClosed instead of an error.
 */
export function writeAllToFd(fd: number, buf: Buffer, off: number, end: number, name: string, doing: string, quietEpipe: boolean, fault: FaultOp = 'write'): void {
  let waited = 0;
  while (off < end) {
    try {
      injectFault(fault, name);
      off += fs.writeSync(fd, buf, off, end - off);
      waited = 0;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // The reader is slower than we are: wait a little, longer the longer it takes (max 50 ms).
        Atomics.wait(nap, 0, 0, Math.min(50, 1 + waited++));
        continue;
      }
      if (code === 'EPIPE' && quietEpipe) throw new OutputClosed();
      throw fileError(e, name, doing);
    }
  }
}

export class FdWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;

  constructor(
    readonly fd: number,
    /** For messages: "standard output", or the file's name. */
    readonly name: string,
    private readonly quietEpipe: boolean,
    /** Instead of the descriptor (tests capturing a command's output in-process). */
    private readonly sink?: (b: Buffer) => void,
  ) {}

  /** One line; LF is added. */
  line(s: string): void {
    const max = s.length * 3 + 1;
    if (this.len + max > this.buf.length) {
      this.flush();
      if (max > this.buf.length) this.buf = Buffer.allocUnsafe(max);
    }
    this.len += this.buf.write(s, this.len, 'utf8');
    this.buf[this.len++] = 0x0a;
  }

  /** Raw bytes. */
  bytes(b: Buffer): void {
    if (this.sink) {
      this.flush();
      this.sink(Buffer.from(b));
      return;
    }
    if (this.len + b.length > this.buf.length) {
      this.flush();
      if (b.length > this.buf.length) {
        writeAllToFd(this.fd, b, 0, b.length, this.name, 'write output', this.quietEpipe, this.fd === 1 ? 'stdout' : 'write');
        return;
      }
    }
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  flush(): void {
    const n = this.len;
    this.len = 0;
    if (n > 0 && this.sink) this.sink(Buffer.from(this.buf.subarray(0, n)));
    else if (n > 0) writeAllToFd(this.fd, this.buf, 0, n, this.name, 'write output', this.quietEpipe, this.fd === 1 ? 'stdout' : 'write');
  }
}
