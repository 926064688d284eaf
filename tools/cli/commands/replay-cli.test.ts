// `gicreplay replay` through the real CLI (built dist/, real models): the default output is the
// golden-line form, --json the JSON-lines machine form; and the commands that take paths find the
// project from a subfolder (findProjectRoot), as check does.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { projectRoot } from '../../../engine/util/project-root';
import { requireBuiltCli } from '../testing/run';

const root = projectRoot();
const cli = path.join(root, 'bin', 'gicreplay');
const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
const trace = 'traces/guests/kut-ipi-v3.gtr';

beforeAll(requireBuiltCli);

test('replay prints the golden lines by default: the body of the checked-in golden', () => {
  const r = run(root, 'replay', trace, '--policy', 'rev3');
  expect(r.status).toBe(0);
  const golden = fs.readFileSync(path.join(root, 'golden', 'guests', 'kut-ipi-v3', 'rev3.golden'), 'utf8');
  expect(r.stdout).toBe(golden.slice(golden.indexOf('\n---\n') + 5));
});

test('replay --json prints one JSON object per record, the same records', () => {
  const text = run(root, 'replay', trace, '--policy', 'rev3').stdout.trimEnd().split('\n');
  const r = run(root, 'replay', trace, '--policy', 'rev3', '--json');
  expect(r.status).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(text.length);
  const first = JSON.parse(lines[0]);
  expect(first).toMatchObject({ op: 'read', index: 0, reg: 'GICD_TYPER', value: '0x480008' });
});

test('a bad policy file is an input error naming the file, the field and what was expected (exit 2)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-pol-'));
  try {
    const f = path.join(dir, 'mine.json');
    const rev3 = JSON.parse(fs.readFileSync(path.join(root, 'engine', 'policy', 'builtin', 'rev3.json'), 'utf8'));
    fs.writeFileSync(f, JSON.stringify({ ...rev3, id: 'mine', revision: 'x' }));
    const r = run(root, 'replay', trace, '--policy-file', f);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}: policy field revision is "x" (expected an integer 0..15)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('replay needs exactly one policy (exit 2)', () => {
  expect(run(root, 'replay', trace).status).toBe(2);
});

test('matrix from a subfolder of the project finds the project\'s traces/ (the rule check uses)', () => {
  const fromSub = run(path.join(root, 'engine'), 'matrix', '--json', '--policy', 'rev3', '--policy', 'rev1');
  const fromRoot = run(root, 'matrix', '--json', '--policy', 'rev3', '--policy', 'rev1');
  expect(fromSub.status).toBe(0);
  expect(fromSub.stdout).toBe(fromRoot.stdout);
  expect(JSON.parse(fromRoot.stdout).traces.length).toBeGreaterThan(10);
});
