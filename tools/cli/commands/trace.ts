// `gicreplay trace info | dump | from-json | validate`: inspection and the text form of traces.
// All work is in engine/inspect/inspect.ts; this module only parses arguments and prints.

import * as fs from 'fs';
import type { Argv } from 'yargs';
import { dumpTrace, EXIT_CLEAN, formatInfo, traceFromJson, traceInfo, validateTrace } from '../../../engine';
import { Output } from '../output';

class PipeClosed extends Error {}

/**
 * stdout for dumps of millions of lines: each line is encoded into a 64 KiB byte buffer at once,
 * so no string (and no rope of template pieces) outlives its line. Keeps `trace dump` of a
 * 10-million-event trace well inside its memory budget.
 */
class ByteOutput {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;

  line(s: string): void {
    const max = s.length * 3 + 1;
    if (this.len + max > this.buf.length) {
      this.flush();
      if (max > this.buf.length) this.buf = Buffer.allocUnsafe(max);
    }
    this.len += this.buf.write(s, this.len, 'utf8');
    this.buf[this.len++] = 0x0a;
  }

  flush(): void {
    let off = 0;
    while (off < this.len) {
      try {
        off += fs.writeSync(1, this.buf, off, this.len - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EPIPE') throw new PipeClosed(); // the reader went away (| head): stop dumping
        throw e;
      }
    }
    this.len = 0;
  }
}

function infoCommand(y: Argv): Argv {
  return y.command(
    'info <file>',
    'Print the header, the number of events of each kind and the cycle span',
    (c) =>
      c
        .positional('file', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('allow-truncated', { type: 'boolean', default: false, describe: 'describe the valid prefix of a trace without a trailer' }),
    (a) => {
      const out = new Output();
      for (const l of formatInfo(traceInfo(a.file as string, { allowTruncated: a['allow-truncated'] }))) out.line(l);
      out.flush();
      process.exitCode = EXIT_CLEAN;
    },
  );
}

function dumpCommand(y: Argv): Argv {
  return y.command(
    'dump <file>',
    'Print one line per event with decoded register names (--json: the JSON-lines form from-json reads)',
    (c) =>
      c
        .positional('file', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('json', { type: 'boolean', default: false, describe: 'header line, one JSON object per event, trailer line' })
        .option('allow-truncated', { type: 'boolean', default: false, describe: 'dump the valid prefix of a trace without a trailer' }),
    (a) => {
      const out = new ByteOutput();
      try {
        dumpTrace(a.file as string, { json: a.json, allowTruncated: a['allow-truncated'] }, (l) => out.line(l));
        out.flush();
      } catch (e) {
        if (e instanceof PipeClosed) return;
        // Show the events before the bad one, then the error.
        try {
          out.flush();
        } catch {
          // stdout is gone as well; the error still goes to stderr
        }
        throw e;
      }
      process.exitCode = EXIT_CLEAN;
    },
  );
}

function fromJsonCommand(y: Argv): Argv {
  return y.command(
    'from-json <file>',
    'Build a trace from the JSON-lines form of `trace dump --json` (written atomically)',
    (c) =>
      c
        .positional('file', { type: 'string', demandOption: true, describe: 'JSON-lines file: header line, event lines, optional trailer line' })
        .option('o', { alias: 'output', type: 'string', demandOption: true, describe: 'trace file to write (.gtr)' }),
    (a) => {
      const t = traceFromJson(a.file as string, a.o as string);
      process.stdout.write(`wrote ${a.o}: ${t.events} events, sha256 ${t.digest}\n`);
      process.exitCode = EXIT_CLEAN;
    },
  );
}

function validateCommand(y: Argv): Argv {
  return y.command(
    'validate <file>',
    'Run every check on a trace, register-level ones included; exit 0 if valid, 2 if not',
    (c) => c.positional('file', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' }),
    (a) => {
      const r = validateTrace(a.file as string);
      process.stdout.write(`${a.file}: valid, ${r.events} events, sha256 ${r.trailer?.digest}\n`);
      process.exitCode = EXIT_CLEAN;
    },
  );
}

export function traceCommand(y: Argv): Argv {
  return y.command('trace <command>', 'Inspect traces and convert them to and from their JSON-lines form', (c) =>
    validateCommand(fromJsonCommand(dumpCommand(infoCommand(c)))).demandCommand(1, 'Name a trace command: info, dump, from-json or validate'),
  );
}
