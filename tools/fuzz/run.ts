// `npm run fuzz`: at least 100,000 corruptions of real traces (and one synthetic trace) through
// the reader and the replay. Prints the numbers; exits 1 if any corruption caused an uncaught
// exception or an error that does not say where.
//   node dist/tools/fuzz/run.js [--runs N] [--seed S] [--bases a.gtr,b.gtr]

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findTraceFiles } from '../../engine/util/trace-files';
import { projectRoot } from '../../engine/util/project-root';
import { runCampaign, syntheticTrace } from './campaign';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
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
  process.exitCode = res.defects.length === 0 ? 0 : 1;
}

main();
