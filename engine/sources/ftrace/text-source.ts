// Lines of an ftrace text file, streamed in bounded memory (util/line-reader): plain or gzip'd
// (`trace-cmd report | gzip`, inflated as it is read, util/gzip-source). The SHA-256 of the bytes
// as stored goes into the trace header.

import { createHash } from 'crypto';
import { openMaybeGzip } from '../../util/gzip-source';
import { BufferSource, LineReader } from '../../util/line-reader';

/** Far longer than any ftrace line (trace_printk included); a longer one is refused rather than buffered. */
const MAX_LINE_BYTES = 16 << 20;

export interface TextSource {
  lines: Iterable<string>;
  /** Hex SHA-256 of the input bytes; valid once `lines` has been consumed. */
  digest(): string;
  gzip: boolean;
}

/** Lines of `file`, or of `text` when the caller already holds it. Lines keep a CR; the last one may lack its LF. */
export function openText(file: string, text?: string): TextSource {
  const hash = createHash('sha256');
  let source;
  let gzip = false;
  if (text !== undefined) {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(bytes);
    source = new BufferSource(bytes);
  } else {
    const o = openMaybeGzip(file, 'ftrace text', (b) => hash.update(b));
    source = o.source;
    gzip = o.gzip;
  }
  const reader = new LineReader(file, source, { maxLineBytes: MAX_LINE_BYTES, expected: 'ftrace text lines', crlf: 'keep' });
  function* lines(): Generator<string> {
    try {
      for (let l = reader.next(); l !== null; l = reader.next()) yield l;
    } finally {
      reader.close();
    }
  }
  return { lines: lines(), digest: () => hash.copy().digest('hex'), gzip };
}
