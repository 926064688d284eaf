// What interrupted blesses leave in golden/: temp files (util/output-file names them
// `.<golden>.tmp-<pid>-<n>` / `.<golden>.body-<pid>-<n>`) of a process that is gone, and a lock
// whose owner died. A bless killed with SIGKILL cannot clean up after itself, so `check` reports
// them (they would otherwise be committed by a `git add golden/`) and `bless --prune` removes them.

import * as fs from 'fs';
import * as path from 'path';
import { fileError } from '../util/fs-error';
import { parseTempName } from '../util/output-file';
import { Layout } from './layout';
import type { Leftover } from './results';
import { LOCK_NAME, lockHolder, ownerAlive } from './lock';
import * as os from 'os';

export type { Leftover };

/**
 * Temp files of processes that are gone, and a dead bless's lock, under golden/, sorted. Nothing
 * while another bless holds the lock (its temp files are live); `asLockOwner`: the caller holds it.
 */
export function findLeftovers(l: Layout, asLockOwner = false): Leftover[] {
  const lock = asLockOwner ? null : lockHolder(l.goldenDir);
  if (lock?.alive) return [];
  const out: Leftover[] = [];
  const walk = (dir: string) => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // listing problems are reported by the manifest
    }
    for (const e of ents) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) walk(full);
        continue;
      }
      const t = parseTempName(e.name);
      if (!t || !e.isFile()) continue;
      // A live process's temp file is in use (e.g. a Jest matcher's golden kept under golden/).
      if (t.pid === process.pid || ownerAlive({ pid: t.pid, host: os.hostname() })) continue;
      out.push({ file: rel(l, full), reason: `a temp file of ${t.of} left by an interrupted gicreplay (pid ${t.pid})` });
    }
  };
  walk(l.goldenDir);
  if (lock && !lock.alive) {
    const who = lock.holder ? `pid ${lock.holder.pid}, which is gone` : lock.bad;
    out.push({ file: rel(l, path.join(l.goldenDir, LOCK_NAME)), reason: `the bless lock of a bless that died (${who})` });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function rel(l: Layout, full: string): string {
  return path.relative(l.root, full).split(path.sep).join('/');
}

/** Remove leftovers (called by bless --prune, under the bless lock). */
export function removeLeftovers(l: Layout, items: readonly Leftover[]): void {
  for (const x of items) {
    const file = path.join(l.root, ...x.file.split('/'));
    try {
      fs.unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, file, 'remove the leftover temp file');
    }
  }
}
