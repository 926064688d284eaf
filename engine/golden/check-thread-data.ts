// What the check's main thread hands its thread (check-thread.ts → check-worker.ts), and the
// golden tails the main thread hashes itself (tail-hash.ts).

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
}
