// `gicreplay check` / `bless` through the real CLI (built dist/, real models) on a temp project:
// every exit code, --json, --junit, --shard + --merge. `npm test` builds dist/ first.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthEvents, synthHeader } from '../../../engine/trace/synth';
import { writeTrace } from '../../../engine/trace/writer';
import { CLI_BIN, requireBuiltCli } from '../testing/run';
import { BUILTIN_POLICY_IDS } from '../../../engine';

const NP = BUILTIN_POLICY_IDS.length;

const BIN = CLI_BIN;
// Each case spawns the CLI several times; on a shared, loaded machine that takes a while.
jest.setTimeout(300_000);


function run(root: string, args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const e: Record<string, string> = { ...(process.env as Record<string, string>), ...env };
  if (!('CI' in env)) delete e.CI;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: root, env: e, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('gicreplay check / bless CLI', () => {
  beforeAll(requireBuiltCli);
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-cli-'));
    fs.mkdirSync(path.join(root, 'golden'));
    fs.mkdirSync(path.join(root, 'traces', 'synth'), { recursive: true });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('exit codes 2 (nothing to compare, no reason, CI), 1 (missing), 0 (after bless), 1 (drift), 2 (hand edit)', () => {
    expect(run(root, ['check']).code).toBe(2);
    writeTrace(path.join(root, 'traces', 'synth', 'v3.gtr'), synthHeader(2, 3), synthEvents(300, 2));
    writeTrace(path.join(root, 'traces', 'synth', 'v2.gtr'), synthHeader(2, 2), []);
    const missing = run(root, ['check']);
    expect(missing.code).toBe(1);
    // A suite without goldens is one fix, one command (not one hint per pair).
    expect(missing.out).toContain(`MISSING ${2 * NP} goldens, no goldens yet: every trace under ${NP} policies`);
    expect(missing.out.trim().split('\n').slice(-3, -1)).toEqual(['To accept the missing goldens:', '  gicreplay bless --reason "…"']);
    const noReason = run(root, ['bless']);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--reason');
    const ci = run(root, ['bless', '--reason', 'x'], { CI: 'true' });
    expect(ci.code).toBe(2);
    expect(ci.err).toContain('refusing to bless on CI');
    const b = run(root, ['bless', '--reason', 'first goldens']);
    expect(b.code).toBe(0);
    const ok = run(root, ['check', '--junit', 'out/junit.xml']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`${2 * NP} (trace × policy) pairs: ${2 * NP} match`);
    const junit = fs.readFileSync(path.join(root, 'out', 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(2 * NP);
    expect(junit).toContain('failures="0" errors="0"');
  });

  test('--shard + --merge gives the verdict of a full run; drift exits 1; a hand edit exits 2', () => {
    // Re-record v3 with more events: its output drifts under every policy.
    writeTrace(path.join(root, 'traces', 'synth', 'v3.gtr'), synthHeader(2, 3), synthEvents(400, 2));
    const full = run(root, ['check', '--json', '--workers', '0']);
    expect(full.code).toBe(1);
    const fullReport = JSON.parse(full.out);
    for (const i of [1, 2]) {
      const s = run(root, ['check', '--json', '--shard', `${i}/2`]);
      fs.writeFileSync(path.join(root, `shard${i}.json`), s.out);
    }
    const merged = run(root, ['check', '--json', '--merge', 'shard1.json', 'shard2.json']);
    expect(merged.code).toBe(full.code);
    const m = JSON.parse(merged.out);
    expect(m.verdict).toEqual(fullReport.verdict);
    expect(m.results.map((r: { id: string; status: string }) => `${r.id} ${r.status}`)).toEqual(fullReport.results.map((r: { id: string; status: string }) => `${r.id} ${r.status}`));
    // Worker threads give the same report as the in-process path.
    const threaded = JSON.parse(run(root, ['check', '--json', '--workers', '2']).out);
    expect(threaded.results).toEqual(fullReport.results);
    // --policy is not greedy: the path after it stays a path; commas list several policies.
    const text = run(root, ['check', '--policy', 'rev3', 'traces/synth/v3.gtr']);
    const two = JSON.parse(run(root, ['check', '--json', '--policy', 'rev3,rev1']).out);
    expect(two.results.map((r: { id: string }) => r.id)).toEqual(['synth/v2.gtr::rev3', 'synth/v2.gtr::rev1', 'synth/v3.gtr::rev3', 'synth/v3.gtr::rev1']);
    expect(text.code).toBe(1);
    expect(text.out).toContain('DRIFT traces/synth/v3.gtr under rev3');
    expect(text.out).toContain('first difference: event');
    const g = path.join(root, 'golden', 'synth', 'v2', 'rev3.golden');
    fs.appendFileSync(g, '0 0x0 cpu0 read mmio GICD_CTLR/4 = 0x0\n');
    const edited = run(root, ['check', 'traces/synth/v2.gtr']);
    expect(edited.code).toBe(2);
    expect(edited.out).toContain('edited by hand');
  });
});
