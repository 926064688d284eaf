// GICD_ITARGETSR as KVM implements it (vgic_mmio_read_target / vgic_mmio_write_target, vgic-v2.md §4.3).
// KVM never delivers one SPI to several vCPUs: the lowest target wins, and an SPI whose target
// byte is 0 is still delivered to vCPU 0 (its reset target_vcpu).

/** The CPU-target byte KVM stores for a guest-written byte: bits of vCPUs that do not exist are dropped. */
export function storedTargets(byte: number, vcpus: number): number {
  return byte & 0xff & ((1 << vcpus) - 1);
}

/** The vCPU an SPI with this stored target byte is delivered to: lowest set bit, or vCPU 0 when none. */
export function deliveryVcpu(targets: number): number {
  if (targets === 0) return 0;
  return 31 - Math.clz32(targets & -targets);
}

/** Read-only banked byte of an SGI/PPI: the accessing vCPU's own bit. */
export function privateTargetByte(cpu: number): number {
  return (1 << cpu) & 0xff;
}
