// The main thread's side of the check's thread (check-worker.ts starts it, check-jobs.ts is its
// work). A large trace's quick check replays on the main thread and leaves the rest to that one
// thread: reading the trace ahead, rendering and hashing the replays' bodies. The main thread
// hashes the stored goldens' bytes whenever it would wait for the thread (the reader's idle
// work), since the thread is the busier of the two. The check's results do not change: the
// bodies are rendered by the same BodyHasher, the events come from the same reader.
//
// Measured on the 10 M-event trace (README, Performance): the check of one policy takes 1.42 × its
// replay (2.59 s ÷ 1.82 s, full bench of 2026-12-07); rendering on the main thread made it 1.47 ×
// a slower replay (3.86 s).

import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, MessagePort } from 'worker_threads';
import { ReadAheadReader } from '../trace/read-ahead';
import { ReadOptions, TraceReader } from '../trace/reader';
import { CheckWorkerData } from './check-thread-data';
import { RecordStreamSpec, recordRingBytes, RecordWriter } from './record-ring';
import { FileTail, TailHasher } from './tail-hash';

const SCRIPT = path.join(__dirname, 'check-worker.js');
/** Records per stream's ring (56 bytes each; a power of two). */
const RECORD_ENTRIES = 1 << 13;

export type { FileTail } from './tail-hash';

export class CheckThread {
  /** Give these to openTrace: the trace's reader starts the thread. */
  readonly readOptions: ReadOptions;
  private readonly specs: RecordStreamSpec[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly tails: TailHasher[];
  private reader: ReadAheadReader | null = null;

  /** The compiled thread script is there (dist/); Jest runs the sources, which have none. */
  static available(): boolean {
    return fs.existsSync(SCRIPT);
  }

  constructor(streams: number, tails: readonly FileTail[]) {
    const bytes = recordRingBytes(RECORD_ENTRIES);
    const sab = new SharedArrayBuffer(streams * bytes);
    const threadEnds: MessagePort[] = [];
    for (let k = 0; k < streams; k++) {
      const { port1, port2 } = new MessageChannel();
      this.ports.push(port1);
      threadEnds.push(port2);
      this.specs.push({ sab, at: k * bytes, entries: RECORD_ENTRIES, port: port2 });
    }
    const chunk = TailHasher.chunkBuffer();
    this.tails = tails.map((t) => new TailHasher(t, chunk));
    const data: Omit<CheckWorkerData, keyof import('../trace/read-ahead-ring').ReadAheadWorkerData> = { streams: this.specs };
    this.readOptions = { readAheadThread: { script: SCRIPT, data: data as unknown as Record<string, unknown>, transferList: threadEnds } };
  }

  /** The reader openTrace gave for readOptions: the thread is its. */
  attach(reader: TraceReader): void {
    if (!(reader instanceof ReadAheadReader)) throw new Error('the check thread needs a read-ahead reader');
    this.reader = reader;
    reader.idle = () => this.hashSome();
  }

  /** One chunk of the first golden not yet hashed; false when all are. */
  private hashSome(): boolean {
    for (const t of this.tails) if (t.step()) return true;
    return false;
  }

  /** Body stream `k`: add its records, then take its digest. */
  stream(k: number): RecordWriter {
    const reader = this.reader!;
    return new RecordWriter(this.specs[k], this.ports[k], () => reader.wake(), (ctl, word, seen) => reader.waitFor(ctl, word, seen));
  }

  /** SHA-256 (hex) of file tail `i`, or null when it could not be read (the caller hashes it itself, with its own errors). */
  fileDigest(i: number): string | null {
    return this.tails[i].digest();
  }

  dispose(): void {
    this.reader?.terminate();
    for (const p of this.ports) p.close();
  }
}
