// gicreplay command line: a thin yargs layer over the engine library. Each command lives in
// commands/<name>.ts, returns its exit code, and leaves all real work to engine/.

import yargs, { Argv } from 'yargs';
import { EXIT_INPUT, InputError, installFaults, Interrupted, UsageError } from '../../engine';
import { COMMAND_NAMES, COMMANDS } from './commands';
import { resolveCliContext } from './context';
import { OutputClosed } from './output';

/** main() has put its EPIPE handler on process.stdout. */
let stdoutGuarded = false;

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
  const ctx = resolveCliContext(argv, process.env, process.stdout, process.stderr);
  let y: Argv = yargs(argv)
    .scriptName('gicreplay')
    .usage('$0 <command> [options]\n\nRecord, replay and golden-check what a guest sees of KVM\'s emulated Arm GIC under each IIDR policy.')
    .strict()
    .demandCommand(1, 'Name a command; `gicreplay --help` lists them.')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(usageMessage(msg, argv));
    })
    .version(false)
    .option('color', { type: 'string', choices: ['auto', 'always', 'never'], global: true, describe: 'colour on a terminal (auto: unless NO_COLOR is set; FORCE_COLOR forces it)' })
    .help();
  for (const c of COMMANDS) y = c(y, ctx);
  // yargs prints --help through process.stdout: a reader that went away is not an error there
  // either. Once per process: tests and library users call main() many times.
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  try {
    const first = argv.find((a) => !a.startsWith('-'));
    if (first !== undefined && argv.indexOf(first) === 0 && !COMMAND_NAMES.includes(first)) {
      throw new UsageError(`unknown command "${first}" (the commands are ${COMMAND_NAMES.join(', ')}; \`gicreplay --help\` says what each does)`);
    }
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

/**
 * yargs' strict-mode messages, made plain: it lists an unknown --bogus-flag twice (as given and
 * camel-cased); name each option once, as the user typed it.
 */
export function usageMessage(msg: string, argv: readonly string[] = []): string {
  const m = /^Unknown arguments?: (.*)$/.exec(msg);
  if (!m) return msg;
  const names = m[1].split(', ');
  const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const kept = names.filter((n) => !(n !== kebab(n) && names.includes(kebab(n))));
  const given = (n: string) => argv.find((a) => a === `--${n}` || a.startsWith(`--${n}=`) || a === `--no-${n}` || (n.length === 1 && a === `-${n}`));
  const shown = kept.map((n) => given(n)?.split('=')[0] ?? JSON.stringify(n));
  const opts = kept.every((n) => given(n) !== undefined);
  return `unknown ${opts ? 'option' : 'argument'}${shown.length === 1 ? '' : 's'} ${shown.join(', ')} (\`--help\` lists what the command takes)`;
}
