// KVM-native reset of a GICv2 vGIC (vgic-init.c kvm_vgic_dist_init and the private-IRQ
// allocation; vgic-v2.md §7.1): every interrupt Group 0, priority 0, inactive, not pending;
// SGIs enabled and edge, PPIs disabled and level, SPIs disabled and edge (a zeroed allocation is
// VGIC_CONFIG_EDGE). Private interrupts target their own vCPU; SPIs read ITARGETSR 0 but are
// delivered to vCPU 0 (target_vcpu = vCPU 0) until the guest programs a target.

import { CONFIG_EDGE, CONFIG_LEVEL, IrqStore, NR_PRIVATE, NR_SGIS } from '../core/irq-store';

export function resetV2Irqs(s: IrqStore): void {
  for (let cpu = 0; cpu < s.cpus; cpu++) {
    for (let intid = 0; intid < NR_PRIVATE; intid++) {
      const slot = s.slot(cpu, intid);
      s.enabled[slot] = intid < NR_SGIS ? 1 : 0;
      s.config[slot] = intid < NR_SGIS ? CONFIG_EDGE : CONFIG_LEVEL;
      s.target[slot] = cpu;
      s.targets[slot] = (1 << cpu) & 0xff;
    }
  }
  for (let intid = NR_PRIVATE; intid < s.nrIrqs; intid++) {
    const slot = s.slot(0, intid);
    s.enabled[slot] = 0;
    s.config[slot] = CONFIG_EDGE;
    s.target[slot] = 0;
    s.targets[slot] = 0;
  }
}
