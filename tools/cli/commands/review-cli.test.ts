// review / accept / reject through the real CLI and the review session with scripted keys: an
// accepted item's goldens become exactly the reviewed bodies with one ledger line, a rejected
// item's goldens and the ledger stay byte for byte, review refuses to run without a terminal.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILTIN_POLICY_IDS, listPending, pendingChange, PLAIN, readLedgerBlesses } from '../../../engine';
import { synthEvents, synthHeader } from '../../../engine/trace/synth';
import { writeTrace } from '../../../engine/trace/writer';
import { Output } from '../output';
import { reviewItems, reviewSession } from '../review';
import { CLI_BIN, requireBuiltCli } from '../testing/run';
import { applyDecisions } from './review';

jest.setTimeout(300_000);

const NP = BUILTIN_POLICY_IDS.length;

function run(cwd: string, args: string[]): { code: number; out: string; err: string } {
  const env = { ...(process.env as Record<string, string>) };
  delete env.CI;
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, env, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const read = (f: string) => fs.readFileSync(f, 'utf8');
const bodyOf = (f: string) => read(f).slice(read(f).indexOf('\n---\n') + 5);

let root: string;
const pend = () => path.join(root, '.gicreplay', 'pending');
beforeAll(requireBuiltCli);
// accept runs in this process too, and bless refuses on CI: the session is a developer's, not CI's.
const ciBefore = process.env.CI;
beforeAll(() => void delete process.env.CI);
afterAll(() => {
  if (ciBefore !== undefined) process.env.CI = ciBefore;
});
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-review-'));
  fs.mkdirSync(path.join(root, 'golden'));
  fs.mkdirSync(path.join(root, 'traces'));
  writeTrace(path.join(root, 'traces', 'a.gtr'), synthHeader(2, 3), synthEvents(200, 2));
  writeTrace(path.join(root, 'traces', 'b.gtr'), synthHeader(2, 3), synthEvents(150, 2));
  expect(run(root, ['bless', '--reason', 'first goldens']).code).toBe(0);
  // Both traces re-recorded: every policy's output changes.
  writeTrace(path.join(root, 'traces', 'a.gtr'), synthHeader(2, 3), synthEvents(210, 2));
  writeTrace(path.join(root, 'traces', 'b.gtr'), synthHeader(2, 3), synthEvents(160, 2));
  const c = run(root, ['check', '--pending']);
  expect(c.code).toBe(1);
  expect(c.out).toContain(`Or review the ${2 * NP} new outputs one at a time: gicreplay review`);
  expect(read(path.join(root, '.gicreplay', '.gitignore'))).toContain('*');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('a session: accept the first item, reject the second; one ledger line, the rest untouched', async () => {
  const pending = listPending(pend());
  expect(pending).toHaveLength(2 * NP);
  const items = reviewItems(pending, (p) => pendingChange(root, p));
  const a = items.filter((i) => i.trace === 'a.gtr');
  const shown: string[] = [];
  const keys = items.map((i) => (i.trace === 'a.gtr' ? 'a' : 'r'));
  const { decisions, stopped } = await reviewSession(items, { write: (ls) => shown.push(...ls), key: async () => keys.shift() ?? null }, PLAIN);
  expect(stopped).toBe(false);
  expect(shown.join('\n')).toMatch(/\[1\/\d+\] DRIFT traces\/a\.gtr under rev3/);
  expect(shown.join('\n')).toContain('first difference: event');
  const reviewedA = new Map(a.flatMap((i) => i.pending).map((p) => [p.golden, bodyOf(p.file)]));
  const bGoldens = fs.readdirSync(path.join(root, 'golden', 'b')).map((f) => [f, read(path.join(root, 'golden', 'b', f))]);
  const before = readLedgerBlesses(path.join(root, 'golden')).length;
  const out: string[] = [];
  const o = new Output();
  jest.spyOn(o, 'lines').mockImplementation((ls) => void out.push(...ls));
  const code = await applyDecisions({ root }, root, items.map((i) => i.pending), decisions, o, async () => 'a.gtr was re-recorded with ten more events');
  expect(code).toBe(0);
  expect(out[out.length - 1]).toBe(`accepted ${NP}, rejected ${NP}, skipped 0 (still pending)`);
  // Accepted: each golden of a.gtr holds exactly the body that was reviewed (or shares one that does).
  for (const [golden, reviewed] of reviewedA) {
    const f = path.join(root, ...golden.split('/'));
    const same = /# same-as: (\S+)/.exec(read(f));
    expect(same ? bodyOf(path.join(path.dirname(f), `${same[1]}.golden`)) : bodyOf(f)).toBe(reviewed);
  }
  const blesses = readLedgerBlesses(path.join(root, 'golden'));
  expect(blesses).toHaveLength(before + 1);
  expect(blesses[blesses.length - 1]).toMatchObject({ command: 'accept', reason: 'a.gtr was re-recorded with ten more events' });
  expect(blesses[blesses.length - 1].goldens.map((g) => g.golden).sort()).toEqual([...reviewedA.keys()].sort());
  // Rejected: b.gtr's goldens are byte for byte what they were, its pending outputs gone.
  expect(fs.readdirSync(path.join(root, 'golden', 'b')).map((f) => [f, read(path.join(root, 'golden', 'b', f))])).toEqual(bGoldens);
  expect(listPending(pend())).toEqual([]);
  expect(run(root, ['check', 'traces/a.gtr']).code).toBe(0);
  expect(run(root, ['check', 'traces/b.gtr']).code).toBe(1);
});

test('review needs a terminal; scripts use accept and reject', () => {
  const r = run(root, ['review']);
  expect(r.code).toBe(2);
  expect(r.err).toContain('review is interactive and needs a terminal');
  const before = read(path.join(root, 'golden', 'LEDGER.jsonl'));
  const goldensBefore = read(path.join(root, 'golden', 'b', 'rev3.golden'));
  expect(run(root, ['reject', 'traces/b.gtr']).code).toBe(0);
  expect(read(path.join(root, 'golden', 'LEDGER.jsonl'))).toBe(before);
  expect(read(path.join(root, 'golden', 'b', 'rev3.golden'))).toBe(goldensBefore);
  expect(run(root, ['accept', 'traces/a.gtr']).err).toContain('accept needs --reason');
  const acc = run(root, ['accept', 'traces/a.gtr', '--reason', 'new recording']);
  expect(acc.code).toBe(0);
  expect(acc.out).toContain(`accepted ${NP} pending goldens`);
  expect(run(root, ['check', 'traces/a.gtr']).code).toBe(0);
  expect(run(root, ['accept', '--reason', 'x']).err).toContain('no pending goldens in .gicreplay/pending');
});
