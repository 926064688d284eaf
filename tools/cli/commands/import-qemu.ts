import type { Argv } from 'yargs';
import { UsageError } from '../../../engine/errors';

// PLACEHOLDER until the QEMU importer lands.
export function importQemuCommand(y: Argv): Argv {
  return y.command('qemu <log>', 'Import a QEMU GIC trace log (gic_* / gicv3_* events)', (c) => c.positional('log', { type: 'string', demandOption: true }), () => {
    throw new UsageError('import qemu is not built yet');
  });
}
