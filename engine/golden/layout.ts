// Where traces and goldens live: traces/<path>.gtr has one golden per policy at
// golden/<path>/<policy>.golden. Paths inside the library are POSIX and relative (to traces/
// for traces, to the project root for goldens), so reports are the same on every machine.

import * as fs from 'fs';
import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { describeErrno, fileError } from '../util/fs-error';
import { GOLDEN_EXT } from './format';

export const TRACE_EXT = '.gtr';

export interface Layout {
  root: string;
  tracesDir: string;
  goldenDir: string;
}

export function layoutFor(root: string): Layout {
  const r = path.resolve(root);
  return { root: r, tracesDir: path.join(r, 'traces'), goldenDir: path.join(r, 'golden') };
}

const toPosix = (p: string): string => p.split(path.sep).join('/');
/** Code-unit order: the same on every machine and locale. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** An entry under traces/ that exists but cannot be read, so what it holds is unknown. */
export interface UnreadableEntry {
  /** Path relative to traces/ (POSIX). */
  path: string;
  reason: string;
}

/**
 * Why a trace path cannot be named in a golden header (one "# trace: <path>" line; traceInsideRepo
 * refuses backslashes), or null. Such a trace is refused by check and bless alike.
 */
export function badName(rel: string): string | null {
  if (/[\n\r]/.test(rel)) return 'a line break';
  if (rel.includes('\\')) return 'a backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(rel)) return 'a control character';
  return null;
}

/**
 * Every entry named *<ext>, whatever it is: a FIFO, a folder or a dangling link named like a
 * trace is still that trace (its readers report what is wrong with it), never silently absent.
 * Folders are followed through symbolic links (each real folder once); a folder that cannot be
 * listed, or a dangling link that is not named *<ext>, goes to `unreadable`.
 */
function walk(dir: string, ext: string, out: string[], base: string, unreadable: UnreadableEntry[] | null, seen: Set<string>, isRoot = true): void {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
    seen.add(fs.realpathSync(dir));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (isRoot && code === 'ENOENT') return;
    if (isRoot && code === 'ENOTDIR') throw new InputError(`${path.basename(dir)} is a file, not a folder`, { file: dir }, `a folder ${path.basename(dir)}/ (move the file away)`);
    if (isRoot || !unreadable) throw fileError(e, dir, 'list the folder');
    unreadable.push({ path: toPosix(path.relative(base, dir)), reason: `cannot list the folder: ${describeErrno(e)}` });
    return;
  }
  for (const e of ents) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.name.endsWith(ext)) {
      const rel = toPosix(path.relative(base, full));
      const bad = badName(rel);
      if (bad && unreadable) unreadable.push({ path: rel, reason: `its name contains ${bad}, which a golden's "trace:" header line cannot hold; rename it` });
      else if (!bad) out.push(rel);
      continue;
    }
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      try {
        isDir = fs.statSync(full).isDirectory();
        if (isDir && seen.has(fs.realpathSync(full))) continue;
      } catch (err) {
        unreadable?.push({ path: toPosix(path.relative(base, full)), reason: `a symbolic link to ${fs.readlinkSync(full)}, which ${(err as NodeJS.ErrnoException).code === 'ELOOP' ? 'loops' : 'does not exist'} (an unfetched git-annex / git-lfs folder or submodule?)` });
        continue;
      }
    }
    if (isDir) walk(full, ext, out, base, unreadable, seen, false);
  }
}

/** Every trace under traces/, relative to traces/, sorted; entries that cannot be read go to `unreadable`. */
export function listTraces(l: Layout, unreadable: UnreadableEntry[] = []): string[] {
  const out: string[] = [];
  walk(l.tracesDir, TRACE_EXT, out, l.tracesDir, unreadable, new Set());
  unreadable.sort((a, b) => byCodeUnit(a.path, b.path));
  return out.sort(byCodeUnit);
}

/** Every *.golden entry under golden/, relative to the project root, sorted. */
export function listGoldenFiles(l: Layout): string[] {
  const out: string[] = [];
  walk(l.goldenDir, GOLDEN_EXT, out, l.root, null, new Set());
  return out.sort(byCodeUnit);
}

export function pairId(trace: string, policy: string): string {
  return `${trace}::${policy}`;
}

/** golden/<trace without .gtr>/<policy>.golden, relative to the project root. */
export function goldenPathFor(trace: string, policy: string): string {
  return `golden/${trace.slice(0, -TRACE_EXT.length)}/${policy}${GOLDEN_EXT}`;
}

/** The (trace, policy) a golden path stands for by its location, or null for an odd path. */
export function pairForGoldenPath(golden: string): { trace: string; policy: string } | null {
  const m = /^golden\/(.+)\/([^/]+)\.golden$/.exec(golden);
  return m ? { trace: `${m[1]}${TRACE_EXT}`, policy: m[2] } : null;
}

export function abs(l: Layout, rel: string): string {
  return path.join(l.root, ...rel.split('/'));
}

/** True when `p` (absolute) is `dir` or inside it. */
function inside(dir: string, p: string): boolean {
  const r = path.relative(dir, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

/** Does a trace path recorded in a golden stay inside traces/? */
export function traceInsideRepo(l: Layout, trace: string): boolean {
  if (path.isAbsolute(trace) || trace.includes('\\')) return false;
  return inside(l.tracesDir, path.resolve(l.tracesDir, trace));
}

/**
 * Resolve command-line paths (traces, folders under traces/, goldens or folders under golden/)
 * to a filter over trace paths. Relative paths are taken from `cwd`.
 */
export function resolvePathFilter(l: Layout, allTraces: readonly string[], paths: readonly string[], cwd: string): string[] {
  const picked = new Set<string>();
  for (const p of paths) {
    const a = path.resolve(cwd, p);
    let prefix: string | null = null;
    let exact: string | null = null;
    if (inside(l.tracesDir, a)) {
      const rel = toPosix(path.relative(l.tracesDir, a));
      if (rel.endsWith(TRACE_EXT)) exact = rel;
      else prefix = rel;
    } else if (inside(l.goldenDir, a)) {
      const rel = toPosix(path.relative(l.goldenDir, a));
      if (rel.endsWith('.golden')) exact = `${path.posix.dirname(rel)}${TRACE_EXT}`;
      else prefix = rel;
    } else {
      throw new UsageError(`${p} is neither under ${path.relative(cwd, l.tracesDir) || 'traces'}/ nor under ${path.relative(cwd, l.goldenDir) || 'golden'}/; name traces, goldens or folders of them`);
    }
    const before = picked.size;
    for (const t of allTraces) {
      if (exact !== null ? t === exact : prefix === '' || t === `${prefix}${TRACE_EXT}` || t.startsWith(`${prefix}/`)) picked.add(t);
    }
    if (picked.size === before && !fs.existsSync(a)) throw new UsageError(`${p}: no such trace, golden or folder`);
    if (picked.size === before) throw new UsageError(`${p}: no trace matches (traces end in ${TRACE_EXT} and live under traces/)`);
  }
  return allTraces.filter((t) => picked.has(t));
}
