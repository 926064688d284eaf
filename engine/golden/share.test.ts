// One replay standing for several policies (engine/policy/consults.ts, the quick path of
// checkTracePairs). The first test is a round trip of the model against itself, over every trace
// in the repository: wherever one policy's replay says another policy would have answered its
// questions alike, that other policy's own replay gives the same body. The others check the
// quick path with real models: a policy that agrees is vouched for, one that does not is
// replayed on its own, and a golden made from the wrong policy's output is still drift.

import * as fs from 'fs';
import * as path from 'path';
import { blessGoldens, checkGoldens } from '.';
import { ConsultLog } from '../policy/consults';
import { builtinPolicies, policyForTrace } from '../policy/policy';
import { replayFile } from '../replay/replay';
import { openTrace } from '../trace/reader';
import { abs, layoutFor, listTraces } from './layout';
import { BodyHasher } from './render-bytes';
import { fieldFormatterFor } from './render';
import { blessConfig, checkConfig, tempProject } from './testing/project';

const REPO = path.join(__dirname, '..', '..');

function gicOf(file: string) {
  const r = openTrace(file);
  try {
    return r.header;
  } finally {
    r.close();
  }
}

test('round trip over the repository’s traces: a policy whose answers agree with a replay’s gets the same body from its own replay', () => {
  const layout = layoutFor(REPO);
  const traces = listTraces(layout);
  expect(traces.length).toBeGreaterThan(50);
  let vouched = 0;
  let pairs = 0;
  for (const trace of traces) {
    const file = abs(layout, `traces/${trace}`);
    const header = gicOf(file);
    const fields = fieldFormatterFor(header.gic);
    const runs = builtinPolicies().map((policy) => {
      const consults = new ConsultLog();
      const hasher = new BodyHasher(fields);
      replayFile(file, { policy, consults }, (rec) => hasher.add(rec));
      return { policy, consults, body: `${hasher.lines}:${hasher.digest()}` };
    });
    for (const a of runs) {
      expect(a.consults.opaque).toBeNull();
      for (const b of runs) {
        if (a === b) continue;
        pairs++;
        if (!a.consults.agrees(policyForTrace(b.policy, header.provenance.details))) continue;
        vouched++;
        expect(`${trace}: ${b.policy.id} ${b.body}`).toBe(`${trace}: ${b.policy.id} ${a.body}`);
      }
    }
  }
  // Sharing happens (rev3 and mainline-rev3 agree on most traces), and is not claimed everywhere.
  expect(vouched).toBeGreaterThan(traces.length);
  expect(vouched).toBeLessThan(pairs / 2);
});

describe('the quick path shares replays only where the policies agree', () => {
  const TRACE = 'guests/vmm-restore-v3.gtr';
  let root: string;
  let pf: string;
  const rev3 = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'policy', 'builtin', 'rev3.json'), 'utf8')) as Record<string, unknown>;
  const writePolicy = (change: Record<string, unknown>) => fs.writeFileSync(pf, JSON.stringify({ ...rev3, $schema: undefined, id: 'x', ...change }));
  const bless = () => blessGoldens({ root, cwd: root, config: blessConfig(), reason: 'test goldens', policies: ['rev3', 'x'], policyFiles: [pf] });
  const run = () => checkGoldens({ root, cwd: root, config: checkConfig(), policies: ['rev3', 'x'], policyFiles: [pf] });

  beforeEach(() => {
    root = tempProject();
    pf = path.join(root, 'x.json');
    fs.mkdirSync(path.join(root, 'traces', 'guests'));
    fs.copyFileSync(path.join(REPO, 'traces', TRACE), path.join(root, 'traces', TRACE));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a policy that differs only where this GICv3 trace never asks (the GICv2 userspace rule) is vouched for by rev3’s replay and matches', async () => {
    writePolicy({ userGroupWrites: { v2: { minRevision: 4 }, v3: { minRevision: 2 } } });
    await bless();
    const agrees = jest.spyOn(ConsultLog.prototype, 'agrees');
    const r = await run();
    expect(r.results.map((x) => `${x.policy} ${x.status}`)).toEqual(['rev3 match', 'x match']);
    expect(agrees.mock.results.map((x) => x.value)).toEqual([true]);
  });

  test('a policy that answers a userspace IGROUPR write differently is replayed on its own; a golden holding rev3’s output is drift for it', async () => {
    // Bless x while it behaves as rev3, then make it drop userspace GICv3 group writes.
    writePolicy({});
    await bless();
    writePolicy({ userGroupWrites: { v2: { minRevision: 2 }, v3: { minRevision: 4 } } });
    const agrees = jest.spyOn(ConsultLog.prototype, 'agrees');
    const r = await run();
    expect(agrees.mock.results.map((x) => x.value)).toEqual([false]);
    const [a, x] = r.results;
    expect(a.status).toBe('match');
    expect(x.status).toBe('drift');
    // Under rev3 the VMM's restore is honoured silently; under x it is refused, event 2 on.
    expect(x.drift!.first).toMatchObject({ kind: 'added', index: 2, op: 'write', via: 'user', reg: 'GICD_IGROUPR1' });
    expect(x.drift!.first.newLine).toContain('"ignored: policy x drops userspace IGROUPR writes at revision 3"');
  });
});

describe('the kernel’s rules are asked only where they decide something', () => {
  const replayLog = (trace: string, policyId: string) => {
    const file = path.join(REPO, 'traces', trace);
    const consults = new ConsultLog();
    const policy = builtinPolicies().find((p) => p.id === policyId)!;
    const hasher = new BodyHasher(fieldFormatterFor(gicOf(file).gic));
    replayFile(file, { policy, consults }, (rec) => hasher.add(rec));
    return { consults, body: hasher.digest(), details: gicOf(file).provenance.details };
  };
  const linux61 = () => builtinPolicies().find((p) => p.id === 'linux-6.1')!;

  test('a Linux GICv3 guest whose ap_lists fit the list registers never asks the overflow rule, even at its EOIs: rev3’s replay stands for linux-6.1', () => {
    const r = replayLog('guests/lnx-v3.gtr', 'rev3');
    expect(r.consults.agrees(policyForTrace(linux61(), r.details))).toBe(true);
    expect(replayLog('guests/lnx-v3.gtr', 'linux-6.1').body).toBe(r.body);
  });

  test('an ap_list that overflows the list registers asks it, and there the kernels differ', () => {
    const r = replayLog('campaign/lr-overflow-irq-v3.gtr', 'rev3');
    expect(r.consults.agrees(policyForTrace(linux61(), r.details))).toBe(false);
    expect(replayLog('campaign/lr-overflow-irq-v3.gtr', 'linux-6.1').body).not.toBe(r.body);
  });

  test('check: linux-6.1 and linux-6.12 leave rev3’s replay where the overflow rule is asked, then share one replay of their own; all match', async () => {
    const TRACE = 'campaign/lr-overflow-irq-v3.gtr';
    const root = tempProject();
    try {
      fs.mkdirSync(path.join(root, 'traces', 'campaign'));
      fs.copyFileSync(path.join(REPO, 'traces', TRACE), path.join(root, 'traces', TRACE));
      const policies = ['rev3', 'linux-6.1', 'linux-6.12'];
      await blessGoldens({ root, cwd: root, config: blessConfig(), reason: 'test goldens', policies });
      const agrees = jest.spyOn(ConsultLog.prototype, 'agrees');
      const r = await checkGoldens({ root, cwd: root, config: checkConfig(), policies });
      expect(r.results.map((x) => `${x.policy} ${x.status}`)).toEqual(['rev3 match', 'linux-6.1 match', 'linux-6.12 match']);
      // First read: rev3's log turns both kernels away; second read: linux-6.1's log vouches for linux-6.12.
      expect(agrees.mock.results.map((x) => x.value)).toEqual([false, false, true]);
    } finally {
      jest.restoreAllMocks();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
