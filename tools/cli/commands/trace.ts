// `gicreplay trace info | dump | from-json | validate`: inspection and the text form of traces.
// All work is in engine/inspect/inspect.ts; this module only parses arguments and prints.

import type { Argv } from 'yargs';
import { dumpTrace, EXIT_CLEAN, formatInfo, traceFromJson, traceInfo, validateTrace } from '../../../engine';
import { Output, OutputClosed, summaryLines } from '../output';

function infoCommand(y: Argv): Argv {
  return y.command(
    'info <file>',
    'Print the header, the number of events of each kind and the cycle span',
    (c) =>
      c
        .positional('file', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('allow-truncated', { type: 'boolean', default: false, describe: 'describe the valid prefix of a trace without a trailer' }),
    (a) => {
      new Output().lines(formatInfo(traceInfo(a.file as string, { allowTruncated: a['allow-truncated'] })));
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
      const out = new Output();
      try {
        dumpTrace(a.file as string, { json: a.json, allowTruncated: a['allow-truncated'] }, (l) => out.line(l));
        out.flush();
      } catch (e) {
        if (e instanceof OutputClosed) throw e;
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
        .option('o', { alias: 'output', type: 'string', demandOption: true, describe: 'trace file to write (.gtr; - for standard output)' }),
    (a) => {
      const t = traceFromJson(a.file as string, a.o as string);
      summaryLines(a.o as string, [`wrote ${a.o}: ${t.events} events, sha256 ${t.digest}`]);
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
      new Output().lines([`${a.file}: valid, ${r.events} events, sha256 ${r.trailer?.digest}`]);
      process.exitCode = EXIT_CLEAN;
    },
  );
}

export function traceCommand(y: Argv): Argv {
  return y.command('trace <command>', 'Inspect traces and convert them to and from their JSON-lines form', (c) =>
    validateCommand(fromJsonCommand(dumpCommand(infoCommand(c)))).demandCommand(1, 'Name a trace command: info, dump, from-json or validate'),
  );
}
