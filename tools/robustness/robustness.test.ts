import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, childEnv, cli, makeProject } from './project';
import { compareEnvironments } from './env';
import { runKillTrials } from './kill';

// `npm run fuzz` runs 200 kill trials and prints the numbers; here a smaller sample of the same code.
describe('killed blesses', () => {
  it('leave every golden old or new and whole, the ledger parseable, and no stuck lock', async () => {
    const s = await runKillTrials(12, 6, 4);
    expect(s.failures).toEqual([]);
    expect(s.trials).toBe(12);
    // Every golden of every trial (6 traces × 5 policies) was found whole, old or new. Where the
    // kills landed depends on the machine's speed, so it is reported by `npm run fuzz`, not asserted.
    expect(s.oldGoldens + s.newGoldens).toBe(12 * 6 * 5);
  });
});

describe('concurrent blesses', () => {
  it('a second bless of the same golden folder is refused while the first runs', async () => {
    const proj = makeProject(10, 1, { reads: 400 });
    try {
      const first = spawn(process.execPath, [CLI, 'bless', '--root', proj.root, '--reason', 'first'], { env: childEnv(), stdio: 'ignore' });
      const lock = path.join(proj.root, 'golden', '.bless.lock');
      for (let i = 0; i < 500 && !fs.existsSync(lock); i++) await new Promise((r) => setTimeout(r, 10));
      expect(fs.existsSync(lock)).toBe(true);
      const done = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
      const second = cli(['bless', '--root', proj.root, '--reason', 'second']);
      const firstExit = await done;
      expect([second.status, second.stderr]).toEqual([2, expect.stringMatching(/another bless is running on this golden folder \(pid \d+/)]);
      expect(firstExit).toBe(0);
    } finally {
      proj.cleanup();
    }
  });
});

describe('determinism across environments', () => {
  it('bless and check give byte-identical goldens and reports under other TZ, LANG/LC_ALL and file orders', () => {
    const r = compareEnvironments(4);
    expect(r.mismatches).toEqual([]);
    expect(r.runs).toBe(8);
  });
});
