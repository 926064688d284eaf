// Measurement script for the trace format (not a test): peak RSS of `gicreplay trace dump` on a
// large synthetic trace, and the reader's decode speed against bare msgpackr.
//
//   npx tsc -p tsconfig.json && node dist/tools/bench/dump-memory.js [--events 10000000] [--speed-events 1000000] [--dir DIR] [--json] [--speed-only]
//
// Peak RSS comes from /usr/bin/time -v ("Maximum resident set size") of a child process, so the
// figure is the whole CLI's, startup included. The trace files are generated once and reused.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Unpackr, UnpackrStream } from 'msgpackr';
import { openTrace } from '../../engine/trace/reader';
import { writeSynthTrace } from '../../engine/trace/synth';
import { projectRoot } from '../../engine/util/project-root';

const LIMIT_MB = 150;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

function ensureTrace(file: string, events: number): void {
  if (fs.existsSync(file)) return;
  const t0 = process.hrtime.bigint();
  writeSynthTrace(file, events);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stderr.write(`generated ${file}: ${events} events, ${fs.statSync(file).size} bytes in ${ms.toFixed(0)} ms\n`);
}

/** Peak RSS (MB) and wall time of `gicreplay trace dump FILE` with stdout discarded. */
function dumpPeakRss(file: string, json: boolean): { peakMB: number; seconds: number; lines: string } {
  const bin = path.join(projectRoot(), 'bin', 'gicreplay');
  const devnull = fs.openSync('/dev/null', 'w');
  const args = ['-v', process.execPath, bin, 'trace', 'dump', ...(json ? ['--json'] : []), file];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', args, { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(devnull);
  if (r.status !== 0) throw new Error(`dump failed (${r.status}): ${r.stderr}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no peak RSS in /usr/bin/time output: ${r.stderr}`);
  return { peakMB: Number(m[1]) / 1024, seconds, lines: json ? 'json' : 'text' };
}

function readerRate(file: string): { events: number; seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = openTrace(file);
  let n = 0;
  while (r.next()) n++;
  r.close();
  return { events: n, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function unpackrStreamRate(file: string): Promise<{ events: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = new UnpackrStream({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' } as ConstructorParameters<typeof UnpackrStream>[0]);
    let n = 0;
    s.on('data', () => n++);
    s.on('error', reject);
    s.on('end', () => resolve({ events: n - 2, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(s);
  });
}

function unpackMultipleRate(file: string): { events: number; seconds: number } {
  const buf = fs.readFileSync(file);
  const t0 = process.hrtime.bigint();
  let n = 0;
  new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' }).unpackMultiple(buf, () => {
    n++;
  });
  return { events: n - 2, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function main(): Promise<void> {
  const dir = arg('dir', path.join(os.tmpdir(), 'gicreplay-bench'));
  const events = Number(arg('events', '10000000'));
  const speedEvents = Number(arg('speed-events', '1000000'));
  fs.mkdirSync(dir, { recursive: true });
  const speedOnly = process.argv.includes('--speed-only');
  const big = path.join(dir, `synth-${events}.gtr`);
  const small = path.join(dir, `synth-${speedEvents}.gtr`);
  if (!speedOnly) ensureTrace(big, events);
  ensureTrace(small, speedEvents);

  const rate = (r: { events: number; seconds: number }) => Math.round(r.events / r.seconds);
  // Best of three: the machine is shared, the minimum is the least disturbed run.
  const best = async (f: () => { events: number; seconds: number } | Promise<{ events: number; seconds: number }>) => {
    let b = await f();
    for (let i = 0; i < 2; i++) {
      const r = await f();
      if (r.seconds < b.seconds) b = r;
    }
    return b;
  };
  const reader = await best(() => readerRate(small));
  const stream = await best(() => unpackrStreamRate(small));
  const multiple = await best(() => unpackMultipleRate(small));
  const skipped = { peakMB: 0, seconds: 0, lines: 'skipped' };
  const text = speedOnly ? skipped : dumpPeakRss(big, false);
  const json = speedOnly ? skipped : dumpPeakRss(big, true);

  const result = {
    dump: { events, bytes: speedOnly ? 0 : fs.statSync(big).size, text, json, limitMB: LIMIT_MB, ok: text.peakMB < LIMIT_MB && json.peakMB < LIMIT_MB },
    decode: {
      events: speedEvents,
      readerPerSecond: rate(reader),
      unpackrStreamPerSecond: rate(stream),
      unpackMultiplePerSecond: rate(multiple),
      readerVsStream: Number((rate(reader) / rate(stream)).toFixed(2)),
    },
  };
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      [
        speedOnly ? 'trace dump: skipped (--speed-only)' : `trace dump of ${events} events (${result.dump.bytes} bytes): peak RSS ${text.peakMB.toFixed(1)} MB text, ${json.peakMB.toFixed(1)} MB --json (limit ${LIMIT_MB} MB), ${text.seconds.toFixed(1)} s / ${json.seconds.toFixed(1)} s`,
        `decode ${speedEvents} events: reader ${result.decode.readerPerSecond}/s, bare UnpackrStream ${result.decode.unpackrStreamPerSecond}/s, unpackMultiple (whole file in memory) ${result.decode.unpackMultiplePerSecond}/s; reader/stream = ${result.decode.readerVsStream}`,
      ].join('\n') + '\n',
    );
  }
  if (!speedOnly && !result.dump.ok) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 3;
});
