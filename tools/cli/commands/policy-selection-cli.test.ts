import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { projectRoot } from '../../../engine/util/project-root';
import { requireBuiltCli } from '../testing/run';

// One policy-selection syntax (tools/cli/policy-args.ts) in the commands that adopted it last:
// export, migrate (--from/--to), record guest, ledger. The real CLI on the built dist/.
const root = projectRoot();
const cli = path.join(root, 'bin', 'gicreplay');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const trace = 'traces/guests/grp1-ackctl-v2.gtr';
const UNKNOWN = 'unknown policy "rev9" (expected one of rev3, rev2, rev1, rev1-iidr-only, mainline-rev3, linux-6.1, linux-6.12';

let dir: string;
let mine: string;
beforeAll(() => {
  requireBuiltCli();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-policy-sel-'));
  mine = path.join(dir, 'mine.json');
  const rev2 = JSON.parse(fs.readFileSync(path.join(root, 'engine', 'policy', 'builtin', 'rev2.json'), 'utf8'));
  fs.writeFileSync(mine, JSON.stringify({ ...rev2, id: 'mine', title: 'a vendor kernel that behaves as rev2' }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each([
  ['export', ['export', trace, '--policy', 'rev9', '-o', '-']],
  ['migrate --from', ['migrate', trace, '--from', 'rev9', '--to', 'rev3', '--at', '3']],
  ['migrate --to', ['migrate', trace, '--from', 'rev3', '--to', 'rev9', '--at', '3']],
  ['record guest', ['record', 'guest', 'kut-active-v3', '--policy', 'rev9', '-o', '/nonexistent/x.gtr']],
])('%s: an unknown policy is the shared error, exit 2', (_name, args) => {
  const r = run(...args);
  expect([r.status, r.stdout]).toEqual([2, '']);
  expect(r.stderr).toContain(UNKNOWN);
});

test('export takes a policy from --policy-file, and a policy file given to --policy', () => {
  for (const how of [['--policy-file', mine], ['--policy', mine], ['--policy', 'mine', '--policy-file', mine]]) {
    const out = path.join(dir, 'repro.c');
    const r = run('export', trace, ...how, '-o', out);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/checks of the model's replay under mine \(no golden\)/);
    expect(fs.readFileSync(out, 'utf8').length).toBeGreaterThan(1000);
  }
  const two = run('export', trace, '--policy', 'rev2,rev3', '-o', '-');
  expect([two.status, two.stderr.trim()]).toEqual([2, expect.stringContaining('export runs one policy; --policy and --policy-file name 2 (rev2, rev3)')]);
});

test('migrate --from/--to name a --policy-file policy by ID or by file, as --policy would', () => {
  // mine behaves as rev2: the same migration as rev2 → mainline-rev3 (exit 1, noticed).
  const want = run('migrate', trace, '--from', 'rev2', '--to', 'mainline-rev3', '--at', '32', '--json');
  expect(want.status).toBe(1);
  for (const how of [['--from', mine], ['--from', 'mine', '--policy-file', mine]]) {
    const r = run('migrate', trace, ...how, '--to', 'mainline-rev3', '--at', '32', '--json');
    expect([r.status, r.stderr]).toEqual([1, '']);
    const o = JSON.parse(r.stdout);
    expect(o.from).toBe('mine');
    expect({ ...o, from: 'rev2' }).toEqual(JSON.parse(want.stdout));
  }
  // A --policy-file alone names no --from: the ID is still unknown without it.
  expect(run('migrate', trace, '--from', 'mine', '--to', 'rev3', '--at', '3').status).toBe(2);
});

test('record guest records under a --policy-file policy and says so', () => {
  const out = path.join(dir, 'g.gtr');
  const r = run('record', 'guest', 'kut-active-v3', '--policy-file', mine, '-o', out);
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(r.stdout).toMatch(new RegExp(`^kut-active-v3: \\d+ events under mine -> ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
  const two = run('record', 'guest', 'kut-active-v3', '--policy', 'rev2,rev3', '-o', out);
  expect([two.status, two.stderr]).toEqual([2, expect.stringContaining('record guest runs one policy')]);
});

test('ledger --policy keeps only that policy\'s goldens; --json too', () => {
  const all = run('ledger', 'traces/witnesses', '--json');
  const rev3 = run('ledger', 'traces/witnesses', '--policy', 'rev3', '--json');
  expect([all.status, rev3.status]).toEqual([0, 0]);
  const goldens = (s: string) => s.trim().split('\n').flatMap((l) => JSON.parse(l).goldens as Array<{ golden: string; policy: string }>);
  expect(goldens(rev3.stdout).length).toBeGreaterThan(0);
  expect(goldens(rev3.stdout).every((g) => g.policy === 'rev3')).toBe(true);
  expect(goldens(rev3.stdout)).toEqual(goldens(all.stdout).filter((g) => g.policy === 'rev3'));
  const text = run('ledger', 'traces/witnesses', '--policy', 'rev3,rev2');
  expect(text.status).toBe(0);
  expect(text.stdout).toMatch(/\/rev3\.golden\n/);
  expect(text.stdout).toMatch(/\/rev2\.golden\n/);
  expect(text.stdout).not.toMatch(/\/rev1\.golden/);
  const none = run('ledger', '--policy', 'rev9');
  expect([none.status, none.stdout]).toEqual([0, 'no ledger entry under rev9\n']);
});
