// The check's thread's work (check-worker.ts starts it): for a long trace it does every part of the
// check that does not need the model, so the main thread only replays. In one loop, most urgent
// first: it renders and hashes the records the replays send (record-ring.ts) so they never wait
// for room, reads the trace ahead into the event ring (engine/trace/read-ahead-producer.ts), and
// in between hashes the stored goldens' bytes. It sleeps on the doorbell when none of it has work.

import { createHash, Hash } from 'crypto';
import * as fs from 'fs';
import { EventProducer } from '../trace/read-ahead-producer';
import { sleepUntilRung } from '../trace/read-ahead-ring';
import { CheckWorkerData, FileTail, tailDigestAt, TAIL_DONE, TAIL_FAILED } from './check-thread-data';
import { RecordReader } from './record-ring';
import { BodyHasher } from './render-bytes';
import { fieldFormatterFor } from './render';

/** Records rendered, events read and tail bytes hashed between two looks at the other jobs. */
const RECORDS_PER_TURN = 4096;
const EVENTS_PER_TURN = 2048;
const TAIL_CHUNK = 1 << 18;

interface Body {
  rd: RecordReader;
  hasher: BodyHasher;
  done: boolean;
  /** Rendering failed (its digest says so): the records still coming are passed over, so the main thread never waits for room. */
  failed: boolean;
}

interface Tail {
  t: FileTail;
  h: Hash;
  fd: number;
  at: number;
  done: boolean;
}

export function runCheckJobs(d: CheckWorkerData): void {
  const producer = new EventProducer(d);
  // The thread's own reading of the header (the main thread checked the same one).
  const fields = fieldFormatterFor(producer.header?.gic);
  const bodies: Body[] = d.streams.map((s) => ({ rd: new RecordReader(s), hasher: new BodyHasher(fields), done: false, failed: false }));
  const tailState = new Int32Array(d.tailSab, 0, d.tails.length);
  const tails: Tail[] = d.tails.map((t) => ({ t, h: createHash('sha256').update(t.prefix), fd: -1, at: t.from, done: false }));
  const chunk = Buffer.allocUnsafe(TAIL_CHUNK);
  for (;;) {
    const bell = producer.bell();
    let worked = false;
    for (const b of bodies) if (!b.done && render(b)) worked = true;
    if (producer.step(EVENTS_PER_TURN)) worked = true;
    if (worked) continue;
    const t = tails.findIndex((x) => !x.done);
    if (t >= 0) {
      hashSome(tails[t], chunk, tailState, d.tailSab, t, d.tails.length);
      continue;
    }
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

/** Hash the next chunk of a stored golden's bytes (the whole tail, over many turns). */
function hashSome(t: Tail, chunk: Buffer, state: Int32Array, sab: SharedArrayBuffer, i: number, count: number): void {
  const finish = (ok: boolean) => {
    t.done = true;
    if (t.fd >= 0) fs.closeSync(t.fd);
    t.fd = -1;
    if (ok) new Uint8Array(sab, tailDigestAt(count, i), 32).set(t.h.digest());
    Atomics.store(state, i, ok ? TAIL_DONE : TAIL_FAILED);
    Atomics.notify(state, i);
  };
  try {
    if (t.fd < 0) t.fd = fs.openSync(t.t.path, 'r');
    const n = fs.readSync(t.fd, chunk, 0, chunk.length, t.at);
    if (n > 0) {
      t.h.update(chunk.subarray(0, n));
      t.at += n;
    } else finish(true);
  } catch {
    try {
      finish(false);
    } catch {
      // The file could not even be closed: the main thread reads it itself and reports it.
    }
  }
}
