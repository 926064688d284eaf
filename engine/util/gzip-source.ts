// A gzip file read as a stream of its decompressed bytes, synchronously and in bounded memory:
// compressed input goes in 16 KiB at a time, so one read never produces more than about 16 MiB
// (deflate's ratio is at most 1032:1) however the file was made, a 1 MiB gzip bomb included.
// Node's zlib has no synchronous streaming API (gunzipSync inflates the whole file at once), so
// this uses pako, a port of zlib itself: it checks each member's CRC-32 and length, reads
// concatenated members, and reports truncation and corruption, as gunzip does.

import { InputError } from '../errors';
import { InflatingSource } from './inflating-source';
import { ByteSource, FileSource } from './line-reader';

const IN_CHUNK = 16 * 1024;

export const GZIP_MAGIC = [0x1f, 0x8b] as const;

export class GzipSource extends InflatingSource {
  private readonly inBuf = Buffer.allocUnsafe(IN_CHUNK);

  constructor(private readonly src: FileSource) {
    super();
  }

  protected pump(): void {
    const got = this.src.read(this.inBuf, 0, IN_CHUNK);
    const last = got === 0 || this.src.position >= this.src.size;
    this.inflate.push(this.inBuf.subarray(0, got), last);
    if (this.inflate.err) {
      throw new InputError(`gzip stream is truncated or corrupt: ${this.inflate.msg || `zlib error ${this.inflate.err}`}`, { file: this.src.file, byteOffset: this.src.position }, 'a complete gzip file');
    }
    if (last) {
      if (!this.inflate.ended) throw new InputError('gzip stream is truncated or corrupt: it ends in the middle of a member', { file: this.src.file, byteOffset: this.src.position }, 'a complete gzip file');
      this.done = true;
    }
  }

  close(): void {
    this.src.close();
  }
}

/** The decompressed bytes of `file` if it starts with the gzip magic, else its bytes as they are. */
export function openMaybeGzip(file: string, what: string, onStoredBytes?: (b: Buffer) => void): { source: ByteSource; gzip: boolean } {
  const f = new FileSource(file, what, onStoredBytes);
  const m = f.peek(2);
  if (m.length === 2 && m[0] === GZIP_MAGIC[0] && m[1] === GZIP_MAGIC[1]) return { source: new GzipSource(f), gzip: true };
  return { source: f, gzip: false };
}
