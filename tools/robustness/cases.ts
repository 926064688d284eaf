// The fault campaign's cases: one per way a command can meet a hostile file system or hostile
// input (output targets, prune, hand edits, golden references, shard reports, huge lines,
// special files, full disks, read-only trees, locks, leftovers, small format holes). Each case
// builds its own throw-away project, runs the real CLI in a child process with a timeout, and
// says what happened: the exit code against the expected one, a hang, an internal error (a stack
// trace), and whether any data was lost (a golden, trace or input file that changed or vanished
// when it should not have). `npm run fuzz` runs them all and prints the counts; the Jest test
// (faults.test.ts) runs the light ones on every `npm test`, which is what CI runs.
//
// Full disks and read-only trees are real (a small tmpfs, a read-only bind mount, chattr +i) when
// running as root, and injected deterministically (GICREPLAY_FAULTS, engine/util/faults.ts)
// everywhere, so each class is covered on every machine.

import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { createHash } from 'crypto';
import { CheckReport } from '../../engine/golden/results';
import { MsgpackEncoder } from '../../engine/trace/encode';
import { EventKind, Frame, TraceEvent } from '../../engine/trace/events';
import { builtinPolicyDir } from '../../engine/policy/policy';
import { headerToWire } from '../../engine/trace/header';
import { writeTrace } from '../../engine/trace/writer';
import { projectRoot } from '../../engine/util/project-root';
import { childEnv, makeProject, snapshotDir } from './project';

export type FaultClass = 'output-target' | 'prune' | 'hand-edit' | 'golden-reference' | 'shard-report' | 'bounded' | 'special-file' | 'full-disk' | 'read-only' | 'lock' | 'leftover' | 'format';

export interface CaseOutcome {
  exit: number | null;
  expected: number[];
  hang: boolean;
  internalError: boolean;
  /** What was lost or damaged (empty: nothing). */
  lost: string[];
  /** Other broken promises (wrong message, a FIFO turned into a file, a temp file left...). */
  problems: string[];
  stderr: string;
}

export interface FaultCase {
  id: string;
  cls: FaultClass;
  /** Slow or large (hundreds of MB): only `npm run fuzz`, not the Jest run. */
  heavy?: boolean;
  /**
   * What the machine must allow: 'mount' (a tmpfs, a bind mount) and 'chattr' (root), 'dev' (a
   * case that names /dev/null or /dev/stdout: as root it runs in a private mount namespace with a
   * /dev of its own, so a build that replaces them cannot damage the machine's). Skipped, and
   * counted as skipped, where not allowed.
   */
  needs?: Array<'mount' | 'chattr' | 'dev'>;
  run(c: CaseContext): Promise<CaseOutcome>;
}

export interface CliResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  /** Peak RSS of the child in MiB (tools/robustness/rss-hook.ts), when measured. */
  rssMb?: number;
}

const RSS_HOOK = path.join(projectRoot(), 'dist', 'tools', 'robustness', 'rss-hook.js');

/** A fresh /dev (tmpfs) in the child's own mount namespace: null, zero, urandom and the fd links. */
const PRIVATE_DEV = [
  'mount -t tmpfs -o size=1m,mode=755 gicreplay-dev /dev',
  'mknod -m 666 /dev/null c 1 3',
  'mknod -m 666 /dev/zero c 1 5',
  'mknod -m 666 /dev/urandom c 1 9',
  'ln -s /proc/self/fd /dev/fd',
  'ln -s /proc/self/fd/0 /dev/stdin',
  'ln -s /proc/self/fd/1 /dev/stdout',
  'ln -s /proc/self/fd/2 /dev/stderr',
  // Run the command, then say (on stderr) if it replaced a device or link of this /dev.
  '{ "$0" "$@"; s=$?; [ -c /dev/null ] || echo "gicreplay-campaign: /dev/null was replaced" >&2; [ -L /dev/stdout ] || echo "gicreplay-campaign: /dev/stdout was replaced" >&2; exit $s; }',
].join(' && ');

/** What a case may use: the CLI under test, a fresh project, helpers. */
export class CaseContext {
  constructor(
    /** bin/gicreplay of the build under test (another checkout's, to measure it before a fix). */
    readonly cliPath: string,
    readonly tmp: string,
    private readonly template: string,
    readonly timeoutMs: number,
  ) {}

  /** A copy of the template project: 3 traces (t00 v3, t01 v2, t02 v3), blessed, under `name`. */
  project(name: string): string {
    const root = path.join(this.tmp, name);
    fs.cpSync(this.template, root, { recursive: true });
    return root;
  }

  cli(args: string[], o: { cwd?: string; env?: Record<string, string>; stdoutFd?: number; heapMb?: number; measureRss?: boolean; privateDev?: boolean } = {}): CliResult {
    const node = o.heapMb ? [`--max-old-space-size=${o.heapMb}`] : [];
    const wrap = o.privateDev && isRoot() ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', PRIVATE_DEV, process.execPath] : [process.execPath];
    const env = { ...(o.env ?? {}) };
    const rssFile = path.join(this.tmp, `rss-${process.hrtime.bigint()}`);
    if (o.measureRss && fs.existsSync(RSS_HOOK)) Object.assign(env, { NODE_OPTIONS: `--require ${RSS_HOOK}`, GICREPLAY_RSS_FILE: rssFile });
    const r = spawnSync(wrap[0], [...wrap.slice(1), ...node, this.cliPath, ...args], {
      cwd: o.cwd,
      env: childEnv(env),
      timeout: this.timeoutMs,
      killSignal: 'SIGKILL',
      stdio: ['ignore', o.stdoutFd ?? 'pipe', 'pipe'],
      maxBuffer: 1 << 30,
    });
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    let rssMb: number | undefined;
    if (fs.existsSync(rssFile)) {
      rssMb = Math.round(Number(fs.readFileSync(rssFile, 'utf8')) / 1024);
      fs.rmSync(rssFile);
    }
    return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString('utf8') ?? '', timedOut, rssMb };
  }

  /** The dist/ of the build under test (for helpers that must run its library, e.g. its lock). */
  get distDir(): string {
    return path.join(path.dirname(path.dirname(this.cliPath)), 'dist');
  }
}

// ---- outcome helpers -----------------------------------------------------------------------

const STACK = /\n\s+at .+[(:]\d+/;

function outcome(r: CliResult, expected: number | number[], lost: string[] = [], problems: string[] = []): CaseOutcome {
  const exp = Array.isArray(expected) ? expected : [expected];
  lost = [...lost, ...(r.stderr.match(/gicreplay-campaign: .*/g) ?? []).map((m) => m.slice('gicreplay-campaign: '.length))];
  const internalError = r.status === 3 || /internal error/.test(r.stderr) || STACK.test(r.stderr);
  return { exit: r.status, expected: exp, hang: r.timedOut, internalError, lost, problems, stderr: r.stderr.slice(0, 2000) };
}

function merge(a: CaseOutcome, b: CaseOutcome): CaseOutcome {
  const ok = (o: CaseOutcome) => !o.hang && !o.internalError && o.exit !== null && o.expected.includes(o.exit);
  const first = !ok(a) ? a : b;
  return { ...first, lost: [...a.lost, ...b.lost], problems: [...a.problems, ...b.problems], hang: a.hang || b.hang, internalError: a.internalError || b.internalError };
}

/** Names of files whose bytes differ between two snapshots (or that vanished). */
function changed(before: Map<string, Buffer>, after: Map<string, Buffer>, where: string): string[] {
  const out: string[] = [];
  for (const [k, v] of before) {
    const w = after.get(k);
    if (!w) out.push(`${where}/${k} vanished`);
    else if (!w.equals(v)) out.push(`${where}/${k} changed`);
  }
  return out;
}

function kind(p: string): string {
  try {
    const st = fs.lstatSync(p);
    return st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isDirectory() ? 'dir' : st.isCharacterDevice() ? 'chardev' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

function tempFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(tmp|body)-\d+/.test(e.name)) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Peak memory a bounded case may use (the old readers took 2 to 4 GB on these inputs). */
const RSS_BOUND_MB = 400;

function withinMemory(r: CliResult, boundMb = RSS_BOUND_MB): string[] {
  if (r.rssMb === undefined) return [];
  return r.rssMb > boundMb ? [`peak memory ${r.rssMb} MB, more than ${boundMb} MB`] : [];
}

/**
 * A golden line may be up to 128 MiB (MAX_GOLDEN_LINE_BYTES: a marker at the trace format's
 * 16 MiB limit, JSON-escaped); the reader holds it, and while its buffer doubles, the half-size
 * one too: about 200 MiB over the ~100 MiB a check needs anyway.
 */
const LONG_LINE_BOUND_MB = 600;

function expectStderr(r: CliResult, re: RegExp, problems: string[]): void {
  if (!re.test(r.stderr)) problems.push(`stderr does not match ${re}: ${JSON.stringify(r.stderr.slice(0, 300))}`);
}

const golden = (root: string) => snapshotDir(path.join(root, 'golden'));
const traceFile = (root: string, k: number) => path.join(root, 'traces', 'synthetic', `t${String(k).padStart(2, '0')}-v${k % 2 === 0 ? 3 : 2}.gtr`);
const goldenFile = (root: string, k: number, policy: string) => path.join(root, 'golden', 'synthetic', `t${String(k).padStart(2, '0')}-v${k % 2 === 0 ? 3 : 2}`, `${policy}.golden`);
const QEMU_LOG = path.join(projectRoot(), 'engine', 'sources', 'qemu', 'fixtures', 'gic3-baremetal-smp2.log.gz');

/** Generation 2 of every trace (every golden must change): a bless that must write. */
function regenerate(root: string, reads = 40): void {
  makeProject(3, 2, { root, reads });
}

/** A FIFO at `p` (mkfifo). */
function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo ${p} failed: ${r.stderr}`);
}

/** Run `f` with `p` made immutable (root only), always clearing the flag again. */
function withImmutable<T>(p: string, f: () => T): T {
  const on = spawnSync('chattr', ['+i', p]);
  if (on.status !== 0) throw new Error(`chattr +i ${p}: ${on.stderr}`);
  try {
    return f();
  } finally {
    spawnSync('chattr', ['-i', p]);
  }
}

function mount(args: string[], target: string): void {
  const r = spawnSync('mount', [...args, target]);
  if (r.status !== 0) throw new Error(`mount ${args.join(' ')} ${target}: ${r.stderr}`);
}

function umount(target: string): void {
  spawnSync('umount', ['-l', target]);
}

/** The bless command a check report suggests for a pair (the text between backticks). */
function suggestedBless(text: string): string[] | null {
  const m = /`gicreplay (bless [^`]*)`/.exec(text);
  if (!m) return null;
  return (m[1].match(/"[^"]*"|\S+/g) ?? []).map((t) => (t.startsWith('"') ? t.slice(1, -1).replace('…', 'campaign repair') : t));
}

function dumpJsonl(c: CaseContext, root: string, trace: string, out: string): void {
  const r = c.cli(['trace', 'dump', '--json', trace], { cwd: root });
  if (r.status !== 0) throw new Error(`trace dump failed: ${r.stderr}`);
  fs.writeFileSync(out, r.stdout);
}

function shardReports(c: CaseContext, root: string, n: number): string[] {
  const files: string[] = [];
  for (let i = 1; i <= n; i++) {
    const r = c.cli(['check', '--root', root, '--shard', `${i}/${n}`, '--json'], { cwd: root });
    if (r.status !== 0) throw new Error(`shard ${i}/${n} failed (${r.status}): ${r.stderr}`);
    const f = path.join(root, `shard-${i}.json`);
    fs.writeFileSync(f, r.stdout);
    files.push(f);
  }
  return files;
}

function editReport(file: string, f: (r: CheckReport) => void): void {
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckReport;
  f(r);
  fs.writeFileSync(file, JSON.stringify(r, null, 2));
}

/** A timer that does not keep the process (or Jest) alive once the race it is in was won. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

// ---- the cases -----------------------------------------------------------------------------

const c: FaultCase[] = [];
const add = (fc: FaultCase) => c.push(fc);

// Output targets: -o / --junit / --pending never replace what the target is, never the input.
add({
  id: 'import qemu -o onto its own input',
  cls: 'output-target',
  async run(x) {
    const d = x.project('imp');
    const log = path.join(d, 'x.log.gz');
    fs.copyFileSync(QEMU_LOG, log);
    const before = fs.readFileSync(log);
    const r = x.cli(['import', 'qemu', log, '--gic', '3', '-o', log], { cwd: d });
    const lost = fs.existsSync(log) && fs.readFileSync(log).equals(before) ? [] : ['the input log was overwritten'];
    const p: string[] = [];
    expectStderr(r, /input file/, p);
    return outcome(r, 2, lost, p);
  },
});
for (const via of ['same name', 'symlink', 'hard link'] as const) {
  add({
    id: `trace from-json -o onto its own input (${via})`,
    cls: 'output-target',
    async run(x) {
      const d = x.project(`fj-${via.replace(' ', '')}`);
      const jsonl = path.join(d, 't.jsonl');
      dumpJsonl(x, d, traceFile(d, 0), jsonl);
      const before = fs.readFileSync(jsonl);
      let out = jsonl;
      if (via === 'symlink') fs.symlinkSync(jsonl, (out = path.join(d, 'link.gtr')));
      if (via === 'hard link') fs.linkSync(jsonl, (out = path.join(d, 'hard.gtr')));
      const r = x.cli(['trace', 'from-json', jsonl, '-o', out], { cwd: d });
      const lost = fs.readFileSync(jsonl).equals(before) ? [] : ['the JSON-lines input was overwritten'];
      const p = via === 'symlink' && kind(out) !== 'symlink' ? ['the symlink was replaced'] : [];
      return outcome(r, 2, lost, p);
    },
  });
}
add({
  id: 'check --junit /dev/null writes in place',
  cls: 'output-target',
  needs: ['dev'],
  async run(x) {
    const d = x.project('jnull');
    // As root, in a private /dev, which reports (as data lost) if /dev/null stopped being a device.
    const r = x.cli(['check', '--root', d, '--junit', '/dev/null'], { cwd: d, privateDev: true });
    return outcome(r, 0, [], isRoot() || kind('/dev/null') === 'chardev' ? [] : ['/dev/null is no longer a character device']);
  },
});
add({
  id: 'check --junit FIFO with a reader writes into it',
  cls: 'output-target',
  async run(x) {
    const d = x.project('jfifo');
    const fifo = path.join(d, 'junit.xml');
    mkfifo(fifo);
    const got = path.join(d, 'got.xml');
    const reader = spawn('sh', ['-c', `cat "${fifo}" > "${got}"`], { stdio: 'ignore' });
    const done = new Promise<void>((res) => reader.on('exit', () => res()));
    await sleep(200);
    const r = x.cli(['check', '--root', d, '--junit', fifo], { cwd: d });
    await Promise.race([done, sleep(5000)]);
    reader.kill('SIGKILL');
    const p: string[] = [];
    if (kind(fifo) !== 'fifo') p.push(`the FIFO became ${kind(fifo)}`);
    if (!fs.existsSync(got) || !fs.readFileSync(got, 'utf8').includes('<testsuites')) p.push('the reader did not get the JUnit XML');
    return outcome(r, 0, [], p);
  },
});
add({
  id: 'check --junit FIFO without a reader does not hang',
  cls: 'output-target',
  async run(x) {
    const d = x.project('jfifo2');
    const fifo = path.join(d, 'junit.xml');
    mkfifo(fifo);
    const r = x.cli(['check', '--root', d, '--junit', fifo], { cwd: d });
    return outcome(r, 2, [], kind(fifo) === 'fifo' ? [] : [`the FIFO became ${kind(fifo)}`]);
  },
});
add({
  id: 'check --junit onto a folder',
  cls: 'output-target',
  async run(x) {
    const d = x.project('jdir');
    const dir = path.join(d, 'reports');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'keep');
    const r = x.cli(['check', '--root', d, '--junit', dir], { cwd: d });
    const lost = kind(dir) === 'dir' && fs.existsSync(path.join(dir, 'keep.txt')) ? [] : ['the folder was replaced'];
    return outcome(r, 2, lost);
  },
});
add({
  id: 'check --junit through a symlink keeps the link',
  cls: 'output-target',
  async run(x) {
    const d = x.project('jlink');
    const real = path.join(d, 'real.xml');
    fs.writeFileSync(real, 'old');
    const link = path.join(d, 'link.xml');
    fs.symlinkSync(real, link);
    const r = x.cli(['check', '--root', d, '--junit', link], { cwd: d });
    const p: string[] = [];
    if (kind(link) !== 'symlink') p.push('the symlink was replaced by a file');
    if (!fs.readFileSync(real, 'utf8').includes('<testsuites')) p.push('the linked file did not get the report');
    return outcome(r, 0, [], p);
  },
});
/** Run a command whose trace goes to standard output (a file here) and check that it is a valid trace. */
function traceOnStdout(x: CaseContext, d: string, args: string[], privateDev = false): CaseOutcome {
  const out = path.join(d, 'out.gtr');
  const fd = fs.openSync(out, 'w');
  const r = x.cli(args, { cwd: d, stdoutFd: fd, privateDev });
  fs.closeSync(fd);
  const v = x.cli(['trace', 'validate', out], { cwd: d });
  return outcome(r, 0, [], v.status === 0 ? [] : [`standard output is not a valid trace: ${v.stderr.slice(0, 200)}`]);
}
add({
  id: 'trace from-json -o - writes the trace to standard output',
  cls: 'output-target',
  async run(x) {
    const d = x.project('fjstdout');
    const jsonl = path.join(d, 't.jsonl');
    dumpJsonl(x, d, traceFile(d, 0), jsonl);
    return traceOnStdout(x, d, ['trace', 'from-json', jsonl, '-o', '-']);
  },
});
add({
  id: 'import qemu -o /dev/stdout writes in place',
  cls: 'output-target',
  needs: ['dev'],
  async run(x) {
    return traceOnStdout(x, x.project('impstdout'), ['import', 'qemu', QEMU_LOG, '--gic', '3', '-o', '/dev/stdout'], true);
  },
});
add({
  id: 'import qemu -o through a symlink to /proc/self/fd/1 appends to standard output',
  cls: 'output-target',
  async run(x) {
    const d = x.project('implink');
    const link = path.join(d, 'to-stdout');
    fs.symlinkSync('/proc/self/fd/1', link);
    const out = path.join(d, 'out.log');
    fs.writeFileSync(out, 'KEEP\n');
    const fd = fs.openSync(out, 'a');
    const r = x.cli(['import', 'qemu', QEMU_LOG, '--gic', '3', '-o', link], { cwd: d, stdoutFd: fd });
    fs.closeSync(fd);
    const got = fs.readFileSync(out);
    const lost = got.subarray(0, 5).toString() === 'KEEP\n' ? [] : ['what standard output held before was overwritten'];
    fs.writeFileSync(path.join(d, 'only.gtr'), got.subarray(5));
    const v = x.cli(['trace', 'validate', path.join(d, 'only.gtr')], { cwd: d });
    const p = [...(kind(link) === 'symlink' ? [] : ['the symlink was replaced']), ...(v.status === 0 ? [] : [`the trace did not arrive on standard output: ${v.stderr.slice(0, 160)}`])];
    return outcome(r, 0, lost, p);
  },
});
add({
  id: 'check --pending into a path that is a file',
  cls: 'output-target',
  async run(x) {
    const d = x.project('pendfile');
    regenerate(d);
    const f = path.join(d, 'pending');
    fs.writeFileSync(f, 'keep');
    const before = golden(d);
    const r = x.cli(['check', '--root', d, '--pending', f], { cwd: d });
    const lost = [...changed(before, golden(d), 'golden'), ...(fs.readFileSync(f, 'utf8') === 'keep' ? [] : ['the file was replaced'])];
    return outcome(r, 2, lost);
  },
});

// Prune: a trace that exists but cannot be read keeps its goldens.
for (const what of ['dangling symlink', 'FIFO', 'folder'] as const) {
  add({
    id: `bless --prune with a trace that is a ${what}`,
    cls: 'prune',
    async run(x) {
      const d = x.project(`prune-${what.replace(' ', '')}`);
      const t = traceFile(d, 1);
      fs.rmSync(t);
      if (what === 'dangling symlink') fs.symlinkSync('../../.git/annex/objects/xx/SHA256E-s1--0.gtr', t);
      if (what === 'FIFO') mkfifo(t);
      if (what === 'folder') fs.mkdirSync(t);
      const before = golden(d);
      const r = x.cli(['bless', '--root', d, '--prune', '--reason', 'campaign'], { cwd: d });
      const k = x.cli(['check', '--root', d], { cwd: d });
      const lost = changed(before, golden(d), 'golden');
      return merge(outcome(r, 2, lost), outcome(k, 2));
    },
  });
}
add({
  id: 'bless --prune with a dangling symlinked trace folder',
  cls: 'prune',
  async run(x) {
    const d = x.project('prune-dirlink');
    fs.cpSync(path.join(d, 'golden', 'synthetic'), path.join(d, 'golden', 'vendor'), { recursive: true });
    fs.cpSync(path.join(d, 'traces', 'synthetic'), path.join(d, 'traces', 'vendor'), { recursive: true });
    const ok = x.cli(['bless', '--root', d, '--reason', 'vendor traces'], { cwd: d });
    if (ok.status !== 0) throw new Error(`setup bless failed: ${ok.stderr}`);
    fs.rmSync(path.join(d, 'traces', 'vendor'), { recursive: true });
    fs.symlinkSync('../submodule-not-checked-out/traces', path.join(d, 'traces', 'vendor'));
    const before = golden(d);
    const r = x.cli(['bless', '--root', d, '--prune', '--reason', 'campaign'], { cwd: d });
    return outcome(r, 2, changed(before, golden(d), 'golden'));
  },
});

// Hand edits: the repair check suggests repairs.
for (const where of ['own body', 'shared body', 'truncated body'] as const) {
  add({
    id: `the bless check suggests repairs a hand-edited golden (${where})`,
    cls: 'hand-edit',
    async run(x) {
      const d = x.project(`edit-${where.split(' ')[0]}`);
      // t00 (GICv3): rev3 owns the body that mainline-rev3 shares (same-as rev3).
      const g = goldenFile(d, 0, 'rev3');
      const text = fs.readFileSync(g, 'utf8');
      const lines = text.split('\n');
      const i = lines.indexOf('---') + 2;
      if (where === 'truncated body') fs.writeFileSync(g, lines.slice(0, -3).join('\n'));
      else fs.writeFileSync(g, [...lines.slice(0, i), lines[i].replace(/0x[0-9a-f]+/, '0x5a5a'), ...lines.slice(i + 1)].join('\n'));
      // mainline-rev3 shares rev3's body (same-as rev3): its check reads the edited body.
      const c1 = x.cli(['check', '--root', d, ...(where === 'shared body' ? ['--policy', 'mainline-rev3'] : [])], { cwd: d });
      const fix = suggestedBless(c1.stdout.toString('utf8'));
      if (!fix) return outcome(c1, -1, [], [`check suggested no bless: ${c1.stdout.toString('utf8').slice(0, 300)}`]);
      const b = x.cli([...fix, '--root', d], { cwd: d });
      const c2 = x.cli(['check', '--root', d], { cwd: d });
      return merge(merge(outcome(c1, 2), outcome(b, 0)), outcome(c2, 0, [], c2.status === 0 ? [] : [`check still fails after the suggested ${fix.join(' ')}: ${c2.stdout.toString('utf8').slice(0, 300)}`]));
    },
  });
}

// Golden references are policy IDs, never paths.
for (const ref of ['../t01-v2/rev3', '/etc/passwd']) {
  add({
    id: `same-as ${ref} is refused`,
    cls: 'golden-reference',
    async run(x) {
      const d = x.project(`sameas-${ref.length}`);
      const g = goldenFile(d, 0, 'mainline-rev3');
      const text = fs.readFileSync(g, 'utf8');
      if (!/^# same-as: rev3$/m.test(text)) throw new Error(`${g} does not share rev3's body`);
      fs.writeFileSync(g, text.replace(/^# same-as: .*$/m, `# same-as: ${ref}`));
      const r = x.cli(['check', '--root', d], { cwd: d });
      const p: string[] = [];
      expectStderr({ ...r, stderr: r.stdout.toString('utf8') }, /not a policy ID/, p);
      return outcome(r, 2, [], p);
    },
  });
}

// Shard reports are verified against the merging checkout.
add({
  id: 'check --merge with no files',
  cls: 'shard-report',
  async run(x) {
    const d = x.project('merge0');
    return outcome(x.cli(['check', '--root', d, '--merge'], { cwd: d }), 2);
  },
});
const forgeries: Array<[string, (r: CheckReport) => void, boolean?]> = [
  ['an unknown status', (r) => ((r.results[0] as { status: string }).status = 'passed')],
  ['a duplicated pair', (r) => r.results.push(r.results[0])],
  ['a golden digest this checkout does not have', (r) => (r.results[0].goldenSha256 = '0'.repeat(64))],
  ['another schema', (r) => (r.schema = 99)],
  ['a pair of another shard', (r) => r.results.reverse()],
  ['a forged match', (r) => Object.assign(r.results[0], { status: 'match', bodySha256: 'f'.repeat(64) })],
  ['nothing forged (control)', () => undefined, true],
];
for (const [what, forge, honest] of forgeries) {
  add({
    id: `check --merge of a shard report with ${what}`,
    cls: 'shard-report',
    async run(x) {
      const d = x.project(`merge-${what.replace(/\W+/g, '')}`);
      const files = shardReports(x, d, 2);
      editReport(files[0], forge);
      return outcome(x.cli(['check', '--root', d, '--merge', ...files], { cwd: d }), honest ? 0 : 2);
    },
  });
}
add({
  id: 'check --merge in a checkout whose goldens moved on',
  cls: 'shard-report',
  async run(x) {
    const d = x.project('merge-moved');
    const files = shardReports(x, d, 2);
    regenerate(d);
    const b = x.cli(['bless', '--root', d, '--reason', 'moved on'], { cwd: d });
    if (b.status !== 0) throw new Error(`setup bless failed: ${b.stderr}`);
    return outcome(x.cli(['check', '--root', d, '--merge', ...files], { cwd: d }), 2);
  },
});

// Bounded work: huge lines, huge logs, gzip bombs.
for (const mb of [64, 200]) {
  add({
    id: `check of a golden with a ${mb} MB line`,
    cls: 'bounded',
    heavy: mb > 64,
    async run(x) {
      const d = x.project(`longline-${mb}`);
      const g = goldenFile(d, 0, 'rev3');
      const fd = fs.openSync(g, 'a');
      fs.writeSync(fd, Buffer.alloc(mb << 20, 0x78));
      fs.writeSync(fd, '\n');
      fs.closeSync(fd);
      const r = x.cli(['check', '--root', d], { cwd: d, measureRss: true });
      return outcome(r, 2, [], withinMemory(r, LONG_LINE_BOUND_MB));
    },
  });
}
add({
  id: 'trace from-json with a 200 MB line',
  cls: 'bounded',
  heavy: true,
  async run(x) {
    const d = x.project('jsonlong');
    const f = path.join(d, 'x.jsonl');
    const fd = fs.openSync(f, 'w');
    fs.writeSync(fd, '{"magic":"');
    fs.writeSync(fd, Buffer.alloc(200 << 20, 0x61));
    fs.writeSync(fd, '"}\n');
    fs.closeSync(fd);
    const r = x.cli(['trace', 'from-json', f, '-o', path.join(d, 'x.gtr')], { cwd: d, measureRss: true });
    return outcome(r, 2, [], withinMemory(r, LONG_LINE_BOUND_MB));
  },
});
for (const [what, byte, mib, exit, heavy] of [
  ['a 1 MiB gzip bomb of NUL bytes', 0, 1024, 2, false],
  ['a gzip bomb without a line break', 0x61, 1024, 2, false],
  ['64 MiB of line breaks, gzip\'d', 0x0a, 64, 0, false],
  ['1 GiB of line breaks, gzip\'d', 0x0a, 1024, 0, true],
] as const) {
  add({
    id: `import qemu of ${what}`,
    cls: 'bounded',
    heavy,
    async run(x) {
      const d = x.project(`bomb-${byte}-${mib}`);
      // One gzip member of 1 MiB, repeated: a 1 MiB file that inflates to `mib` MiB (gunzip reads concatenated members).
      const member = zlib.gzipSync(Buffer.alloc(1 << 20, byte), { level: 9 });
      const f = path.join(d, 'bomb.log.gz');
      fs.writeFileSync(f, Buffer.concat(Array.from({ length: mib }, () => member)));
      const r = x.cli(['import', 'qemu', f, '--gic', '3', '-o', path.join(d, 'bomb.gtr')], { cwd: d, measureRss: true });
      return outcome(r, exit, [], withinMemory(r));
    },
  });
}
add({
  id: 'import qemu of a 500 MB log',
  cls: 'bounded',
  heavy: true,
  async run(x) {
    const d = x.project('bigqemu');
    const one = zlib.gunzipSync(fs.readFileSync(path.join(projectRoot(), 'engine', 'sources', 'qemu', 'fixtures', 'gic3-baremetal-smp2-tid.log.gz')));
    const f = path.join(d, 'big.log');
    const fd = fs.openSync(f, 'w');
    for (let n = 0; n < 500 << 20; n += one.length) fs.writeSync(fd, one);
    fs.closeSync(fd);
    const r = x.cli(['import', 'qemu', f, '--gic', '3', '-o', path.join(d, 'big.gtr')], { cwd: d, measureRss: true });
    fs.rmSync(f);
    return outcome(r, 0, [], withinMemory(r));
  },
});

// Special files where regular ones belong.
for (const what of ['FIFO', 'folder', 'dangling symlink'] as const) {
  add({
    id: `a golden that is a ${what}`,
    cls: 'special-file',
    async run(x) {
      const d = x.project(`gspecial-${what.replace(' ', '')}`);
      const g = goldenFile(d, 0, 'rev3');
      fs.rmSync(g);
      if (what === 'FIFO') mkfifo(g);
      if (what === 'folder') fs.mkdirSync(g);
      if (what === 'dangling symlink') fs.symlinkSync('nowhere.golden', g);
      const k = x.cli(['check', '--root', d], { cwd: d });
      const b = x.cli(['bless', '--root', d, 'traces/synthetic/t00-v3.gtr', '--policy', 'rev3', '--reason', 'campaign'], { cwd: d });
      const want = what === 'FIFO' ? 'fifo' : what === 'folder' ? 'dir' : 'symlink';
      return merge(outcome(k, 2), outcome(b, 2, kind(g) === want ? [] : [`the ${what} was replaced`]));
    },
  });
}
add({
  id: 'a trace that is a character device',
  cls: 'special-file',
  async run(x) {
    const d = x.project('tdev');
    const t = traceFile(d, 1);
    fs.rmSync(t);
    fs.symlinkSync('/dev/zero', t);
    return outcome(x.cli(['check', '--root', d], { cwd: d }), 2);
  },
});
add({
  id: 'golden/ that is a file',
  cls: 'special-file',
  async run(x) {
    const d = x.project('gfile');
    fs.rmSync(path.join(d, 'golden'), { recursive: true });
    fs.writeFileSync(path.join(d, 'golden'), 'not a folder');
    const k = x.cli(['check', '--root', d], { cwd: d });
    const b = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
    const lost = fs.readFileSync(path.join(d, 'golden'), 'utf8') === 'not a folder' ? [] : ['golden (a file) was changed'];
    return merge(outcome(k, 2), outcome(b, 2, lost));
  },
});
add({
  id: 'a bless lock that is a folder',
  cls: 'special-file',
  async run(x) {
    const d = x.project('lockdir');
    regenerate(d);
    fs.mkdirSync(path.join(d, 'golden', '.bless.lock'));
    const before = golden(d);
    const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
    const lost = changed(before, golden(d), 'golden');
    return outcome(r, 2, lost, kind(path.join(d, 'golden', '.bless.lock')) === 'dir' ? [] : ['the lock folder was removed']);
  },
});

// Full disks.
for (const [op, n] of [['write', 1], ['write', 3], ['fsync', 2], ['rename', 2]] as const) {
  add({
    id: `bless when the disk fills (injected ENOSPC on ${op} #${n})`,
    cls: 'full-disk',
    async run(x) {
      const d = x.project(`enospc-${op}-${n}`);
      regenerate(d);
      const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d, env: { GICREPLAY_FAULTS: `${op}:ENOSPC:${n}:golden` } });
      return outcome(r, 2, wholeGoldens(x, d), tempFilesUnder(path.join(d, 'golden')).map((t) => `temp file left: ${t}`));
    },
  });
}
add({
  id: 'bless on a full tmpfs',
  cls: 'full-disk',
  needs: ['mount'],
  async run(x) {
    const d = x.project('tmpfs');
    const mnt = path.join(x.tmp, 'tmpfs-mnt');
    fs.mkdirSync(mnt);
    mount(['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs'], mnt);
    try {
      fs.cpSync(d, path.join(mnt, 'p'), { recursive: true });
      const p = path.join(mnt, 'p');
      regenerate(p, 400); // bigger goldens than there is room for
      // Fill what is left.
      try {
        const fd = fs.openSync(path.join(mnt, 'filler'), 'w');
        try {
          for (;;) fs.writeSync(fd, Buffer.alloc(4096));
        } catch {
          // full
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        // nothing left at all
      }
      const r = x.cli(['bless', '--root', p, '--reason', 'campaign'], { cwd: x.tmp });
      return outcome(r, 2, wholeGoldens(x, p));
    } finally {
      umount(mnt);
    }
  },
});
add({
  id: 'trace dump when standard output fills (injected ENOSPC)',
  cls: 'full-disk',
  async run(x) {
    const d = x.project('stdout-enospc');
    return outcome(x.cli(['trace', 'dump', traceFile(d, 0)], { cwd: d, env: { GICREPLAY_FAULTS: 'stdout:ENOSPC:1' } }), 2);
  },
});
add({
  id: 'trace dump into a file on a full tmpfs',
  cls: 'full-disk',
  needs: ['mount'],
  async run(x) {
    const d = x.project('stdout-tmpfs');
    regenerate(d, 2000); // a dump far larger than the 16 KiB tmpfs
    const mnt = path.join(x.tmp, 'tmpfs-out');
    fs.mkdirSync(mnt);
    mount(['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs'], mnt);
    try {
      const fd = fs.openSync(path.join(mnt, 'dump.txt'), 'w');
      try {
        return outcome(x.cli(['trace', 'dump', traceFile(d, 0)], { cwd: d, stdoutFd: fd }), 2);
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      umount(mnt);
    }
  },
});

// Read-only and immutable trees.
for (const code of ['EROFS', 'EACCES', 'EPERM']) {
  add({
    id: `bless into a read-only golden tree (injected ${code})`,
    cls: 'read-only',
    async run(x) {
      const d = x.project(`ro-${code}`);
      regenerate(d);
      const before = golden(d);
      const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d, env: { GICREPLAY_FAULTS: `open:${code}:1:golden` } });
      return outcome(r, 2, changed(before, golden(d), 'golden'));
    },
  });
}
add({
  id: 'bless into a read-only bind mount',
  cls: 'read-only',
  needs: ['mount'],
  async run(x) {
    const d = x.project('robind');
    regenerate(d);
    const g = path.join(d, 'golden');
    mount(['--bind', g], g);
    try {
      mount(['-o', 'remount,bind,ro'], g);
      const before = golden(d);
      const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
      return outcome(r, 2, changed(before, golden(d), 'golden'));
    } finally {
      umount(g);
    }
  },
});
add({
  id: 'bless of an immutable golden (chattr +i)',
  cls: 'read-only',
  needs: ['chattr'],
  async run(x) {
    const d = x.project('immutable');
    regenerate(d);
    const g = goldenFile(d, 0, 'rev3');
    const dir = path.dirname(g);
    return withImmutable(dir, () => {
      const before = golden(d);
      const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
      return outcome(r, 2, wholeGoldens(x, d, before));
    });
  },
});

// The lock.
add({
  id: 'bless while another process holds the lock',
  cls: 'lock',
  async run(x) {
    const d = x.project('held');
    const lockJs = path.join(x.distDir, 'engine', 'golden', 'lock.js');
    const holder = spawn(process.execPath, ['-e', `require(${JSON.stringify(lockJs)}).acquireBlessLock(${JSON.stringify(path.join(d, 'golden'))}); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => holder.stdout!.once('data', () => res()));
    try {
      const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
      const p: string[] = [];
      expectStderr(r, new RegExp(`another bless is running on this golden folder \\(pid ${holder.pid}`), p);
      if (kind(path.join(d, 'golden', '.bless.lock')) !== 'file') p.push('the live lock was removed');
      return outcome(r, 2, [], p);
    } finally {
      holder.kill('SIGKILL');
    }
  },
});
add({
  id: 'an empty lock file is not taken for a dead writer',
  cls: 'lock',
  async run(x) {
    const d = x.project('emptylock');
    regenerate(d);
    const lock = path.join(d, 'golden', '.bless.lock');
    fs.writeFileSync(lock, '');
    const before = golden(d);
    const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
    return outcome(r, 2, changed(before, golden(d), 'golden'), kind(lock) === 'file' ? [] : ['the lock was removed']);
  },
});
add({
  id: 'a dead bless\'s lock is taken over',
  cls: 'lock',
  async run(x) {
    const d = x.project('deadlock');
    regenerate(d);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(d, 'golden', '.bless.lock'), JSON.stringify({ pid: Number(dead), host: os.hostname() }) + '\n');
    const r = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
    const k = x.cli(['check', '--root', d], { cwd: d });
    return merge(outcome(r, 0), outcome(k, 0));
  },
});
add({
  id: 'four blesses at once',
  cls: 'lock',
  async run(x) {
    const d = x.project('concurrent');
    regenerate(d, 200);
    const runs = [0, 1, 2, 3].map(
      (i) =>
        new Promise<{ code: number | null; err: string }>((res) => {
          const ch = spawn(process.execPath, [x.cliPath, 'bless', '--root', d, '--reason', `concurrent ${i}`], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          ch.stderr!.on('data', (b) => (err += b));
          ch.on('exit', (code) => res({ code, err }));
        }),
    );
    const rs = await Promise.all(runs);
    const p: string[] = [];
    const winners = rs.filter((r) => r.code === 0).length;
    if (winners < 1) p.push('no bless succeeded');
    for (const r of rs) if (r.code !== 0 && !/another bless is running/.test(r.err)) p.push(`a bless failed otherwise (exit ${r.code}): ${r.err.slice(0, 200)}`);
    const k = x.cli(['check', '--root', d], { cwd: d });
    const worst = rs.find((r) => r.code !== 0 && r.code !== 2) ?? rs[0];
    return merge(outcome({ status: worst.code, stdout: Buffer.alloc(0), stderr: worst.err, timedOut: false }, [0, 2], [], p), outcome(k, 0));
  },
});

// Leftovers of interrupted blesses.
add({
  id: 'temp files of a killed bless are reported by check and removed by bless --prune',
  cls: 'leftover',
  async run(x) {
    const d = x.project('leftover');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const tmp = path.join(path.dirname(goldenFile(d, 0, 'rev3')), `.rev3.golden.body-${dead}`);
    fs.writeFileSync(tmp, 'half a body');
    const k1 = x.cli(['check', '--root', d], { cwd: d });
    const p: string[] = [];
    if (!/LEFTOVER .*\.rev3\.golden\.body-/.test(k1.stdout.toString('utf8'))) p.push('check did not report the leftover temp file');
    const b = x.cli(['bless', '--root', d, '--prune', '--reason', 'campaign'], { cwd: d });
    if (fs.existsSync(tmp)) p.push('bless --prune left the temp file');
    const k2 = x.cli(['check', '--root', d], { cwd: d });
    return merge(merge(outcome(k1, 1, [], p), outcome(b, 0)), outcome(k2, 0));
  },
});
add({
  id: 'Ctrl-C during bless cleans up',
  cls: 'leftover',
  async run(x) {
    const d = x.project('sigint');
    regenerate(d, 2000);
    const ch = spawn(process.execPath, [x.cliPath, 'bless', '--root', d, '--reason', 'campaign'], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    ch.stderr!.on('data', (b) => (err += b));
    const done = new Promise<{ code: number | null; signal: string | null }>((res) => ch.on('exit', (code, signal) => res({ code, signal })));
    const lock = path.join(d, 'golden', '.bless.lock');
    for (let i = 0; i < 1000 && !fs.existsSync(lock); i++) await sleep(5);
    ch.kill('SIGINT');
    const end = await Promise.race([done, sleep(x.timeoutMs).then(() => null)]);
    if (end === null) ch.kill('SIGKILL');
    const p = [...tempFilesUnder(path.join(d, 'golden')).map((t) => `temp file left: ${t}`), ...(fs.existsSync(lock) ? ['the lock was left behind'] : [])];
    if (end?.signal) p.push(`killed by ${end.signal} instead of stopping cleanly`);
    return outcome({ status: end?.code ?? null, stdout: Buffer.alloc(0), stderr: err, timedOut: end === null }, [0, 130], wholeGoldens(x, d), p);
  },
});

// Small holes in the formats.
add({
  id: 'a trace marker that is not UTF-8',
  cls: 'format',
  async run(x) {
    const d = x.project('utf8');
    const ev = encodeEvent({ kind: EventKind.Marker, cycle: 5n, cpu: 0, text: 'XXXX' });
    const at = ev.indexOf('XXXX');
    Buffer.from([0xff, 0xfe, 0xc0, 0x80]).copy(ev, at);
    const f = path.join(d, 'bad.gtr');
    fs.writeFileSync(f, rawTrace(encodeValue(headerToWire(smallHeader())), [ev]));
    return outcome(x.cli(['trace', 'validate', f], { cwd: d }), 2);
  },
});
add({
  id: 'a trace header with a key given twice',
  cls: 'format',
  async run(x) {
    const d = x.project('dupkey');
    const h = encodeValue(headerToWire(smallHeader()));
    if (h[0] !== 0x87) throw new Error(`header map starts with 0x${h[0].toString(16)}, expected a 7-entry fixmap`);
    const dup = Buffer.concat([Buffer.from([0x88]), h.subarray(1), encodeValue('writer'), encodeValue('someone else')]);
    const f = path.join(d, 'dup.gtr');
    fs.writeFileSync(f, rawTrace(dup, []));
    return outcome(x.cli(['trace', 'validate', f], { cwd: d }), 2);
  },
});
add({
  id: 'trace validate flags an offset no register claims',
  cls: 'format',
  async run(x) {
    const d = x.project('unclaimed');
    const f = path.join(d, 'u.gtr');
    writeTrace(f, smallHeader(), [{ kind: EventKind.MmioRead, cycle: 1n, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x14, size: 4, observed: null }]);
    return outcome(x.cli(['trace', 'validate', f], { cwd: d }), 2);
  },
});
add({
  id: "check --shard ''",
  cls: 'format',
  async run(x) {
    const d = x.project('shardempty');
    return outcome(x.cli(['check', '--root', d, '--shard', ''], { cwd: d }), 2);
  },
});
add({
  id: 'a policy file that takes a built-in ID',
  cls: 'format',
  async run(x) {
    const d = x.project('policyid');
    const p = path.join(d, 'mine.json');
    fs.copyFileSync(path.join(builtinPolicyDir(), 'rev3.json'), p);
    return outcome(x.cli(['replay', traceFile(d, 0), '--policy-file', p], { cwd: d }), 2);
  },
});
add({
  id: 'trace info escapes control characters from the header',
  cls: 'format',
  async run(x) {
    const d = x.project('escapes');
    const h = smallHeader();
    h.provenance.command = 'qemu \u001b[2J\u001b]0;owned\u0007 \u009b31m \u202ereversed';
    const f = path.join(d, 'esc.gtr');
    writeTrace(f, h, []);
    const r = x.cli(['trace', 'info', f], { cwd: d });
    const raw = r.stdout.toString('utf8');
    // eslint-disable-next-line no-control-regex
    return outcome(r, 0, [], /[\u001b\u0007\u009b\u202e]/.test(raw) ? ['raw control characters reached the terminal'] : []);
  },
});
for (const [what, name] of [['a line break', 'a\nb.gtr'], ['a backslash', 'a\\b.gtr']] as const) {
  add({
    id: `a trace name with ${what}`,
    cls: 'format',
    async run(x) {
      const d = x.project(`name-${name.length}-${what.length}`);
      fs.copyFileSync(traceFile(d, 0), path.join(d, 'traces', 'synthetic', name));
      const b = x.cli(['bless', '--root', d, '--reason', 'campaign'], { cwd: d });
      const k = x.cli(['check', '--root', d], { cwd: d });
      return merge(outcome(b, 2), outcome(k, 2));
    },
  });
}

/** Every golden whole: `check` sees each as match, drift or stale (old or new), none damaged. */
function wholeGoldens(x: CaseContext, root: string, before?: Map<string, Buffer>): string[] {
  const out: string[] = [];
  if (before) out.push(...changed(before, golden(root), 'golden'));
  const r = x.cli(['check', '--root', root, '--json'], { cwd: root });
  let rep: CheckReport;
  try {
    rep = JSON.parse(r.stdout.toString('utf8')) as CheckReport;
  } catch {
    return [...out, `check after the fault printed no report (exit ${r.status}): ${r.stderr.slice(0, 200)}`];
  }
  for (const p of rep.results) if (p.status === 'error' || p.status === 'missing') out.push(`${p.golden} is ${p.status} after the fault: ${p.message?.slice(0, 160)}`);
  return out;
}

/** msgpack bytes of a value or an event, written by the trace format's own encoder. */
function encodeValue(v: unknown): Buffer {
  const e = new MsgpackEncoder(64);
  e.value(v);
  return Buffer.from(e.bytes());
}

function encodeEvent(ev: TraceEvent): Buffer {
  const e = new MsgpackEncoder(64);
  e.event(ev);
  return Buffer.from(e.bytes());
}

/** A trace built byte by byte (header and events as given), with a correct trailer. */
function rawTrace(header: Buffer, events: Buffer[]): Buffer {
  const digest = createHash('sha256').update(Buffer.concat(events)).digest('hex');
  return Buffer.concat([header, ...events, encodeValue({ trailer: true, events: events.length, digest })]);
}

function smallHeader() {
  return {
    magic: 'gicreplay-trace' as const,
    formatMajor: 1,
    formatMinor: 0,
    writer: 'gicreplay campaign',
    gic: { version: 3 as const, cpus: [{ mpidr: 0x80000000n }], spis: 32, its: false, frames: { dist: 0x8000000n, redist: [0x80a0000n] } },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 16n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: { kind: 'hand' as const, tool: 'campaign', command: 'cases.ts', blindSpots: [], cycles: 'synthetic', details: {} },
  };
}

export const FAULT_CASES: readonly FaultCase[] = c;

/** The template every case copies: 3 traces, blessed by the CLI under test. */
export function makeTemplate(cliPath: string, dir: string): string {
  const root = path.join(dir, 'template');
  makeProject(3, 1, { root });
  const r = spawnSync(process.execPath, [cliPath, 'bless', '--root', root, '--reason', 'campaign template'], { env: childEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`template bless failed: ${r.stderr}`);
  return root;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

const probed = new Map<string, boolean>();

/** Can this machine give the case what it needs? (Probed once each, in a throw-away folder.) */
export function needsMet(fc: FaultCase): boolean {
  return (fc.needs ?? []).every((n) => {
    if (!probed.has(n)) probed.set(n, probe(n));
    return probed.get(n)!;
  });
}

function probe(n: 'mount' | 'chattr' | 'dev'): boolean {
  if (n === 'dev' && !isRoot()) return true; // /dev cannot be written: the machine's is safe
  if (!isRoot()) return false;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-probe-'));
  try {
    if (n === 'mount') {
      const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status === 0;
      if (ok) umount(dir);
      return ok;
    }
    if (n === 'chattr') {
      const f = path.join(dir, 'f');
      fs.writeFileSync(f, '');
      const ok = spawnSync('chattr', ['+i', f]).status === 0;
      spawnSync('chattr', ['-i', f]);
      return ok;
    }
    return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', PRIVATE_DEV, 'test', '-c', '/dev/null']).status === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Did the case keep every promise? (The reasons, or [] when it did.) */
export function failures(o: CaseOutcome): string[] {
  const out: string[] = [];
  if (o.hang) out.push('hang');
  if (o.internalError) out.push(`internal error: ${o.stderr.slice(0, 300)}`);
  if (!o.hang && (o.exit === null || !o.expected.includes(o.exit))) out.push(`exit ${o.exit}, expected ${o.expected.join(' or ')}: ${o.stderr.slice(0, 300)}`);
  for (const l of o.lost) out.push(`data lost: ${l}`);
  for (const p of o.problems) out.push(p);
  return out;
}

export interface CampaignCounts {
  cases: number;
  skipped: number;
  dataLost: number;
  hangs: number;
  internalErrors: number;
  wrongExit: number;
  otherProblems: number;
  byClass: Record<string, { cases: number; failed: number }>;
  failures: Array<{ id: string; cls: FaultClass; why: string[] }>;
}

/** Run the cases (heavy ones too unless `light`) against the CLI at `cliPath`. */
export async function runFaultCampaign(o: { cliPath: string; light?: boolean; timeoutMs?: number; filter?: RegExp; onCase?: (id: string, why: string[]) => void }): Promise<CampaignCounts> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-faults-'));
  const counts: CampaignCounts = { cases: 0, skipped: 0, dataLost: 0, hangs: 0, internalErrors: 0, wrongExit: 0, otherProblems: 0, byClass: {}, failures: [] };
  try {
    const template = makeTemplate(o.cliPath, tmp);
    for (const fc of FAULT_CASES) {
      if (o.filter && !o.filter.test(fc.id)) continue;
      if ((o.light && fc.heavy) || !needsMet(fc)) {
        counts.skipped++;
        continue;
      }
      const ctx = new CaseContext(o.cliPath, fs.mkdtempSync(path.join(tmp, 'case-')), template, o.timeoutMs ?? 60000);
      let out: CaseOutcome;
      try {
        out = await fc.run(ctx);
      } catch (e) {
        out = { exit: null, expected: [], hang: false, internalError: false, lost: [], problems: [`the case itself failed: ${(e as Error).stack ?? String(e)}`], stderr: '' };
      } finally {
        fs.rmSync(ctx.tmp, { recursive: true, force: true });
      }
      const why = failures(out);
      counts.cases++;
      const cl = (counts.byClass[fc.cls] ??= { cases: 0, failed: 0 });
      cl.cases++;
      if (out.lost.length) counts.dataLost++;
      if (out.hang) counts.hangs++;
      if (out.internalError) counts.internalErrors++;
      if (!out.hang && (out.exit === null || !out.expected.includes(out.exit))) counts.wrongExit++;
      if (out.problems.length) counts.otherProblems++;
      if (why.length) {
        cl.failed++;
        counts.failures.push({ id: fc.id, cls: fc.cls, why });
      }
      o.onCase?.(fc.id, why);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return counts;
}
