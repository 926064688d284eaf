import type { Argv } from 'yargs';
import { UsageError } from '../../../engine/errors';

// PLACEHOLDER until the scripted guests land.
export function recordGuestCommand(y: Argv): Argv {
  return y.command('guest [name]', 'Record a scripted test guest against the model', (c) => c.positional('name', { type: 'string' }), () => {
    throw new UsageError('record guest is not built yet');
  });
}
