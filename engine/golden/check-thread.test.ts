// The quick check with the check's thread (check-thread.ts: reading ahead, rendering and hashing
// off the main thread; the default for traces of 16 MiB or more) concludes what the in-thread
// check concludes: a match without the full comparison, for a plain golden longer than the
// reader's first buffer and for a compact one, with one policy and with several sharing replays
// and bodies; and a hand edit found as bad input, in the same words. A thread runs compiled code
// only, so the threaded side is dist/ (`npm test` builds it first), held to the sources' check.

import * as fs from 'fs';
import * as path from 'path';
import { blessGoldens } from '.';
import { getPolicy } from '../policy/policy';
import type * as PolicyModule from '../policy/policy';
import { projectRoot } from '../util/project-root';
import { layoutFor } from './layout';
import type * as LayoutModule from './layout';
import type * as LinesModule from './lines';
import { checkTracePairs, PairInput } from './pair';
import type * as PairModule from './pair';
import { blessConfig, tempProject } from './testing/project';

const REPO = projectRoot();
const dist = (m: string) => path.join(REPO, 'dist', 'engine', m);
// The largest suite golden (about 350 KB): its body runs far past the reader's 64 KiB buffer; its
// policies share one body. The GICv3 one has four bodies (four record streams to the thread).
const TRACE = 'qemu/gic2-linux-smp4.gtr';
const TRACE_V3 = 'qemu/gic3-linux-smp4.gtr';
const POLICIES = ['rev3', 'rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3'];
const golden = (policy: string, trace = TRACE) => `golden/${trace.replace(/\.gtr$/, '')}/${policy}.golden`;

let compiled: { pair: typeof PairModule; policy: typeof PolicyModule; layout: typeof LayoutModule; lines: typeof LinesModule };
beforeAll(async () => {
  if (!fs.existsSync(dist('golden/check-worker.js'))) throw new Error('dist/ is missing the check thread: run `npx tsc -p tsconfig.json` (npm test does) before these tests');
  compiled = { pair: await import(dist('golden/pair.js')), policy: await import(dist('policy/policy.js')), layout: await import(dist('golden/layout.js')), lines: await import(dist('golden/lines.js')) };
});

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

async function project(compactAbove?: number): Promise<string> {
  const root = tempProject();
  roots.push(root);
  fs.mkdirSync(path.join(root, 'traces', 'qemu'), { recursive: true });
  for (const t of [TRACE, TRACE_V3]) fs.copyFileSync(path.join(REPO, 'traces', t), path.join(root, 'traces', t));
  const r = await blessGoldens({ root, cwd: root, config: blessConfig(), reason: 'check thread test', policies: POLICIES, hooks: compactAbove === undefined ? {} : { compactAbove } });
  expect(r.outcomes.map((x) => x.action)).toEqual([...POLICIES, ...POLICIES].map(() => 'create'));
  return root;
}

// One layout object per root, as the CLI passes: the pairs of one trace are checked together only then.
const layouts = new Map<string, ReturnType<typeof layoutFor>>();
const layoutOf = (root: string, make: typeof layoutFor) => {
  const k = `${make === layoutFor ? 'src' : 'dist'}:${root}`;
  if (!layouts.has(k)) layouts.set(k, make(root));
  return layouts.get(k)!;
};
const here = (root: string, policy: string, trace = TRACE): PairInput => ({ layout: layoutOf(root, layoutFor), trace, policy: getPolicy(policy), golden: golden(policy, trace), checkThread: false });
const threaded = (root: string, policy: string, trace = TRACE): PairInput => ({ layout: layoutOf(root, compiled.layout.layoutFor), trace, policy: compiled.policy.getPolicy(policy), golden: golden(policy, trace), checkThread: true });

describe.each([
  ['plain', undefined],
  ['compact', 1],
])('a %s golden', (_form, compactAbove) => {
  let root: string;
  beforeAll(async () => {
    root = await project(compactAbove);
  });

  test.each([
    [TRACE, ['rev3']],
    [TRACE, POLICIES],
    [TRACE_V3, POLICIES],
  ])('%s under %j: matches on the quick path with the thread, as in-thread', (trace, policies) => {
    const full = jest.spyOn(compiled.lines.LineHasher.prototype, 'digest');
    const got = compiled.pair.checkTracePairs(policies.map((p) => threaded(root, p, trace)));
    // The full comparison (the only user of LineHasher here) never ran: the thread's digests matched.
    expect(full).not.toHaveBeenCalled();
    expect(got.map((r) => r.status)).toEqual(policies.map(() => 'match'));
    expect(JSON.parse(JSON.stringify(got))).toEqual(JSON.parse(JSON.stringify(checkTracePairs(policies.map((p) => here(root, p, trace))))));
  });

  test('a damaged body is bad input, in the words of the in-thread check', () => {
    const file = path.join(root, golden('rev3'));
    const t = fs.readFileSync(file, 'latin1');
    // A byte far into the body (past the first 64 KiB the reader holds) changed, lengths kept.
    let at = Math.floor(t.length * 0.8);
    while (!/[0-9A-Za-z]/.test(t[at])) at++;
    fs.writeFileSync(file, Buffer.from(t.slice(0, at) + (t[at] === '1' ? '2' : '1') + t.slice(at + 1), 'latin1'));
    try {
      const [got] = compiled.pair.checkTracePairs([threaded(root, 'rev3')]);
      expect(got.status).toBe('error');
      expect(got.message).toMatch(/edited by hand|damaged/);
      expect(JSON.parse(JSON.stringify(got))).toEqual(JSON.parse(JSON.stringify(checkTracePairs([here(root, 'rev3')])[0])));
    } finally {
      fs.writeFileSync(file, Buffer.from(t, 'latin1'));
    }
  });
});

test('drift found with the thread is the drift found without it', async () => {
  const root = await project();
  const file = path.join(root, 'traces', TRACE);
  // Another trace under the same name: every golden is stale and its body drifts.
  fs.copyFileSync(path.join(REPO, 'traces', 'qemu', 'gic3-linux-smp2.gtr'), file);
  const got = compiled.pair.checkTracePairs([threaded(root, 'rev3')]);
  expect(got[0].status).not.toBe('match');
  expect(JSON.parse(JSON.stringify(got))).toEqual(JSON.parse(JSON.stringify(checkTracePairs([here(root, 'rev3')]))));
});
