// selectPolicies: the one resolver behind --policy / --policy-file and package.json-registered
// policies in check, bless, replay, diff and matrix.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILTIN_POLICY_IDS } from './policy';
import { selectPolicies } from './select';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-select-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const rev3 = JSON.parse(fs.readFileSync(path.join(__dirname, 'builtin', 'rev3.json'), 'utf8'));
const writePolicy = (name: string, id: string) => {
  const f = path.join(root, name);
  fs.writeFileSync(f, JSON.stringify({ ...rev3, id, title: id }));
  return f;
};
const mine = writePolicy('mine.json', 'mine');
const other = writePolicy('other.json', 'other');
const ids = (s: { chosen: { id: string }[] }) => s.chosen.map((p) => p.id);

test('nothing asked: every built-in policy, then the registered ones', () => {
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'x', gicreplay: { policyFiles: ['mine.json'] } }));
  try {
    const s = selectPolicies({ root });
    expect(ids(s)).toEqual([...BUILTIN_POLICY_IDS, 'mine']);
    expect(s.filtered).toBe(false);
  } finally {
    fs.rmSync(path.join(root, 'package.json'));
  }
});

test('IDs pick built-in, registered or --policy-file policies; a file no ID names is run too; a named file is not run twice', () => {
  expect(ids(selectPolicies({ root, ids: ['rev1', 'rev3'] }))).toEqual(['rev1', 'rev3']);
  expect(ids(selectPolicies({ root, ids: ['rev3'], files: [mine] }))).toEqual(['rev3', 'mine']);
  expect(ids(selectPolicies({ root, ids: ['mine', 'rev1'], files: [mine] }))).toEqual(['mine', 'rev1']);
  expect(ids(selectPolicies({ root, files: [other, mine] }))).toEqual(['other', 'mine']);
  expect(selectPolicies({ root, files: [mine] }).filtered).toBe(true);
});

test('relative --policy-file paths start at cwd', () => {
  expect(ids(selectPolicies({ root: os.tmpdir(), cwd: root, files: ['mine.json'] }))).toEqual(['mine']);
});

test('refusals name what was expected: an unknown ID, an ID twice, a file clashing with a built-in', () => {
  expect(() => selectPolicies({ root, ids: ['rev9'] })).toThrow(/unknown policy "rev9" \(expected one of rev3, rev2, rev1, rev1-iidr-only, mainline-rev3, linux-6.1, linux-6.12, a file given with --policy-file/);
  expect(() => selectPolicies({ root, ids: ['rev3', 'rev3'] })).toThrow(/policy "rev3" given twice/);
  const clash = writePolicy('clash.json', 'rev2');
  expect(() => selectPolicies({ root, files: [clash] })).toThrow(/clash\.json: policy "rev2" is already a built-in or registered policy/);
});
