// The quick check with its hashing on a helper thread (PairInput.hashOffThread, the default for
// traces of 16 MiB or more) concludes what the in-thread check concludes: a match without the
// full comparison, for a plain golden longer than the reader's first buffer and for a compact
// one, and a hand edit or a damaged compact body found as bad input, in the same words.

import * as fs from 'fs';
import * as path from 'path';
import { blessGoldens } from '.';
import { getPolicy } from '../policy/policy';
import { layoutFor } from './layout';
import { LineHasher } from './lines';
import { checkTracePairs, PairInput } from './pair';
import { blessConfig, tempProject } from './testing/project';

const REPO = path.join(__dirname, '..', '..');
// The largest suite golden (about 350 KB): its body runs far past the reader's 64 KiB buffer.
const TRACE = 'qemu/gic2-linux-smp4.gtr';
const GOLDEN = 'golden/qemu/gic2-linux-smp4/rev3.golden';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

async function project(compactAbove?: number): Promise<string> {
  const root = tempProject();
  roots.push(root);
  fs.mkdirSync(path.join(root, 'traces', 'qemu'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'traces', TRACE), path.join(root, 'traces', TRACE));
  const r = await blessGoldens({ root, cwd: root, config: blessConfig(), reason: 'off-thread test', policies: ['rev3'], hooks: compactAbove === undefined ? {} : { compactAbove } });
  expect(r.outcomes.map((x) => x.action)).toEqual(['create']);
  return root;
}

const pair = (root: string, hashOffThread: boolean): PairInput => ({ layout: layoutFor(root), trace: TRACE, policy: getPolicy('rev3'), golden: GOLDEN, hashOffThread });

describe.each([
  ['plain', undefined],
  ['compact', 1],
])('a %s golden', (_form, compactAbove) => {
  let root: string;
  beforeAll(async () => {
    root = await project(compactAbove);
  });

  test('matches on the quick path with the helper thread, as in-thread', () => {
    const full = jest.spyOn(LineHasher.prototype, 'digest');
    const [off] = checkTracePairs([pair(root, true)]);
    // The full comparison (the only user of LineHasher here) never ran: the helper's digests matched.
    expect(full).not.toHaveBeenCalled();
    expect(off.status).toBe('match');
    expect(off).toEqual(checkTracePairs([pair(root, false)])[0]);
  });

  test('a damaged body is bad input, in the words of the in-thread check', () => {
    const file = path.join(root, GOLDEN);
    const t = fs.readFileSync(file, 'latin1');
    // A byte far into the body (past the first 64 KiB the reader holds) changed, lengths kept.
    let at = Math.floor(t.length * 0.8);
    while (!/[0-9A-Za-z]/.test(t[at])) at++;
    fs.writeFileSync(file, Buffer.from(t.slice(0, at) + (t[at] === '1' ? '2' : '1') + t.slice(at + 1), 'latin1'));
    try {
      const [off] = checkTracePairs([pair(root, true)]);
      expect(off.status).toBe('error');
      expect(off.message).toMatch(/edited by hand|damaged/);
      expect(off).toEqual(checkTracePairs([pair(root, false)])[0]);
    } finally {
      fs.writeFileSync(file, Buffer.from(t, 'latin1'));
    }
  });
});
