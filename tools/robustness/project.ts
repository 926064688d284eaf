// Throw-away gicreplay projects (traces/ + golden/) for the robustness runs: kill trials,
// concurrent blesses and environment determinism all work on a copy, never on the real goldens.

import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EventKind, Frame, kvmMpidr, TraceEvent, TraceHeader } from '../../engine/trace/events';
import { writeTrace } from '../../engine/trace/writer';
import { projectRoot } from '../../engine/util/project-root';

export const CLI = path.join(projectRoot(), 'bin', 'gicreplay');

function header(version: 2 | 3, cpus: number): TraceHeader {
  return {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: 0,
    writer: 'gicreplay robustness',
    gic: {
      version,
      cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })),
      spis: 64,
      its: false,
      frames: version === 3 ? { dist: 0x8000000n, redist: Array.from({ length: cpus }, (_, i) => 0x80a0000n + BigInt(i) * 0x20000n) } : { dist: 0x8000000n, cpuif: 0x8010000n },
    },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 16n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: { kind: 'hand', tool: 'robustness', command: 'makeProject', blindSpots: [], cycles: 'synthetic, 10 cycles apart', details: {} },
  };
}

/**
 * Trace `k` of generation `gen`: reads GICD_IIDR (so policies differ), moves INTID 32+k to
 * Group 0 and reads IGROUPR back, then scans `reads` more registers so goldens have some body.
 */
export function syntheticEvents(version: 2 | 3, k: number, gen: number, reads: number): TraceEvent[] {
  const ev: TraceEvent[] = [];
  let c = 0n;
  const t = () => (c += 10n);
  ev.push({ kind: EventKind.MmioRead, cycle: t(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x8, size: 4, observed: null });
  ev.push({ kind: EventKind.MmioWrite, cycle: t(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x84, size: 4, value: BigInt((~(1 << k) ^ gen) >>> 0) });
  ev.push({ kind: EventKind.MmioRead, cycle: t(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x84, size: 4, observed: null });
  for (let i = 0; i < reads; i++) {
    ev.push({ kind: EventKind.MmioWrite, cycle: t(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x420 + 4 * (i % 8), size: 4, value: BigInt((0xa0a0a0a0 + i + gen) >>> 0) });
    ev.push({ kind: EventKind.MmioRead, cycle: t(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x420 + 4 * (i % 8), size: 4, observed: null });
  }
  if (version === 3) ev.push({ kind: EventKind.MmioRead, cycle: t(), cpu: 0, frame: Frame.RedistRd, index: 0, offset: 0x0, size: 4, observed: null });
  return ev;
}

export interface TempProject {
  root: string;
  traces: string[];
  cleanup(): void;
}

/** A project with `n` traces (alternating GICv3 and GICv2). `order` controls file creation order on disk. */
export function makeProject(n: number, gen: number, opts: { reads?: number; reverseCreation?: boolean; root?: string } = {}): TempProject {
  const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-proj-'));
  fs.mkdirSync(path.join(root, 'traces', 'synthetic'), { recursive: true });
  fs.mkdirSync(path.join(root, 'golden'), { recursive: true });
  const idx = Array.from({ length: n }, (_, k) => k);
  if (opts.reverseCreation) idx.reverse();
  const traces: string[] = [];
  for (const k of idx) {
    const version = k % 2 === 0 ? 3 : 2;
    const file = path.join(root, 'traces', 'synthetic', `t${String(k).padStart(2, '0')}-v${version}.gtr`);
    writeTrace(file, header(version, 2), syntheticEvents(version, k, gen, opts.reads ?? 40));
    traces.push(file);
  }
  return { root, traces: traces.sort(), cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** The environment a child gicreplay sees: ours minus CI (bless refuses on CI), plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.CI;
  delete env.GITHUB_ACTIONS;
  return env;
}

export function cli(args: string[], extraEnv: Record<string, string> = {}, cwd?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: childEnv(extraEnv), cwd });
}

/** Every file under `dir` with its bytes, sorted by path: a snapshot to compare byte for byte. */
export function snapshotDir(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

export function copyDir(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}
