// The SHA-256 of a stored golden's bytes (FileTail: the bytes already read, then the rest of the
// file), taken a chunk at a time so that the check's main thread can hash while it would
// otherwise wait for its thread (check-thread.ts gives step() to the reader as its idle work).

import { createHash, Hash } from 'crypto';
import * as fs from 'fs';

/** The rest of a file to hash: `prefix` (bytes already read from it), then the file from byte `from` to its end. */
export interface FileTail {
  path: string;
  from: number;
  prefix: Buffer;
}

/** About 0.2 ms of hashing: short enough that a wait it fills ends on time. */
const CHUNK = 1 << 18;

export class TailHasher {
  private readonly h: Hash;
  private fd = -1;
  private at: number;
  private result: string | null | undefined = undefined;

  constructor(
    private readonly t: FileTail,
    private readonly chunk: Buffer,
  ) {
    this.h = createHash('sha256').update(t.prefix);
    this.at = t.from;
  }

  static chunkBuffer(): Buffer {
    return Buffer.allocUnsafe(CHUNK);
  }

  get done(): boolean {
    return this.result !== undefined;
  }

  /** Hash the next chunk; false once the digest is taken (or the file could not be read). */
  step(): boolean {
    if (this.result !== undefined) return false;
    try {
      if (this.fd < 0) this.fd = fs.openSync(this.t.path, 'r');
      const n = fs.readSync(this.fd, this.chunk, 0, this.chunk.length, this.at);
      if (n > 0) {
        this.h.update(this.chunk.subarray(0, n));
        this.at += n;
      } else this.finish(this.h.digest('hex'));
    } catch {
      // The caller hashes the file itself, with its own errors.
      this.finish(null);
    }
    return true;
  }

  /** The digest (hex), hashing what is left; null when the file could not be read. */
  digest(): string | null {
    while (this.step());
    return this.result!;
  }

  private finish(r: string | null): void {
    this.result = r;
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Nothing was lost: the digest is taken, or null says to read the file again.
      }
    }
    this.fd = -1;
  }
}
