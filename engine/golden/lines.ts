// Bounded-memory, synchronous line IO for goldens: replay is synchronous, so the comparison pulls
// golden lines on demand instead of loading a body that may be hundreds of megabytes.

import { createHash, Hash } from 'crypto';
import { InputError } from '../errors';
import { FileSource, LineReader as TextLineReader } from '../util/line-reader';

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
  constructor(file: string, what = 'golden', maxLine = MAX_GOLDEN_LINE_BYTES, display = file) {
    super(display, new FileSource(file, what), {
      maxLineBytes: maxLine,
      expected: `lines of at most ${maxLine} bytes (not a golden gicreplay wrote)`,
      crlf: (line) => new InputError(`${what} has CRLF line endings`, { file: display, line }, 'LF only (add `*.golden -text` to .gitattributes so git does not convert it)'),
    });
  }
}

/** sha256 over lines, each followed by LF, fed in batches (one update per line is slow). */
export class LineHasher {
  private readonly hash: Hash = createHash('sha256');
  private pending: string[] = [];
  private size = 0;
  lines = 0;

  add(line: string): void {
    this.pending.push(line);
    this.size += line.length + 1;
    this.lines++;
    if (this.size > CHUNK) this.drain();
  }

  private drain(): void {
    if (this.pending.length) this.hash.update(this.pending.join('\n') + '\n', 'utf8');
    this.pending = [];
    this.size = 0;
  }

  digest(): string {
    this.drain();
    return this.hash.digest('hex');
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
