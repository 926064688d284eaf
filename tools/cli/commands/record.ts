// `gicreplay record <source>`: record a trace live, one subcommand per source.

import type { Argv } from 'yargs';
import { recordGuestCommand } from './record-guest';
import { recordQemuCommand } from './record-qemu';

export function recordCommand(y: Argv): Argv {
  return y.command('record <source>', 'Record a trace: a scripted test guest against the model, or a guest under QEMU', (c) =>
    recordQemuCommand(recordGuestCommand(c)).demandCommand(1, 'Name a source: guest or qemu'),
  );
}
