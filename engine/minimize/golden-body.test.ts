// Goldens of format 2 (a compact, deflate-compressed body, written for bodies of 16 MiB or more)
// are read by `minimize --golden` and `export` as their plain body: the same trace blessed once
// plain and once compact (the threshold lowered through bless's compactAbove hook, as the golden
// module's own compact tests do) gives the same minimised witness and the same reproducer.

import * as fs from 'fs';
import * as path from 'path';
import { blessGoldens } from '../golden';
import { blessConfig, tempProject } from '../golden/testing/project';
import { exportTrace } from '../export';
import { loadPolicyFile } from '../policy/policy';
import { projectRoot } from '../util/project-root';
import { InputError } from '../errors';
import { readGoldenBody } from './golden-body';
import { minimizeFile } from '.';

const IGROUPR = path.join(projectRoot(), 'traces/guests/igroupr-rw-v3.gtr');
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A project with the IGROUPR guest and policy "my" (rev3), its golden blessed plain or compact. */
async function project(compact: boolean): Promise<{ root: string; trace: string; pol: string }> {
  const root = tempProject();
  roots.push(root);
  const trace = path.join(root, 'traces', 'ig.gtr');
  fs.copyFileSync(IGROUPR, trace);
  const pol = path.join(root, 'my.json');
  fs.writeFileSync(pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3' }));
  const r = await blessGoldens({ root, cwd: root, config: blessConfig(), reason: 'compact golden-body test', policyFiles: [pol], policies: ['my'], hooks: compact ? { compactAbove: 1 } : {} });
  expect(r.outcomes.map((x) => x.action)).toEqual(['create']);
  return { root, trace, pol };
}

describe('format-2 (compact) goldens in minimize --golden and export', () => {
  let plain: Awaited<ReturnType<typeof project>>;
  let compact: Awaited<ReturnType<typeof project>>;
  const golden = (p: typeof plain) => path.join(p.root, 'golden', 'ig', 'my.golden');
  beforeAll(async () => {
    plain = await project(false);
    compact = await project(true);
  });

  test('the compact golden is format 2 and its body reads back as the plain one, line for line', () => {
    expect(fs.readFileSync(golden(compact), 'utf8')).toMatch(/^# gicreplay golden 2\n[^]*# body-encoding: deflate-base64\n/);
    expect(fs.readFileSync(golden(plain), 'utf8')).toMatch(/^# gicreplay golden 1\n/);
    const a = readGoldenBody(golden(plain), 'golden/ig/my.golden', '');
    expect(a).toHaveLength(Number(/^# body-lines: (\d+)$/m.exec(fs.readFileSync(golden(compact), 'utf8'))![1]));
    expect(a[0]).toMatch(/read mmio GICD_IIDR\/4 = 0x4b00343b/);
    expect(readGoldenBody(golden(compact), 'golden/ig/my.golden', '')).toEqual(a);
  });

  test('minimize --golden finds the same drift in both and shrinks it to the same two events', () => {
    // "my" now drops guest IGROUPR writes (as rev1 does): the first drift is cpu1's GICR_IGROUPR0 read-back.
    const drifted = (p: typeof plain) => {
      fs.writeFileSync(p.pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3', guestGroupWrites: { minRevision: 4 } }));
      return minimizeFile(p.trace, { kind: 'golden', root: p.root, policies: [loadPolicyFile(p.pol)] });
    };
    const a = drifted(plain);
    const b = drifted(compact);
    expect(a.kept).toEqual([1, 4]);
    expect(a.target.describe).toContain('GICR_IGROUPR0/4 = 0xffff ');
    expect({ kept: b.kept, target: b.target, replays: b.replays, question: b.question }).toEqual({ kept: a.kept, target: a.target, replays: a.replays, question: a.question });
  });

  test('export checks the compact golden\'s values, and refuses it when the policy no longer replays as it', () => {
    for (const p of [plain, compact]) fs.writeFileSync(p.pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3' }));
    const a = exportTrace(plain.trace, loadPolicyFile(plain.pol), 'c', plain.root);
    const b = exportTrace(compact.trace, loadPolicyFile(compact.pol), 'c', compact.root);
    expect(b.golden).toBe('golden/ig/my.golden');
    expect(b.text).toBe(a.text);
    fs.writeFileSync(compact.pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3', guestGroupWrites: { minRevision: 4 } }));
    expect(() => exportTrace(compact.trace, loadPolicyFile(compact.pol), 'c', compact.root)).toThrow(/no longer replays as golden\/ig\/my\.golden/);
  });

  test('a hand-edited golden is refused as check refuses it, plain or compact (stored-sha256), naming the file and the bless that regenerates it', () => {
    for (const p of [plain, compact]) fs.writeFileSync(p.pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3' }));
    const text = fs.readFileSync(golden(plain), 'utf8');
    fs.writeFileSync(golden(plain), text.replace('= 0x4b00343b', '= 0x4b00343c'));
    const ctext = fs.readFileSync(golden(compact), 'utf8');
    const stored = /^# stored-sha256: ([0-9a-f]{64})$/m.exec(ctext)![1];
    fs.writeFileSync(golden(compact), ctext.replace(stored, `${stored[0] === '0' ? '1' : '0'}${stored.slice(1)}`));
    const edited = /^golden\/ig\/my\.golden: golden was edited by hand: .*regenerate it with `gicreplay bless traces\/ig\.gtr --policy-file my\.json --reason "…"`/;
    for (const p of [plain, compact]) {
      expect(() => readGoldenBody(golden(p), 'golden/ig/my.golden', '', 'my.json')).toThrow(edited);
      expect(() => minimizeFile(p.trace, { kind: 'golden', root: p.root, policies: [loadPolicyFile(p.pol)] })).toThrow(InputError);
      expect(() => exportTrace(p.trace, loadPolicyFile(p.pol), 'c', p.root)).toThrow(/golden\/ig\/my\.golden: golden was edited by hand/);
    }
    // Only the stored lines' digest changed in the compact one: its inflated body is still the plain body.
    fs.writeFileSync(golden(compact), ctext);
    expect(readGoldenBody(golden(compact), 'golden/ig/my.golden', '')).toHaveLength(Number(/^# body-lines: (\d+)$/m.exec(ctext)![1]));
  });
});
