// Who blessed, when, and at which commit: the ledger's history fields. Resolved once by the caller
// (the CLI, the Jest matcher's config) from the environment and git, and handed to bless, so the
// code that writes goldens never reads a clock: no golden, trace or report byte depends on this.

import { execFileSync } from 'child_process';
import * as os from 'os';

export interface BlessStamp {
  /** ISO 8601 UTC, to the second; SOURCE_DATE_EPOCH (seconds) overrides the clock, for reproducible runs. */
  at: string | null;
  /** `Name <email>` from git config, else GICREPLAY_AUTHOR, else the login name. */
  by: string | null;
  /** The commit the tree was at (git rev-parse HEAD), null outside git or before the first commit. */
  commit: string | null;
  /** The command that blessed: bless, accept (review), jest. */
  command: string;
}

export const UNSTAMPED: BlessStamp = { at: null, by: null, commit: null, command: 'bless' };

function git(root: string, args: string[]): string | null {
  try {
    const s = execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    return s === '' ? null : s;
  } catch {
    return null;
  }
}

export function blessStamp(o: { root: string; env: Readonly<Record<string, string | undefined>>; command?: string; now?: () => Date }): BlessStamp {
  const epoch = o.env.SOURCE_DATE_EPOCH;
  const when = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : (o.now ?? (() => new Date()))();
  const at = Number.isNaN(when.getTime()) ? null : when.toISOString().replace(/\.\d{3}Z$/, 'Z');
  let by = o.env.GICREPLAY_AUTHOR?.trim() || null;
  if (!by) {
    const name = git(o.root, ['config', 'user.name']);
    const mail = git(o.root, ['config', 'user.email']);
    by = name && mail ? `${name} <${mail}>` : name ?? mail;
  }
  if (!by) {
    try {
      by = os.userInfo().username || null;
    } catch {
      by = null;
    }
  }
  const commit = git(o.root, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  return { at, by, commit: commit && /^[0-9a-f]{40,64}$/.test(commit) ? commit : null, command: o.command ?? 'bless' };
}
