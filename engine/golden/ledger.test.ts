// The ledger as history: one line per bless listing its goldens, with who, when and at which
// commit; schema-1 lines (one per golden, undated) still read; and no golden byte depends on the
// stamp (the date lives in the ledger only).

import * as fs from 'fs';
import * as path from 'path';
import { blessGoldens, checkGoldens, readLedger, readLedgerBlesses } from '.';
import { blessStamp } from './stamp';
import { blessConfig, checkConfig, fake, tempProject, writeTraceAt } from './testing/project';
import { canonicalJson } from '../util/canonical-json';
import { BUILTIN_POLICY_IDS } from '../policy/policy';

let root: string;
beforeEach(() => {
  root = tempProject();
  writeTraceAt(root, 'a.gtr');
  writeTraceAt(root, 'b.gtr');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const ledgerLines = (r: string) => fs.readFileSync(path.join(r, 'golden', 'LEDGER.jsonl'), 'utf8').trimEnd().split('\n');

test('one line per bless, listing every golden it wrote, with who, when and the commit', async () => {
  const stamp = { at: '2026-11-26T10:00:00Z', by: 'A Developer <a@example.org>', commit: 'a'.repeat(40), command: 'bless' };
  const r = await blessGoldens({ root, cwd: root, config: blessConfig(), replay: fake(), reason: 'first goldens', stamp });
  expect(r.ledger).toHaveLength(2 * BUILTIN_POLICY_IDS.length);
  const lines = ledgerLines(root);
  expect(lines).toHaveLength(1);
  const rec = JSON.parse(lines[0]);
  expect(rec).toMatchObject({ schema: 2, ...stamp, reason: 'first goldens' });
  expect(rec.goldens.map((g: { golden: string }) => g.golden)).toEqual(r.ledger.map((e) => e.golden));
  expect(lines[0]).toBe(canonicalJson(rec)); // sorted keys: reproducible bytes for the same stamp
  expect(readLedger(path.join(root, 'golden')).map((e) => [e.golden, e.by, e.line])).toEqual(r.ledger.map((e) => [e.golden, stamp.by, 1]));
  expect((await checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake() })).verdict.exit).toBe(0);
});

test('goldens do not depend on the stamp; the ledger is the only place a date is', async () => {
  const other = tempProject();
  try {
    writeTraceAt(other, 'a.gtr');
    writeTraceAt(other, 'b.gtr');
    await blessGoldens({ root, cwd: root, config: blessConfig(), replay: fake(), reason: 'x', stamp: { at: '2020-01-01T00:00:00Z', by: 'one', commit: null, command: 'bless' } });
    await blessGoldens({ root: other, cwd: other, config: blessConfig(), replay: fake(), reason: 'x', stamp: { at: '2031-06-30T12:34:56Z', by: 'two', commit: 'b'.repeat(40), command: 'bless' } });
    for (const g of ['golden/a/rev3.golden', 'golden/a/rev2.golden', 'golden/b/rev3.golden']) {
      expect(fs.readFileSync(path.join(other, g), 'utf8')).toBe(fs.readFileSync(path.join(root, g), 'utf8'));
      expect(fs.readFileSync(path.join(root, g), 'utf8')).not.toMatch(/20[23]\d-/);
    }
  } finally {
    fs.rmSync(other, { recursive: true, force: true });
  }
});

test('schema-1 lines (one per golden, no date) are still read, and one bless of them is one bless', async () => {
  await blessGoldens({ root, cwd: root, config: blessConfig(), replay: fake(), reason: 'v2 bless' });
  const file = path.join(root, 'golden', 'LEDGER.jsonl');
  const v2 = fs.readFileSync(file, 'utf8');
  const old = JSON.parse(v2).goldens.slice(0, 2).map((g: object) => canonicalJson({ ...g, gicreplay: '0.1.0', model: 1, reason: 'old bless' }));
  fs.writeFileSync(file, `${old.join('\n')}\n${v2}`);
  const blesses = readLedgerBlesses(path.join(root, 'golden'));
  expect(blesses.map((b) => [b.schema, b.reason, b.at, b.goldens.length])).toEqual([
    [1, 'old bless', null, 2],
    [2, 'v2 bless', null, 2 * BUILTIN_POLICY_IDS.length],
  ]);
  expect(readLedger(path.join(root, 'golden'))).toHaveLength(2 * BUILTIN_POLICY_IDS.length + 2);
});

test('the stamp: SOURCE_DATE_EPOCH and GICREPLAY_AUTHOR win; outside git there is no commit', () => {
  const s = blessStamp({ root, env: { SOURCE_DATE_EPOCH: '1700000000', GICREPLAY_AUTHOR: 'CI bot' }, command: 'accept' });
  expect(s).toEqual({ at: '2023-11-14T22:13:20Z', by: 'CI bot', commit: null, command: 'accept' });
  expect(blessStamp({ root, env: {}, now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) }).at).toBe('2026-01-02T03:04:05Z');
});
