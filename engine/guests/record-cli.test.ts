// `gicreplay record guest` through the real CLI (node bin/gicreplay, built by `npx tsc -p
// tsconfig.json`, which `npm test` runs first): exit codes, messages, and the written trace.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openTrace } from '../trace/reader';
import { projectRoot } from '../util/project-root';

const root = projectRoot();
const bin = path.join(root, 'bin', 'gicreplay');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guest-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'dist', 'engine', 'guests', 'record-set.js'))) {
    throw new Error('dist/ is missing the guest recorder: run `npx tsc -p tsconfig.json` (npm test does) before these tests');
  }
});

// The temp folder is no gicreplay project, so the catalogue is named the way any project can.
const catalogue = path.join(root, 'dist', 'traces', 'guests', 'src');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'record', 'guest', '--catalogue', catalogue, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('outside a project without --catalogue: a usage error that says how to name one (exit 2)', () => {
  const r = spawnSync(process.execPath, [bin, 'record', 'guest', '--list'], { encoding: 'utf8', cwd: dir });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('no guest catalogue: pass --catalogue MODULE, or name one in');
  expect(r.stderr).toContain('"gicreplay": { "guestCatalogue": "path/to/module" }');
});

test('a module that exports no CATALOGUE is refused with its name (exit 2)', () => {
  const bogus = path.join(dir, 'bogus.js');
  fs.writeFileSync(bogus, 'module.exports = { guests: [] };\n');
  const r = spawnSync(process.execPath, [bin, 'record', 'guest', '--catalogue', bogus, '--list'], { encoding: 'utf8', cwd: dir });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`${bogus}: the guest catalogue module does not export CATALOGUE`);
});

test('a guest records to -o with its recording policy in the header, exit 0', () => {
  const out = path.join(dir, 'ipi.gtr');
  const r = cli('kut-ipi-v3', '-o', out);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^kut-ipi-v3: \d+ events under rev3 -> /);
  const t = openTrace(out);
  try {
    expect(t.header.provenance.kind).toBe('guest-script');
    expect(t.header.provenance.details).toMatchObject({ guest: 'kut-ipi-v3', recordingPolicy: 'rev3' });
    expect(t.header.gic.cpus).toHaveLength(4);
  } finally {
    t.close();
  }
});

test('a guest whose own assertions fail under the recording policy exits 1, naming guest, assertion and source line', () => {
  const out = path.join(dir, 'rw.gtr');
  const r = cli('igroupr-rw-v3', '--policy', 'rev1', '-o', out);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/guest igroupr-rw-v3 failed under policy rev1 on vCPU \d at cycle \d+: GICD_IGROUPR1 reads back 0xf0f0f0f: got 0xffffffff, expected 0xf0f0f0f \(traces\/guests\/src\/igroupr-rw\.ts:\d+\)/);
  expect(r.stderr).toMatch(/guest igroupr-rw-v3: trace not written/);
  expect(fs.existsSync(out)).toBe(false);
});

test('an unknown guest, or -o with several guests, is a usage error (exit 2)', () => {
  const a = cli('no-such-guest');
  expect(a.code).toBe(2);
  expect(a.stderr).toMatch(/unknown guest "no-such-guest"; guests: kut-ipi-v3, /);
  const b = cli('kut-ipi-v3', 'kut-ipi-v2', '-o', path.join(dir, 'x.gtr'));
  expect(b.code).toBe(2);
  expect(b.stderr).toMatch(/-o\/--output needs exactly one guest/);
  const c = cli();
  expect(c.code).toBe(2);
  expect(c.stderr).toMatch(/name a guest or use --all/);
});

test('--list names every guest with its GIC', () => {
  const r = cli('--list');
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(12);
  expect(r.stdout).toMatch(/^lnx-v2\tGICv2\t2 vCPU\t/m);
});
