// Streaming trace writer: header, events, trailer go to the output (util/output-file: a temp file
// beside a regular target, fsynced and renamed over it by finish(); written in place for a FIFO
// or standard output); abort() (or an exception in writeTrace) removes the temp file. A crash
// never leaves a half-written trace under the final name. Every event is checked with the
// reader's own rules first, so the writer cannot produce a file the reader refuses.

import { createHash, Hash } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { openOutput, OutputSink, ScratchFile } from '../util/output-file';
import { canonicalJson } from '../util/canonical-json';
import { MsgpackEncoder } from './encode';
import { TraceEvent, TraceHeader, TraceTrailer } from './events';
import { headerToWire, trailerToWire } from './header';
import { EventValidator } from './validate';

export { headerToWire } from './header';

const FLUSH_BYTES = 1 << 20;

export interface TraceWriteOptions {
  /** The command's input files: the trace may not overwrite any of them. */
  inputs?: readonly string[];
  /**
   * The header's provenance details are known only at the end (an importer that counts while it
   * writes): events are spooled to a scratch file and finish() writes the final header first.
   * The final header must have the same GIC and timer configuration.
   */
  deferHeader?: boolean;
}

export class TraceWriter {
  private readonly enc = new MsgpackEncoder(FLUSH_BYTES + (1 << 16));
  private readonly hash: Hash = createHash('sha256');
  /** Offset in enc's buffer where event bytes not yet hashed start. */
  private hashFrom: number;
  private readonly validator: EventValidator;
  private readonly sink: OutputSink;
  /** With deferHeader: where the events wait for their header. */
  private readonly spool: ScratchFile | null = null;
  private readonly wire: Record<string, unknown>;
  private count = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(readonly file: string, header: TraceHeader, o: TraceWriteOptions) {
    this.validator = new EventValidator(header, file);
    this.wire = headerToWire(header);
    this.sink = openOutput(file, { what: 'trace', inputs: o.inputs, inPlace: true });
    if (o.deferHeader) {
      try {
        this.spool = new ScratchFile(this.sink.atomic ? path.resolve(file) : path.join(os.tmpdir(), 'gicreplay-trace'), 'trace');
      } catch (e) {
        this.sink.abort();
        throw e;
      }
    } else this.enc.value(this.wire);
    this.hashFrom = this.enc.len;
  }

  static create(file: string, header: TraceHeader, o: TraceWriteOptions = {}): TraceWriter {
    return new TraceWriter(file, header, o);
  }

  /** Number of events written so far. */
  get events(): number {
    return this.count;
  }

  write(ev: TraceEvent): void {
    if (this.state !== 'open') throw new Error(`trace writer for ${this.file} is ${this.state}`);
    // Same type and rule checks the reader applies: a trace we write is a trace we can read.
    this.validator.check(ev, this.count, 'cannot write event');
    this.enc.event(ev);
    this.count++;
    if (this.enc.len >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    const b = this.enc.buf;
    if (this.enc.len > this.hashFrom) this.hash.update(b.subarray(this.hashFrom, this.enc.len));
    if (this.spool) this.spool.write(b, this.enc.len);
    else this.sink.write(b, this.enc.len);
    this.enc.reset();
    this.hashFrom = 0;
  }

  /**
   * Write the trailer and move the file into place. `accept`, if given, sees the trailer first and
   * may throw to refuse it (the temp file is then removed and nothing appears under the name).
   * With deferHeader, `finalHeader` replaces the header given to create().
   */
  finish(accept?: (t: TraceTrailer) => void, finalHeader?: TraceHeader): TraceTrailer {
    if (this.state !== 'open') throw new Error(`trace writer for ${this.file} is ${this.state}`);
    try {
      this.flush();
      const trailer: TraceTrailer = { events: this.count, digest: this.hash.digest('hex') };
      if (accept) accept(trailer);
      if (this.spool) {
        const wire = finalHeader ? headerToWire(finalHeader) : this.wire;
        const same = (k: string) => canonicalJson(wire[k]) === canonicalJson(this.wire[k]);
        if (!same('gic') || !same('timer')) throw new Error('TraceWriter.finish: the final header changes the GIC or timer configuration the events were checked against');
        const head = new MsgpackEncoder(1 << 12);
        head.value(wire);
        this.sink.write(head.buf, head.len);
        this.spool.copyTo(this.sink);
      }
      this.enc.value(trailerToWire(trailer));
      this.sink.write(this.enc.buf, this.enc.len);
      this.sink.commit();
      this.state = 'finished';
      this.spool?.remove();
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
    this.sink.abort();
    this.spool?.remove();
  }
}

/** Write a whole trace; on any exception the temp file is removed and nothing appears under `file`. */
export function writeTrace(file: string, header: TraceHeader, events: Iterable<TraceEvent>, o: TraceWriteOptions = {}): TraceTrailer {
  const w = TraceWriter.create(file, header, o);
  try {
    for (const e of events) w.write(e);
    return w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
}
