// One bless at a time per golden folder: golden/.bless.lock names its owner (pid, host, and the
// process's start time where /proc has it, so a reused pid is not taken for the owner).
//
// The lock appears whole or not at all: the owner's record is written to a private temp file
// and link()ed into place, which fails if a lock exists. So a lock file is never empty or half
// written, and an empty or unreadable one is not ours: it is reported, never removed.
// A lock whose owner is dead (same host) is taken over, so a crashed bless never blocks the next
// one; the takeover itself holds a second lock (.bless.lock.takeover) and re-reads the lock under
// it, so two blesses that both find the same dead owner cannot both remove a lock and both win.
// (proper-lockfile was considered: its staleness is an mtime refreshed from a timer, which a
// bless busy replaying for seconds would not refresh, and its locks would then be stolen.)

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { injectFault } from '../util/faults';
import { fileError } from '../util/fs-error';
import { kindOf } from '../util/input-file';
import { makeDirs, tempNameFor } from '../util/output-file';

export const LOCK_NAME = '.bless.lock';
const TAKEOVER = '.takeover';

interface Holder {
  pid: number;
  host: string;
  /** Start time of the process (jiffies since boot, /proc/<pid>/stat field 22), when known. */
  start?: string;
}

/** Start time of a process, or null when /proc does not say (not Linux, or gone). */
function startOf(pid: number): string | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the lock's owner alive? A live process with another start time is a reused pid: not the owner. */
export function ownerAlive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (h.start === undefined) return true;
  const now = startOf(h.pid);
  return now === null || now === h.start;
}

type Read = { holder: Holder; ino: number } | { gone: true } | { bad: string };

/** Read a lock file: its holder, or that it vanished, or why it is not a lock gicreplay wrote. */
function readLock(file: string): Read {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { gone: true };
    throw fileError(e, file, 'read the bless lock');
  }
  if (!st.isFile()) return { bad: `it is ${kindOf(st)}` };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { gone: true };
    throw fileError(e, file, 'read the bless lock');
  }
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (typeof h.pid === 'number' && Number.isInteger(h.pid) && h.pid > 0 && typeof h.host === 'string' && (h.start === undefined || typeof h.start === 'string')) {
      return { holder: { pid: h.pid, host: h.host, start: h.start }, ino: st.ino };
    }
  } catch {
    // not JSON
  }
  return { bad: text === '' ? 'it is empty' : 'it does not hold a gicreplay lock record' };
}

function me(): Holder {
  const start = startOf(process.pid);
  return start === null ? { pid: process.pid, host: os.hostname() } : { pid: process.pid, host: os.hostname(), start };
}

function link(from: string, to: string): boolean {
  try {
    injectFault('link', to);
    fs.linkSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileError(e, to, 'take the bless lock');
  }
}

const nap = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(nap, 0, 0, ms);

/** Take the lock or throw (UsageError naming its holder). Returns the release function. */
export function acquireBlessLock(goldenDir: string): () => void {
  makeDirs(goldenDir, 'golden folder');
  const file = path.join(goldenDir, LOCK_NAME);
  const record = JSON.stringify(me()) + '\n';
  const mine = tempNameFor(file);
  try {
    injectFault('open', mine);
    fs.writeFileSync(mine, record, { flag: 'wx' });
  } catch (e) {
    throw fileError(e, file, 'take the bless lock');
  }
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (link(mine, file)) {
        const ino = fs.lstatSync(file).ino;
        return () => removeIf(file, ino);
      }
      const r = readLock(file);
      if ('gone' in r) continue;
      if ('bad' in r) {
        const fix = r.bad.startsWith('it is a folder') ? `rmdir ${file}` : `rm ${file}`;
        throw new InputError(`${file} is not a bless lock gicreplay wrote (${r.bad}); if no bless is running on this golden folder, remove it (${fix}) and run the bless again`, { file });
      }
      const h = r.holder;
      const sameHost = h.host === os.hostname();
      if (!sameHost) throw new UsageError(`another bless holds this golden folder's lock (pid ${h.pid} on host ${h.host}, lock ${file}); wait for it, or delete the lock file if that host is gone`);
      if (ownerAlive(h)) throw new UsageError(`another bless is running on this golden folder (pid ${h.pid}, lock ${file}); wait for it`);
      if (!takeOver(file, r.ino, mine)) sleep(5 + attempt);
    }
  } finally {
    try {
      fs.unlinkSync(mine);
    } catch {
      // already gone
    }
  }
  throw new UsageError(`cannot take the bless lock ${file}: other blesses keep taking it; try again`);
}

/**
 * Remove a lock whose owner is dead, under the takeover lock, only if it is still the same file
 * (inode) that was judged dead. Returns false when another process is taking it over right now.
 */
function takeOver(file: string, deadIno: number, mine: string): boolean {
  const guard = file + TAKEOVER;
  if (!link(mine, guard)) {
    // Someone else is taking over; if that process died there, its guard is stale too.
    const g = readLock(guard);
    if ('holder' in g && !ownerAlive(g.holder)) removeIf(guard, g.ino);
    else if ('bad' in g) throw new InputError(`${guard} is not a lock gicreplay wrote (${g.bad}); if no bless is running, remove it`, { file: guard });
    return false;
  }
  const guardIno = fs.lstatSync(guard).ino;
  try {
    const now = readLock(file);
    if ('holder' in now && now.ino === deadIno && !ownerAlive(now.holder)) removeIf(file, deadIno);
    return true;
  } finally {
    removeIf(guard, guardIno);
  }
}

function removeIf(file: string, ino: number): void {
  try {
    if (fs.lstatSync(file).ino === ino) fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** The lock's holder, if a lock file is there: for reporting locks left by dead blesses. */
export function lockHolder(goldenDir: string): { holder: Holder | null; alive: boolean; bad?: string } | null {
  const r = readLock(path.join(goldenDir, LOCK_NAME));
  if ('gone' in r) return null;
  if ('bad' in r) return { holder: null, alive: false, bad: r.bad };
  return { holder: r.holder, alive: r.holder.host !== os.hostname() || ownerAlive(r.holder) };
}
