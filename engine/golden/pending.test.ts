// Review's engine: `check --pending` writes complete goldens beside nothing; accept blesses exactly
// the reviewed body (checked against a fresh replay) through bless's ledgered path, one ledger
// line; reject deletes the pending output and leaves every golden and the ledger untouched.

import * as fs from 'fs';
import * as path from 'path';
import { acceptPending, blessGoldens, checkGoldens, listPending, pendingChange, readLedgerBlesses } from '.';
import { blessConfig, checkConfig, fake, tempProject, writeTraceAt } from './testing/project';
import { removePending } from './pending';
import { BUILTIN_POLICY_IDS } from '../policy/policy';

const NP = BUILTIN_POLICY_IDS.length;

let root: string;
let pend: string;
beforeEach(() => {
  root = tempProject();
  pend = path.join(root, '.gicreplay', 'pending');
  writeTraceAt(root, 'a.gtr');
  writeTraceAt(root, 'b.gtr');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const body = (file: string) => {
  const t = fs.readFileSync(file, 'utf8');
  return t.slice(t.indexOf('\n---\n') + 5);
};
const snapshot = () => {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else out[path.relative(root, f)] = fs.readFileSync(f, 'utf8');
    }
  };
  walk(path.join(root, 'golden'));
  return out;
};

async function drifted() {
  await blessGoldens({ root, cwd: root, config: blessConfig(), replay: fake(), reason: 'first goldens' });
  // The model change: GICD_CTLR loses DS under every policy.
  const r = await checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake({ ctlrClear: 0x40n }), pendingDir: pend });
  expect(r.results.every((x) => x.status === 'drift')).toBe(true);
  return listPending(pend);
}

test('accept writes exactly the reviewed body, through one ledger line, and removes the pending file', async () => {
  const all = await drifted();
  expect(all.map((p) => `${p.trace}::${p.policy}`).slice(0, NP)).toEqual(BUILTIN_POLICY_IDS.map((p) => `a.gtr::${p}`));
  // a.gtr's goldens share rev3's body: accepting rev3 alone would change the others unreviewed.
  await expect(acceptPending({ root, pending: [all[0]], reason: 'x', config: blessConfig(), replay: fake({ ctlrClear: 0x40n }) })).rejects.toThrow(/accepting would change goldens whose new output was not accepted:\n {2}golden\/a\/rev2\.golden/);
  const pending = all.filter((p) => p.trace === 'a.gtr');
  const change = pendingChange(root, pending[0]);
  expect(change.kind).toBe('drift');
  expect(change.drift!.first).toMatchObject({ reg: 'GICD_CTLR', fields: [{ field: 'DS', old: '1', new: '0' }] });
  const reviewed = body(pending[0].file);
  const before = readLedgerBlesses(path.join(root, 'golden')).length;
  const r = await acceptPending({ root, pending, reason: 'DS reads 0 now', config: blessConfig(), replay: fake({ ctlrClear: 0x40n }), stamp: { at: '2026-11-26T10:00:00Z', by: 'reviewer', commit: null, command: 'accept' } });
  expect(r.ledger.map((e) => e.golden)).toEqual(pending.map((p) => p.golden));
  expect(body(path.join(root, 'golden', 'a', 'rev3.golden'))).toBe(reviewed);
  const blesses = readLedgerBlesses(path.join(root, 'golden'));
  expect(blesses).toHaveLength(before + 1);
  expect(blesses[blesses.length - 1]).toMatchObject({ command: 'accept', by: 'reviewer', reason: 'DS reads 0 now', });
  expect(blesses[blesses.length - 1].goldens).toHaveLength(NP);
  expect(pending.some((p) => fs.existsSync(p.file))).toBe(false);
  // a.gtr is accepted; b.gtr still drifts and is still pending.
  const after = await checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake({ ctlrClear: 0x40n }), policies: ['rev3'] });
  expect(after.results.map((x) => `${x.id} ${x.status}`)).toEqual(['a.gtr::rev3 match', 'b.gtr::rev3 drift']);
  expect(listPending(pend).map((p) => p.trace)).toEqual(Array(NP).fill('b.gtr'));
});

test('reject leaves every golden and the ledger untouched', async () => {
  const pending = await drifted();
  const before = snapshot();
  removePending(pending.slice(0, 2)); // a.gtr under rev3 and rev2
  expect(snapshot()).toEqual(before);
  expect(listPending(pend).map((p) => `${p.trace}::${p.policy}`).filter((id) => id.endsWith('::rev3') || id.endsWith('::rev2'))).toEqual(['b.gtr::rev3', 'b.gtr::rev2']);
  expect(listPending(pend)).toHaveLength(2 * NP - 2);
});

test('what was reviewed is what is accepted: a changed replay or an edited pending file writes nothing', async () => {
  const pending = await drifted();
  const before = snapshot();
  // The model went back: a fresh replay no longer gives the reviewed body.
  await expect(acceptPending({ root, pending, reason: 'x', config: blessConfig(), replay: fake() })).rejects.toThrow(/the reviewed output of golden\/a\/rev3\.golden .* is not what traces\/a\.gtr gives under rev3 now/);
  fs.appendFileSync(pending[1].file, '99 0x0 cpu0 marker "edited"\n');
  await expect(acceptPending({ root, pending, reason: 'x', config: blessConfig(), replay: fake({ ctlrClear: 0x40n }) })).rejects.toThrow(/pending golden its body was edited by hand|pending golden .*body/);
  expect(snapshot()).toEqual(before);
  expect(listPending(pend)).toHaveLength(2 * NP);
});

test('a pair that matches again loses its old pending output on the next check --pending', async () => {
  await drifted();
  await checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake(), pendingDir: pend });
  expect(listPending(pend)).toEqual([]);
});
