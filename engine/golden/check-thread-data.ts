// What the check's main thread hands its thread (check-thread.ts → check-worker.ts).

import { ReadAheadWorkerData } from '../trace/read-ahead-ring';
import { RecordStreamSpec } from './record-ring';

/** The rest of a file to hash: `prefix` (bytes already read from it), then the file from byte `from` to its end. */
export interface FileTail {
  path: string;
  from: number;
  prefix: Buffer;
}

export interface CheckWorkerData extends ReadAheadWorkerData {
  /** One record stream per body the check renders. */
  streams: RecordStreamSpec[];
  /** Stored goldens whose bytes the thread hashes. */
  tails: FileTail[];
  /** Per tail: a state word (TAIL_*), then, after them, 32 digest bytes each (tailDigestAt). */
  tailSab: SharedArrayBuffer;
}

export const TAIL_DONE = 1;
export const TAIL_FAILED = 2;

export function tailSabBytes(count: number): number {
  return tailDigestAt(count, count);
}

/** Byte offset of tail `i`'s digest in the tail buffer of `count` tails. */
export function tailDigestAt(count: number, i: number): number {
  return 4 * count + ((8 - ((4 * count) % 8)) % 8) + 32 * i;
}
