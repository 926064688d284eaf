import type { Argv } from 'yargs';
import { UsageError } from '../../../engine/errors';

// PLACEHOLDER until live QEMU recording lands.
export function recordQemuCommand(y: Argv): Argv {
  return y.command('qemu', 'Run a guest under qemu-system-aarch64 with GIC tracing and import the log', (c) => c, () => {
    throw new UsageError('record qemu is not built yet');
  });
}
