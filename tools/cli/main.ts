// gicreplay command line: a thin yargs layer over the engine library. Each command lives in
// commands/<name>.ts, returns its exit code, and leaves all real work to engine/.

import yargs from 'yargs';
import { EXIT_INPUT, InputError, installFaults, Interrupted, UsageError } from '../../engine';
import { COMMANDS } from './commands';
import { OutputClosed } from './output';

export async function main(argv: string[]): Promise<void> {
  // Deterministic fault injection for the robustness campaign (engine/util/faults.ts).
  const faults = process.env.GICREPLAY_FAULTS;
  if (faults) {
    try {
      installFaults(faults);
    } catch (e) {
      process.stderr.write(`gicreplay: GICREPLAY_FAULTS: ${(e as Error).message}\n`);
      process.exitCode = EXIT_INPUT;
      return;
    }
  }
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
  // yargs prints --help through process.stdout: a reader that went away is not an error there either.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await y.parseAsync();
  } catch (e) {
    // The reader of standard output went away (`| head`): stop quietly with the exit code so far.
    if (e instanceof OutputClosed) return;
    if (e instanceof Interrupted) {
      process.stderr.write(`gicreplay: ${e.message}\n`);
      process.exitCode = e.reason === 'SIGTERM' ? 143 : 130; // 128 + the signal's number, as a shell shows it
      return;
    }
    if (e instanceof InputError || e instanceof UsageError) {
      process.stderr.write(`gicreplay: ${e.message}\n`);
      process.exitCode = EXIT_INPUT;
      return;
    }
    process.stderr.write(`gicreplay: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 3;
  }
}
