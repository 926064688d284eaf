// `node dist/tools/bench/warm-suite.js ROOT [PASSES]`: check ROOT's whole suite PASSES times (3 by
// default) in this one process, in-process, and print one JSON line with the wall and CPU seconds
// of each pass. The first pass is what a cold `gicreplay check` spends after start-up; the last
// runs on code V8 has already optimised. Their difference is the JIT's warm-up, which is most of
// a cold check of a suite of many small traces (README, Performance).

import { resolveConfig } from '../../engine/golden/config';
import { checkGoldens } from '../../engine/golden/run';

export interface WarmPass {
  seconds: number;
  cpuSeconds: number;
}

export interface WarmSuite {
  pairs: number;
  summary: string;
  passes: WarmPass[];
}

export async function warmSuite(root: string, passes: number): Promise<WarmSuite> {
  const out: WarmSuite = { pairs: 0, summary: '', passes: [] };
  // What `CI=true gicreplay check --workers 0` runs: no progress, no threads.
  const config = resolveConfig({ mode: 'check', env: { CI: 'true' }, tty: false, workers: 0 });
  for (let i = 0; i < passes; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const rep = await checkGoldens({ root, config });
    const c = process.cpuUsage(c0);
    out.passes.push({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 });
    out.pairs = rep.verdict.counts.pairs;
    out.summary = rep.verdict.summary;
  }
  return out;
}

if (require.main === module) {
  const [root, n] = process.argv.slice(2);
  const passes = n === undefined ? 3 : Number(n);
  if (!root || !Number.isInteger(passes) || passes < 1) {
    process.stderr.write('usage: node dist/tools/bench/warm-suite.js ROOT [PASSES]\n');
    process.exit(2);
  }
  warmSuite(root, passes).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: Error) => {
      process.stderr.write(`warm-suite: ${e.stack ?? e.message}\n`);
      process.exit(2);
    },
  );
}
