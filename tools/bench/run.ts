// `npm run bench`: gicreplay's throughput and memory against msgpackr's decode floor and QEMU's
// qtest, on a deterministic synthetic 10-million-event GICv3 trace. Every measurement runs in
// separate child processes (medians with min/max); decode, replay and reader runs are interleaved
// so load from other processes hits all of them alike, and each replay run is paired with the
// decode run just before it: this VM switches between a fast and a slow mode for seconds at a
// time, and a ratio of two medians taken in different modes measures the VM, not gicreplay.
// Prints a table, writes bench-results/bench.json, and exits non-zero only when a run breaks (missed targets are reported).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeOutputFile } from '../../engine/util/output-file';
import { mmioStream, synthTrace, SYNTH_VERSION } from './inputs';
import { Measurement } from './measure';
import { qemuVersion, qtestCeiling, qtestLockstep, QtestRun } from './qemu';
import { si, Stat, stat } from './stats';
import { measureCheck, measureSuite, SuiteResult, CheckResult } from './suite';
import { KvmResult, measureKvm } from './kvm';
import { RecordDigest } from './digest';
import { renderTargets, Target, targetsOf } from './targets';

interface Args {
  events: number;
  runs: number;
  qemuAccesses: number;
  lockstepAccesses: number;
  qemu: boolean;
  check: boolean;
  checkRuns: number;
  suite: boolean;
  kvm: boolean;
  kvmRuns: number;
  identity: boolean;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { events: 10_000_000, runs: 5, qemuAccesses: 500_000, lockstepAccesses: 20_000, qemu: true, check: true, checkRuns: 1, suite: true, kvm: true, kvmRuns: 3, identity: true, out: 'bench-results/bench.json' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${k} needs a positive integer, got ${argv[i]}`);
      return v;
    };
    if (k === '--events') a.events = num();
    else if (k === '--runs') a.runs = num();
    else if (k === '--qemu-accesses') a.qemuAccesses = num();
    else if (k === '--lockstep-accesses') a.lockstepAccesses = num();
    else if (k === '--no-qemu') a.qemu = false;
    else if (k === '--no-check') a.check = false;
    else if (k === '--check-runs') a.checkRuns = num();
    else if (k === '--no-suite') a.suite = false;
    else if (k === '--no-kvm') a.kvm = false;
    else if (k === '--kvm-runs') a.kvmRuns = num();
    else if (k === '--no-identity') a.identity = false;
    else if (k === '--out') a.out = argv[++i];
    else if (k === '--help' || k === '-h') {
      process.stdout.write('usage: npm run bench -- [--events N] [--runs N] [--qemu-accesses N] [--lockstep-accesses N] [--no-qemu] [--no-check] [--check-runs N] [--no-suite] [--no-kvm] [--kvm-runs N] [--no-identity] [--out FILE]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
let MEASURE = path.join(__dirname, 'measure.js');

/**
 * Copy dist/ (and a bin/ that loads it) into bench-results/snapshot, and run every child from
 * there: other people rebuild dist/ in a shared working tree, and a model changing half-way would
 * mix two versions in one result (and turn the check of a just-blessed golden into drift).
 */
function snapshotBuild(): string {
  const snap = path.join(ROOT, 'bench-results', 'snapshot');
  fs.rmSync(snap, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(snap, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  fs.mkdirSync(path.join(snap, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'bin', 'gicreplay'), path.join(snap, 'bin', 'gicreplay'));
  MEASURE = path.join(snap, 'dist', 'tools', 'bench', 'measure.js');
  return snap;
}

/** One measurement in a fresh Node process. */
function child(kind: string, file: string): Measurement {
  const r = spawnSync(process.execPath, [MEASURE, kind, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench child "${kind} ${file}" failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as Measurement;
  return m;
}

interface Rate {
  eventsPerSec: Stat;
  ms: Stat;
  maxRssMiB: Stat;
  events: number;
}

function rate(ms: Measurement[]): Rate {
  const events = ms[0].events;
  for (const m of ms) if (m.events !== events) throw new Error(`runs disagree on the event count: ${m.events} vs ${events}`);
  return {
    events,
    eventsPerSec: stat(ms.map((m) => (m.events / m.ms) * 1000)),
    ms: stat(ms.map((m) => m.ms)),
    maxRssMiB: stat(ms.map((m) => m.maxRssKiB / 1024)),
  };
}

function qRate(rs: QtestRun[]): { accessesPerSec: Stat; accesses: number; errors: number } {
  return { accesses: rs[0].accesses, errors: rs.reduce((a, r) => a + r.errors, 0), accessesPerSec: stat(rs.map((r) => (r.accesses / r.ms) * 1000)) };
}

/** The records' digests against tools/bench/digests.json (recorded before the optimisations), in a child process. */
function recordIdentity(trace: string, events: number): { same: boolean; policy: string; detail: string } | { skipped: string } {
  const want = (JSON.parse(fs.readFileSync(path.join(ROOT, 'tools', 'bench', 'digests.json'), 'utf8')) as { synthVersion: number; events: Record<string, Record<string, RecordDigest>> });
  const policy = 'rev3';
  const w = want.synthVersion === SYNTH_VERSION ? want.events[String(events)]?.[policy] : undefined;
  if (!w) return { skipped: `no digest recorded for ${events} events (tools/bench/digests.json)` };
  const r = spawnSync(process.execPath, [path.join(path.dirname(MEASURE), 'digest.js'), trace, policy], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`digest child failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  const got = JSON.parse(r.stdout.trim()) as RecordDigest;
  const same = got.records === w.records && got.recordsSha256 === w.recordsSha256 && got.bodySha256 === w.bodySha256;
  return { same, policy, detail: same ? `${got.records} records, ${got.recordsSha256.slice(0, 12)}…, body ${got.bodySha256.slice(0, 12)}…` : `expected ${w.records} records ${w.recordsSha256.slice(0, 12)}… body ${w.bodySha256.slice(0, 12)}…, got ${got.records} ${got.recordsSha256.slice(0, 12)}… body ${got.bodySha256.slice(0, 12)}…` };
}

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const inputs = path.join(ROOT, 'bench-results', 'inputs');
  log(`bench: ${a.events} events, ${a.runs} runs per measurement`);
  const snap = snapshotBuild();
  const synth = synthTrace(inputs, a.events);
  log(`trace ${path.relative(ROOT, synth.file)} (${(synth.bytes / 2 ** 20).toFixed(1)} MiB${synth.generatedMs !== null ? `, generated in ${(synth.generatedMs / 1000).toFixed(1)} s` : ', cached'})`);

  const runs: Record<'decode' | 'reader' | 'replay', Measurement[]> = { decode: [], reader: [], replay: [] };
  for (let i = 0; i < a.runs; i++) {
    for (const k of ['decode', 'replay', 'reader'] as const) {
      const m = child(k, synth.file);
      runs[k].push(m);
      log(`  run ${i + 1}/${a.runs} ${k.padEnd(6)} ${si((m.events / m.ms) * 1000)} events/s, ${(m.maxRssKiB / 1024).toFixed(0)} MiB`);
    }
  }
  const decode = rate(runs.decode);
  const reader = rate(runs.reader);
  const replay = rate(runs.replay);
  // Run i's replay against run i's decode, measured back to back (see the top of this file).
  const paired = stat(runs.replay.map((m, i) => runs.decode[i].ms / m.ms));
  const ratioOfMedians = replay.eventsPerSec.median / decode.eventsPerSec.median;
  const extra: Target[] = [];

  let qemu: Record<string, unknown> | null = null;
  const version = a.qemu ? qemuVersion() : null;
  if (a.qemu && !version) log('qemu-system-aarch64 not installed: QEMU comparison skipped');
  if (version) {
    const stream = mmioStream(inputs, synth.file, a.qemuAccesses);
    log(`${version}: ${stream.accesses} MMIO accesses`);
    const ours: Measurement[] = [];
    const ceil: QtestRun[] = [];
    const lock: QtestRun[] = [];
    const qruns = Math.max(1, Math.min(a.runs, 3));
    for (let i = 0; i < qruns; i++) {
      ours.push(child('replay', stream.trace));
      ceil.push(await qtestCeiling(stream.commands, stream.accesses));
      lock.push(await qtestLockstep(stream.commands, Math.min(a.lockstepAccesses, stream.accesses)));
      log(`  run ${i + 1}/${qruns} gicreplay ${si((ours[i].events / ours[i].ms) * 1000)}/s, qtest ceiling ${si((ceil[i].accesses / ceil[i].ms) * 1000)}/s, lock-step ${si((lock[i].accesses / lock[i].ms) * 1000)}/s`);
    }
    const o = rate(ours);
    const c = qRate(ceil);
    const l = qRate(lock);
    if (c.errors || l.errors) log(`  note: QEMU answered ERR to ${c.errors + l.errors} commands`);
    const rc = o.eventsPerSec.median / c.accessesPerSec.median;
    const rl = o.eventsPerSec.median / l.accessesPerSec.median;
    extra.push({ what: 'gicreplay / qtest ceiling (same MMIO stream)', value: rc, goal: '>= 5', met: rc >= 5 });
    extra.push({ what: 'gicreplay / qtest lock-step', value: rl, goal: '>= 40', met: rl >= 40 });
    qemu = { version, args: 'see tools/bench/qemu.ts', gicreplayMmioReplay: o, ceiling: c, lockstep: l, ratioCeiling: rc, ratioLockstep: rl };
  }

  let check: CheckResult | null = null;
  if (a.check) {
    check = measureCheck(ROOT, snap, synth.file, a.checkRuns, log);
    if (check.skipped) log(`check of the synthetic trace skipped: ${check.skipped}`);
  }
  let suite: SuiteResult | null = null;
  if (a.suite) {
    suite = measureSuite(ROOT, snap, a.runs, log);
    if (suite.skipped) log(`suite skipped: ${suite.skipped}`);
  }

  let kvm: KvmResult | null = null;
  if (a.kvm) {
    log('real KVM, nested (Debian arm64 kernel under QEMU TCG)');
    kvm = measureKvm(ROOT, snap, a.kvmRuns, log);
    if (kvm.skipped) log(`KVM backend skipped: ${kvm.skipped}`);
  }
  const identity = a.identity ? recordIdentity(synth.file, a.events) : { skipped: '--no-identity' };
  if ('detail' in identity) log(`record identity under ${identity.policy}: ${identity.detail}`);

  const targets: Target[] = [
    ...targetsOf({
      pairedReplayOverDecode: paired,
      ratioOfMedians,
      replayMs: replay.ms,
      replayMaxRssMiB: replay.maxRssMiB.max,
      events: a.events,
      traceBytes: synth.bytes,
      check: !check ? { skipped: '--no-check' } : check.skipped ? { skipped: check.skipped } : { seconds: check.seconds!, maxRssMiB: check.maxRssMiB, goldenBytes: check.goldenBytes!, goldenFormat: check.goldenFormat! },
      suite: !suite ? { skipped: '--no-suite' } : suite.skipped ? { skipped: suite.skipped } : { seconds: suite.seconds!, pairs: suite.pairs! },
      kvm: !kvm ? { skipped: '--no-kvm' } : kvm.skipped ? { skipped: kvm.skipped } : { suiteSeconds: kvm.suiteSeconds!, boots: kvm.suiteBoots ?? null },
      identity,
    }),
    ...extra,
  ];

  const cpus = os.cpus();
  const result = {
    schema: 1,
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memMiB: Math.round(os.totalmem() / 2 ** 20), node: process.version, platform: `${os.platform()} ${os.release()}`, loadavg1: os.loadavg()[0] },
    args: a,
    input: { synthVersion: SYNTH_VERSION, file: path.relative(ROOT, synth.file), bytes: synth.bytes, mix: synth.mix },
    decode,
    reader,
    replay,
    replayOverDecode: { pairedRuns: paired, ratioOfMedians },
    qemu,
    check,
    suite,
    kvm,
    targets,
  };

  const rows: string[][] = [['measurement', 'median', 'min', 'max', 'peak RSS MiB (median / max)']];
  const row = (name: string, r: Rate) => rows.push([name, `${si(r.eventsPerSec.median)}/s`, `${si(r.eventsPerSec.min)}/s`, `${si(r.eventsPerSec.max)}/s`, `${r.maxRssMiB.median.toFixed(0)} / ${r.maxRssMiB.max.toFixed(0)}`]);
  row('msgpackr decode floor (UnpackrStream)', decode);
  row('gicreplay reader', reader);
  row('gicreplay replay (rev3)', replay);
  if (qemu) {
    const q = qemu as { gicreplayMmioReplay: Rate; ceiling: ReturnType<typeof qRate>; lockstep: ReturnType<typeof qRate> };
    row('gicreplay replay, MMIO stream only', q.gicreplayMmioReplay);
    const qrow = (name: string, r: ReturnType<typeof qRate>) => rows.push([name, `${si(r.accessesPerSec.median)}/s`, `${si(r.accessesPerSec.min)}/s`, `${si(r.accessesPerSec.max)}/s`, '-']);
    qrow('QEMU qtest ceiling (file in, file out)', q.ceiling);
    qrow('QEMU qtest lock-step', q.lockstep);
  }
  if (check && !check.skipped) rows.push([`gicreplay check of the trace (1 policy)`, `${check.seconds!.median.toFixed(2)} s`, `${check.seconds!.min.toFixed(2)} s`, `${check.seconds!.max.toFixed(2)} s`, `${check.maxRssMiB!.median.toFixed(0)} / ${check.maxRssMiB!.max.toFixed(0)}`]);
  if (suite && !suite.skipped) {
    const secs = (st: Stat) => [`${st.median.toFixed(2)} s`, `${st.min.toFixed(2)} s`, `${st.max.toFixed(2)} s`];
    rows.push([`whole suite (${suite.pairs} pairs)`, ...secs(suite.seconds!), suite.maxRssMiB ? `${suite.maxRssMiB.median.toFixed(0)} / ${suite.maxRssMiB.max.toFixed(0)}` : '-']);
    rows.push([`whole suite, no worker threads`, ...secs(suite.secondsNoWorkers!), '-']);
    if (suite.onePolicy) rows.push([`suite, rev3 only (${suite.onePolicy.pairs} pairs)`, ...secs(suite.onePolicy.seconds), '-']);
    const w = suite.warm;
    if (w && 'skipped' in w) rows.push([`suite in one process: not measured (${w.skipped})`, '-', '-', '-', '-']);
    else if (w) {
      rows.push([`suite in one process, 1st check (no start-up)`, ...secs(w.first), '-']);
      rows.push([`suite in one process, check ${w.passes} (warm JIT)`, ...secs(w.last), '-']);
    }
  }
  if (kvm && !kvm.skipped) {
    const k = kvm as Required<KvmResult>;
    const perSec = (name: string, st: Stat) => rows.push([name, `${si(st.median)}/s`, `${si(st.min)}/s`, `${si(st.max)}/s`, '-']);
    const secs = (name: string, st: Stat) => rows.push([name, `${st.median.toFixed(2)} s`, `${st.min.toFixed(2)} s`, `${st.max.toFixed(2)} s`, '-']);
    secs(`KVM nested: boot to power-off (${path.basename(k.kernel)})`, k.bootSeconds);
    perSec('KVM: trapped MMIO (GICD_IIDR reads)', k.trappedMmioPerSec);
    perSec('KVM: untrapped sysreg (ICC_PMR_EL1 reads)', k.sysregPerSec);
    perSec(`KVM: ${k.linuxTrace.file} (events, with probes and timer lines)`, k.linuxTrace.eventsPerSec);
    secs(`KVM: ${k.consoleChannel.lines} answers via semihosting (job incl. boot)`, k.consoleChannel.semihostSeconds);
    secs(`KVM: the same via the serial console`, k.consoleChannel.consoleSeconds);
    secs('KVM: whole suite, gicreplay fidelity --backend kvm', k.suiteSeconds);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const out: string[] = [];
  out.push(`gicreplay bench: ${synth.mix.events} events (${((100 * synth.mix.mmio) / synth.mix.events).toFixed(0)}% MMIO, ${((100 * synth.mix.sysreg) / synth.mix.events).toFixed(0)}% sysreg, ${((100 * synth.mix.line) / synth.mix.events).toFixed(0)}% line), ${a.runs} runs; ${result.machine.cpu}, ${result.machine.cores} cores, Node ${process.version}`);
  for (const r of rows) out.push(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  out.push('');
  out.push(...renderTargets(targets));
  out.push(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (1, 5, 15 min; ${result.machine.cores} cores)`);
  process.stdout.write(`${out.join('\n')}\n`);
  const outFile = path.resolve(ROOT, a.out);
  writeOutputFile(outFile, `${JSON.stringify(result, null, 2)}\n`, { what: 'benchmark results' });
  log(`wrote ${path.relative(ROOT, outFile)}`);
}

main().catch((e: Error) => {
  process.stderr.write(`bench: broken run: ${e.stack ?? e.message}\n`);
  process.exit(1);
});

