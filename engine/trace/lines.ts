// The JSON-lines form's line reader (`trace from-json`): util/line-reader over a regular file, so
// a file of any length, and a line of any length up to the cap, is read in bounded memory and
// linear time. A trailing CR is dropped; a line that is not UTF-8 is refused.

import { FileSource, LineReader as TextLineReader } from '../util/line-reader';

/**
 * Longest line accepted: `trace dump --json` of a marker at the format's 16 MiB value limit,
 * every character JSON-escaped, still fits; a longer one is refused rather than buffered.
 */
export const MAX_LINE_BYTES = 128 * 1024 * 1024;

export class LineReader extends TextLineReader {
  constructor(file: string) {
    super(file, new FileSource(file, 'JSON-lines file'), { maxLineBytes: MAX_LINE_BYTES, expected: 'one JSON object per line', crlf: 'strip', strictUtf8: true });
  }
}
