// `gicreplay import <source>`: one subcommand per recording source, each in its own module.

import type { Argv } from 'yargs';
import { importQemuCommand } from './import-qemu';
import { importFtraceCommand } from './import-ftrace';

export function importCommand(y: Argv): Argv {
  return y.command('import <source>', 'Import a recording from another tool into a gicreplay trace', (c) =>
    importFtraceCommand(importQemuCommand(c)).demandCommand(1, 'Name a source: qemu or ftrace'),
  );
}
