// One bless at a time per golden folder. The lock file holds the owner's pid and host; a lock
// whose process is gone (same host) is taken over, so a crashed bless never blocks forever.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../errors';

export const LOCK_NAME = '.bless.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock or throw a UsageError naming its holder. Returns the release function. */
export function acquireBlessLock(goldenDir: string): () => void {
  fs.mkdirSync(goldenDir, { recursive: true });
  const file = path.join(goldenDir, LOCK_NAME);
  const me = JSON.stringify({ pid: process.pid, host: os.hostname() }) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, me);
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === me) fs.rmSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // Unreadable or half-written lock: its writer died between create and write.
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : null;
    const sameHost = holder.host === os.hostname();
    if (pid !== null && (!sameHost || alive(pid))) {
      throw new UsageError(
        `another bless is running on this golden folder (pid ${pid}${sameHost ? '' : ` on host ${String(holder.host)}`}, lock ${file}); wait for it` +
          (sameHost ? '' : ', or delete the lock file if that host is gone'),
      );
    }
    fs.rmSync(file, { force: true });
  }
  throw new UsageError(`cannot take the bless lock ${file}`);
}
