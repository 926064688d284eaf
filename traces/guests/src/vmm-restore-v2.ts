// Group-configuration guest (ours), GICv2, on the VMM's side: the destination of a live
// migration. Before the guest resumes, the VMM restores the distributor and CPU-interface state
// the source saved, through KVM_DEV_ARM_VGIC_GRP_DIST_REGS / GRP_CPU_REGS, the way QEMU's
// hw/intc/arm_gic_kvm.c kvm_arm_gic_put() does it, without ever writing GICD_IIDR. The guest had
// put SPI 40 in Group 1 (IRQ, AckCtl) and left SPI 41 in Group 0 (FIQ, FIQEn), as grp1-ackctl-v2
// does; after the restore it checks its groups survived and takes both interrupts.
// This is the save/restore case of ../shared/spec/policies.md ("QEMU's GICv2 IGROUPR
// save/restore appears to be silently broken"): the restored IGROUPR write is dropped by
// mainline-rev3 (no GICD_IIDR write by userspace), rev1 and rev1-iidr-only (revision < 2), and
// honoured by rev2 and rev3, which is where the guest's checks fail or pass. [G!]

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { waitUntil } from './lib/gic';

const G1_SPI = 40;
const G0_SPI = 41;
const BANK = 1;
const G1_BIT = 1n << BigInt(G1_SPI % 32);

export const vmmRestoreV2 = defineGuest({
  name: 'vmm-restore-v2',
  title: 'GICv2 migration restore: the VMM writes back IGROUPR (no IIDR write, like QEMU); the guest checks its Group 1 SPI survived',
  scenario: "own group guest after QEMU hw/intc/arm_gic_kvm.c kvm_arm_gic_put (device-attribute restore without GICD_IIDR) and grp1-ackctl-v2",
  gic: { version: 2, cpus: 1, spis: 64 },
  program() {
    const fiqs: number[] = [];
    const irqs: number[] = [];
    return function* (c: Vcpu): Step {
      // --- the VMM restores the saved state (distributor first, then the CPU interface) ---
      yield* c.log('VMM: restoring GICv2 state (kvm_arm_gic_put)');
      yield* c.hostWrite('GICD_CTLR', 1);
      yield* c.hostWrite(`GICD_IGROUPR${BANK}`, G1_BIT);
      for (const spi of [G1_SPI, G0_SPI]) {
        yield* c.hostWrite(`GICD_ITARGETSR${spi >> 2}`, 0x01010101);
        yield* c.hostWrite(`GICD_IPRIORITYR${spi >> 2}`, 0xa0a0a0a0);
      }
      yield* c.hostWrite(`GICD_ISENABLER${BANK}`, G1_BIT | (1n << BigInt(G0_SPI % 32)));
      // KVM's GICv2 CPU_REGS ABI carries GICC_PMR as GICH_VMCR.VMPriMask (PMR >> 3).
      yield* c.hostWrite('GICC_PMR', 0xf0 >> 3);
      yield* c.hostWrite('GICC_CTLR', 0xf); // EnableGrp0 | EnableGrp1 | AckCtl | FIQEn
      // --- the guest resumes ---
      yield* c.log('guest: resumed after migration');
      const g = yield* c.read(`GICD_IGROUPR${BANK}`);
      yield* c.assert((g & G1_BIT) !== 0n, 'SPI 40 is still Group 1 after the restore');
      yield* c.assertEq((yield* c.read('GICC_CTLR')) & 0xfn, 0xf, 'GICC_CTLR restored (both groups, AckCtl, FIQEn)');
      const handler = (log: number[]) =>
        function* (h: Vcpu): Step {
          const iar = yield* h.read('GICC_IAR');
          const intid = Number(iar & 0x3ffn);
          if (intid >= 1020) return;
          log.push(intid);
          yield* h.write('GICC_EOIR', iar);
        };
      c.onFiq(handler(fiqs));
      c.onIrq(handler(irqs));
      yield* c.unmask({ irq: true, fiq: true });
      for (const spi of [G0_SPI, G1_SPI]) {
        yield* c.line(spi, 1);
        yield* c.line(spi, 0);
      }
      yield* waitUntil(c, () => fiqs.length + irqs.length >= 2, 5000, 20);
      yield* c.assert(fiqs.join(',') === `${G0_SPI}`, `Group 0 SPI 41 taken as FIQ (fiq: ${fiqs.join(',')})`);
      yield* c.assert(irqs.join(',') === `${G1_SPI}`, `Group 1 SPI 40 taken as IRQ (irq: ${irqs.join(',')})`);
      yield* c.mask({ irq: true, fiq: true });
    };
  },
});
