import type { Argv } from 'yargs';
import { UsageError } from '../../../engine/errors';

// PLACEHOLDER until the ftrace importer lands.
export function importFtraceCommand(y: Argv): Argv {
  return y.command('ftrace <file>', 'Import a KVM/arm64 host ftrace text file', (c) => c.positional('file', { type: 'string', demandOption: true }), () => {
    throw new UsageError('import ftrace is not built yet');
  });
}
