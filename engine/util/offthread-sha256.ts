// SHA-256 of long byte streams and file tails on one helper thread, so the thread that produces
// the bytes (a check rendering golden bodies) does not also pay for hashing them. Each stream is
// a ring of slots in memory shared with the helper: the producer copies a filled buffer into the
// next slot and publishes it, the helper hashes the slots in order. A file tail (the rest of a
// stored golden after its header) the helper reads and hashes itself, whenever no slot waits.
//
// Measured on the 10 M-event check: the producer renders into its own buffer and copies it into
// the slot, because V8's stores into shared memory take slower paths (rendering straight into
// the slots cost +8 %). Chunks posted to a helper instead of a shared ring were measured before:
// transferred ones slowed the replay (moved buffers count as external memory, and V8 collects
// more often), copied ones cost about 45 MiB more RSS.
// SHA-256 does not depend on how the stream is cut: the digests are those of createHash('sha256').
//
// The helper costs about 10 MiB and a few ms to start: use it for bodies of many MiB only.

import { Worker } from 'worker_threads';

/** Bytes per slot. */
export const SLOT_BYTES = 1 << 18;
/** Slots per stream: enough to cover the helper's start-up without the producer waiting long. */
const SLOTS = 8;
/** Bytes the helper reads of a file tail between two looks at the streams. */
const FILE_CHUNK = 1 << 20;
/** How long a wait for the helper may see no progress before it is given up. */
const STALL_MS = 60_000;

/** The rest of a file to hash: `prefix` (bytes already read from it), then the file from byte `from` to its end. */
export interface FileTail {
  path: string;
  from: number;
  prefix: Buffer;
}

// Int32 words. Word 0 is the helper's doorbell: bumped on every publish and close.
const DOORBELL = 0;
// Per stream: produced (the count, or -(count + 1) once closed), consumed, state, then SLOTS lengths.
const STREAM_WORDS = 3 + SLOTS;
// State words: 0 running, 1 digest in place, 2 failed.
const DONE = 1;

// Plain JavaScript, run with eval: the helper loads nothing of ours.
const HELPER = `
const { workerData } = require('worker_threads');
const { createHash } = require('crypto');
const fs = require('fs');
const { sab, streams, files, slots, slotBytes, streamWords, fileStateAt, digestsAt, dataAt, fileChunk } = workerData;
const w = new Int32Array(sab, 0, fileStateAt + files.length);
const digestOut = (i) => new Uint8Array(sab, digestsAt + 32 * i, 32);
const hs = [];
const done = [];
for (let k = 0; k < streams; k++) { hs.push(createHash('sha256')); done.push(0); }
const fh = files.map((f) => ({ h: createHash('sha256').update(f.prefix), fd: -1, at: f.from, buf: null }));
function finish(word, digestIndex, h) {
  digestOut(digestIndex).set(h.digest());
  Atomics.store(w, word, 1);
  Atomics.notify(w, word);
}
try {
  for (;;) {
    const bell = Atomics.load(w, 0);
    let worked = false;
    let open = false;
    for (let k = 0; k < streams; k++) {
      const base = 1 + k * streamWords;
      if (Atomics.load(w, base + 2) !== 0) continue;
      const v = Atomics.load(w, base);
      const produced = v < 0 ? -v - 1 : v;
      if (produced > done[k]) {
        const s = done[k] % slots;
        const at = dataAt + (k * slots + s) * slotBytes;
        hs[k].update(new Uint8Array(sab, at, w[base + 3 + s]));
        done[k]++;
        Atomics.store(w, base + 1, done[k]);
        Atomics.notify(w, base + 1);
        worked = true;
      } else if (v < 0) {
        finish(base + 2, k, hs[k]);
        worked = true;
      } else open = true;
    }
    if (worked) continue;
    for (let f = 0; f < files.length; f++) {
      if (Atomics.load(w, fileStateAt + f) !== 0) continue;
      const j = fh[f];
      try {
        if (j.fd < 0) { j.fd = fs.openSync(files[f].path, 'r'); j.buf = Buffer.allocUnsafe(fileChunk); }
        const n = fs.readSync(j.fd, j.buf, 0, fileChunk, j.at);
        if (n > 0) { j.h.update(j.buf.subarray(0, n)); j.at += n; }
        else { fs.closeSync(j.fd); j.fd = -1; finish(fileStateAt + f, streams + f, j.h); }
      } catch (e) {
        if (j.fd >= 0) try { fs.closeSync(j.fd); } catch (e2) {}
        j.fd = -1;
        Atomics.store(w, fileStateAt + f, 2);
        Atomics.notify(w, fileStateAt + f);
      }
      worked = true;
      break;
    }
    if (worked) continue;
    if (!open) break;
    Atomics.wait(w, 0, bell);
  }
} catch (e) {
  for (let i = 1; i < w.length; i++) {
    const state = i >= fileStateAt || (i - 1) % streamWords === 2;
    if (state && Atomics.load(w, i) === 0) { Atomics.store(w, i, 2); Atomics.notify(w, i); }
  }
}
`;

/**
 * One helper thread hashing `streams` byte streams and the given file tails. Write a stream
 * through `stream(k)`; take a file tail's digest with `fileDigest(i)`. Call `dispose()` when
 * done (or when a stream is abandoned mid-way) so the helper does not linger.
 */
export class Sha256Helper {
  private readonly sab: SharedArrayBuffer;
  private readonly w: Int32Array;
  private readonly worker: Worker;
  private readonly fileStateAt: number;
  private readonly digestsAt: number;
  private readonly rings: RingStream[] = [];

  constructor(streams: number, files: readonly FileTail[] = []) {
    const words = 1 + streams * STREAM_WORDS + files.length;
    this.fileStateAt = 1 + streams * STREAM_WORDS;
    this.digestsAt = words * 4 + ((8 - ((words * 4) % 8)) % 8);
    const dataAt = this.digestsAt + 32 * (streams + files.length);
    this.sab = new SharedArrayBuffer(dataAt + streams * SLOTS * SLOT_BYTES);
    this.w = new Int32Array(this.sab, 0, words);
    for (let k = 0; k < streams; k++) {
      const slots: Buffer[] = [];
      for (let s = 0; s < SLOTS; s++) slots.push(Buffer.from(this.sab, dataAt + (k * SLOTS + s) * SLOT_BYTES, SLOT_BYTES));
      this.rings.push(new RingStream(this.w, 1 + k * STREAM_WORDS, slots, this.digestOf(k)));
    }
    this.worker = new Worker(HELPER, {
      eval: true,
      workerData: {
        sab: this.sab,
        streams,
        files: files.map((f) => ({ path: f.path, from: f.from, prefix: f.prefix })),
        slots: SLOTS,
        slotBytes: SLOT_BYTES,
        streamWords: STREAM_WORDS,
        fileStateAt: this.fileStateAt,
        digestsAt: this.digestsAt,
        dataAt,
        fileChunk: FILE_CHUNK,
      },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    // A process that stops mid-stream (an error) must not wait for the helper.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }

  stream(k: number): RingStream {
    return this.rings[k];
  }

  /** SHA-256 (hex) of file tail `i`, or null when the helper could not read it (the caller hashes it itself, with its own errors). */
  fileDigest(i: number): string | null {
    const word = this.fileStateAt + i;
    waitFor(this.w, word, () => Atomics.load(this.w, word) !== 0);
    return Atomics.load(this.w, word) === DONE ? this.digestOf(this.rings.length + i).toString('hex') : null;
  }

  dispose(): void {
    void this.worker.terminate();
  }

  /** The 32 bytes where the helper puts digest `i` (streams first, then file tails). */
  private digestOf(i: number): Buffer {
    return Buffer.from(this.sab, this.digestsAt + 32 * i, 32);
  }
}

/** Block until `ready()`, woken by the helper's notify on control word `word`. */
function waitFor(w: Int32Array, word: number, ready: () => boolean): void {
  let quiet = 0;
  while (!ready()) {
    const seen = Atomics.load(w, word);
    if (ready()) return;
    if (Atomics.wait(w, word, seen, 1000) === 'timed-out') {
      quiet += 1000;
      if (quiet >= STALL_MS) throw new Error(`the SHA-256 helper thread made no progress for ${STALL_MS / 1000} s`);
    } else quiet = 0;
  }
}

/** Ring the helper's doorbell: a slot published or a stream closed. */
function bell(w: Int32Array): void {
  Atomics.add(w, DOORBELL, 1);
  Atomics.notify(w, DOORBELL);
}

/**
 * One stream of a Sha256Helper: `slot` is SLOT_BYTES long and free to write; commit(n) publishes
 * its first n bytes and makes `slot` the next free one (waiting for the helper when none is).
 * Its control words start at `base`: produced, consumed, state, then the slots' lengths.
 */
export class RingStream {
  private produced = 0;
  private ended = false;
  slot: Buffer;

  constructor(private readonly w: Int32Array, private readonly base: number, private readonly slots: readonly Buffer[], private readonly digestBytes: Buffer) {
    this.slot = slots[0];
  }

  /** Publish the first `n` bytes of `slot`; `slot` is then the next one to write. */
  commit(n: number): void {
    if (this.ended) throw new Error('RingStream.commit() after digest()');
    if (n <= 0) return;
    const w = this.w;
    w[this.base + 3 + (this.produced % SLOTS)] = n;
    this.produced++;
    Atomics.store(w, this.base, this.produced);
    bell(w);
    // The next slot is the oldest one published: it is free once the helper has hashed it.
    const consumed = this.base + 1;
    if (this.produced - Atomics.load(w, consumed) === SLOTS) waitFor(w, consumed, () => this.produced - Atomics.load(w, consumed) < SLOTS);
    this.slot = this.slots[this.produced % SLOTS];
  }

  /** Hash `bytes` of any length through the slots. */
  update(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += SLOT_BYTES) {
      const part = bytes.subarray(at, Math.min(at + SLOT_BYTES, bytes.length));
      this.slot.set(part, 0);
      this.commit(part.length);
    }
  }

  /** End the stream and return its SHA-256 (hex). */
  digest(): string {
    if (this.ended) throw new Error('RingStream.digest() twice');
    this.ended = true;
    const w = this.w;
    Atomics.store(w, this.base, -this.produced - 1);
    bell(w);
    const state = this.base + 2;
    waitFor(w, state, () => Atomics.load(w, state) !== 0);
    if (Atomics.load(w, state) !== DONE) throw new Error('the SHA-256 helper thread failed');
    return this.digestBytes.toString('hex');
  }
}
