// Bounded-memory, synchronous line IO for goldens: replay is synchronous, so the comparison pulls
// golden lines on demand instead of loading a body that may be hundreds of megabytes.

import { createHash, Hash } from 'crypto';
import { InputError } from '../errors';
import { ByteSource, FileSource, LineReader as TextLineReader } from '../util/line-reader';

const CHUNK = 1 << 16;

/**
 * Longest golden line read. Bless can write a line this long only for a trace marker near the
 * trace format's 16 MiB value limit with every character JSON-escaped; anything longer is not a
 * golden gicreplay wrote and is refused once that many bytes were read, in time linear in them.
 */
export const MAX_GOLDEN_LINE_BYTES = 128 * 1024 * 1024;

/** A golden read line by line (LF only: a CRLF golden is bad input), bounded and linear. */
export class LineReader extends TextLineReader {
  /** `display` names the file in messages about its lines (the project-relative path). */
  constructor(file: string, what = 'golden', maxLine = MAX_GOLDEN_LINE_BYTES, display = file, source: ByteSource = new FileSource(file, what)) {
    super(display, source, {
      maxLineBytes: maxLine,
      expected: `lines of at most ${maxLine} bytes (not a golden gicreplay wrote)`,
      crlf: (line) => new InputError(`${what} has CRLF line endings`, { file: display, line }, 'LF only (add `*.golden -text` to .gitattributes so git does not convert it)'),
    });
  }
}

/**
 * sha256 over lines, each followed by LF. Lines are copied as UTF-8 into one buffer and hashed a
 * buffer at a time: no joined string, no encoding pass per batch (the check of a large trace
 * hashes hundreds of megabytes this way).
 */
export class LineHasher {
  private readonly hash: Hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private at = 0;
  lines = 0;

  add(line: string): void {
    this.lines++;
    // A UTF-8 character takes at most 3 bytes per UTF-16 code unit.
    if (this.at + 3 * line.length + 1 > CHUNK) {
      this.flush();
      if (3 * line.length + 1 > CHUNK) {
        this.hash.update(line, 'utf8');
        this.hash.update('\n');
        return;
      }
    }
    this.at += this.buf.write(line, this.at, 'utf8');
    this.buf[this.at++] = 10;
  }

  private flush(): void {
    if (this.at) this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
