// VMM-side guests (ours): what a VMM sees of the vGIC's init point (KVM_DEV_ARM_VGIC_CTRL_INIT),
// recorded with each device-attribute call's errno (format 1.1, gic.init "traced").
//
// GICv3 (vgic-kvm-device.c vgic_v3_attr_regs_access, Linux 6.1 and 6.12): before CTRL_INIT every
// DIST_REGS access fails with -EBUSY, so selecting revision 2 through GICD_IIDR there fails and
// the vGIC starts at revision 3 (vgic_init: "default to the latest"). After CTRL_INIT the same
// write is accepted: the guest then reads GICD_IIDR 0x4B00243B and GICR_CTLR without IR/CES.
// (../shared/spec/policies.md says the revision is selected "before the vGIC is initialised";
// KVM's source and the real kernel say after.)
//
// GICv2 (vgic_v2_attr_regs_access): a register access initialises the vGIC itself (vgic_init
// runs first), so the same write before any CTRL_INIT succeeds; the later CTRL_INIT is a no-op.

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';

const REV2 = 0x4b00243bn;

export const vmmPreinitV3 = defineGuest({
  name: 'vmm-preinit-v3',
  title: 'GICv3 VMM: a GICD_IIDR write before KVM_DEV_ARM_VGIC_CTRL_INIT is -EBUSY (revision stays 3); after it, revision 2 is selected',
  scenario: 'own VMM guest after KVM vgic-kvm-device.c vgic_v3_attr_regs_access (-EBUSY before vgic_initialized) and vgic_mmio_uaccess_write_v3_misc (GICD_IIDR revision 2 or 3)',
  gic: { version: 3, cpus: 1, spis: 32, init: 'traced' },
  program() {
    return function* (c: Vcpu): Step {
      yield* c.log('VMM: select revision 2 before CTRL_INIT');
      yield* c.hostWrite('GICD_IIDR', REV2); // -EBUSY
      yield* c.hostRead('GICD_IIDR'); // -EBUSY
      yield* c.hostCtrlInit();
      // The kernel's default revision (3 on mainline, the policy's in the model): the early write did not take.
      yield* c.hostRead('GICD_IIDR');
      yield* c.hostWrite('GICD_IIDR', REV2); // accepted
      yield* c.log('guest: boots');
      yield* c.assertEq(yield* c.read('GICD_IIDR'), REV2, 'the guest sees revision 2');
      yield* c.assertEq(yield* c.read('GICR_CTLR'), 0, 'GICR_CTLR has no IR/CES below revision 3');
    };
  },
});

export const vmmPreinitV2 = defineGuest({
  name: 'vmm-preinit-v2',
  title: 'GICv2 VMM: a GICD_IIDR write before KVM_DEV_ARM_VGIC_CTRL_INIT initialises the vGIC and selects revision 2',
  scenario: 'own VMM guest after KVM vgic-kvm-device.c vgic_v2_attr_regs_access (vgic_init before the access) and vgic_mmio_uaccess_write_v2_misc',
  gic: { version: 2, cpus: 1, spis: 32, init: 'traced' },
  program() {
    return function* (c: Vcpu): Step {
      yield* c.log('VMM: select revision 2 before CTRL_INIT');
      yield* c.hostWrite('GICD_IIDR', REV2); // initialises the vGIC, then accepted
      yield* c.hostCtrlInit(); // already initialised: 0
      yield* c.assertEq(yield* c.hostRead('GICD_IIDR'), REV2, 'the early write took (a GICv2 initialises on its first register access)');
      yield* c.log('guest: boots');
      yield* c.assertEq(yield* c.read('GICD_IIDR'), REV2, 'the guest sees revision 2');
    };
  },
});
