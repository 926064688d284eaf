import { spawnSync } from 'child_process';
import * as path from 'path';
import { projectRoot } from '../../../engine/util/project-root';
import { requireBuiltCli } from '../testing/run';

// The real CLI on the built dist/ (npm test builds it first) and real checked-in traces.
const root = projectRoot();
const cli = path.join(root, 'bin', 'gicreplay');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
const trace = 'traces/guests/igroupr-rw-v3.gtr';

describe('gicreplay diff and matrix on the command line', () => {
  beforeAll(requireBuiltCli);
  it('diff exits 0 for a policy against itself', () => {
    const r = run('diff', trace, '--policies', 'rev3,rev3');
    expect([r.status, r.stdout]).toEqual([0, expect.stringContaining('identical')]);
  });

  it('diff exits 1 and names the IGROUPR read-back, the dropped write and the policy switch for rev1 vs rev1-iidr-only', () => {
    const r = run('diff', trace, '--policies', 'rev1-iidr-only,rev1');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/First divergence:\n {2}event \d+ @0x[0-9a-f]+ cpu\d read GIC[DR]_IGROUPR/);
    expect(r.stdout).toMatch(/rev1-iidr-only applied; rev1 dropped: ignored: policy rev1 drops guest IGROUPR writes at revision 1/);
    expect(r.stdout).toContain('guestGroupWrites.minRevision: 0 → 2');
    // The 32 per-interrupt group bits the read depends on are one range, and the write one line.
    expect(r.stdout).toContain('state read: irq:0-31@1:group');
    expect(r.stdout.match(/→ irq:0-31@1:group: rev1-iidr-only applied/g)).toHaveLength(1);
  });

  it('diff --json is one machine-readable object with hex values', () => {
    const r = run('diff', trace, '--policies', 'rev1,rev3', '--json');
    expect(r.status).toBe(1);
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ policyA: 'rev1', policyB: 'rev3', identical: false });
    expect(o.first.a).toMatch(/^0x[0-9a-f]+$/);
  });

  it('diff exits 2 on bad input, naming what was expected', () => {
    const bad = run('diff', trace, '--policies', 'rev3');
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining('diff runs two policies; --policy and --policy-file name 1 (rev3)')]);
    const missing = run('diff', 'traces/nope.gtr', '--policies', 'rev1,rev3');
    expect([missing.status, missing.stderr]).toEqual([2, expect.stringContaining('traces/nope.gtr')]);
    const unknown = run('diff', trace, '--policies', 'rev9,rev3');
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining('unknown policy "rev9"')]);
  });

  it('matrix --json gives equivalence classes per trace', () => {
    const r = run('matrix', 'traces/guests/igroupr-rw-v3.gtr', 'traces/guests/lnx-v3.gtr', '--json');
    expect(r.status).toBe(0);
    const ms = (JSON.parse(r.stdout) as { traces: Array<{ trace: string; classes: string[][] }> }).traces;
    expect(ms.map((m) => m.trace)).toEqual(['guests/igroupr-rw-v3.gtr', 'guests/lnx-v3.gtr']);
    // A Linux GICv3 guest cannot tell the two readings of revision 1 apart; the IGROUPR guest can.
    expect(ms[1].classes).toContainEqual(['rev1', 'rev1-iidr-only']);
    expect(ms[0].classes.some((c) => c.includes('rev1') && c.includes('rev1-iidr-only'))).toBe(false);
  });
});
