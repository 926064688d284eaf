// Pending goldens (cargo-insta's .snap.new): `check --pending` writes the new output of every pair
// that does not match as a complete golden, <pending>/golden/<trace>/<policy>.golden.new; `review`
// walks them, `accept` blesses exactly the reviewed bodies (a fresh replay must give the same
// digest) through bless's locked, atomic, ledgered path, `reject` deletes them. Goldens are never
// touched by anything here except through blessGoldens.

import * as fs from 'fs';
import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { BUILTIN_POLICY_IDS } from '../policy/policy';
import { openTrace } from '../trace/reader';
import { fileError } from '../util/fs-error';
import { blessGoldens, BlessOptions, BlessResult } from './bless';
import { StreamCompare } from './compare';
import { GoldenHeader } from './format';
import { abs, goldenPathFor, Layout, layoutFor, pairForGoldenPath } from './layout';
import { goldenSelector } from './ledger-render';
import { DriftReport } from './results';
import { fieldFormatterFor } from './render';
import { bodyProblem, CheckedBody, openGolden } from './store';

/** Where `check --pending` and `review` keep new outputs when no folder is named (git-ignored). */
export const DEFAULT_PENDING_DIR = '.gicreplay/pending';
export const PENDING_EXT = '.new';

export function defaultPendingDir(root: string): string {
  return path.join(root, ...DEFAULT_PENDING_DIR.split('/'));
}

/** The default folder ignores itself, so pending outputs never end up in a commit. */
export function ensurePendingIgnored(root: string, dir: string): void {
  if (path.resolve(dir) !== defaultPendingDir(root)) return;
  const top = path.join(root, '.gicreplay');
  const ignore = path.join(top, '.gitignore');
  try {
    fs.mkdirSync(top, { recursive: true });
    if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# gicreplay: pending outputs for `gicreplay review`, never committed\n*\n');
  } catch (e) {
    throw fileError(e, ignore, 'create the pending folder');
  }
}

export interface PendingGolden {
  /** The pending folder it lies in. */
  dir: string;
  /** The .golden.new file. */
  file: string;
  /** The golden it would become, project-relative (golden/<trace>/<policy>.golden). */
  golden: string;
  trace: string;
  policy: string;
  header: GoldenHeader;
}

function walk(dir: string, out: string[]): void {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fileError(e, dir, 'list the pending folder');
  }
  for (const e of ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile() && e.name.endsWith(`.golden${PENDING_EXT}`)) out.push(full);
  }
}

export interface PendingFilter {
  /** Project-relative paths: traces, goldens or folders of either (ledger's selector). */
  paths?: readonly string[];
  policies?: readonly string[];
}

/** The pending goldens under `dir` (suite order: by path), narrowed by trace paths and policies. */
export function listPending(dir: string, f: PendingFilter = {}): PendingGolden[] {
  const files: string[] = [];
  walk(path.join(dir, 'golden'), files);
  const select = goldenSelector(f.paths ?? []);
  const out: PendingGolden[] = [];
  for (const file of files) {
    const golden = path.relative(dir, file).split(path.sep).join('/').slice(0, -PENDING_EXT.length);
    const pair = pairForGoldenPath(golden);
    if (!pair || !select(golden) || (f.policies?.length && !f.policies.includes(pair.policy))) continue;
    const g = openGolden(file, file);
    if (!g) throw new InputError('not a pending golden (no "# gicreplay golden N" header)', { file }, 'a file `gicreplay check --pending` wrote');
    g.reader.close();
    if (g.header.trace !== pair.trace || g.header.policy !== pair.policy) throw new InputError(`pending golden names ${g.header.trace}::${g.header.policy} but sits at the place of ${pair.trace}::${pair.policy}`, { file });
    out.push({ dir: path.resolve(dir), file, golden, trace: pair.trace, policy: pair.policy, header: g.header });
  }
  // Suite order: by trace, then the built-in policies in their order, then the others by name.
  const rank = (p: string) => {
    const i = (BUILTIN_POLICY_IDS as readonly string[]).indexOf(p);
    return i < 0 ? BUILTIN_POLICY_IDS.length : i;
  };
  return out.sort((a, b) => (a.trace < b.trace ? -1 : a.trace > b.trace ? 1 : rank(a.policy) - rank(b.policy) || (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0)));
}

/** What a pending golden changes: a new golden (its first lines), or the drift from the current one. */
export interface PendingChange {
  kind: 'new' | 'drift' | 'same';
  drift?: DriftReport;
  /** For a new golden: its first body lines, and how many there are. */
  preview?: string[];
  lines: number;
}

const PREVIEW = 20;

function gicOf(l: Layout, trace: string) {
  try {
    const r = openTrace(abs(l, `traces/${trace}`));
    try {
      return r.header.gic;
    } finally {
      r.close();
    }
  } catch {
    return undefined; // register fields are decoration: a trace that cannot be opened still shows its diff
  }
}

/** Compare a pending golden with the golden it would replace (following same-as), semantically. */
export function pendingChange(root: string, p: PendingGolden): PendingChange {
  const l = layoutFor(root);
  const neu = openGolden(p.file, p.file)!;
  try {
    let target = abs(l, p.golden);
    let display = p.golden;
    const seen = new Set<string>();
    let old = fs.existsSync(target) ? openGolden(target, display) : null;
    while (old?.header.sameAs !== undefined && !seen.has(old.header.sameAs)) {
      seen.add(old.header.sameAs);
      old.reader.close();
      display = goldenPathFor(p.trace, old.header.sameAs);
      target = abs(l, display);
      old = fs.existsSync(target) ? openGolden(target, display) : null;
    }
    if (!old) {
      const preview: string[] = [];
      for (let s = neu.reader.next(); s !== null && preview.length < PREVIEW; s = neu.reader.next()) preview.push(s);
      return { kind: 'new', preview, lines: p.header.bodyLines };
    }
    try {
      const cmp = new StreamCompare(new CheckedBody(old, display), { pairId: `${p.trace}::${p.policy}`, fields: fieldFormatterFor(gicOf(l, p.trace)), firstBodyLine: old.firstBodyLine, goldenName: display, newName: path.basename(p.file) });
      const idx = (s: string) => {
        const i = Number(s.slice(0, s.indexOf(' ')));
        return Number.isInteger(i) ? i : -1;
      };
      for (let s = neu.reader.next(); s !== null; s = neu.reader.next()) cmp.push(s, idx(s));
      const drift = cmp.finish();
      return drift ? { kind: 'drift', drift, lines: p.header.bodyLines } : { kind: 'same', lines: p.header.bodyLines };
    } finally {
      old.reader.close();
    }
  } finally {
    neu.reader.close();
  }
}

export interface AcceptOptions extends Pick<BlessOptions, 'config' | 'stamp' | 'policyFiles' | 'replay' | 'signal' | 'onProgress'> {
  root: string;
  cwd?: string;
  pending: readonly PendingGolden[];
  reason: string;
}

/**
 * Bless exactly the pending bodies: each pending file must be whole (its body-sha256 holds), and a
 * fresh replay of its pair must give that body, or nothing is written. The accepted pending files
 * are removed afterwards; a golden that only stops sharing a body is rewritten as bless does.
 */
export async function acceptPending(o: AcceptOptions): Promise<BlessResult> {
  if (!o.pending.length) throw new UsageError('nothing to accept: no pending goldens match (write them with `gicreplay check --pending`)');
  for (const p of o.pending) {
    const why = bodyProblem(p.file, p.file);
    if (why) throw new InputError(`pending golden ${why}: it is not what check wrote; run \`gicreplay check --pending\` again`, { file: p.file });
  }
  const traces = [...new Set(o.pending.map((p) => p.trace))];
  const policies = [...new Set(o.pending.map((p) => p.policy))];
  const result = await blessGoldens({
    root: o.root,
    cwd: o.cwd ?? o.root,
    paths: traces.map((t) => path.join(o.root, 'traces', ...t.split('/'))),
    policies,
    policyFiles: o.policyFiles,
    pairs: o.pending.map((p) => `${p.trace}::${p.policy}`),
    expectBodies: new Map(o.pending.map((p) => [p.golden, p.header.bodySha256])),
    reason: o.reason,
    config: o.config,
    stamp: o.stamp,
    replay: o.replay,
    signal: o.signal,
    onProgress: o.onProgress,
  });
  removePending(o.pending);
  return result;
}

/** Delete pending goldens (reject, or after accept) and the folders they leave empty. */
export function removePending(pending: ReadonlyArray<Pick<PendingGolden, 'dir' | 'file'>>): void {
  for (const p of pending) {
    try {
      fs.unlinkSync(p.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, p.file, 'remove the pending golden');
    }
    for (let d = path.dirname(p.file); d.startsWith(`${p.dir}${path.sep}`); d = path.dirname(d)) {
      try {
        fs.rmdirSync(d); // only when empty
      } catch {
        break;
      }
    }
  }
}
