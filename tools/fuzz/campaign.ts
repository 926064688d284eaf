// A fuzz campaign: corruptions of real and synthetic traces through the reader and the replay.
// `npm run fuzz` runs the full campaign (≥ 100,000 corruptions); the unit test runs a small,
// fixed-seed sample of the same code.

import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createModel } from '../../engine/gic';
import { NO_DEPS } from '../../engine/model/deps';
import { GicModel, ReadResult, WriteResult } from '../../engine/model/model';
import { getPolicy, Policy } from '../../engine/policy/policy';
import { EventKind, Frame, kvmMpidr, TraceEvent, TraceHeader, UserGroup } from '../../engine/trace/events';
import { writeTrace } from '../../engine/trace/writer';
import { allTruncations, anyCorruption, Corruption } from './corrupt';
import { HarnessOptions, Outcome, runOne } from './harness';

export interface CampaignResult {
  bases: string[];
  /** Distinct corruptions generated. */
  corruptions: number;
  /** Runs through reader + replay (each corruption runs twice: strict and --allow-truncated). */
  tried: number;
  accepted: number;
  rejected: number;
  defects: Array<{ base: string; label: string; outcome: Outcome }>;
  byKind: Record<string, number>;
}

/** A small synthetic GICv3 trace with every event kind, 64-bit values and a cycle above 2^53. */
export function syntheticTrace(file: string): void {
  const h: TraceHeader = {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: 0,
    writer: 'gicreplay fuzz',
    gic: { version: 3, cpus: [{ mpidr: kvmMpidr(0) }, { mpidr: kvmMpidr(1) }], spis: 64, its: false, frames: { dist: 0x8000000n, redist: [0x80a0000n, 0x80c0000n] } },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 16n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: { kind: 'hand', tool: 'fuzz', command: 'syntheticTrace', blindSpots: [], cycles: 'synthetic', details: {} },
  };
  const ev: TraceEvent[] = [];
  let c = 0n;
  const next = () => (c += 7n);
  ev.push({ kind: EventKind.MmioRead, cycle: next(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x4, size: 4, observed: 0x7a0008n });
  ev.push({ kind: EventKind.MmioWrite, cycle: next(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x0, size: 4, value: 0x13n });
  ev.push({ kind: EventKind.MmioWrite, cycle: next(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x84, size: 4, value: 0xffffffbfn });
  ev.push({ kind: EventKind.MmioRead, cycle: next(), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x84, size: 4, observed: 0xffffffbfn });
  ev.push({ kind: EventKind.MmioWrite, cycle: next(), cpu: null, frame: Frame.Dist, index: 0, offset: 0x6100, size: 8, value: 0x100000001n });
  ev.push({ kind: EventKind.MmioRead, cycle: next(), cpu: 1, frame: Frame.RedistRd, index: 1, offset: 0x8, size: 8, observed: 0x100000111n });
  ev.push({ kind: EventKind.MmioWrite, cycle: next(), cpu: 1, frame: Frame.RedistSgi, index: 1, offset: 0x100, size: 4, value: 0xffffn });
  ev.push({ kind: EventKind.SysregWrite, cycle: next(), cpu: 0, enc: 0x30460, value: 0xf0n });
  ev.push({ kind: EventKind.SysregWrite, cycle: next(), cpu: 0, enc: 0x30cc7, value: 1n });
  ev.push({ kind: EventKind.SysregWrite, cycle: next(), cpu: 0, enc: 0x30cb5, value: 0x10001000002n });
  ev.push({ kind: EventKind.SysregRead, cycle: next(), cpu: 1, enc: 0x30cc0, observed: 0x1n });
  ev.push({ kind: EventKind.UserWrite, cycle: next(), group: UserGroup.DistRegs, cpu: null, offset: 0x84, size: 4, value: 0xffffffffn });
  ev.push({ kind: EventKind.UserRead, cycle: next(), group: UserGroup.DistRegs, cpu: null, offset: 0x8, size: 4, observed: null });
  ev.push({ kind: EventKind.Line, cycle: next(), intid: 40, cpu: null, level: 1 });
  ev.push({ kind: EventKind.Line, cycle: next(), intid: 27, cpu: 1, level: 1 });
  ev.push({ kind: EventKind.Marker, cycle: next(), cpu: 0, text: 'checkpoint ✓' });
  ev.push({ kind: EventKind.MmioRead, cycle: 0x20000000000001n, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x204, size: 4, observed: null });
  writeTrace(file, h, ev);
}

/** A model that answers everything with 0: used when the real model cannot replay a base trace. */
class NullModel implements GicModel {
  readonly gicVersion = 3 as const;
  readonly deps = NO_DEPS;
  constructor(readonly cpuCount: number) {}
  private r(): ReadResult {
    return { reg: 'null', value: 0n };
  }
  private w(): WriteResult {
    return { reg: 'null' };
  }
  mmioRead = () => this.r();
  mmioWrite = () => this.w();
  sysregRead = () => this.r();
  sysregWrite = () => this.w();
  userRead = () => this.r();
  userWrite = () => this.w();
  setLine = () => this.w();
  irqOutput = (): 0 | 1 => 0;
  fiqOutput = (): 0 | 1 => 0;
}

function harnessFor(base: string, policy: Policy, tmp: string): HarnessOptions {
  const real: HarnessOptions = { policy };
  const probe = runOne(tmp, fs.readFileSync(base), real);
  if (probe.kind === 'accepted') return real;
  return { policy, modelFactory: (gic) => new NullModel(gic.cpus.length) };
}

/** `exhaustiveTruncation` cuts the first base (keep it small) at every byte boundary. */
export function runCampaign(opts: { bases: string[]; runsPerBase: number; seed: number; exhaustiveTruncation: boolean; onProgress?: (n: number) => void }): CampaignResult {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-fuzz-'));
  const tmp = path.join(tmpDir, 'victim.gtr');
  const policy = getPolicy('rev3');
  const res: CampaignResult = { bases: opts.bases, corruptions: 0, tried: 0, accepted: 0, rejected: 0, defects: [], byKind: {} };
  const record = (base: string, c: Corruption, o: Outcome, h: HarnessOptions) => {
    res.tried++;
    res.corruptions++;
    const kind = c.label.split(' ')[0];
    res.byKind[kind] = (res.byKind[kind] ?? 0) + 1;
    if (o.kind === 'accepted') res.accepted++;
    else if (o.kind === 'rejected') res.rejected++;
    else if (res.defects.length < 50) res.defects.push({ base, label: c.label, outcome: o });
    // Also with --allow-truncated: the valid prefix must replay or fail cleanly.
    const o2 = runOne(tmp, c.bytes, { ...h, allowTruncated: true });
    res.tried++;
    if (o2.kind === 'defect' && res.defects.length < 50) res.defects.push({ base, label: `${c.label} (allow-truncated)`, outcome: o2 });
    if (opts.onProgress && res.tried % 10000 < 2) opts.onProgress(res.tried);
  };
  try {
    for (let bi = 0; bi < opts.bases.length; bi++) {
      const base = opts.bases[bi];
      const bytes = fs.readFileSync(base);
      const other = fs.readFileSync(opts.bases[(bi + 1) % opts.bases.length]);
      const h = harnessFor(base, policy, tmp);
      if (opts.exhaustiveTruncation && bi === 0) for (const c of allTruncations(bytes)) record(base, c, runOne(tmp, c.bytes, h), h);
      fc.assert(
        fc.property(anyCorruption(bytes, other), (c) => {
          record(base, c, runOne(tmp, c.bytes, h), h);
          return true;
        }),
        { numRuns: opts.runsPerBase, seed: opts.seed + bi },
      );
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return res;
}

export { createModel };
