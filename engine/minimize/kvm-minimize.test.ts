// minimize --backend kvm on the nested host (Debian's 6.1 at EL2 under QEMU): the model is made to
// differ from the kernel through a policy ("my": rev3, but guest IGROUPR writes dropped below
// revision 4), so the IGROUPR guest's first unexplained difference is cpu1's GICR_IGROUPR0
// read-back (the model 0xffffffff, KVM the written 0xffff). The minimiser keeps the write and the
// read, each ddmin round's candidates in one boot; a trace the model and KVM agree on is refused.
// Boots are few on purpose (CI time): the counts are asserted.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NestedHost } from '../backend/kvm/host';
import { UsageError } from '../errors';
import { getPolicy, loadPolicyFile } from '../policy/policy';
import { projectRoot } from '../util/project-root';
import { minimizeFile } from '.';

jest.setTimeout(600_000);

const root = projectRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-kvm-min-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('minimize --backend kvm (nested 6.1)', () => {
  const host = new NestedHost();

  test('the model made to drop guest IGROUPR writes: the minimal trace is the write and the read-back KVM answers otherwise', () => {
    const pol = path.join(tmp, 'my.json');
    fs.writeFileSync(pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3', guestGroupWrites: { minRevision: 4 } }));
    const r = minimizeFile(path.join(root, 'traces/guests/igroupr-rw-v3.gtr'), { kind: 'kvm', policy: loadPolicyFile(pol), host });
    expect(r.kept).toEqual([1, 4]);
    expect(r.target.index).toBe(4);
    expect(r.target.describe).toBe('cpu1 read GICR_IGROUPR0: model (my) 0xffffffff, KVM 0xffff');
    expect(r.header.gic.spis).toBe(32);
    expect(r.header.gic.cpus).toHaveLength(2);
    // The original run, the causal slice, ddmin's round and the SPI tries: one boot each.
    expect({ boots: r.boots, replays: r.replays, bounded: r.bounded }).toEqual({ boots: 4, replays: 4, bounded: false });
    expect(r.steps.map((s) => s.phase)).toEqual(['prefix', 'causal slice', 'delta debugging', 'SPIs']);
  });

  test('a trace the model and KVM agree on: "nothing to minimise" (one boot)', () => {
    let err: unknown;
    try {
      minimizeFile(path.join(root, 'traces/witnesses/igroupr-guest-write-rev1-v3.gtr'), { kind: 'kvm', policy: getPolicy('linux-6.1'), host });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^nothing to minimise: .*igroupr-guest-write-rev1-v3\.gtr shows no unexplained difference between the model under linux-6\.1 and KVM \(`gicreplay fidelity .* --policy linux-6\.1` lists every difference\)$/);
  });
});
