// The layer rules (.dependency-cruiser.cjs) bite: a throw-away tree with one forbidden import per
// rule must give exactly those violations, and the allowed imports beside them none. Without
// this, a rule with a typo in its path pattern would pass every tree, including a broken one.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const repo = path.join(__dirname, '..', '..');
const bin = path.join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-layers-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** file -> the modules it imports (relative specifiers). */
const TREE: Record<string, string[]> = {
  'engine/errors.ts': [],
  'engine/index.ts': ['./trace/events'],
  'engine/util/ok.ts': ['../errors'],
  'engine/util/c1.ts': ['./c2'],
  'engine/util/c2.ts': ['./c1'],
  'engine/arch/bad.ts': ['../trace/events'],
  'engine/arch/ok.ts': [],
  'engine/trace/events.ts': ['../arch/ok', '../util/ok'],
  'engine/trace/bad.ts': ['../gic/model'],
  'engine/trace/bad.test.ts': ['../gic/model'],
  'engine/model/bad.ts': ['../gic/model'],
  'engine/model/ok.ts': ['../trace/events'],
  'engine/policy/ok.ts': ['../trace/events', '../util/ok'],
  'engine/gic/model.ts': ['../model/ok', '../policy/ok'],
  'engine/gic/bad.ts': ['../replay/replay'],
  'engine/timer/bad.ts': ['../golden/ok'],
  'engine/replay/replay.ts': ['../gic/model'],
  'engine/replay/bad.ts': ['../golden/ok'],
  'engine/sources/bad.ts': ['../replay/replay'],
  'engine/sources/ok.ts': ['../trace/events'],
  'engine/golden/ok.ts': ['../replay/replay', '../divergence/ok'],
  'engine/golden/bad.ts': ['../../tools/cli/ok'],
  'engine/divergence/ok.ts': ['../replay/replay'],
  'engine/divergence/bad.ts': ['./testing/kit'],
  'engine/divergence/testing/kit.ts': ['../ok'],
  'engine/backend/ok.ts': ['../golden/ok', '../replay/replay'],
  'engine/inspect/bad.ts': ['../backend/ok'],
  'engine/minimize/ok.ts': ['../backend/ok', '../divergence/ok'],
  'engine/backend/bad.ts': ['../minimize/ok'],
  'tools/cli/ok.ts': ['../../engine/index'],
  'tools/cli/bad.ts': ['../../engine/trace/events'],
  'tools/cli/ok.test.ts': ['../../engine/trace/events'],
};

/** Every rule, and the one file that breaks it. */
const EXPECTED: [rule: string, from: string][] = [
  ['no-cycles', 'engine/util/c1.ts'],
  ['base-is-the-bottom', 'engine/arch/bad.ts'],
  ['trace-is-a-leaf', 'engine/trace/bad.ts'],
  ['contracts-below-models', 'engine/model/bad.ts'],
  ['models-below-replay', 'engine/gic/bad.ts'],
  ['models-below-replay', 'engine/timer/bad.ts'],
  ['replay-below-its-users', 'engine/replay/bad.ts'],
  ['sources-start-the-pipeline', 'engine/sources/bad.ts'],
  ['backend-above-its-tools', 'engine/inspect/bad.ts'],
  ['witnesses-on-top', 'engine/backend/bad.ts'],
  ['library-free-of-tools', 'engine/golden/bad.ts'],
  ['cli-uses-the-public-api', 'tools/cli/bad.ts'],
  ['no-test-kits-in-production', 'engine/divergence/bad.ts'],
];

test('each layer rule reports its forbidden import, and only that', () => {
  for (const [file, deps] of Object.entries(TREE)) {
    const f = path.join(dir, file);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, deps.map((d) => `import '${d}';\n`).join('') + 'export const x = 1;\n');
  }
  const r = spawnSync(process.execPath, [bin, '--config', path.join(repo, '.dependency-cruiser.cjs'), '--output-type', 'json', 'engine', 'tools'], { cwd: dir, encoding: 'utf8', maxBuffer: 16 << 20 });
  expect(r.stderr).toBe('');
  const found = (JSON.parse(r.stdout).summary.violations as { rule: { name: string }; from: string }[]).map((v) => `${v.rule.name} ${v.from}`);
  expect([...new Set(found)].sort()).toEqual(EXPECTED.map(([rule, from]) => `${rule} ${from}`).sort());
  // The rules file names every rule this test exercises, so a new rule needs a probe here too.
  const rules = [...fs.readFileSync(path.join(repo, '.dependency-cruiser.cjs'), 'utf8').matchAll(/^ {6}name: '([^']+)'/gm)].map((m) => m[1]);
  expect(rules.length).toBeGreaterThan(5);
  expect([...new Set(EXPECTED.map(([rule]) => rule))].sort()).toEqual([...rules].sort());
});

test('the repository itself keeps every layer rule', () => {
  const r = spawnSync(process.execPath, [bin, '--config', '.dependency-cruiser.cjs', '--ts-config', 'tsconfig.json', 'engine', 'tools', 'traces'], { cwd: repo, encoding: 'utf8', maxBuffer: 16 << 20 });
  expect(r.stdout).toContain('no dependency violations found');
  expect(r.status).toBe(0);
});
