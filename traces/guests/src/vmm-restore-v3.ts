// Group-configuration guest (ours), GICv3, on the VMM's side: the destination of a live
// migration of a guest that had moved SPI 40 to Group 0 and enabled ICC_IGRPEN0_EL1 (as
// grp0-fiq-v3 does). Before the guest resumes, the VMM restores the distributor, redistributor
// and CPU-interface state through KVM_DEV_ARM_VGIC_GRP_DIST_REGS / REDIST_REGS / CPU_SYSREGS, as
// QEMU's hw/intc/arm_gicv3_kvm.c kvm_arm_gicv3_put() does (it never writes GICD_IIDR); the guest
// then checks its groups survived and takes SPI 40 as FIQ through ICC_IAR0_EL1.
// Per ../shared/spec/policies.md the userspace IGROUPR write is honoured on GICv3 by every
// policy except rev1 (the posted series drops userspace writes below revision 2 too), unlike
// GICv2 (vmm-restore-v2). [G!]

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { SPURIOUS, waitUntil } from './lib/gic';

const SPI = 40;
const BIT = 1n << BigInt(SPI % 32);

export const vmmRestoreV3 = defineGuest({
  name: 'vmm-restore-v3',
  title: 'GICv3 migration restore: the VMM writes back IGROUPR and ICC state (no IIDR write, like QEMU); the guest takes its Group 0 SPI as FIQ',
  scenario: 'own group guest after QEMU hw/intc/arm_gicv3_kvm.c kvm_arm_gicv3_put (device-attribute restore without GICD_IIDR) and grp0-fiq-v3',
  gic: { version: 3, cpus: 1, spis: 32 },
  program() {
    const fiqs: number[] = [];
    const irqs: number[] = [];
    return function* (c: Vcpu): Step {
      // --- the VMM restores the saved state ---
      yield* c.log('VMM: restoring GICv3 state (kvm_arm_gicv3_put)');
      yield* c.hostWrite('GICD_CTLR', 0x12); // ARE_NS | EnableGrp1NS as the source had it
      yield* c.hostWrite('GICD_IGROUPR1', 0xffffffffn & ~BIT); // SPI 40 in Group 0
      yield* c.hostWrite('GICR_IGROUPR0', 0xffffffff);
      yield* c.hostWrite(`GICD_IPRIORITYR${SPI >> 2}`, 0x80808080);
      yield* c.hostWrite(`GICD_IROUTER${SPI}`, 0);
      yield* c.hostWrite('GICD_ISENABLER1', BIT);
      yield* c.hostSysWrite('ICC_SRE_EL1', 7);
      yield* c.hostSysWrite('ICC_PMR_EL1', 0xf0);
      yield* c.hostSysWrite('ICC_IGRPEN0_EL1', 1);
      yield* c.hostSysWrite('ICC_IGRPEN1_EL1', 1);
      // --- the guest resumes ---
      yield* c.log('guest: resumed after migration');
      yield* c.assert(((yield* c.read('GICD_IGROUPR1')) & BIT) === 0n, 'SPI 40 is still Group 0 after the restore');
      yield* c.assertEq(yield* c.sysRead('ICC_IGRPEN0_EL1'), 1, 'ICC_IGRPEN0_EL1 restored');
      c.onFiq(function* (h) {
        const iar = yield* h.sysRead('ICC_IAR0_EL1');
        if ((iar & 0xffffffn) === SPURIOUS) return;
        fiqs.push(Number(iar & 0xffffffn));
        yield* h.sysWrite('ICC_EOIR0_EL1', iar);
      });
      c.onIrq(function* (h) {
        const iar = yield* h.sysRead('ICC_IAR1_EL1');
        if ((iar & 0xffffffn) === SPURIOUS) return;
        irqs.push(Number(iar & 0xffffffn));
        yield* h.sysWrite('ICC_EOIR1_EL1', iar);
      });
      yield* c.unmask({ irq: true, fiq: true });
      yield* c.line(SPI, 1);
      yield* c.line(SPI, 0);
      yield* waitUntil(c, () => fiqs.length + irqs.length > 0, 5000, 20);
      yield* c.assert(fiqs.join(',') === `${SPI}` && irqs.length === 0, `Group 0 SPI 40 taken as FIQ (fiq: ${fiqs.join(',')}; irq: ${irqs.join(',')})`);
      yield* c.mask({ irq: true, fiq: true });
    };
  },
});
