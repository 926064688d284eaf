// Timing the real CLI: `gicreplay check` of the synthetic trace in a scratch project (peak RSS
// while checking, streaming end to end) and of the project's whole suite (every trace × every
// policy). Peak RSS of a child comes from /usr/bin/time (GNU time's %M, KiB); without it only
// wall time is reported.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Stat, stat } from './stats';
import { WarmSuite } from './warm-suite';

const GNU_TIME = '/usr/bin/time';

interface CliRun {
  status: number | null;
  seconds: number;
  maxRssKiB: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI found under `build` (a snapshot holding bin/ and dist/); scratch files go under `root`. */
function cli(root: string, build: string, args: string[], cwd: string): CliRun {
  const bin = path.join(build, 'bin', 'gicreplay');
  const timeFile = path.join(root, 'bench-results', `.time-${process.pid}`);
  const useTime = fs.existsSync(GNU_TIME);
  const cmd = useTime ? GNU_TIME : process.execPath;
  const argv = useTime ? ['-o', timeFile, '-f', '%M %e', process.execPath, bin, ...args] : [bin, ...args];
  const env = { ...process.env };
  delete env.CI; // a bench run is never CI's check-only mode for bless
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env });
  let seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let maxRssKiB: number | null = null;
  if (useTime && fs.existsSync(timeFile)) {
    const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
    const m = /^(\d+) ([\d.]+)$/.exec(last);
    if (m) {
      maxRssKiB = Number(m[1]);
      seconds = Number(m[2]);
    }
    fs.unlinkSync(timeFile);
  }
  return { status: r.status, seconds, maxRssKiB, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export interface CheckResult {
  skipped?: string;
  policy?: string;
  seconds?: Stat;
  maxRssMiB?: Stat;
  /** Size and format of the golden the checks compared with. */
  goldenBytes?: number;
  goldenFormat?: number;
}

/** The golden format line of a file, or 0 when it has none. */
function goldenFormatOf(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(64);
    const n = fs.readSync(fd, b, 0, 64, 0);
    const m = /^# gicreplay golden (\d+)\n/.exec(b.toString('latin1', 0, n));
    return m ? Number(m[1]) : 0;
  } finally {
    fs.closeSync(fd);
  }
}

/** Check the synthetic trace (blessed once into a scratch project) under one policy, `runs` times. */
export function measureCheck(root: string, build: string, trace: string, runs: number, log: (s: string) => void): CheckResult {
  const scratch = path.join(root, 'bench-results', 'check-root');
  const traces = path.join(scratch, 'traces');
  const linked = path.join(traces, path.basename(trace));
  fs.mkdirSync(traces, { recursive: true });
  fs.mkdirSync(path.join(scratch, 'golden'), { recursive: true });
  for (const f of fs.readdirSync(traces)) if (f !== path.basename(trace)) fs.rmSync(path.join(traces, f), { force: true });
  if (!fs.existsSync(linked)) fs.linkSync(trace, linked);
  // Goldens of other sizes would be obsolete and fail the check.
  const keep = path.basename(trace, '.gtr');
  for (const g of fs.readdirSync(path.join(scratch, 'golden'))) {
    const full = path.join(scratch, 'golden', g);
    if (g !== keep && fs.statSync(full).isDirectory()) fs.rmSync(full, { recursive: true, force: true });
  }
  const policy = 'rev3';
  const args = ['--root', scratch, '--policy', policy];
  const rs: CliRun[] = [];
  const golden = path.join(scratch, 'golden', keep, `${policy}.golden`);
  // A large golden blessed before format 2 existed is plain: bless it again so this build's form is measured.
  const plainLarge = fs.existsSync(golden) && goldenFormatOf(golden) === 1 && fs.statSync(golden).size >= 16 * 2 ** 20;
  const first = plainLarge ? null : cli(root, build, ['check', ...args, '--workers', '0'], scratch);
  if (first && first.status === 0) rs.push(first);
  else {
    // No golden yet, or one blessed by another build: bless this build's output once.
    log(`  blessing the synthetic trace under ${policy} (${first ? `check exited ${first.status}` : 'its golden is plain'})`);
    const b = cli(root, build, ['bless', ...args, '--reason', 'bench input'], scratch);
    if (b.status !== 0) return { skipped: `gicreplay bless failed (${b.status}): ${(b.stderr || b.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  }
  while (rs.length < runs) {
    const r = cli(root, build, ['check', ...args, '--workers', '0'], scratch);
    // 1 (drift) still timed a complete comparison; only 2 or a crash is a broken run.
    if (r.status !== 0 && r.status !== 1) throw new Error(`gicreplay check of the synthetic trace exited ${r.status}: ${r.stderr.trim()}`);
    rs.push(r);
  }
  rs.forEach((r, i) => log(`  check run ${i + 1}/${runs}: ${r.seconds.toFixed(2)} s, ${r.maxRssKiB === null ? '?' : (r.maxRssKiB / 1024).toFixed(0)} MiB, exit ${r.status}`));
  return {
    policy,
    goldenBytes: fs.statSync(golden).size,
    goldenFormat: goldenFormatOf(golden),
    seconds: stat(rs.map((r) => r.seconds)),
    maxRssMiB: rs.every((r) => r.maxRssKiB !== null) ? stat(rs.map((r) => r.maxRssKiB! / 1024)) : undefined,
  };
}

export interface SuiteResult {
  skipped?: string;
  pairs?: number;
  verdict?: string;
  seconds?: Stat;
  maxRssMiB?: Stat;
  /** Same suite without worker threads, to show what the threads buy. */
  secondsNoWorkers?: Stat;
  /** Scaling with the number of policies: the same traces under rev3 only. */
  onePolicy?: { pairs: number; seconds: Stat };
  /**
   * The suite checked WARM_PASSES times in one process (warm-suite.ts): the first pass (no
   * start-up) and the last, on code V8 has optimised. Their difference is the JIT's warm-up.
   */
  warm?: { passes: number; first: Stat; last: Stat } | { skipped: string };
}

const WARM_PASSES = 3;

/** One warm-suite.js process over `root` with the snapshot build's code. */
function warmRun(root: string, build: string): WarmSuite | string {
  const r = spawnSync(process.execPath, [path.join(build, 'dist', 'tools', 'bench', 'warm-suite.js'), root, String(WARM_PASSES)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) return `warm-suite.js exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`;
  try {
    return JSON.parse(r.stdout) as WarmSuite;
  } catch {
    return `warm-suite.js printed no report: ${r.stdout.trim().slice(0, 200)}`;
  }
}

/** `gicreplay check --json` over the project's own traces and goldens. */
export function measureSuite(root: string, build: string, runs: number, log: (s: string) => void): SuiteResult {
  const once = (workers: string[]): CliRun => cli(root, build, ['check', '--json', ...workers], root);
  const probe = once([]);
  let pairs: number;
  let verdict: string;
  try {
    const rep = JSON.parse(probe.stdout) as { verdict: { exit: number; summary: string; counts: { pairs: number } } };
    pairs = rep.verdict.counts.pairs;
    verdict = rep.verdict.summary;
  } catch {
    return { skipped: `gicreplay check --json exited ${probe.status} without a report: ${(probe.stderr || probe.stdout).trim().split('\n').slice(-2).join(' | ')}` };
  }
  if (pairs === 0) return { skipped: `no (trace × policy) pairs to check yet (${verdict})` };
  const timed: CliRun[] = [];
  const single: CliRun[] = [];
  const rev3: CliRun[] = [];
  const warm: WarmSuite[] = [];
  let warmSkipped: string | undefined;
  for (let i = 0; i < runs; i++) {
    timed.push(once([]));
    single.push(once(['--workers', '0']));
    rev3.push(once(['--policy', 'rev3']));
    const w = warmSkipped ? warmSkipped : warmRun(root, build);
    if (typeof w === 'string') warmSkipped = w;
    else warm.push(w);
    const warmText = typeof w === 'string' ? '' : `, ${w.passes.map((p) => p.seconds.toFixed(2)).join(' / ')} s (in one process)`;
    log(`  suite run ${i + 1}/${runs}: ${timed[i].seconds.toFixed(2)} s (workers auto), ${single[i].seconds.toFixed(2)} s (no workers), ${rev3[i].seconds.toFixed(2)} s (rev3 only)${warmText}`);
  }
  let onePairs = 0;
  try {
    onePairs = (JSON.parse(rev3[0].stdout) as { verdict: { counts: { pairs: number } } }).verdict.counts.pairs;
  } catch {
    // reported as 0 pairs
  }
  return {
    pairs,
    verdict,
    seconds: stat(timed.map((r) => r.seconds)),
    secondsNoWorkers: stat(single.map((r) => r.seconds)),
    onePolicy: { pairs: onePairs, seconds: stat(rev3.map((r) => r.seconds)) },
    warm: warmSkipped
      ? { skipped: warmSkipped }
      : { passes: WARM_PASSES, first: stat(warm.map((w) => w.passes[0].seconds)), last: stat(warm.map((w) => w.passes[WARM_PASSES - 1].seconds)) },
    maxRssMiB: timed.every((r) => r.maxRssKiB !== null) ? stat(timed.map((r) => r.maxRssKiB! / 1024)) : undefined,
  };
}
