// Colour for text people read on a terminal. Decided once, from the environment and whether the
// output is a terminal (resolveColor), and passed down as a Style: renderers never read
// process.env or ask for a TTY, and goldens, traces, --json and JUnit never see a colour.

import { createColors } from 'picocolors';

export interface Style {
  readonly enabled: boolean;
  /** Lines only in the golden, removed things, failures. */
  removed(s: string): string;
  /** Lines only in the new output, added things. */
  added(s: string): string;
  /** Status words of a failure (DRIFT, ERROR, FAIL). */
  bad(s: string): string;
  /** Status words of something to act on that is not broken (MISSING, STALE, OBSOLETE). */
  warn(s: string): string;
  good(s: string): string;
  /** Commands to paste, register names. */
  strong(s: string): string;
  /** Secondary detail (hunk headers, context). */
  dim(s: string): string;
}

export function makeStyle(enabled: boolean): Style {
  const c = createColors(enabled);
  return {
    enabled,
    removed: c.red,
    added: c.green,
    bad: (s) => c.bold(c.red(s)),
    warn: (s) => c.bold(c.yellow(s)),
    good: (s) => c.bold(c.green(s)),
    strong: c.bold,
    dim: c.dim,
  };
}

/** No colour: the style of every file, pipe and test. */
export const PLAIN: Style = makeStyle(false);

export type ColorChoice = 'auto' | 'always' | 'never';

/**
 * The one colour decision (https://no-color.org, https://force-color.org): `--color always|never`
 * wins; then NO_COLOR (any non-empty value) turns colour off; then FORCE_COLOR turns it on ("0"
 * or "false" off); otherwise colour only on a terminal that is not "dumb".
 */
export function resolveColor(i: { env: Readonly<Record<string, string | undefined>>; tty: boolean; choice?: ColorChoice }): boolean {
  if (i.choice === 'always') return true;
  if (i.choice === 'never') return false;
  if (i.env.NO_COLOR !== undefined && i.env.NO_COLOR !== '') return false;
  const f = i.env.FORCE_COLOR;
  if (f !== undefined) return f !== '0' && f.toLowerCase() !== 'false';
  return i.tty && i.env.TERM !== 'dumb';
}
