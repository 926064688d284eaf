// `npm run fuzz`: at least 100,000 corruptions of real traces (and one synthetic trace) through
// the reader and the replay, SIGKILLed blesses, determinism across environments, and the fault
// campaign (tools/robustness/cases.ts: output targets, prune, hand edits, shard reports, huge
// lines, special files, full disks, read-only trees, locks, leftovers), and the differential
// campaign against real KVM (gicreplay campaign, skip with --no-kvm). Prints the numbers;
// exits 1 if any case broke a promise.
//   node dist/tools/fuzz/run.js [--runs N] [--seed S] [--bases a.gtr,b.gtr] [--no-kill] [--no-env]
//                               [--no-faults] [--no-kvm] [--faults-only] [--light] [--cli OTHER/bin/gicreplay] [--timeout S] [--only REGEX]

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findTraceFiles } from '../../engine/util/trace-files';
import { projectRoot } from '../../engine/util/project-root';
import { runCampaign, syntheticTrace } from './campaign';
import { compareEnvironments, ENV_CASES } from '../robustness/env';
import { runKillTrials } from '../robustness/kill';
import { isRoot, runFaultCampaign } from '../robustness/cases';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function faults(): Promise<number> {
  const cliPath = path.resolve(arg('cli') ?? path.join(projectRoot(), 'bin', 'gicreplay'));
  const light = process.argv.includes('--light');
  process.stderr.write(`fault campaign: ${light ? 'light cases' : 'every case'} against ${cliPath}${isRoot() ? '' : ' (not root: the tmpfs, bind-mount and chattr cases are skipped; the injected faults still run)'}\n`);
  const t0 = process.hrtime.bigint();
  const timeoutMs = Number(arg('timeout') ?? 60) * 1000;
  const only = arg('only');
  const f = await runFaultCampaign({ cliPath, light, timeoutMs, filter: only ? new RegExp(only) : undefined, onCase: process.stderr.isTTY ? (id, why) => process.stderr.write(`  ${why.length ? 'FAIL' : 'ok  '} ${id}\n`) : undefined });
  const secs = Number((process.hrtime.bigint() - t0) / 1000000n) / 1000;
  const classes = Object.keys(f.byClass).sort().map((k) => `${k} ${f.byClass[k].cases}${f.byClass[k].failed ? ` (${f.byClass[k].failed} failed)` : ''}`).join(', ');
  process.stdout.write(
    [
      `fault campaign: ${f.cases} cases (${f.skipped} skipped) in ${secs.toFixed(1)} s: data lost ${f.dataLost}, hangs ${f.hangs}, internal errors ${f.internalErrors}, wrong exit codes ${f.wrongExit}, other broken promises ${f.otherProblems}`,
      `by class: ${classes}`,
      ...f.failures.flatMap((x) => [`  ${x.cls}: ${x.id}`, ...x.why.map((w) => `      ${w.split('\n')[0].slice(0, 240)}`)]),
    ].join('\n') + '\n',
  );
  return f.failures.length;
}

/** The differential campaign against real KVM (`npm run fidelity`), its report appended to this one. */
function fidelityCampaign(): number {
  const root = projectRoot();
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'gicreplay'), 'campaign', '--open', path.join(root, 'golden', 'kvm-campaign-open.json')], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) process.stdout.write(r.stderr ?? '');
  return r.status === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  if (process.argv.includes('--faults-only')) {
    process.exitCode = (await faults()) === 0 ? 0 : 1;
    return;
  }
  const target = Number(arg('runs') ?? 100000);
  const seed = Number(arg('seed') ?? 20260519);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-fuzz-base-'));
  const synth = path.join(tmp, 'synthetic.gtr');
  syntheticTrace(synth);
  const real = arg('bases')
    ? arg('bases')!.split(',')
    : findTraceFiles(path.join(projectRoot(), 'traces'))
        .filter((f) => fs.statSync(f).size < 64 * 1024)
        .slice(0, 8);
  const bases = [synth, ...real];
  const runsPerBase = Math.ceil(target / bases.length);
  process.stderr.write(`fuzz: ${bases.length} base traces, ${runsPerBase} generated corruptions each , seed ${seed}\n`);
  const res = runCampaign({ bases, runsPerBase, seed, exhaustiveTruncation: true, onProgress: process.stderr.isTTY ? (n) => process.stderr.write(`\r${n} tried`) : undefined });
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stderr.write('\n');
  const kinds = Object.keys(res.byKind).sort().map((k) => `${k} ${res.byKind[k]}`).join(', ');
  process.stdout.write(
    [
      `corruptions tried: ${res.corruptions}, each through the reader and the replay twice (strict and --allow-truncated): ${res.tried} runs`,
      `by kind: ${kinds}`,
      `accepted (a corruption that still forms a valid trace): ${res.accepted}`,
      `rejected with an InputError naming file and position: ${res.rejected}`,
      `defects (uncaught exception or error without location): ${res.defects.length}`,
      ...res.defects.map((d) => `  ${path.basename(d.base)}: ${d.label}: ${d.outcome.kind === 'defect' ? d.outcome.message.split('\n')[0] : ''}`),
    ].join('\n') + '\n',
  );
  let failures = res.defects.length;

  if (!process.argv.includes('--no-kill')) {
    const trials = Number(arg('kill-trials') ?? 200);
    process.stderr.write(`kill trials: ${trials} SIGKILLs spread across bless runs…\n`);
    const k = await runKillTrials(trials);
    process.stdout.write(
      [
        `kill trials: ${k.trials} (a whole bless took ${k.blessMillis} ms; kills landed before any write ${k.before}, mid-bless ${k.during}, after the last ${k.after})`,
        `goldens found whole after a kill: ${k.oldGoldens} old, ${k.newGoldens} new; failures: ${k.failures.length}`,
        ...k.failures.slice(0, 20).map((f) => `  ${f}`),
      ].join('\n') + '\n',
    );
    failures += k.failures.length;
  }

  if (!process.argv.includes('--no-env')) {
    const e = compareEnvironments();
    process.stdout.write(
      [`environments compared: ${ENV_CASES.length} (each run twice, ${e.runs} runs: ${ENV_CASES.map((c) => c.name).join('; ')}); mismatches: ${e.mismatches.length}`, ...e.mismatches.map((m) => `  ${m}`)].join('\n') + '\n',
    );
    failures += e.mismatches.length;
  }
  if (!process.argv.includes('--no-faults')) failures += await faults();
  if (!process.argv.includes('--no-kvm')) failures += fidelityCampaign();
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`fuzz: broken run: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 2;
});
