import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { projectRoot } from '../../../engine/util/project-root';
import { requireBuiltCli } from '../testing/run';

// The real CLI on the built dist/ and a real checked-in trace.
const root = projectRoot();
const cli = path.join(root, 'bin', 'gicreplay');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
const trace = 'traces/guests/grp1-ackctl-v2.gtr';
const marker = 'PASS: SPI 40 reads back as Group 1';

describe('gicreplay migrate on the command line', () => {
  beforeAll(requireBuiltCli);

  it('exits 0 for an invisible migration (rev2 → rev2)', () => {
    const r = run('migrate', trace, '--from', 'rev2', '--to', 'rev2', '--at-marker', marker);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/invisible: the guest cannot tell this migration from staying on rev2\.\n$/);
  });

  it('exits 1 when the guest notices, naming the dropped IGROUPR restore and the recipe', () => {
    const r = run('migrate', trace, '--from', 'rev2', '--to', 'mainline-rev3', '--at-marker', marker);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("qemu: QEMU's order (hw/intc/arm_gic_kvm.c); QEMU never writes GICD_IIDR");
    expect(r.stdout).toMatch(/userspace write GICD_IGROUPR1 \(vCPU 0\) = 0x100: mainline-rev3 ignored/);
    expect(r.stdout).toMatch(/NOTICED: the guest can tell it was migrated from rev2 to mainline-rev3/);
  });

  it('--json is one object; --save writes a segment that validates and replays', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-migrate-cli-'));
    try {
      const seg = path.join(dir, 'saved.gtr');
      const r = run('migrate', trace, '--from', 'rev2', '--to', 'mainline-rev3', '--at', '32', '--json', '--save', seg);
      expect(r.status).toBe(1);
      const o = JSON.parse(r.stdout);
      expect(o).toMatchObject({ from: 'rev2', to: 'mainline-rev3', vmm: 'qemu', at: { index: 32 }, invisible: false });
      expect(o.restore.changed[0].value).toMatch(/^0x[0-9a-f]+$/);
      expect(run('trace', 'validate', seg).status).toBe(0);
      expect(run('replay', seg, '--policy', 'rev2').stdout).not.toContain('GICD_IGROUPR1');
      const rep = run('replay', seg, '--policy', 'mainline-rev3');
      expect(rep.status).toBe(0);
      expect(rep.stdout).toMatch(/write user GICD_IGROUPR1\/4 0x100 -> "ignored: policy mainline-rev3 drops userspace IGROUPR writes until userspace writes GICD_IIDR"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 for a migration point past the end, a missing marker, or no point at all', () => {
    const past = run('migrate', trace, '--from', 'rev2', '--to', 'rev3', '--at', '100000');
    expect([past.status, past.stderr]).toEqual([2, expect.stringMatching(/event 100000 is past the end of the trace \(\d+ events\)/)]);
    const nomark = run('migrate', trace, '--from', 'rev2', '--to', 'rev3', '--at-marker', 'nope');
    expect([nomark.status, nomark.stderr]).toEqual([2, expect.stringContaining('no marker event with text "nope"')]);
    const none = run('migrate', trace, '--from', 'rev2', '--to', 'rev3');
    expect([none.status, none.stderr]).toEqual([2, expect.stringContaining('exactly one of --at N and --at-marker TEXT')]);
    const pol = run('migrate', trace, '--from', 'rev9', '--to', 'rev3', '--at', '3');
    expect(pol.status).toBe(2);
  });
});
