// Bytes an inflater produced and a reader has not taken yet: pushed as chunks, taken into the
// reader's buffer in any amount (gzip-source.ts and compact golden bodies).

export class ChunkQueue {
  private readonly queue: Buffer[] = [];
  private head = 0;

  push(c: Uint8Array): void {
    this.queue.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  }

  get empty(): boolean {
    return this.head >= this.queue.length;
  }

  /** Copy up to `len` queued bytes into buf[off…]; returns how many. */
  take(buf: Buffer, off: number, len: number): number {
    let n = 0;
    while (n < len && this.head < this.queue.length) {
      const c = this.queue[this.head];
      const k = c.copy(buf, off + n, 0, Math.min(c.length, len - n));
      n += k;
      if (k === c.length) this.head++;
      else this.queue[this.head] = c.subarray(k);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return n;
  }
}
