// KVM-native reset of a GICv2 vGIC (vgic-init.c kvm_vgic_dist_init, vgic_init; vgic-v2.md §7.1):
// the core's native reset with every interrupt in Group 0 (SGIs enabled and edge, PPIs level,
// SPIs edge, SPI target_vcpu = vCPU 0 with ITARGETSR 0), plus the GICv2-only part: each private
// interrupt's ITARGETSR byte is its own vCPU's bit.

import { NR_PRIVATE } from '../core/irq-store';
import { VgicCore } from '../core/vgic';
import { privateTargetByte } from './targets';

export function resetV2(core: VgicCore): void {
  core.resetNative(0);
  const s = core.irqs;
  for (let cpu = 0; cpu < s.cpus; cpu++) {
    for (let intid = 0; intid < NR_PRIVATE; intid++) s.targets[s.slot(cpu, intid)] = privateTargetByte(cpu);
  }
}
