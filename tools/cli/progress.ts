// The CLI's one progress line: standard error, rewritten in place, only when a person is watching
// (a terminal and not CI; the caller passes that decision, made once). Node's own
// tty.WriteStream cursorTo/clearLine do the erasing, so no escape code is written by hand, and a
// pipe or a CI log never receives a carriage return. No library: those in the npm lists that do
// this (log-update 8, ansi-escapes 7) are ESM-only, which this CommonJS build cannot require on
// Node 20, and the job is these two calls.

import type { WriteStream } from 'tty';

export interface ProgressLine {
  /** Replace the line with `text` (cut to the terminal's width so it never wraps). */
  update(text: string): void;
  /** Erase the line, leaving the cursor where the next output starts. */
  done(): void;
}

export function progressLine(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressLine | undefined {
  if (!enabled || !stream.isTTY) return undefined;
  const tty = stream as WriteStream;
  const clear = () => {
    tty.cursorTo(0);
    tty.clearLine(0);
  };
  return {
    update: (text) => {
      clear();
      tty.write(text.slice(0, Math.max(1, (tty.columns || 80) - 1)));
    },
    done: clear,
  };
}
