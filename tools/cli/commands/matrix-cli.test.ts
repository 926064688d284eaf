// `gicreplay matrix` through the real CLI (built dist/) on the checked-in traces: an aligned
// terminal table by default, the Markdown report with --markdown, JSON with --json; the answer per
// guest kind (traces/TAGS.json); and the one policy-selection syntax, here and in replay, diff.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findTraceFiles } from '../../../engine/util/trace-files';
import { projectRoot } from '../../../engine/util/project-root';
import { readTraceTags } from '../../../engine/util/trace-tags';
import { requireBuiltCli } from '../testing/run';

jest.setTimeout(120_000);

const root = projectRoot();
const cli = path.join(root, 'bin', 'gicreplay');
const run = (...args: string[]) => {
  const env = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) delete env[k];
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env, maxBuffer: 64 << 20 });
};
const two = ['traces/guests/lnx-v3.gtr', 'traces/guests/igroupr-rw-v3.gtr'];

beforeAll(requireBuiltCli);

test('the default is an aligned table: every line of it as wide as the others, within the 80 columns of a pipe', () => {
  // The IIDR policies only (the kernel-version ones agree with rev3 on these traces).
  const iidr = ['--policy', 'rev3,rev2,rev1,rev1-iidr-only,mainline-rev3'];
  const r = run('matrix', ...two, ...iidr);
  expect(r.status).toBe(0);
  expect(r.stdout).not.toContain('<br>');
  expect(r.stdout).not.toContain('|---');
  expect(r.stdout).not.toContain('\x1b[');
  const lines = r.stdout.split('\n');
  const table = lines.slice(0, lines.indexOf(''));
  expect(table[0]).toMatch(/^┌/);
  expect(table[table.length - 1]).toMatch(/^└/);
  expect(new Set(table.map((l) => [...l].length)).size).toBe(1);
  expect([...table[0]].length).toBeLessThanOrEqual(80);
  // Rows grouped by guest kind, then the answer per kind.
  expect(r.stdout).toMatch(/│ kut \(1 trace\)/);
  expect(r.stdout).toContain('  linux (1 trace): rev3 ≡ mainline-rev3 · rev2 · rev1 ≡ rev1-iidr-only\n');
  expect(r.stdout).toContain('    rev3 ≡ mainline-rev3 vs rev1 ≡ rev1-iidr-only: GICD_IIDR, GICR_CTLR\n');
  expect(run('matrix', ...two, ...iidr, '--color', 'always').stdout).toContain('\x1b[');
});

describe('the whole suite', () => {
  let json: { traces: Array<{ trace: string; guest: string; classes: string[][] }>; byGuest: Array<{ key: string; traces: string[]; classes: string[][]; pairs: Array<{ a: string[]; b: string[]; subjects: string[] }> }> };
  beforeAll(() => {
    const r = run('matrix', '--json');
    expect(r.status).toBe(0);
    json = JSON.parse(r.stdout);
  });

  test('every trace has a guest kind in traces/TAGS.json, and every entry there names a trace', () => {
    const tags = readTraceTags(path.join(root, 'traces'));
    const traces = findTraceFiles(path.join(root, 'traces')).map((f) => path.relative(path.join(root, 'traces'), f).split(path.sep).join('/'));
    expect([...tags.traces.keys()].sort()).toEqual(traces);
    expect(json.traces.filter((t) => t.guest === 'untagged').map((t) => t.trace)).toEqual([]);
  });

  test('per guest kind: Linux guests cannot tell rev1 from rev1-iidr-only, and tell them from rev3 only by GICD_IIDR and GICR_CTLR', () => {
    const linux = json.byGuest.find((g) => g.key === 'linux')!;
    expect(linux.traces.length).toBeGreaterThanOrEqual(10);
    expect(linux.classes).toContainEqual(['rev1', 'rev1-iidr-only']);
    const vs = linux.pairs.find((p) => p.a.includes('rev3') && p.b.includes('rev1'))!;
    expect(vs.subjects).toEqual(['GICD_IIDR', 'GICR_CTLR']);
    // The kvm-unit-tests-style group probes are the guests that do tell the two readings of revision 1 apart.
    const kut = json.byGuest.find((g) => g.key === 'kut')!;
    expect(kut.classes.some((c) => c.includes('rev1') && c.includes('rev1-iidr-only'))).toBe(false);
  });

  // The whole report, its migration section included (~17 s idle: every ordered policy pair of
  // every trace migrated at its midpoint and its last event), so no part of it can go stale.
  test('traces/POLICY-REPORT.md is what `gicreplay matrix --markdown --migrations` prints today', () => {
    const r = run('matrix', '--markdown', '--migrations');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('## By guest kind');
    expect(r.stdout).toContain('\n## Migration: ');
    const checkedIn = fs.readFileSync(path.join(root, 'traces', 'POLICY-REPORT.md'), 'utf8');
    if (checkedIn !== r.stdout) throw new Error('traces/POLICY-REPORT.md is out of date: regenerate it with `node bin/gicreplay matrix --markdown --migrations > traces/POLICY-REPORT.md`');
  }, 300_000);
});

describe('one policy-selection syntax', () => {
  let dir: string;
  let vendor: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-sel-'));
    vendor = path.join(dir, 'vendor.json');
    const rev3 = JSON.parse(fs.readFileSync(path.join(root, 'engine', 'policy', 'builtin', 'rev3.json'), 'utf8'));
    fs.writeFileSync(vendor, JSON.stringify({ ...rev3, $schema: undefined, id: 'vendor', guestGroupWrites: { minRevision: 4 } }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const policiesOf = (r: ReturnType<typeof run>) => {
    expect([r.status, r.stderr]).toEqual([0, '']);
    return (JSON.parse(r.stdout).traces[0].classes as string[][]).flat().sort();
  };

  test('matrix: comma-separated, repeated, a file by --policy-file or by --policy, all alike', () => {
    const t = 'traces/guests/igroupr-rw-v3.gtr';
    expect(policiesOf(run('matrix', t, '--json', '--policy', 'rev1,rev3'))).toEqual(['rev1', 'rev3']);
    expect(policiesOf(run('matrix', t, '--json', '--policy', 'rev1', '--policy', 'rev3'))).toEqual(['rev1', 'rev3']);
    expect(policiesOf(run('matrix', t, '--json', '--policy', 'rev1', '--policy-file', vendor))).toEqual(['rev1', 'vendor']);
    expect(policiesOf(run('matrix', t, '--json', '--policy', `rev1,${vendor}`))).toEqual(['rev1', 'vendor']);
    expect(policiesOf(run('matrix', t, '--json', '--policy', 'rev1,vendor', '--policy-file', vendor))).toEqual(['rev1', 'vendor']);
  });

  test('replay and diff take the same syntax; a count they cannot run is a usage error (exit 2)', () => {
    const t = 'traces/guests/igroupr-rw-v3.gtr';
    const byId = run('replay', t, '--policy', 'rev3');
    expect(byId.status).toBe(0);
    expect(run('replay', t, '--policy', vendor).status).toBe(0);
    const both = run('replay', t, '--policy', 'rev1,rev3');
    expect([both.status, both.stderr]).toEqual([2, expect.stringContaining('replay runs one policy; --policy and --policy-file name 2 (rev1, rev3)')]);
    const none = run('replay', t);
    expect([none.status, none.stderr]).toEqual([2, expect.stringContaining('replay runs one policy: name it, e.g. `--policy rev3`')]);
    expect(run('diff', t, '--policy', 'rev1,rev1-iidr-only').status).toBe(1);
    expect(run('diff', t, '--policy', 'rev1', '--policy', 'rev1-iidr-only').stdout).toBe(run('diff', t, '--policies', 'rev1,rev1-iidr-only').stdout);
    const d = run('diff', t, '--policy', 'rev1', '--policy-file', vendor, '--json');
    expect(JSON.parse(d.stdout)).toMatchObject({ policyA: 'rev1', policyB: 'vendor' });
  });
});
