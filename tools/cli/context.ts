// What every command needs to know about where its output goes, decided once in main() from the
// arguments, the environment and the terminal (insta's env.rs shape) and handed to each command:
// whether standard output gets colour, and whether it is a terminal a person is watching.

import { ColorChoice, isCi, makeStyle, resolveColor, Style } from '../../engine';

export interface CliContext {
  /** Colours for standard output (plain when it is a file or pipe, NO_COLOR, --color never). */
  style: Style;
  /** Standard output is a terminal: the only place a report may show how long a run took. */
  stdoutTty: boolean;
  /** Progress lines on standard error: it is a terminal and CI is not set (never in a pipe or CI log). */
  progress: boolean;
  /** Terminal width for tables (80 when not a terminal). */
  columns: number;
}

const CHOICES: readonly ColorChoice[] = ['auto', 'always', 'never'];

/** --color WHEN / --color=WHEN / --no-color, read before yargs so the style exists for every command. */
export function colorChoice(argv: readonly string[]): ColorChoice {
  let choice: ColorChoice = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '--no-color') choice = 'never';
    else if (a === '--color' && CHOICES.includes(argv[i + 1] as ColorChoice)) choice = argv[i + 1] as ColorChoice;
    else if (a.startsWith('--color=') && CHOICES.includes(a.slice(8) as ColorChoice)) choice = a.slice(8) as ColorChoice;
  }
  return choice;
}

export function resolveCliContext(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, stdout: { isTTY?: boolean; columns?: number }, stderr: { isTTY?: boolean } = {}): CliContext {
  const tty = Boolean(stdout.isTTY);
  return { style: makeStyle(resolveColor({ env, tty, choice: colorChoice(argv) })), stdoutTty: tty, progress: Boolean(stderr.isTTY) && !isCi(env), columns: tty && stdout.columns ? stdout.columns : 80 };
}
