// Standard output of every command: the one buffered writer (engine/util/fd-writer) with the one
// EPIPE rule: when the reader goes away (`gicreplay trace dump … | head`), OutputClosed stops the
// command and main() exits quietly with the exit code decided so far.

import { FdWriter, isStdoutTarget } from '../../engine';

export { OutputClosed } from '../../engine';

let capture: ((text: string) => void) | null = null;

/** Tests running a command in-process: collect its standard output here (null: fd 1 again). */
export function captureStdout(f: ((text: string) => void) | null): void {
  capture = f;
}

export class Output extends FdWriter {
  constructor() {
    const c = capture;
    super(1, 'standard output', true, c ? (b) => c(b.toString('utf8')) : undefined);
  }

  /** Print lines and flush. */
  lines(ls: Iterable<string>): void {
    for (const l of ls) this.line(l);
    this.flush();
  }
}

/** Print lines to standard output now. */
export function printLines(...ls: string[]): void {
  new Output().lines(ls);
}

/**
 * A command's closing summary about an output file it wrote: on standard output, unless that
 * file *is* standard output (`-o -`, /dev/stdout), where the summary would corrupt it.
 */
export function summaryLines(outFile: string, lines: readonly string[]): void {
  if (isStdoutTarget(outFile)) {
    for (const l of lines) process.stderr.write(`${l}\n`);
    return;
  }
  new Output().lines(lines);
}
