// A trace reader that reads ahead on a thread of its own. On a long trace, reading (framing,
// decoding, the format's checks, the SHA-256 of the event bytes) is about a third of a replay;
// here it overlaps the replay, and the main thread only turns ring entries into events
// (read-ahead-ring.ts). Same events, same order, same errors, same trailer: the thread runs the
// ordinary streaming reader (read-ahead-worker.ts) and the main thread hands on what it found.
//
// openTrace (reader.ts) uses it for traces of READ_AHEAD_MIN_BYTES or more when the compiled
// thread script is there (not under Jest, which runs the TypeScript sources) and no per-event
// `check` hook is given (a function cannot cross to the thread).

import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { InputError } from '../errors';
import { TraceEvent, TraceHeader, TraceTrailer } from './events';
import { CONSUMED, decodeEntry, entryEnd, isMessageEntry, PRODUCED, ReadAheadMessage, ReadAheadThread, ReadAheadWorkerData, ringBytes, ringDoorbell, RingViews, ringViews, waitForChange } from './read-ahead-ring';
import type { TraceReader } from './reader-types';

/**
 * Below this a thread costs more than reading ahead saves: creating it, and reading every event
 * twice until it catches up (the 500 k-event, 7 MiB bench stream: 145 ms on one thread, 175 ms
 * with two).
 */
export const READ_AHEAD_MIN_BYTES = 16 << 20;
/**
 * Ring entries (40 bytes each; a power of two). 32,768 (1.25 MiB) is about 7 ms of replay: enough
 * to ride out the thread's collections, which with 8,192 stalled the replay about 20 times.
 */
const DEFAULT_ENTRIES = 1 << 15;
/** Entries between two releases of replayed entries to the thread. */
const RELEASE_EVERY = 2048;
/** Events read here between two looks at whether the thread has caught up (start-up hand-over). */
const HANDOVER_EVERY = 64;

const WORKER_SCRIPT = path.join(__dirname, 'read-ahead-worker.js');

/** The compiled thread script is there (dist/); Jest runs the sources, which have none. */
export function readAheadAvailable(): boolean {
  return fs.existsSync(WORKER_SCRIPT);
}

export interface ReadAheadStart {
  file: string;
  header: TraceHeader;
  /** Byte offset just past the header, as the main thread read it. */
  headerEnd: number;
  fileSize: number;
  allowTruncated: boolean;
  /** Ring entries, a power of two; tests use tiny rings so the threads wait on each other. */
  entries?: number;
  /** A thread with more work than reading (ReadOptions.readAheadThread). */
  thread?: ReadAheadThread;
  /**
   * The reader that read the header (openTrace's), still open just past it: it serves the first
   * events while the thread starts, and is closed once the thread has caught up (see nextLocal).
   */
  local?: TraceReader;
}

export class ReadAheadReader implements TraceReader {
  readonly file: string;
  readonly header: TraceHeader;
  readonly fileSize: number;
  trailer: TraceTrailer | null = null;
  truncation: string | null = null;
  nextIndex = 0;
  offset: number;

  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly v: RingViews;
  private readonly mask: number;
  /** Entries taken (int32, wraps) and the thread's count as last seen. */
  private taken = 0;
  private available = 0;
  private done = false;
  private closed = false;
  /** close() ends the thread (it only reads); false for a ReadAheadThread. */
  private readonly ownThread: boolean;
  /** ReadAheadStart.local until the hand-over; null from then on. */
  private local: TraceReader | null;
  /** The index of the first event the thread gave (0 without a local reader); null before that. */
  handedOverAt: number | null;
  /** Work for this thread while it waits for the other (a ReadAheadThread's owner sets it); see waitForChange. */
  idle: (() => boolean) | null = null;

  constructor(s: ReadAheadStart) {
    this.file = s.file;
    this.header = s.header;
    this.fileSize = s.fileSize;
    this.offset = s.headerEnd;
    const entries = s.entries ?? DEFAULT_ENTRIES;
    if (entries < 2 || (entries & (entries - 1)) !== 0) throw new Error(`read-ahead ring of ${entries} entries: a power of two from 2 is needed`);
    this.mask = entries - 1;
    const sab = new SharedArrayBuffer(ringBytes(entries));
    this.v = ringViews(sab, entries);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: ReadAheadWorkerData = { file: s.file, allowTruncated: s.allowTruncated, sab, entries, port: port2, headerEnd: s.headerEnd, fileSize: s.fileSize };
    this.ownThread = !s.thread;
    this.local = s.local ?? null;
    this.handedOverAt = this.local ? null : 0;
    this.worker = new Worker(s.thread?.script ?? WORKER_SCRIPT, {
      workerData: { ...s.thread?.data, ...data },
      transferList: [port2, ...(s.thread?.transferList ?? [])],
      stdout: true,
      stderr: true,
      resourceLimits: { maxYoungGenerationSizeMb: 1 },
    });
    // A process that stops early (a model error) must not wait for the thread; close() ends it.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }

  next(): TraceEvent | null {
    if (this.done) return null;
    if (this.local !== null && !this.handOver()) return this.nextLocal();
    if (this.taken === this.available) this.waitForEntries();
    const e = this.taken & this.mask;
    const v = this.v;
    if (isMessageEntry(v, e)) return this.fromMessage(e);
    const ev = decodeEntry(v, e);
    this.offset = entryEnd(v, e);
    this.take();
    return ev;
  }

  close(): void {
    this.done = true;
    this.closeLocal();
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    if (this.ownThread) void this.worker.terminate();
  }

  /** End the thread, whatever it was doing. */
  terminate(): void {
    this.close();
    void this.worker.terminate();
  }

  /** Tell the thread it has other work (a ReadAheadThread's). */
  wake(): void {
    ringDoorbell(this.v.ctl);
  }

  /** Wait for a control word of the thread's other work to change (waitForChange, giving up when the thread is gone). */
  waitFor(ctl: Int32Array, word: number, seen: number): void {
    waitForChange(ctl, word, seen, this.v.ctl, this.idle);
  }

  /**
   * Start-up: a thread takes about 40 ms to its first event, which the replay would spend waiting.
   * Until the thread catches up, the reader that read the header reads on here; the thread's
   * entries for those events are passed over. Its errors and its end are the streaming reader's,
   * as the thread's would be.
   */
  private nextLocal(): TraceEvent | null {
    const local = this.local!;
    let ev: TraceEvent | null;
    try {
      ev = local.next();
    } catch (e) {
      this.close();
      throw e;
    }
    this.offset = local.offset;
    if (ev === null) {
      this.trailer = local.trailer;
      this.truncation = local.truncation;
      this.close();
      return null;
    }
    this.nextIndex++;
    return ev;
  }

  /**
   * Every HANDOVER_EVERY events: pass over the thread's entries of the events read here, releasing
   * them so it keeps reading; true (and the local reader closed) once the thread holds the next event.
   */
  private handOver(): boolean {
    if ((this.nextIndex & (HANDOVER_EVERY - 1)) !== 0) return false;
    const produced = Atomics.load(this.v.ctl, PRODUCED);
    const here = this.nextIndex | 0;
    const from = this.taken;
    while (this.taken !== produced && this.taken !== here) this.passOver(this.taken & this.mask);
    if (this.taken !== from) this.release();
    if (this.taken !== here || produced === here) return false;
    this.available = produced;
    this.handedOverAt = this.nextIndex;
    this.closeLocal();
    return true;
  }

  /** An entry of an event already given: dropped, with its message. The thread cannot have ended or failed before it. */
  private passOver(e: number): void {
    if (isMessageEntry(this.v, e)) {
      const m = this.takeMessage();
      if (m.t !== 'event') this.lost(`reported ${m.t === 'end' ? 'the end' : `an error (${m.t === 'error' ? m.message : m.detail})`} at event ${this.taken}, which this thread read (did the file change?)`);
    }
    this.taken = (this.taken + 1) | 0;
  }

  private closeLocal(): void {
    this.local?.close();
    this.local = null;
  }

  private take(): void {
    this.nextIndex++;
    this.taken = (this.taken + 1) | 0;
    if ((this.taken & (RELEASE_EVERY - 1)) === 0) this.release();
  }

  /** Give the replayed entries back, so the thread keeps reading while this one replays. */
  private release(): void {
    Atomics.store(this.v.ctl, CONSUMED, this.taken);
    ringDoorbell(this.v.ctl);
  }

  private waitForEntries(): void {
    this.release();
    const ctl = this.v.ctl;
    for (;;) {
      const p = Atomics.load(ctl, PRODUCED);
      if (p !== this.taken) {
        this.available = p;
        return;
      }
      try {
        waitForChange(ctl, PRODUCED, p, ctl, this.idle);
      } catch (e) {
        this.lost((e as Error).message);
      }
    }
  }

  /** The message of a message entry (the thread posts it before it publishes the entry). */
  private takeMessage(): ReadAheadMessage {
    const got = receiveMessageOnPort(this.port);
    if (got === undefined) this.lost('published an entry without its message');
    return got.message as ReadAheadMessage;
  }

  private fromMessage(e: number): TraceEvent | null {
    const m = this.takeMessage();
    this.offset = entryEnd(this.v, e);
    switch (m.t) {
      case 'event': {
        this.take();
        const ev = m.ev;
        // Structured cloning turns a Buffer into a plain Uint8Array; the reader gives a Buffer.
        if ('data' in ev && ev.data instanceof Uint8Array) ev.data = Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength);
        return ev;
      }
      case 'end':
        this.trailer = m.trailer;
        this.truncation = m.truncation;
        this.close();
        return null;
      case 'input-error':
        this.close();
        throw new InputError(m.detail, m.location, m.expected);
      case 'error':
        this.close();
        throw new Error(m.message);
    }
  }

  private lost(why: string): never {
    this.close();
    throw new Error(`the trace reader's thread: ${why} (${this.file}, event ${this.nextIndex})`);
  }
}
