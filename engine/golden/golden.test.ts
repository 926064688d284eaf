// The golden suite end to end on a temp project with a fake model: check verdicts and exit codes,
// drift reports, bless and its ledger, refusals, hand edits, obsolete detection under filters,
// atomic writes, sharing, and shard + merge.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blessGoldens, checkGoldens, mergeReports, readLedger, renderJunit, renderReport } from '.';
import { BlessOptions } from './bless';
import { CheckReport } from './results';
import { CheckOptions } from './run';
import { sysregEncoding } from '../arch/sysregs';
import { EventKind } from '../trace/events';
import { blessConfig, bootEvents, checkConfig, fake, FakeBehaviour, FakeGic, header, read, tempProject, write, writeTraceAt } from './testing/project';
import { MODEL_VERSION } from '../version';
import { BUILTIN_POLICY_IDS, getPolicy } from '../policy/policy';
import { goldenPathFor, layoutFor } from './layout';
import { checkPair } from './pair';
import * as inputFile from '../util/input-file';

// Every trace and golden is opened through openInputFile: counting its calls counts the reads.
jest.mock('../util/input-file', () => {
  const actual = jest.requireActual<typeof inputFile>('../util/input-file');
  return { ...actual, openInputFile: jest.fn(actual.openInputFile) };
});

/** Every built-in policy gets a golden per trace. */
const NP = BUILTIN_POLICY_IDS.length;

const check = (root: string, o: Partial<CheckOptions> = {}, b: FakeBehaviour = {}) => checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake(b), ...o });
const bless = (root: string, o: Partial<BlessOptions> = {}, b: FakeBehaviour = {}) =>
  blessGoldens({ root, cwd: root, config: blessConfig(), replay: fake(b), reason: 'initial goldens', ...o });

let root: string;
beforeEach(() => {
  root = tempProject();
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('check verdicts and exit codes', () => {
  test('missing goldens fail with exit 1 and say how to create them; nothing is written', async () => {
    writeTraceAt(root, 'a.gtr');
    const r = await check(root);
    expect(r.verdict.exit).toBe(1);
    expect(r.results).toHaveLength(NP);
    expect(r.results.every((x) => x.status === 'missing')).toBe(true);
    expect(r.results[0].message).toContain('gicreplay bless traces/a.gtr --policy rev3 --reason');
    expect(fs.readdirSync(path.join(root, 'golden'))).toEqual([]);
  });

  test('bless then check: every pair matches, exit 0', async () => {
    writeTraceAt(root, 'a.gtr');
    writeTraceAt(root, 'sub/b.gtr', bootEvents(true));
    await bless(root);
    const r = await check(root);
    expect(r.verdict.exit).toBe(0);
    expect(r.verdict.counts.match).toBe(2 * NP);
  });

  test('a check with nothing to compare fails (exit 2)', async () => {
    const r = await check(root);
    expect(r.results).toHaveLength(0);
    expect(r.verdict.exit).toBe(2);
    expect(r.verdict.summary).toContain('nothing to compare');
  });

  test('a corrupt trace is bad input (exit 2) naming the file', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root);
    const f = path.join(root, 'traces', 'a.gtr');
    const buf = fs.readFileSync(f);
    fs.writeFileSync(f, buf.subarray(0, buf.length - 20));
    const r = await check(root);
    expect(r.verdict.exit).toBe(2);
    expect(r.results[0].status).toBe('error');
    expect(r.results[0].message).toContain('a.gtr');
  });
});

describe('drift report', () => {
  test('a one-register model change names the register, the field, the event and both values', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root, { policies: ['rev3'] });
    // The "new model" clears GICD_CTLR.DS (bit 6) on reads.
    const r = await check(root, { policies: ['rev3'] }, { ctlrClear: 0x40n });
    expect(r.verdict.exit).toBe(1);
    const p = r.results[0];
    expect(p.status).toBe('drift');
    const d = p.drift!;
    expect(d.first).toMatchObject({ kind: 'changed', index: 1, cycle: '0x14', cpu: 0, op: 'read', reg: 'GICD_CTLR', old: '0x52', new: '0x12' });
    expect(d.first.fields).toEqual([{ field: 'DS', old: '1', new: '0' }]);
    expect(d.first.id).toBe('a.gtr::rev3@1:0');
    expect(d.total).toBe(1);
    const text = renderReport(r).join('\n');
    expect(text).toContain('first difference: event 1, cycle 0x14, vCPU 0: read GICD_CTLR 0x52 → 0x12 (DS 1 → 0)');
    expect(text).toContain('GICD_CTLR reads 0x52 → 0x12 (DS 1 → 0), 1 read');
    expect(text).toContain('@@ -12,4 +12,4 @@');
    expect(text).toContain('-1 0x14 cpu0 read mmio GICD_CTLR/4 = 0x52 {EnableGrp1=1 ARE=1 DS=1}');
    expect(text).toContain('+1 0x14 cpu0 read mmio GICD_CTLR/4 = 0x12 {EnableGrp1=1 ARE=1}');
  });

  test('repeated differences are grouped by register with INTIDs; inserted records do not cascade', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root, { policies: ['rev1'] });
    // New behaviour: rev1 drops IGROUPR writes (KVM's rev < 2 rule): one new write record, three reads change.
    const r = await check(root, { policies: ['rev1'] }, { groupMinRevision: 2 });
    const d = r.results[0].drift!;
    expect(d.total).toBe(4);
    const text = renderReport(r).join('\n');
    expect(text).toContain('INTIDs 32-63: GICD_IGROUPR reads 0xffffffff → 0x0, 3 reads');
    expect(d.groups.find((g) => g.kind === 'added')).toMatchObject({ op: 'write', reg: 'GICD_IGROUPR', intids: '32-63' });
    // Lines after the inserted record still align: the marker and the IRQ lines are not differences.
    expect(d.shown.some((x) => x.op === 'marker' || x.op === 'irq')).toBe(false);
  });

  test('a difference in a register the trace source could not observe is marked', async () => {
    const h = header();
    h.provenance = { ...h.provenance, kind: 'kvm-ftrace' };
    const pmr = { kind: EventKind.SysregRead, cycle: 80n, cpu: 0, enc: sysregEncoding(3, 0, 4, 6, 0), observed: null } as const;
    writeTraceAt(root, 'ft.gtr', [...bootEvents(), pmr], h);
    await bless(root, { policies: ['rev3'] });
    const r = await check(root, { policies: ['rev3'] }, { iccValue: 0xf0n, ctlrClear: 0x40n });
    const d = r.results[0].drift!;
    expect(d.shown.find((x) => x.reg === 'ICC_PMR_EL1')).toMatchObject({ unobservable: true, old: '0x0', new: '0xf0' });
    expect(d.shown.find((x) => x.reg === 'GICD_CTLR')!.unobservable).toBeUndefined();
    expect(renderReport(r).join('\n')).toContain('ICC_PMR_EL1 reads 0x0 → 0xf0 (Priority 0 → 0xf0), 1 read (not observable by the trace source)');
  });

  test('the unified diff is truncated with a count', async () => {
    const ev = [];
    for (let i = 0; i < 400; i++) ev.push(...bootEvents().slice(0, 2).map((e) => ({ ...e, cycle: BigInt(i * 100) + e.cycle })));
    writeTraceAt(root, 'big.gtr', ev);
    await bless(root, { policies: ['rev3'] });
    const r = await check(root, { policies: ['rev3'] }, { ctlrClear: 0x40n });
    const d = r.results[0].drift!;
    expect(d.total).toBe(400);
    expect(d.unifiedOmitted).toBeGreaterThan(0);
    expect(d.unified.length).toBeLessThan(400);
    expect(renderReport(r).join('\n')).toMatch(/… \d+ more changed line\(s\) not shown/);
  });
});

describe('golden integrity (exit 2)', () => {
  const golden = 'golden/a/rev3.golden';
  beforeEach(async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root);
  });
  const only = async () => (await check(root, { policies: ['rev3'] })).results[0];

  test('a hand edit is caught and the message says how to regenerate', async () => {
    write(root, golden, read(root, golden).replace('= 0x52', '= 0x53'));
    const r = await check(root, { policies: ['rev3'] });
    expect(r.verdict.exit).toBe(2);
    expect(r.results[0].status).toBe('error');
    expect(r.results[0].message).toContain('edited by hand');
    expect(r.results[0].message).toContain('gicreplay bless traces/a.gtr --policy rev3');
  });

  test('merge conflict markers', async () => {
    const t = read(root, golden).split('\n');
    t.splice(14, 0, '<<<<<<< HEAD', 'x', '=======', 'y', '>>>>>>> branch');
    write(root, golden, t.join('\n'));
    const p = await only();
    expect(p.status).toBe('error');
    expect(p.message).toContain('merge conflict marker');
  });

  test('a truncated golden', async () => {
    const t = read(root, golden);
    write(root, golden, t.slice(0, t.length - 30));
    const p = await only();
    expect(p.status).toBe('error');
    expect(p.message).toContain('truncated');
  });

  test('a golden from a newer format', async () => {
    write(root, golden, read(root, golden).replace('# gicreplay golden 1', '# gicreplay golden 9'));
    const p = await only();
    expect(p.status).toBe('error');
    expect(p.message).toContain('golden format 9 is newer');
  });

  test('a golden naming a trace outside the repository', async () => {
    write(root, golden, read(root, golden).replace('# trace: a.gtr', '# trace: ../../etc/a.gtr'));
    const p = await only();
    expect(p.status).toBe('error');
    expect(p.message).toContain('outside the repository');
  });

  test('CRLF line endings', async () => {
    write(root, golden, read(root, golden).replace(/\n/g, '\r\n'));
    const p = await only();
    expect(p.status).toBe('error');
    expect(p.message).toContain('CRLF');
  });
});

describe('stale goldens (exit 1)', () => {
  test('a changed trace digest with unchanged output is stale, and bless restamps it', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root, { policies: ['rev3'] });
    // A GICD_CTLR write with a bit the model masks away changes the trace, not the output.
    const ev = bootEvents();
    ev[0] = { ...ev[0], value: 0x152n } as typeof ev[0];
    writeTraceAt(root, 'a.gtr', ev);
    const r = await check(root, { policies: ['rev3'] });
    expect(r.results[0].status).toBe('stale');
    expect(r.results[0].stale![0]).toContain('trace digest changed');
    expect(r.verdict.exit).toBe(1);
    const b = await bless(root, { policies: ['rev3'], reason: 'trace re-recorded' });
    expect(b.ledger.map((e) => e.action)).toEqual(['restamp']);
    expect((await check(root, { policies: ['rev3'] })).verdict.exit).toBe(0);
  });

  test('a policy file whose behaviour changed is stale; a new title or source is not', async () => {
    writeTraceAt(root, 'a.gtr');
    const pf = path.join(root, 'mine.json');
    const data = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'policy', 'builtin', 'rev3.json'), 'utf8'));
    fs.writeFileSync(pf, JSON.stringify({ ...data, id: 'mine' }));
    await bless(root, { policyFiles: [pf] });
    fs.writeFileSync(pf, JSON.stringify({ ...data, id: 'mine', title: 'changed', source: 'elsewhere' }));
    expect((await check(root, { policyFiles: [pf] })).results.map((x) => x.status)).toEqual(['match']);
    // The fake model never reads the host parameters, so the output stays the same: stale, not drift.
    fs.writeFileSync(pf, JSON.stringify({ ...data, id: 'mine', host: { priBits: 4 } }));
    const r = await check(root, { policyFiles: [pf] });
    expect(r.results.map((x) => x.status)).toEqual(['stale']);
    expect(r.results[0].stale![0]).toContain('policy mine changed');
  });
});

describe('policies registered in package.json', () => {
  const register = (files: unknown) => fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'my-vmm-tests', gicreplay: { policyFiles: files } }));
  const writePolicy = (rel: string, id: string) => {
    const data = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'policy', 'builtin', 'rev1.json'), 'utf8'));
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), JSON.stringify({ ...data, id }));
  };

  test('are checked and blessed by default, so a plain check matches instead of calling their goldens obsolete', async () => {
    writeTraceAt(root, 'a.gtr');
    writePolicy('policies/android.json', 'android');
    register(['policies/android.json']);
    const before = await check(root);
    expect(before.results.map((x) => `${x.policy}:${x.status}`)).toContain('android:missing');
    expect(before.results.find((x) => x.policy === 'android')!.message).toContain('gicreplay bless traces/a.gtr --policy android --reason');
    await bless(root);
    expect(fs.existsSync(path.join(root, 'golden', 'a', 'android.golden'))).toBe(true);
    const r = await check(root);
    expect(r.verdict.exit).toBe(0);
    expect(r.verdict.counts.match).toBe(NP + 1);
    expect(r.obsolete).toEqual([]);
    // --policy names a registered policy; its own file passed again is the same policy.
    expect((await check(root, { policies: ['android'] })).results.map((x) => x.policy)).toEqual(['android']);
    expect((await check(root, { policyFiles: ['policies/android.json'] })).verdict.exit).toBe(0);
    // Unregistering it makes its golden obsolete again.
    register([]);
    expect((await check(root)).obsolete.map((o) => o.golden)).toEqual(['golden/a/android.golden']);
  });

  test('a malformed registration or a clashing ID is bad input naming package.json (exit 2)', async () => {
    writeTraceAt(root, 'a.gtr');
    register('policies/android.json');
    await expect(check(root)).rejects.toThrow(/package\.json: "gicreplay\.policyFiles" is not a list of file names \(expected "gicreplay": \{ "policyFiles"/);
    writePolicy('policies/rev3-copy.json', 'rev3');
    register(['policies/rev3-copy.json']);
    await expect(check(root)).rejects.toThrow(/rev3-copy\.json: policy "rev3" is registered in package\.json but .*rev3\.json already has that ID/);
    register(['policies/none.json']);
    await expect(check(root)).rejects.toThrow(/package\.json: "gicreplay\.policyFiles" names policies\/none\.json, which does not exist/);
    register([]);
    await expect(check(root, { policies: ['android'] })).rejects.toThrow(/unknown policy "android" \(expected one of rev3, rev2, rev1, rev1-iidr-only, mainline-rev3, linux-6\.1, linux-6\.12, a file given with --policy-file, or one registered in package\.json/);
  });
});

describe('bless', () => {
  test('writes the ledger with the reason, hashes and versions, and no date', async () => {
    writeTraceAt(root, 'a.gtr', bootEvents(true));
    await bless(root, { policies: ['rev3', 'rev1'], reason: 'first goldens for a' });
    const l = readLedger(path.join(root, 'golden'));
    expect(l).toHaveLength(2);
    expect(l[0]).toMatchObject({ golden: 'golden/a/rev3.golden', action: 'create', policy: 'rev3', oldBody: null, reason: 'first goldens for a', wide: false, model: MODEL_VERSION });
    expect(l[0].newBody).toMatch(/^[0-9a-f]{64}$/);
    expect(read(root, 'golden/LEDGER.jsonl')).not.toMatch(/date|time/i);
    // Blessing unchanged output writes nothing and ledgers nothing.
    const again = await bless(root, { policies: ['rev3'], reason: 'again' });
    expect(again.ledger).toHaveLength(0);
    // A real change ledgers old and new body hashes.
    const ch = await bless(root, { policies: ['rev3'], reason: 'DS now reads as 0' }, { ctlrClear: 0x40n });
    expect(ch.ledger[0]).toMatchObject({ action: 'update', oldBody: l[0].newBody, reason: 'DS now reads as 0' });
    expect(ch.ledger[0].newBody).not.toBe(l[0].newBody);
  });

  test('refuses without a reason and on CI', async () => {
    writeTraceAt(root, 'a.gtr');
    await expect(bless(root, { reason: '  ' })).rejects.toThrow(/needs --reason/);
    await expect(bless(root, { config: blessConfig({ CI: 'true' }) })).rejects.toThrow(/refusing to bless on CI/);
    await expect(bless(root, { config: blessConfig({ CI: '1' }) })).rejects.toThrow(/refusing to bless on CI/);
    expect(fs.readdirSync(path.join(root, 'golden'))).toEqual([]);
    // CI=false / CI=0 / empty are not CI.
    for (const v of ['false', '0', '']) await expect(bless(root, { config: blessConfig({ CI: v }) })).resolves.toBeTruthy();
  });

  test('refuses to bless a replay that is not deterministic', async () => {
    writeTraceAt(root, 'a.gtr');
    let n = 0;
    const base = fake();
    const flaky = { ...base, modelFactory: (...a: Parameters<NonNullable<typeof base.modelFactory>>) => new FakeGic(a[0], a[1], a[2], { ctlrClear: BigInt(n++ % 2) << 6n }) };
    await expect(blessGoldens({ root, cwd: root, config: blessConfig(), replay: flaky, reason: 'x', policies: ['rev3'] })).rejects.toThrow(/not deterministic/);
    expect(fs.existsSync(path.join(root, 'golden', 'a'))).toBe(false);
  });

  test('never blesses a trace or policy that was not named', async () => {
    writeTraceAt(root, 'a.gtr', bootEvents(true));
    writeTraceAt(root, 'b.gtr', bootEvents(true));
    await bless(root, { paths: ['traces/a.gtr'], policies: ['rev1'] });
    const files = fs.readdirSync(path.join(root, 'golden'), { recursive: true }).map(String).filter((f) => f.endsWith('.golden'));
    expect(files.map((f) => f.split(path.sep).join('/'))).toEqual(['a/rev1.golden']);
  });

  test('a simulated crash between temp write and rename leaves the old golden and no temp file', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root, { policies: ['rev3'] });
    const before = read(root, 'golden/a/rev3.golden');
    const crash = () => {
      throw new Error('simulated crash');
    };
    await expect(bless(root, { policies: ['rev3'], reason: 'x', hooks: { beforeRename: crash } }, { ctlrClear: 0x40n })).rejects.toThrow('simulated crash');
    expect(read(root, 'golden/a/rev3.golden')).toBe(before);
    expect(fs.readdirSync(path.join(root, 'golden', 'a'))).toEqual(['rev3.golden']);
    expect(readLedger(path.join(root, 'golden'))).toHaveLength(1);
    expect(fs.existsSync(path.join(root, 'golden', '.bless.lock'))).toBe(false);
  });

  test('a concurrent bless is refused; a lock left by a dead process is taken over', async () => {
    writeTraceAt(root, 'a.gtr');
    const lock = path.join(root, 'golden', '.bless.lock');
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname() }));
    await expect(bless(root)).rejects.toThrow(/another bless is running .*pid/);
    fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
    await expect(bless(root)).resolves.toBeTruthy();
    expect(fs.existsSync(lock)).toBe(false);
  });
});

describe('shared goldens', () => {
  test('policies with identical output share one body; check still runs every policy', async () => {
    writeTraceAt(root, 'a.gtr'); // never reads IIDR: all five policies agree
    await bless(root);
    expect(read(root, 'golden/a/rev2.golden')).toContain('# same-as: rev3');
    expect(read(root, 'golden/a/rev2.golden').endsWith('---\n')).toBe(true);
    const r = await check(root);
    expect(r.results.map((x) => [x.policy, x.status, x.sameAs])).toEqual([
      ['rev3', 'match', undefined],
      ['rev2', 'match', 'rev3'],
      ['rev1', 'match', 'rev3'],
      ['rev1-iidr-only', 'match', 'rev3'],
      ['mainline-rev3', 'match', 'rev3'],
      ['linux-6.1', 'match', 'rev3'],
      ['linux-6.12', 'match', 'rev3'],
    ]);
    // Which policies share a body is detail: only with --verbose, never on a clean run's two lines.
    expect(renderReport(r).join('\n')).not.toContain('shared:');
    expect(renderReport(r, { verbose: true }).join('\n')).toContain('shared: traces/a.gtr: rev2, rev1, rev1-iidr-only, mainline-rev3, linux-6.1, linux-6.12 share rev3');
    // A drift shows under every policy that shares the body.
    const d = await check(root, {}, { ctlrClear: 0x40n });
    expect(d.results.every((x) => x.status === 'drift')).toBe(true);
  });

  test('blessing a shared body that others rely on needs --wide', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root);
    await expect(bless(root, { policies: ['rev3'], reason: 'rev3 change' }, { ctlrClear: 0x40n })).rejects.toThrow(/golden\/a\/rev2.golden \(policy rev2, not named\) shares the body of golden\/a\/rev3.golden[\s\S]*--wide/);
    expect(readLedger(path.join(root, 'golden'))).toHaveLength(NP);
    const w = await bless(root, { policies: ['rev3'], reason: 'rev3 change', wide: true }, { ctlrClear: 0x40n });
    expect(w.ledger.filter((e) => e.wide).map((e) => e.policy)).toEqual(['rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3', 'linux-6.1', 'linux-6.12']);
    expect((await check(root, {}, { ctlrClear: 0x40n })).verdict.exit).toBe(0);
  });

  test('a golden whose shared body changed under it is stale, and bless repairs it', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root);
    // Simulate a merge that took a re-blessed rev3 but an old rev2 alias: edit rev2's recorded hash.
    write(root, 'golden/a/rev2.golden', read(root, 'golden/a/rev2.golden').replace(/body-sha256: [0-9a-f]{8}/, 'body-sha256: 00000000'));
    const r = await check(root, { policies: ['rev2'] });
    expect(r.results[0].status).toBe('stale');
    expect(r.results[0].stale![0]).toBe('the body it shares (golden/a/rev3.golden) changed since it was blessed (an interrupted bless, or a merge that took one side)');
    expect(r.verdict.exit).toBe(1);
    // A bless of it repairs the share.
    await bless(root, { policies: ['rev2'], reason: 'repair' });
    expect((await check(root)).verdict.exit).toBe(0);
  });
});

describe('obsolete goldens', () => {
  beforeEach(async () => {
    writeTraceAt(root, 'a.gtr', bootEvents(true));
    writeTraceAt(root, 'old/b.gtr', bootEvents(true));
    await bless(root);
    fs.rmSync(path.join(root, 'traces', 'old', 'b.gtr'));
    fs.writeFileSync(path.join(root, 'golden', 'old', 'b', 'notes.golden'), 'my own notes\n');
  });

  test('a full check names every obsolete golden and fails', async () => {
    const r = await check(root);
    expect(r.obsolete.map((o) => o.golden)).toEqual([
      'golden/old/b/linux-6.1.golden',
      'golden/old/b/linux-6.12.golden',
      'golden/old/b/mainline-rev3.golden',
      'golden/old/b/rev1-iidr-only.golden',
      'golden/old/b/rev1.golden',
      'golden/old/b/rev2.golden',
      'golden/old/b/rev3.golden',
    ]);
    expect(r.obsolete[0].reason).toContain('traces/old/b.gtr no longer exists');
    expect(r.foreign).toEqual(['golden/old/b/notes.golden']);
    expect(r.verdict.exit).toBe(1);
    const j = renderJunit(r);
    expect(j).toContain('classname="gicreplay.obsolete" name="golden/old/b/rev3.golden"');
  });

  test('a filtered check never calls something obsolete because of the filter', async () => {
    writeTraceAt(root, 'c.gtr', bootEvents(true));
    await bless(root, { paths: ['traces/c.gtr'] });
    const r = await check(root, { paths: ['traces/a.gtr'] });
    expect(r.obsolete).toEqual([]);
    expect(r.verdict.exit).toBe(0);
    const byPolicy = await check(root, { policies: ['rev1'] });
    expect(byPolicy.obsolete.map((o) => o.golden)).toEqual(['golden/old/b/rev1.golden']);
  });

  test('an unknown policy makes its goldens obsolete', async () => {
    fs.copyFileSync(path.join(root, 'golden', 'a', 'rev3.golden'), path.join(root, 'golden', 'a', 'rev9.golden'));
    const r = await check(root, { paths: ['traces/a.gtr'] });
    expect(r.obsolete).toEqual([{ golden: 'golden/a/rev9.golden', reason: 'no policy "rev9" (not built in, not registered in package.json "gicreplay.policyFiles", not given with --policy-file)' }]);
  });

  test('only bless --prune removes them, and only files with our header', async () => {
    await bless(root, { reason: 'no change' });
    expect(fs.existsSync(path.join(root, 'golden', 'old', 'b', 'rev3.golden'))).toBe(true);
    const p = await bless(root, { reason: 'trace b retired', prune: true });
    expect(p.ledger.filter((e) => e.action === 'delete')).toHaveLength(NP);
    expect(fs.readdirSync(path.join(root, 'golden', 'old', 'b'))).toEqual(['notes.golden']);
    const r = await check(root);
    expect(r.obsolete).toEqual([]);
  });
});

describe('shard and merge', () => {
  test('merged shard reports give the same verdict and results as a full run', async () => {
    writeTraceAt(root, 'a.gtr', bootEvents(true));
    writeTraceAt(root, 'b.gtr');
    writeTraceAt(root, 'c/d.gtr', bootEvents(true));
    await bless(root);
    writeTraceAt(root, 'e.gtr'); // missing goldens
    fs.copyFileSync(path.join(root, 'golden', 'a', 'rev3.golden'), path.join(root, 'golden', 'a', 'gone.golden')); // obsolete
    const b = { ctlrClear: 0x40n };
    const full = await check(root, {}, b);
    const shards: CheckReport[] = [];
    for (let i = 1; i <= 3; i++) shards.push(JSON.parse(JSON.stringify(await check(root, { shard: { index: i, count: 3 } }, b))));
    for (const s of shards) expect(s.obsolete).toEqual([]);
    const merged = mergeReports(shards, ['s1', 's2', 's3'], { root });
    expect(merged.verdict).toEqual(full.verdict);
    expect(JSON.stringify(merged.results)).toBe(JSON.stringify(full.results));
    expect(merged.obsolete).toEqual(full.obsolete);
    expect(full.verdict.counts).toMatchObject({ pairs: 4 * NP, drift: 3 * NP, missing: NP, obsolete: 1 });
    expect(() => mergeReports(shards.slice(0, 2), ['s1', 's2'], { root })).toThrow(/shard 3\/3 missing/);
  });
});

describe('invariants (golden/invariants.json)', () => {
  test('check enforces expected-to-differ/agree statements, also across shards', async () => {
    writeTraceAt(root, 'iidr.gtr', bootEvents(true)); // reads GICD_IIDR: the revision shows
    await bless(root);
    const inv = (expect: string, a: string, b: string) => ({ trace: 'iidr.gtr', policies: [a, b], expect, reason: 'test' });
    write(root, 'golden/invariants.json', JSON.stringify({ schema: 1, invariants: [inv('differ', 'rev3', 'rev1'), inv('agree', 'rev3', 'mainline-rev3')] }));
    const ok = await check(root);
    expect(ok.invariants.map((i) => i.ok)).toEqual([true, true]);
    expect(ok.verdict.exit).toBe(0);
    write(root, 'golden/invariants.json', JSON.stringify({ schema: 1, invariants: [inv('agree', 'rev3', 'rev1'), inv('differ', 'rev3', 'mainline-rev3')] }));
    const bad = await check(root);
    expect(bad.invariants.map((i) => i.ok)).toEqual([false, false]);
    expect(bad.verdict.exit).toBe(1);
    expect(renderReport(bad).join('\n')).toContain('INVARIANT inv:iidr.gtr:rev3:rev1:agree');
    const shards: CheckReport[] = [];
    for (let i = 1; i <= 2; i++) shards.push(await check(root, { shard: { index: i, count: 2 } }));
    expect(mergeReports(shards, ['a', 'b'], { root }).invariants).toEqual([...bad.invariants].sort((x, y) => (x.id < y.id ? -1 : 1)));
    // A filter that leaves the trace out leaves its invariants out.
    writeTraceAt(root, 'other.gtr');
    await bless(root, { paths: ['traces/other.gtr'] });
    expect((await check(root, { paths: ['traces/other.gtr'] })).invariants).toEqual([]);
  });
});

describe('--pending: the new output, never in golden/', () => {
  test('non-matching pairs get a complete golden under the pending folder; matching ones nothing', async () => {
    writeTraceAt(root, 'a.gtr', bootEvents(true));
    await bless(root, { policies: ['rev3', 'rev1'] });
    const pend = path.join(root, 'out');
    const before = read(root, 'golden/a/rev3.golden');
    const r = await check(root, { policies: ['rev3', 'rev2'], pendingDir: 'out' }, { ctlrClear: 0x40n });
    expect(r.results.map((x) => [x.status, x.pending])).toEqual([
      ['drift', 'golden/a/rev3.golden.new'],
      ['missing', 'golden/a/rev2.golden.new'],
    ]);
    const neu = fs.readFileSync(path.join(pend, 'golden', 'a', 'rev3.golden.new'), 'utf8');
    expect(neu).toContain('GICD_CTLR/4 = 0x12');
    expect(neu).toContain(`# body-sha256: ${r.results[0].bodySha256}`);
    expect(read(root, 'golden/a/rev3.golden')).toBe(before);
    const m = await check(root, { policies: ['rev1'], pendingDir: 'out2' });
    expect(m.results[0].status).toBe('match');
    expect(fs.existsSync(path.join(root, 'out2', 'golden', 'a', 'rev1.golden.new'))).toBe(false);
    await expect(check(root, { pendingDir: 'golden/x' })).rejects.toThrow(/inside golden/);
  });

  test('copying a pending output over a golden does not bypass bless: the ledger does not know it', async () => {
    writeTraceAt(root, 'a.gtr');
    await bless(root, { policies: ['rev3'] });
    const b = { ctlrClear: 0x40n };
    await check(root, { policies: ['rev3'], pendingDir: 'out' }, b);
    fs.copyFileSync(path.join(root, 'out', 'golden', 'a', 'rev3.golden.new'), path.join(root, 'golden', 'a', 'rev3.golden'));
    const r = await check(root, { policies: ['rev3'] }, b);
    expect(r.results[0].status).toBe('stale');
    expect(r.results[0].message).toContain('no ledger entry records this body');
    expect(r.verdict.exit).toBe(1);
    const fix = await bless(root, { policies: ['rev3'], reason: 'accept the DS change' }, b);
    expect(fix.ledger.map((e) => e.action)).toEqual(['restamp']);
    expect((await check(root, { policies: ['rev3'] }, b)).verdict.exit).toBe(0);
  });
});

describe('all policies of a trace in one read', () => {
  const traceOpens = (spy: jest.Mock) => spy.mock.calls.filter((c) => String(c[0]).endsWith(`${path.sep}a.gtr`)).length;

  test('a suite that matches reads each trace once, whatever the number of policies', async () => {
    writeTraceAt(root, 'a.gtr', bootEvents(true)); // reads IIDR: rev3, rev2 and rev1 bodies differ
    await bless(root);
    const opens = inputFile.openInputFile as unknown as jest.Mock;
    opens.mockClear();
    const r = await check(root);
    expect(r.results.map((x) => x.status)).toEqual(new Array(NP).fill('match'));
    expect(traceOpens(opens)).toBe(1);
  });

  test('pair by pair, the one-read check gives what checking each pair alone gives: matches, drifts, a missing and a hand-edited golden', async () => {
    writeTraceAt(root, 'a.gtr', bootEvents(true)); // rev3, rev2 and rev1 bodies differ, the others share one of them
    await bless(root);
    fs.rmSync(path.join(root, 'golden', 'a', 'linux-6.1.golden'));
    write(root, 'golden/a/rev2.golden', read(root, 'golden/a/rev2.golden').replace('boot done', 'boot Done'));
    // IGROUPR1 writes dropped below revision 3: the followers below it drift away from their leader.
    const b: FakeBehaviour = { groupMinRevision: 3 };
    const together = await check(root, {}, b);
    const layout = layoutFor(root);
    const alone = BUILTIN_POLICY_IDS.map((id) => checkPair({ layout, trace: 'a.gtr', policy: getPolicy(id), golden: goldenPathFor('a.gtr', id), replay: fake(b) }));
    expect(together.results).toEqual(alone);
    const statuses = new Set(together.results.map((x) => x.status));
    expect([...statuses].sort()).toEqual(['drift', 'error', 'match', 'missing']);
  });

  test('a policy whose replay lacks a record of the last event does not ride on the replay that has it', async () => {
    // One event, a write both policies drop with the same record when blessed: their goldens
    // share one body and rev2's replay leads rev3's. At check rev3 takes the write silently. Only
    // the comparison at the end of each event sees that rev3 produced fewer records than rev2.
    writeTraceAt(root, 'a.gtr', [{ kind: EventKind.MmioWrite, cycle: 10n, cpu: 0, frame: 0, index: 0, offset: 0x84, size: 4, value: 0xffffffffn }]);
    const policies = ['rev2', 'rev3'];
    await bless(root, { policies }, { groupDropIn: policies });
    expect(read(root, 'golden/a/rev3.golden')).toContain('drops IGROUPR writes');
    const r = await check(root, { policies }, { groupDropIn: ['rev2'] });
    expect(r.results.map((x) => [x.policy, x.status])).toEqual([
      ['rev2', 'match'],
      ['rev3', 'drift'],
    ]);
  });
});
