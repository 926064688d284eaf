// Identification and type values of KVM's GICv2 distributor and CPU interface
// (vgic-mmio-v2.c vgic_mmio_read_v2_misc / vgic_mmio_read_vcpuif; vgic-v2.md §2).

// GICD_IIDR itself (the same on v2 and v3) is in ../core/iidr.ts.

import { IMPLEMENTER_ARM, PRODUCT_ID_KVM } from '../core/iidr';

/** GICD_TYPER: ITLinesNumber [4:0] = (INTIDs >> 5) - 1, CPUNumber [7:5] = vCPUs - 1; no Security Extensions, LSPI 0. */
export function gicdTyper(nrSpis: number, vcpus: number): number {
  const lines = ((nrSpis + 32) >> 5) - 1;
  return ((lines & 0x1f) | (((vcpus - 1) & 0x7) << 5)) >>> 0;
}

/**
 * GICC_IIDR as KVM's userspace CPU_REGS interface reports it (GIC_CPU_IDENT): ProductID 0x4B
 * at [31:20], architecture version 2 at [19:16], implementer Arm. The guest never sees this
 * value: its GICC frame is the host's GICV, whose IIDR is a host parameter (policy.host.gicvIidr).
 */
export const GICC_IIDR_USER = ((PRODUCT_ID_KVM << 20) | (0x2 << 16) | IMPLEMENTER_ARM) >>> 0;

/** KVM supports at most 8 vCPUs with a GICv2 (VGIC_V2_MAX_CPUS): ITARGETSR has one bit per CPU. */
export const VGIC_V2_MAX_CPUS = 8;
