// What the check's main thread hands its thread (check-thread.ts → check-worker.ts).

import { ReadAheadWorkerData } from '../trace/read-ahead-ring';
import { RecordStreamSpec } from './record-ring';

export interface CheckWorkerData extends ReadAheadWorkerData {
  /** One record stream per body the check renders. */
  streams: RecordStreamSpec[];
}
