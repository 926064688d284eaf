// `gicreplay record <source>`: record a trace live, one subcommand per source.

import type { Argv } from 'yargs';
import { recordGuestCommand } from './record-guest';
import { recordKvmCommand } from './record-kvm';
import { recordQemuCommand } from './record-qemu';

export function recordCommand(y: Argv): Argv {
  return y.command('record <source>', 'Record a trace: a scripted test guest against the model, a guest under QEMU, or a guest on real KVM', (c) =>
    recordKvmCommand(recordQemuCommand(recordGuestCommand(c))).demandCommand(1, 'Name a source: guest, qemu or kvm'),
  );
}
