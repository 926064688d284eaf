// The read side that every inflated byte stream shares: pako's inflater feeds a queue, and a read
// pumps more compressed input only when the queue is empty. Subclasses say where the compressed
// bytes come from and how a damaged stream is reported.

import { Inflate } from 'pako';
import { ChunkQueue } from './chunk-queue';
import { ByteSource } from './line-reader';

export abstract class InflatingSource implements ByteSource {
  protected readonly inflate = new Inflate({ chunkSize: 64 * 1024 });
  private readonly queue = new ChunkQueue();
  /** Set by pump() once the stream has ended and every byte is in the queue. */
  protected done = false;

  constructor() {
    this.inflate.onData = (c: Uint8Array) => this.queue.push(c);
  }

  read(buf: Buffer, off: number, len: number): number {
    while (this.queue.empty) {
      if (this.done) return 0;
      this.pump();
    }
    return this.queue.take(buf, off, len);
  }

  /** Push the next piece of compressed input into `inflate`; set `done` at the end. */
  protected abstract pump(): void;

  abstract close(): void;
}
