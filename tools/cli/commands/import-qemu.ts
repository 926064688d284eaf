import type { Argv } from 'yargs';
import { defaultTracePath, formatImportSummary, importQemuLogToFile, UsageError } from '../../../engine';
import { summaryLines } from '../output';

export function importQemuCommand(y: Argv): Argv {
  return y.command(
    'qemu <log>',
    'Import a QEMU 7.2 GIC trace log (gic_* / gicv3_* events; plain, gzip\'d, or with -msg timestamp=on)',
    (c) =>
      c
        .positional('log', { type: 'string', demandOption: true, describe: 'QEMU -D log file (.log or .log.gz)' })
        .option('o', { alias: 'output', type: 'string', describe: 'trace to write (default: LOG with .gtr)' })
        .option('gic', { type: 'number', demandOption: true, choices: [2, 3], describe: 'GIC version of the -M virt,gic-version=N run' })
        .option('cpus', { type: 'number', describe: 'vCPU count (default: inferred from the log)' })
        .option('spis', { type: 'number', describe: 'SPI count (default: 256, as QEMU virt wires)' })
        .option('skip-unknown', { type: 'boolean', default: false, describe: 'drop unknown or unsupported event lines and print how many' })
        .option('qemu-version', { type: 'string', describe: 'QEMU version string for the trace header' })
        .option('qemu-command', { type: 'string', describe: 'QEMU command line that made the log, for the trace header' }),
    (a) => {
      for (const k of ['cpus', 'spis'] as const) {
        const v = a[k];
        if (v !== undefined && (!Number.isInteger(v) || v < (k === 'cpus' ? 1 : 0))) throw new UsageError(`--${k} must be a ${k === 'cpus' ? 'positive' : 'non-negative'} integer`);
      }
      const log = a.log as string;
      const out = (a.o as string | undefined) ?? defaultTracePath(log);
      const { stats, trailer } = importQemuLogToFile(log, out, {
        gic: a.gic as 2 | 3,
        cpus: a.cpus,
        spis: a.spis,
        skipUnknown: a['skip-unknown'],
        tool: a['qemu-version'],
        command: a['qemu-command'],
      });
      summaryLines(out, formatImportSummary(out, stats, trailer));
      process.exitCode = 0;
    },
  );
}
