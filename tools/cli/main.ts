// gicreplay command line: a thin yargs layer over the engine library. Each command lives in
// commands/<name>.ts, returns its exit code, and leaves all real work to engine/.

import yargs from 'yargs';
import { EXIT_INPUT, InputError, UsageError } from '../../engine';
import { COMMANDS } from './commands';

export async function main(argv: string[]): Promise<void> {
  let y = yargs(argv)
    .scriptName('gicreplay')
    .usage('$0 <command> [options]\n\nRecord, replay and golden-check what a guest sees of KVM\'s emulated Arm GIC under each IIDR policy.')
    .strict()
    .demandCommand(1, 'Name a command; `gicreplay --help` lists them.')
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    })
    .version(false)
    .help();
  for (const c of COMMANDS) y = c(y);
  try {
    await y.parseAsync();
  } catch (e) {
    if (e instanceof InputError || e instanceof UsageError) {
      process.stderr.write(`gicreplay: ${e.message}\n`);
      process.exitCode = EXIT_INPUT;
      return;
    }
    process.stderr.write(`gicreplay: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 3;
  }
}
