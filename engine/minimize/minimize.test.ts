import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffPolicies } from '../divergence/diff';
import { validateTrace } from '../inspect/inspect';
import { getPolicy } from '../policy/policy';
import { readTrace } from '../trace/reader';
import { projectRoot } from '../util/project-root';
import { requireBuiltCli } from '../../tools/cli/testing/run';
import { BudgetExhausted, ddmin } from './ddmin';
import { minimizeFile, writeMinimized } from '.';

const root = projectRoot();
const cli = path.join(root, 'bin', 'gicreplay');
const run = (cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env });
const IGROUPR = path.join(root, 'traces/guests/igroupr-rw-v3.gtr');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-minimize-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('ddmin', () => {
  it('finds the two events an oracle needs, 1-minimal, whatever the order of the rest', () => {
    const needs = (s: readonly number[]) => s.includes(3) && s.includes(17);
    const r = ddmin([...Array(40).keys()].filter((i) => i !== 9), [9], (cs) => cs.findIndex(needs));
    expect(r.keep).toEqual([3, 9, 17]);
    expect(r.bounded).toBe(false);
  });

  it('stops with the smallest passing set so far when the budget runs out', () => {
    let n = 0;
    const r = ddmin([...Array(64).keys()], [], (cs) => {
      if (++n > 3) throw new BudgetExhausted();
      return cs.findIndex((s) => s.includes(5) && s.includes(60));
    });
    expect(r.bounded).toBe(true);
    expect(r.keep).toEqual(expect.arrayContaining([5, 60]));
  });
});

describe('minimising a policy difference', () => {
  it('shrinks the IGROUPR guest (rev1 vs rev3) to a handful of events with the same first divergence, the same result twice', () => {
    const before = diffPolicies(IGROUPR, getPolicy('rev1'), getPolicy('rev3'));
    const outs = [path.join(tmp, 'a.gtr'), path.join(tmp, 'b.gtr')];
    for (const out of outs) writeMinimized(out, minimizeFile(IGROUPR, { kind: 'policies', a: getPolicy('rev1'), b: getPolicy('rev3') }), [IGROUPR]);
    expect(fs.readFileSync(outs[0]).equals(fs.readFileSync(outs[1]))).toBe(true);
    const min = readTrace(outs[0]);
    expect(min.events.length).toBeLessThanOrEqual(5);
    expect(validateTrace(outs[0]).events).toBe(min.events.length);
    const after = diffPolicies(outs[0], getPolicy('rev1'), getPolicy('rev3'));
    const sameness = (d: typeof before.first) => d && { kind: d.kind, reg: 'reg' in d ? d.reg : '', a: String(d.a), b: String(d.b), cpu: d.cpu };
    expect(sameness(after.first)).toEqual(sameness(before.first));
    // The header says where it came from.
    expect(min.header.provenance.details.minimizedFrom).toContain('igroupr-rw-v3.gtr');
  });

  it('keeps a later difference with the write that causes it: the GICD_IGROUPR1 read-back needs its write, nothing else', () => {
    const r = minimizeFile(IGROUPR, { kind: 'policies', a: getPolicy('rev1'), b: getPolicy('rev3'), at: 15 });
    expect(r.kept).toEqual([14, 15]);
    expect(r.header.gic.cpus).toHaveLength(1);
    expect(r.header.gic.spis).toBe(32);
    const out = path.join(tmp, 'at15.gtr');
    writeMinimized(out, r, [IGROUPR]);
    const d = diffPolicies(out, getPolicy('rev1'), getPolicy('rev3'));
    expect(d.first).toMatchObject({ kind: 'read', reg: 'GICD_IGROUPR1', a: 0xffffffffn, b: 0x0f0f0f0fn });
    expect(d.slice?.events.map((e) => e.index)).toEqual([0]);
  });

  it('takes a QEMU recording of 429 events to the five that make rev3 raise a FIQ rev1 does not, in few replays', () => {
    const file = path.join(root, 'traces/qemu/gic3-baremetal-smp1.gtr');
    const r = minimizeFile(file, { kind: 'policies', a: getPolicy('rev1'), b: getPolicy('rev3'), at: 370 });
    expect(r.events.length).toBe(5);
    expect(r.target.describe).toMatch(/FIQ output: rev1 unchanged, rev3 1@/);
    expect(r.replays).toBeLessThan(200);
    expect(r.steps.map((s) => s.phase)).toEqual(expect.arrayContaining(['causal slice', 'delta debugging']));
  });
});

describe('gicreplay minimize on the command line', () => {
  beforeAll(requireBuiltCli);

  it('refuses a trace with no difference: exit 2, "nothing to minimise", nothing written', () => {
    const out = path.join(tmp, 'none.gtr');
    const r = run(root, ['minimize', 'traces/guests/igroupr-rw-v3.gtr', '--policies', 'rev3,mainline-rev3', '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nothing to minimise');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses without a question and with two', () => {
    const out = path.join(tmp, 'q.gtr');
    expect(run(root, ['minimize', 'traces/guests/igroupr-rw-v3.gtr', '-o', out]).status).toBe(2);
    expect(run(root, ['minimize', 'traces/guests/igroupr-rw-v3.gtr', '--golden', '--policies', 'rev1,rev3', '-o', out]).status).toBe(2);
  });

  it('--json reports the steps and replays; --keep-markers keeps the marker after the kept read', () => {
    const out = path.join(tmp, 'm.gtr');
    const r = run(root, ['minimize', 'traces/guests/igroupr-rw-v3.gtr', '--policies', 'rev1,rev3', '--at', '15', '--keep-markers', '-o', out, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kept: [14, 15, 16], after: { events: 3, cpus: 1, spis: 32 } });
    expect(j.replays).toBeGreaterThan(0);
    expect(readTrace(out).events[2]).toMatchObject({ text: 'PASS: GICD_IGROUPR1 reads back 0xf0f0f0f' });
  });

  it('--golden minimises the first drift from a golden, keeping what the drifting read depends on', () => {
    // A project whose policy "my" was rev3 when its golden was blessed, and now drops guest IGROUPR writes.
    const proj = fs.mkdtempSync(path.join(tmp, 'proj-'));
    fs.mkdirSync(path.join(proj, 'traces'));
    fs.mkdirSync(path.join(proj, 'golden'));
    fs.copyFileSync(IGROUPR, path.join(proj, 'traces', 'ig.gtr'));
    const pol = path.join(proj, 'my.json');
    fs.writeFileSync(pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3' }));
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com' };
    delete env.CI;
    const b = run(proj, ['bless', 'traces/ig.gtr', '--policy-file', pol, '--reason', 'the policy before the change'], env);
    expect(b.stderr).toBe('');
    expect(b.status).toBe(0);
    fs.writeFileSync(pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3', guestGroupWrites: { minRevision: 4 } }));
    const out = path.join(tmp, 'g.gtr');
    const r = run(proj, ['minimize', 'traces/ig.gtr', '--golden', '--policy-file', pol, '--policy', 'my', '-o', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    // The first drift: cpu1 reads back GICR_IGROUPR0 after writing it (events 1 and 4).
    expect(j.kept).toEqual([1, 4]);
    expect(j.target.describe).toContain('GICR_IGROUPR0/4 = 0xffff ');
    // No drift: nothing to minimise.
    fs.writeFileSync(pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3' }));
    const none = run(proj, ['minimize', 'traces/ig.gtr', '--golden', '--policy-file', pol, '--policy', 'my', '-o', out]);
    expect([none.status, none.stderr]).toEqual([2, expect.stringContaining('nothing to minimise')]);
  });
});
