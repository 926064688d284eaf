// warm-suite.ts checks a project's whole suite several times in one process: each pass is a real
// check (same verdict every time), and it reports one timing per pass.

import * as fs from 'fs';
import { blessGoldens } from '../../engine/golden/bless';
import { blessConfig, tempProject, writeTraceAt } from '../../engine/golden/testing/project';
import * as run from '../../engine/golden/run';
import { BUILTIN_POLICY_IDS } from '../../engine/policy/policy';
import { warmSuite } from './warm-suite';

// Counts the checks each warmSuite call runs (the real checkGoldens does the work).
jest.mock('../../engine/golden/run', () => {
  const actual = jest.requireActual<typeof run>('../../engine/golden/run');
  return { ...actual, checkGoldens: jest.fn(actual.checkGoldens) };
});

test('each pass checks every pair of the suite and is timed on its own', async () => {
  const root = tempProject();
  try {
    writeTraceAt(root, 'a.gtr');
    writeTraceAt(root, 'b/c.gtr');
    await blessGoldens({ root, cwd: root, config: blessConfig(), reason: 'warm-suite test' });
    const pairs = 2 * BUILTIN_POLICY_IDS.length;
    const check = jest.mocked(run.checkGoldens);
    const r = await warmSuite(root, 2);
    // Every pass is a whole check of its own, in-process as `--workers 0` runs it.
    expect(check).toHaveBeenCalledTimes(2);
    for (const [o] of check.mock.calls) expect(o.config?.workers).toBe(0);
    expect(r.pairs).toBe(pairs);
    expect(r.summary).toBe(`${pairs} (trace × policy) pairs: ${pairs} match`);
    expect(r.passes).toHaveLength(2);
    for (const p of r.passes) {
      expect(p.seconds).toBeGreaterThan(0);
      expect(p.cpuSeconds).toBeGreaterThan(0);
    }
    // A golden that no longer matches shows in the verdict: the passes check, they do not just time.
    fs.appendFileSync(`${root}/golden/a/rev3.golden`, '0 0x0 cpu0 read mmio GICD_CTLR/4 = 0x0\n');
    expect((await warmSuite(root, 1)).summary).not.toContain(`${pairs} match`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
