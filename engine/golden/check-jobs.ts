// The check's thread's work (check-worker.ts starts it): for a long trace it does every part of the
// check that does not need the model, so the main thread only replays. In one loop, most urgent
// first: it renders and hashes the records the replays send (record-ring.ts) so they never wait
// for room, and reads the trace ahead into the event ring (engine/trace/read-ahead-producer.ts).
// It sleeps on the doorbell when neither has work. (The stored goldens' bytes are hashed on the
// main thread while it waits for this one: tail-hash.ts.)

import { EventProducer } from '../trace/read-ahead-producer';
import { sleepUntilRung } from '../trace/read-ahead-ring';
import { CheckWorkerData } from './check-thread-data';
import { RecordReader } from './record-ring';
import { BodyHasher } from './render-bytes';
import { fieldFormatterFor } from './render';

/** Records rendered and events read between two looks at the other job. */
const RECORDS_PER_TURN = 4096;
const EVENTS_PER_TURN = 2048;

interface Body {
  rd: RecordReader;
  hasher: BodyHasher;
  done: boolean;
  /** Rendering failed (its digest says so): the records still coming are passed over, so the main thread never waits for room. */
  failed: boolean;
}

export function runCheckJobs(d: CheckWorkerData): void {
  const producer = new EventProducer(d);
  // The thread's own reading of the header (the main thread checked the same one).
  const fields = fieldFormatterFor(producer.header?.gic);
  const bodies: Body[] = d.streams.map((s) => ({ rd: new RecordReader(s), hasher: new BodyHasher(fields), done: false, failed: false }));
  for (;;) {
    const bell = producer.bell();
    let worked = false;
    for (const b of bodies) if (!b.done && render(b)) worked = true;
    if (producer.step(EVENTS_PER_TURN)) worked = true;
    if (worked) continue;
    if (producer.ended && bodies.every((b) => b.done)) return;
    sleepUntilRung(producer.v.ctl, bell);
  }
}

/** Render what the stream holds; false when it held nothing. */
function render(b: Body): boolean {
  const closed = b.rd.closed();
  let n = b.rd.waiting();
  if (b.failed) {
    if (n > 0) {
      b.rd.skip(n);
      b.rd.release();
      return true;
    }
    if (closed) b.done = true;
    return closed;
  }
  if (n === 0) {
    if (closed) {
      b.done = true;
      let digest: Buffer | null;
      try {
        digest = Buffer.from(b.hasher.digest(), 'hex');
      } catch {
        digest = null;
      }
      b.rd.conclude(digest);
      return true;
    }
    return false;
  }
  if (n > RECORDS_PER_TURN) n = RECORDS_PER_TURN;
  try {
    for (let i = 0; i < n; i++) b.hasher.add(b.rd.next());
  } catch {
    // The main thread's check of this body fails, and the full check renders it itself.
    b.failed = true;
    b.rd.conclude(null);
    return true;
  }
  b.rd.release();
  return true;
}
