// The ring a read-ahead reader's thread fills with decoded events (read-ahead.ts, the main
// thread's side; read-ahead-worker.ts, the thread's). MMIO, system-register and line events (all
// but a handful of a long trace) travel as fixed-size entries of plain numbers in memory both
// threads share; every other event, an error and the end of the trace travel as messages on a
// port, and their entry only says "take the next message".
//
// An entry is five 64-bit words:
//   q0 cycle · q1 value or observed · q2 head, cpu (two u32) · q3 index|enc|intid, offset|level
//   (two u32) · q4 the byte offset just past the event (a float64: file offsets are below 2^53).
// Counters are int32 and wrap; only their differences count.

import type { MessagePort } from 'worker_threads';
import { AccessSize, EventKind, Frame, TraceEvent } from './events';

/** What the main thread gives the thread (workerData). */
export interface ReadAheadWorkerData {
  file: string;
  allowTruncated: boolean;
  sab: SharedArrayBuffer;
  entries: number;
  /** The thread's end of the channel for message entries. */
  port: MessagePort;
  /** What the main thread read of the header: the thread checks it reads the same file. */
  headerEnd: number;
  fileSize: number;
}

/**
 * A thread script that reads ahead and does other work besides (engine/golden/check-worker.ts):
 * it gets the reader's workerData plus `data`. Such a thread outlives close(); terminate() ends it.
 */
export interface ReadAheadThread {
  script: string;
  data: Record<string, unknown>;
  transferList: MessagePort[];
}

export const ENTRY_QWORDS = 5;
/**
 * Control words (int32) before the entries: the producer's count, the consumer's count, and the
 * thread's doorbell, bumped by the main thread whenever it gives the thread work (entries
 * released, and for the check's thread, records to render).
 */
export const PRODUCED = 0;
export const CONSUMED = 1;
export const DOORBELL = 2;
/** Set by the thread while it waits on the doorbell, so the main thread rings only then (a wake is a system call). */
export const SLEEPING = 3;
/** Set as the thread exits, however it ends (a crash, a module that would not load): a waiting main thread gives up on it. */
export const GONE = 4;
export const CONTROL_BYTES = 64;

/** Head word: kind in bits 0–7, frame 8–11, size 12–15, flags above. Kind 0: a message. */
export const KIND_MESSAGE = 0;
const OBSERVED_NIL = 1 << 16;
const CPU_NIL = 1 << 17;

/** What the thread posts; one message per KIND_MESSAGE entry, in order. */
export type ReadAheadMessage =
  | { t: 'event'; ev: TraceEvent }
  | { t: 'input-error'; detail: string; location: { file: string; byteOffset?: number; eventIndex?: number; line?: number } | undefined; expected: string | undefined }
  | { t: 'error'; message: string }
  | { t: 'end'; trailer: { events: number; digest: string } | null; truncation: string | null };

export interface RingViews {
  ctl: Int32Array;
  q: BigUint64Array;
  u: Uint32Array;
  f: Float64Array;
}

export function ringBytes(entries: number): number {
  return CONTROL_BYTES + entries * ENTRY_QWORDS * 8;
}

export function ringViews(sab: SharedArrayBuffer, entries: number): RingViews {
  return {
    ctl: new Int32Array(sab, 0, CONTROL_BYTES / 4),
    q: new BigUint64Array(sab, CONTROL_BYTES, entries * ENTRY_QWORDS),
    u: new Uint32Array(sab, CONTROL_BYTES, entries * ENTRY_QWORDS * 2),
    f: new Float64Array(sab, CONTROL_BYTES, entries * ENTRY_QWORDS),
  };
}

/** Write `ev` into entry `e`; false for a kind that travels as a message. */
export function encodeEntry(v: RingViews, e: number, ev: TraceEvent, end: number): boolean {
  const b = e * ENTRY_QWORDS;
  const w = b * 2;
  switch (ev.kind) {
    case EventKind.MmioRead:
    case EventKind.MmioWrite: {
      let head = ev.kind | (ev.frame << 8) | (ev.size << 12);
      if (ev.cpu === null) head |= CPU_NIL;
      v.q[b] = ev.cycle;
      if (ev.kind === EventKind.MmioWrite) v.q[b + 1] = ev.value;
      else if (ev.observed === null) head |= OBSERVED_NIL;
      else v.q[b + 1] = ev.observed;
      v.u[w + 4] = head;
      v.u[w + 5] = ev.cpu ?? 0;
      v.u[w + 6] = ev.index;
      v.u[w + 7] = ev.offset;
      break;
    }
    case EventKind.SysregRead:
    case EventKind.SysregWrite: {
      let head: number = ev.kind;
      v.q[b] = ev.cycle;
      if (ev.kind === EventKind.SysregWrite) v.q[b + 1] = ev.value;
      else if (ev.observed === null) head |= OBSERVED_NIL;
      else v.q[b + 1] = ev.observed;
      v.u[w + 4] = head;
      v.u[w + 5] = ev.cpu;
      v.u[w + 6] = ev.enc;
      break;
    }
    case EventKind.Line:
      v.q[b] = ev.cycle;
      v.u[w + 4] = ev.kind | (ev.cpu === null ? CPU_NIL : 0);
      v.u[w + 5] = ev.cpu ?? 0;
      v.u[w + 6] = ev.intid;
      v.u[w + 7] = ev.level;
      break;
    default:
      markMessage(v, e, end);
      return false;
  }
  v.f[b + 4] = end;
  return true;
}

/**
 * The event in entry `e` (not a message entry), built with the fields in the order and of the
 * types the reader's own decoders give (fast-event.ts, codec.ts).
 */
export function decodeEntry(v: RingViews, e: number): TraceEvent {
  const { q, u } = v;
  const b = e * ENTRY_QWORDS;
  const w = b * 2;
  const head = u[w + 4];
  switch (head & 0xff) {
    case EventKind.MmioRead:
      return { kind: EventKind.MmioRead, cycle: q[b], cpu: head & CPU_NIL ? null : u[w + 5], frame: ((head >> 8) & 15) as Frame, index: u[w + 6], offset: u[w + 7], size: ((head >> 12) & 15) as AccessSize, observed: head & OBSERVED_NIL ? null : q[b + 1] };
    case EventKind.MmioWrite:
      return { kind: EventKind.MmioWrite, cycle: q[b], cpu: head & CPU_NIL ? null : u[w + 5], frame: ((head >> 8) & 15) as Frame, index: u[w + 6], offset: u[w + 7], size: ((head >> 12) & 15) as AccessSize, value: q[b + 1] };
    case EventKind.SysregRead:
      return { kind: EventKind.SysregRead, cycle: q[b], cpu: u[w + 5], enc: u[w + 6], observed: head & OBSERVED_NIL ? null : q[b + 1] };
    case EventKind.SysregWrite:
      return { kind: EventKind.SysregWrite, cycle: q[b], cpu: u[w + 5], enc: u[w + 6], value: q[b + 1] };
    default:
      return { kind: EventKind.Line, cycle: q[b], intid: u[w + 6], cpu: head & CPU_NIL ? null : u[w + 5], level: u[w + 7] as 0 | 1 };
  }
}

/** Entry `e` says: take the next message from the port. */
export function markMessage(v: RingViews, e: number, end: number): void {
  v.u[e * ENTRY_QWORDS * 2 + 4] = KIND_MESSAGE;
  v.f[e * ENTRY_QWORDS + 4] = end;
}

export function isMessageEntry(v: RingViews, e: number): boolean {
  return (v.u[e * ENTRY_QWORDS * 2 + 4] & 0xff) === KIND_MESSAGE;
}

export function entryEnd(v: RingViews, e: number): number {
  return v.f[e * ENTRY_QWORDS + 4];
}

/** Tell the thread it has work (DOORBELL), waking it if it sleeps. */
export function ringDoorbell(ctl: Int32Array): void {
  Atomics.add(ctl, DOORBELL, 1);
  if (Atomics.load(ctl, SLEEPING) !== 0) Atomics.notify(ctl, DOORBELL);
}

/**
 * The thread's wait for work: `bell` is the doorbell's value from before it last looked for work.
 * A ring after that look changed the doorbell, so the wait returns at once: no wake is lost.
 */
export function sleepUntilRung(ctl: Int32Array, bell: number): void {
  Atomics.store(ctl, SLEEPING, 1);
  Atomics.wait(ctl, DOORBELL, bell);
  Atomics.store(ctl, SLEEPING, 0);
}

/** How long a wait for the other thread may see no progress before it is given up. */
const STALL_MS = 60_000;

/**
 * Block until control word `word` is no longer `seen`. Throws when the thread whose control words
 * are `thread` has exited (looked at every second), or after STALL_MS without a change. `idle`
 * is other work to do meanwhile, a short piece per call; it returns false when it has none left.
 */
export function waitForChange(ctl: Int32Array, word: number, seen: number, thread: Int32Array, idle: (() => boolean) | null = null): void {
  for (let quiet = 0; Atomics.load(ctl, word) === seen; ) {
    if (idle !== null && idle()) continue;
    if (Atomics.wait(ctl, word, seen, 1000) !== 'timed-out') return;
    if (Atomics.load(thread, GONE) !== 0 && Atomics.load(ctl, word) === seen) throw new Error('the thread stopped before it finished');
    quiet += 1000;
    if (quiet >= STALL_MS) throw new Error(`the thread made no progress for ${STALL_MS / 1000} s`);
  }
}

/** The thread's first act: whatever ends it from then on, GONE says so (see waitForChange). */
export function reportExit(ctl: Int32Array): void {
  process.on('exit', () => Atomics.store(ctl, GONE, 1));
}
