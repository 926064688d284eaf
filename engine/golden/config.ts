// Modes are decided once, here, from argv and the environment (the insta env.rs shape), and the
// resolved object is passed down; nothing below this reads process.env or asks for a TTY.

import { UsageError } from '../errors';
import { isCi } from '../util/ci';

export { isCi };

/** check: never writes. bless: writes the named goldens (and only those). */
export type UpdateMode = 'check' | 'bless';

export interface GoldenConfig {
  mode: UpdateMode;
  /** CI is set (non-empty and not "false"/"0"). */
  ci: boolean;
  /** Show progress (a TTY and not CI). */
  progress: boolean;
  /** Worker threads: 0 = in-process; 'auto' = decide from the number of pairs and cores. */
  workers: number | 'auto';
}

export interface ConfigInput {
  mode: UpdateMode;
  env: Readonly<Record<string, string | undefined>>;
  /** Is the progress stream (stderr) a terminal? */
  tty: boolean;
  /** --workers N, or GICREPLAY_WORKERS; absent = auto. */
  workers?: number;
}

export function resolveConfig(i: ConfigInput): GoldenConfig {
  const ci = isCi(i.env);
  let workers: number | 'auto' = 'auto';
  const w = i.workers ?? (i.env.GICREPLAY_WORKERS !== undefined && i.env.GICREPLAY_WORKERS !== '' ? Number(i.env.GICREPLAY_WORKERS) : undefined);
  if (w !== undefined) {
    if (!Number.isInteger(w) || w < 0 || w > 64) throw new UsageError(`workers is ${JSON.stringify(w)} (GICREPLAY_WORKERS or --workers); expected an integer 0..64`);
    workers = w;
  }
  return { mode: i.mode, ci, progress: i.tty && !ci, workers };
}

export type GoldenState = 'match' | 'drift' | 'missing' | 'stale' | 'obsolete';
export type WriteAction = 'write' | 'delete' | 'none';

/**
 * The one place that decides whether a golden is written. `named`: the user named this
 * golden's trace and policy (or --wide extended the bless to it). Check mode never writes.
 */
export function decideWrite(mode: UpdateMode, state: GoldenState, named: boolean, prune: boolean): WriteAction {
  if (mode === 'check' || !named) return 'none';
  switch (state) {
    case 'match':
      return 'none';
    case 'drift':
    case 'missing':
    case 'stale':
      return 'write';
    case 'obsolete':
      return prune ? 'delete' : 'none';
  }
}
