// The package as a user gets it: `npm pack` this build, install the tarball in a new project
// (offline: its dependencies come from npm's cache through a lockfile made from ours, the way
// `npm ci` installs), then require() it, import it from an ES module, compile TypeScript against
// its types, replay a trace, and use the Jest matcher — pasting the bless command it prints.

import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILTIN_POLICY_IDS } from '../../engine/policy/policy';
import { projectRoot } from '../../engine/util/project-root';
import { requireBuiltCli } from '../cli/testing/run';

jest.setTimeout(300_000);

const root = projectRoot();
const trace = path.join(root, 'traces', 'guests', 'kut-ipi-v3.gtr');
const golden = fs.readFileSync(path.join(root, 'golden', 'guests', 'kut-ipi-v3', 'rev3.golden'), 'utf8');
const goldenBody = golden.slice(golden.indexOf('\n---\n') + 5);
let proj: string;

/** The environment of a user's shell: no npm lifecycle variables of the `npm test` around us, no CI. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'CI' && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  requireBuiltCli();
  proj = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-user-'));
  // --ignore-scripts: pack the build `npm test` just made; `prepare` would rebuild dist/ under the other tests.
  const packed = JSON.parse(ok(spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', proj], { cwd: root, encoding: 'utf8', env: userEnv() }), 'npm pack'));
  const tgz: string = packed[0].filename;
  const ours = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const integrity = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(path.join(proj, tgz))).digest('base64')}`;
  const dep = { gicreplay: `file:${tgz}` };
  const packages: Record<string, unknown> = {
    '': { name: 'user', version: '1.0.0', dependencies: dep },
    'node_modules/gicreplay': { version: pkg.version, resolved: `file:${tgz}`, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  // gicreplay's own dependencies, exactly as its lockfile pins them (the dev ones are not installed).
  for (const [k, v] of Object.entries(ours.packages as Record<string, { dev?: boolean }>)) if (k !== '' && !v.dev) packages[k] = v;
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', private: true, dependencies: dep, jest: { testEnvironment: 'node', transform: {} } }, null, 2));
  fs.writeFileSync(path.join(proj, 'package-lock.json'), JSON.stringify({ name: 'user', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
  ok(spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: proj, encoding: 'utf8', env: userEnv() }), 'npm ci --offline of the packed gicreplay');
  // The user's Jest: this checkout's, as `npx jest` finds a project's own (the package under test is the installed one).
  fs.symlinkSync(path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), path.join(proj, 'node_modules', '.bin', 'jest'));
});
afterAll(() => {
  if (proj) fs.rmSync(proj, { recursive: true, force: true });
});

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: proj, encoding: 'utf8', env: userEnv(), maxBuffer: 64 << 20 });

test('require("gicreplay") replays a trace: the records are the golden lines', () => {
  fs.writeFileSync(path.join(proj, 'cjs.js'), `
const g = require('gicreplay');
const lines = [];
const header = g.openTrace(process.argv[2]).header;
const render = g.recordRenderer(header.gic);
g.replayFile(process.argv[2], { policy: g.getPolicy('rev3') }, (r) => lines.push(render(r)));
process.stdout.write(lines.map((l) => l + '\\n').join(''));
`);
  expect(ok(node(['cjs.js', trace]), 'require')).toBe(goldenBody);
  expect(require.resolve('gicreplay', { paths: [proj] })).toBe(path.join(fs.realpathSync(proj), 'node_modules', 'gicreplay', 'dist', 'engine', 'index.js'));
});

test('import { … } from "gicreplay" works from an ES module, and the bin runs', () => {
  fs.writeFileSync(path.join(proj, 'esm.mjs'), `
import { BUILTIN_POLICY_IDS, getPolicy, replayFile } from 'gicreplay';
import gicreplay from 'gicreplay';
let n = 0;
replayFile(process.argv[2], { policy: getPolicy('rev3') }, () => n++);
console.log(JSON.stringify({ ids: BUILTIN_POLICY_IDS, n, same: gicreplay.replayFile === replayFile }));
`);
  const o = JSON.parse(ok(node(['esm.mjs', trace]), 'import'));
  expect(o).toEqual({ ids: [...BUILTIN_POLICY_IDS], n: goldenBody.trimEnd().split('\n').length, same: true });
  const bin = spawnSync(path.join(proj, 'node_modules', '.bin', 'gicreplay'), ['replay', trace, '--policy', 'rev3'], { cwd: proj, encoding: 'utf8', env: userEnv(), maxBuffer: 64 << 20 });
  expect(ok(bin, 'the gicreplay bin')).toBe(goldenBody);
});

test('TypeScript compiles against the types of "gicreplay" and "gicreplay/jest"', () => {
  fs.writeFileSync(path.join(proj, 'typed.ts'), `
import { getPolicy, Policy, replayFile, ReplayRecord } from 'gicreplay';
import { installGoldenMatcher, MatchGoldenOptions } from 'gicreplay/jest';
const p: Policy = getPolicy('rev3');
const out: ReplayRecord[] = [];
replayFile('x.gtr', { policy: p }, (r) => out.push(r));
const o: MatchGoldenOptions = { subject: 'x' };
void installGoldenMatcher; void o;
`);
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  ok(node([tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'commonjs', '--moduleResolution', 'node', '--target', 'es2022', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), 'typed.ts']), 'tsc');
});

test('the Jest matcher: a missing golden fails with a bless command that, pasted, writes it and a ledger line; then the test passes', () => {
  fs.mkdirSync(path.join(proj, 'test'));
  fs.writeFileSync(path.join(proj, 'test', 'boot.test.js'), `
const path = require('path');
const g = require('gicreplay');
require('gicreplay/jest').installGoldenMatcher();
describe('kut-ipi (rev3)', () => {
  test('matches its golden', () => {
    const records = [];
    const t = ${JSON.stringify(trace)};
    g.replayFile(t, { policy: g.getPolicy('rev3') }, (r) => records.push(r));
    expect(records).toMatchGolden(path.join(__dirname, 'golden', 'kut-ipi.rev3.golden'), { gic: g.openTrace(t).header.gic });
  });
  test('another test the bless must not run', () => {
    expect(1).toBe(1);
  });
});
`);
  const jestBin = path.join(proj, 'node_modules', '.bin', 'jest');
  const first = spawnSync(jestBin, ['--ci=false'], { cwd: proj, encoding: 'utf8', env: userEnv() });
  expect(first.status).toBe(1);
  const m = /to accept the new output \(never on CI\): (GICREPLAY_BLESS_REASON=.*)$/m.exec(first.stderr);
  if (!m) throw new Error(`no bless command in the matcher's message:\n${first.stderr}`);
  expect(m[1]).toBe(`GICREPLAY_BLESS_REASON="why it is right" npx jest test/boot.test.js -t '^kut-ipi \\(rev3\\) matches its golden$'`);
  // Pasted into a shell in the project, as a user would.
  const pasted = spawnSync('sh', ['-c', m[1]], { cwd: proj, encoding: 'utf8', env: userEnv({ PATH: `${path.join(proj, 'node_modules', '.bin')}:${process.env.PATH}` }) });
  if (pasted.status !== 0) throw new Error(`pasted \`${m[1]}\` failed (exit ${pasted.status}):\n${pasted.stderr}`);
  expect(pasted.stderr).toMatch(/Tests: {7}1 skipped, 1 passed, 2 total/);
  const written = fs.readFileSync(path.join(proj, 'test', 'golden', 'kut-ipi.rev3.golden'), 'utf8');
  expect(written.slice(written.indexOf('\n---\n') + 5)).toBe(goldenBody);
  const ledger = fs.readFileSync(path.join(proj, 'test', 'golden', 'LEDGER.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  expect(ledger).toHaveLength(1);
  expect(ledger[0]).toMatchObject({ schema: 2, command: 'jest', reason: 'why it is right', goldens: [{ golden: 'kut-ipi.rev3.golden', action: 'create' }] });
  expect(ledger[0].at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const again = spawnSync(jestBin, ['--ci=false'], { cwd: proj, encoding: 'utf8', env: userEnv() });
  expect([again.status, again.stderr]).toEqual([0, expect.stringMatching(/Tests: {7}2 passed, 2 total/)]);
});
