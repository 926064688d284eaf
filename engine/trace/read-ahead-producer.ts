// The thread's side of a read-ahead reader (read-ahead.ts): reads the trace with the ordinary
// streaming reader, so every check and every error is the reader's own, and puts the events in
// the ring (read-ahead-ring.ts). A thread that has other work too (the check's, engine/golden/
// check-worker.ts) calls step() between its other jobs; read-ahead-worker.ts only reads.

import { InputError } from '../errors';
import { CONSUMED, DOORBELL, encodeEntry, markMessage, PRODUCED, ReadAheadMessage, ReadAheadWorkerData, RingViews, ringViews, sleepUntilRung } from './read-ahead-ring';
import { TraceHeader } from './events';
import { openTrace } from './reader';
import type { TraceReader } from './reader-types';

/** The thread's read size: the ring, not the read buffer, is what keeps it ahead. */
const READ_CHUNK = 1 << 18;
/** Entries between two publications of the count (each wakes the main thread if it waits). */
const PUBLISH_EVERY = 256;

export class EventProducer {
  readonly v: RingViews;
  private readonly mask: number;
  private produced = 0;
  private consumed = 0;
  private reader: TraceReader | null = null;
  /** No more entries will come: the end, or an error, is in the ring. */
  ended = false;
  /** The header as this thread read it; null when the trace could not be opened here. */
  readonly header: TraceHeader | null = null;

  constructor(private readonly d: ReadAheadWorkerData) {
    this.v = ringViews(d.sab, d.entries);
    this.mask = d.entries - 1;
    try {
      this.reader = openTrace(d.file, { allowTruncated: d.allowTruncated, readAhead: false, chunkBytes: READ_CHUNK });
      this.header = this.reader.header;
      if (this.reader.offset !== d.headerEnd || this.reader.fileSize !== d.fileSize) throw new InputError('the file changed while it was read', { file: d.file, byteOffset: 0 }, `the ${d.fileSize}-byte trace whose header was read`);
    } catch (e) {
      this.finish(failure(e), 0);
    }
  }

  /** The doorbell's value before a look at the work: wait on it (Atomics.wait) when there was none. */
  bell(): number {
    return Atomics.load(this.v.ctl, DOORBELL);
  }

  /** Put up to `max` events in the ring; false when it is full (or the trace ended) and nothing was done. */
  step(max: number): boolean {
    if (this.ended) return false;
    const v = this.v;
    const r = this.reader!;
    const entries = this.d.entries;
    this.consumed = Atomics.load(v.ctl, CONSUMED);
    if (((this.produced - this.consumed) | 0) >= entries) return false;
    for (let n = 0; n < max; n++) {
      if (((this.produced - this.consumed) | 0) >= entries) break;
      let ev;
      try {
        ev = r.next();
      } catch (e) {
        this.finish(failure(e), r.offset);
        return true;
      }
      if (ev === null) {
        this.finish({ t: 'end', trailer: r.trailer, truncation: r.truncation }, r.offset);
        return true;
      }
      if (!encodeEntry(v, this.produced & this.mask, ev, r.offset)) this.d.port.postMessage({ t: 'event', ev } satisfies ReadAheadMessage);
      this.produced = (this.produced + 1) | 0;
      if ((this.produced & (PUBLISH_EVERY - 1)) === 0) {
        this.publish();
        this.consumed = Atomics.load(v.ctl, CONSUMED);
      }
    }
    this.publish();
    return true;
  }

  /** Read the whole trace, waiting whenever the ring is full. */
  runAlone(): void {
    while (!this.ended) {
      const bell = this.bell();
      if (!this.step(PUBLISH_EVERY * 16)) sleepUntilRung(this.v.ctl, bell);
    }
  }

  close(): void {
    this.reader?.close();
    this.reader = null;
  }

  private publish(): void {
    Atomics.store(this.v.ctl, PRODUCED, this.produced);
    Atomics.notify(this.v.ctl, PRODUCED);
  }

  /** The last entry: a message (the end, or an error). There is always room (step checked). */
  private finish(m: ReadAheadMessage, end: number): void {
    this.d.port.postMessage(m);
    markMessage(this.v, this.produced & this.mask, end);
    this.produced = (this.produced + 1) | 0;
    this.ended = true;
    this.publish();
    this.close();
  }
}

function failure(e: unknown): ReadAheadMessage {
  if (e instanceof InputError) return { t: 'input-error', detail: e.detail, location: e.location, expected: e.expected };
  return { t: 'error', message: e instanceof Error ? e.message : String(e) };
}
