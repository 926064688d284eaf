// Migration on real KVM (nested Debian 6.1): the kernel answers the question the model's migrate
// answers, and must give the model's answer. A GICv2 guest that configured Group 1 is saved and
// restored with QEMU's recipe, which never writes GICD_IIDR: KVM (vgic_mmio_uaccess_write_v2_group,
// v2_groups_user_writable) drops the restored IGROUPR writes, so the guest notices; a destination
// put into revision 2 through GICD_IIDR keeps the groups, so it does not.

import * as path from 'path';
import { migrate } from '../../divergence/migrate';
import { registerFamily } from '../../divergence/pairwise';
import { getPolicy } from '../../policy/policy';
import { projectRoot } from '../../util/project-root';
import { NestedHost } from './host';
import { migrateOnKvm } from './migrate';
import { renderKvmMigrationText } from './render-migrate';

const trace = path.join(projectRoot(), 'traces', 'guests', 'grp1-ackctl-v2.gtr');
const families = (groups: readonly { subject: string }[]) => [...new Set(groups.map((g) => registerFamily(g.subject)))].sort();

describe('migrate --backend kvm (nested Debian 6.1, GICv2 host GIC)', () => {
  const host = new NestedHost({});

  test("QEMU's recipe on 6.1: the restored groups are dropped and the guest notices, as the model predicts", () => {
    const kvm = migrateOnKvm(trace, { host, from: getPolicy('linux-6.1'), to: getPolicy('linux-6.1'), at: 40, vmm: 'qemu' });
    const model = migrate(trace, getPolicy('linux-6.1'), getPolicy('linux-6.1'), { at: { index: 40 }, vmm: 'qemu', analysis: false });
    expect(kvm.destinationRevision).toBe('kernel');
    expect(kvm.refused).toEqual([]); // KVM drops the writes without an error: the VMM cannot tell
    expect(kvm.invisible).toBe(false);
    expect(model.invisible).toBe(false);
    expect(kvm.visibleCount).toBe(model.visibleCount);
    expect(families(kvm.groups)).toEqual(families(model.groups));
    expect(families(kvm.groups)).toContain('GICC_IAR');
    expect(kvm.first).toMatchObject({ index: model.first!.index });
    const text = renderKvmMigrationText(kvm);
    expect(text).toContain('the guest notices');
    expect(text).toContain("the kernel's own revision (no GICD_IIDR write, as QEMU restores)");
  }, 300_000);

  test('a destination put into revision 2 through GICD_IIDR keeps the groups: invisible on KVM and on the model', () => {
    const kvm = migrateOnKvm(trace, { host, from: getPolicy('linux-6.1'), to: getPolicy('rev2'), at: 40, vmm: 'qemu' });
    const model = migrate(trace, getPolicy('linux-6.1'), getPolicy('rev2'), { at: { index: 40 }, vmm: 'qemu', analysis: false });
    expect(kvm.destinationRevision).toBe(2);
    expect([kvm.invisible, kvm.count]).toEqual([true, 0]);
    // The model also lists the IGROUPR restore steps rev2 applies and the source's kernel drops
    // (restore.changed); what the guest sees afterwards is the same.
    expect(model.visibleCount).toBe(0);
    expect(model.restore.changed.map((c) => c.reg)).toEqual(expect.arrayContaining([expect.stringContaining('GICD_IGROUPR1')]));
    expect(kvm.saved).toBeGreaterThan(64);
  }, 300_000);

  test('a migration point with nothing after it is an input error naming the trace', () => {
    expect(() => migrateOnKvm(trace, { host, from: getPolicy('rev3'), to: getPolicy('rev3'), at: 10_000 })).toThrow(/cannot migrate after event 10000[\s\S]*/);
  });
});
