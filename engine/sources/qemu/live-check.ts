// The live QEMU recordings the project checks in (traces/qemu/live-*.gtr) and the check that a
// fresh recording has the identical event stream, so a QEMU upgrade or an importer change that
// alters what the guests produce fails CI.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { eventToWire } from '../../trace/codec';
import { GicVersion, TraceEvent } from '../../trace/events';
import { openTrace } from '../../trace/reader';
import { projectRoot } from '../../util/project-root';
import { recordQemu } from './record';

export interface LiveRecording {
  name: string;
  gic: GicVersion;
  smp: number;
  /** Guest ELF under tools/qemu/guests/build. */
  guest: string;
}

export const LIVE_RECORDINGS: readonly LiveRecording[] = [
  { name: 'live-gic3-guest-smp2', gic: 3, smp: 2, guest: 'gicv3-guest.elf' },
  { name: 'live-gic2-guest-smp2', gic: 2, smp: 2, guest: 'gicv2-guest.elf' },
];

export function guestsDir(): string {
  return path.join(projectRoot(), 'tools', 'qemu', 'guests');
}

export function checkedInLiveTrace(rec: LiveRecording): string {
  return path.join(projectRoot(), 'traces', 'qemu', `${rec.name}.gtr`);
}

/** Build the guests with make (needs aarch64-linux-gnu-gcc); returns make's output on failure. */
export function buildGuests(): string | null {
  const r = spawnSync('make', ['-s', '-C', guestsDir()], { encoding: 'utf8' });
  if (r.error) return r.error.message;
  return r.status === 0 ? null : `${r.stdout}${r.stderr}`;
}

/** Every event of a trace file, in order. */
export function readEvents(file: string): TraceEvent[] {
  const r = openTrace(file);
  try {
    const out: TraceEvent[] = [];
    for (let e = r.next(); e; e = r.next()) out.push(e);
    return out;
  } finally {
    r.close();
  }
}

function show(e: TraceEvent | undefined): string {
  return e === undefined ? '(none)' : JSON.stringify(eventToWire(e), (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
}

/** null when both traces hold the identical event stream, else where and how they first differ. */
export function compareEventStreams(expectedFile: string, actualFile: string): string | null {
  const a = readEvents(expectedFile);
  const b = readEvents(actualFile);
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = show(a[i]);
    const y = show(b[i]);
    if (x !== y) return `event ${i} differs: checked in ${x}, recorded ${y} (${a.length} vs ${b.length} events)`;
  }
  return null;
}

export interface LiveCheckResult {
  rec: LiveRecording;
  /** null: identical. */
  difference: string | null;
  blessed: boolean;
}

/** Record every live guest and compare with (or, with bless, replace) the checked-in trace. */
export function checkLiveRecordings(bless = false): LiveCheckResult[] {
  const err = buildGuests();
  if (err !== null) throw new Error(`building the QEMU test guests failed: ${err}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-live-'));
  try {
    return LIVE_RECORDINGS.map((rec) => {
      const expected = checkedInLiveTrace(rec);
      const out = bless ? expected : path.join(tmp, `${rec.name}.gtr`);
      recordQemu({ gic: rec.gic, smp: rec.smp, guest: path.join(guestsDir(), 'build', rec.guest), out });
      if (bless) return { rec, difference: null, blessed: true };
      const difference = fs.existsSync(expected) ? compareEventStreams(expected, out) : `no checked-in trace ${path.relative(projectRoot(), expected)}`;
      return { rec, difference, blessed: false };
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
