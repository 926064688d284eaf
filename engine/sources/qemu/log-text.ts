// Reading a QEMU trace log: plain or gzip'd text, streamed line by line in bounded memory (a
// 500 MB log or a gzip bomb never sits in memory whole), with the optional `-msg timestamp=on`
// prefix (TID@SEC.USEC:) taken apart from the event name and text. A log can be read more than
// once (the importer makes two passes); each pass streams it again.

import { InputError } from '../../errors';
import { openMaybeGzip } from '../../util/gzip-source';
import { BufferSource, ByteSource, LineReader } from '../../util/line-reader';

/** QEMU's trace lines are short; a longer one is not a trace line (and is refused, not buffered). */
export const MAX_LOG_LINE_BYTES = 1 << 20;

export interface LogLine {
  /** 1-based line number in the (decompressed) log. */
  line: number;
  /** Host thread ID from the -msg timestamp=on prefix, or null without one. */
  tid: number | null;
  name: string;
  text: string;
}

const PREFIX = /^([0-9]+)@([0-9]+)\.([0-9]+):/;
const NAME = /^([a-z0-9_]+) (.*)$/;

/** Where a log's bytes come from: a file (gunzipped when it starts with the gzip magic) or text. */
export type LogInput = { file: string } | { file: string; text: string };

function openInput(input: LogInput): ByteSource {
  if ('text' in input) return new BufferSource(Buffer.from(input.text, 'utf8'));
  return openMaybeGzip(input.file, 'QEMU log').source;
}

/** One pass over a log's event lines. */
export interface LogPass {
  /** Event lines in order; blank lines are skipped, and with skipMalformed lines that are not "NAME TEXT". */
  lines: Iterable<LogLine>;
  /** After `lines` is consumed: malformed lines skipped, LF-terminated lines read, SHA-256 of the decompressed text. */
  readonly skipped: number;
  readonly totalLines: number;
  digest(): string;
}

/**
 * Stream a log's event lines. A NUL byte is binary data, not a log; a last line without its
 * newline means the log was cut short (QEMU ends every line with one) and is rejected, because a
 * truncated number ("value 0x1" of "value 0x1b") would otherwise still parse.
 */
export function readLog(input: LogInput, skipMalformed = false): LogPass {
  const file = input.file;
  const reader = new LineReader(file, openInput(input), { maxLineBytes: MAX_LOG_LINE_BYTES, expected: 'QEMU trace lines (a log of the log trace backend)', crlf: 'strip', skipEmpty: true });
  reader.startHash();
  let skipped = 0;
  let digest: string | null = null;
  function* lines(): Generator<LogLine> {
    try {
      for (;;) {
        const at = reader.offset;
        let s = reader.next();
        if (s === null) break;
        const nul = s.indexOf('\u0000');
        if (nul >= 0) throw new InputError('binary data in a QEMU log (NUL byte)', { file, byteOffset: at + Buffer.byteLength(s.slice(0, nul)) }, 'text lines from the log trace backend');
        if (!reader.lastTerminated) {
          throw new InputError(`log is truncated: the last line has no newline: ${JSON.stringify(s.slice(0, 120))}`, { file, line: reader.lineNo }, 'every line to end with a newline');
        }
        if (s.trim() === '') continue;
        let tid: number | null = null;
        const p = PREFIX.exec(s);
        if (p) {
          tid = Number(p[1]);
          s = s.slice(p[0].length);
        }
        const m = NAME.exec(s);
        if (!m) {
          if (skipMalformed) {
            skipped++;
            continue;
          }
          throw new InputError(`malformed line: ${JSON.stringify(s.slice(0, 120))}`, { file, line: reader.lineNo }, '"[TID@SEC.USEC:]EVENT_NAME TEXT" as the log trace backend prints it');
        }
        yield { line: reader.lineNo, tid, name: m[1], text: m[2] };
      }
      digest = reader.hashDigest();
    } finally {
      reader.close();
    }
  }
  return {
    lines: lines(),
    get skipped() {
      return skipped;
    },
    get totalLines() {
      return reader.lineNo;
    },
    digest: () => {
      if (digest === null) throw new Error('readLog: digest() before the lines were consumed');
      return digest;
    },
  };
}

/** The whole decompressed text of a (small) log, for tools that pick lines out of it. */
export function readLogText(file: string): string {
  const src = openInput({ file });
  const parts: Buffer[] = [];
  const buf = Buffer.allocUnsafe(1 << 16);
  try {
    for (let n = src.read(buf, 0, buf.length); n > 0; n = src.read(buf, 0, buf.length)) parts.push(Buffer.from(buf.subarray(0, n)));
  } finally {
    src.close();
  }
  return Buffer.concat(parts).toString('utf8');
}
