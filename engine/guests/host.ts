// The machine as a vCPU sees it (machine.ts implements it), and the GIC configuration a guest
// asks for. vcpu.ts depends on this, not on machine.ts, so the guests/ files form no cycle.

import { GicVersion, TraceEvent } from '../trace/events';
import type { GuestSite } from './site';

/** QEMU virt's ITS (VIRT_GIC_ITS), where a guest with `its` finds it: control frame, then GITS_TRANSLATER's frame. */
export const VIRT_GITS = 0x08080000n;

export interface GuestGic {
  version: GicVersion;
  cpus: number;
  /** Number of SPIs (KVM's nr_spis): INTIDs 32 .. 32+spis-1. */
  spis: number;
  /**
   * "traced": the VMM's KVM_DEV_ARM_VGIC_CTRL_INIT is part of the recording (hostCtrlInit), the
   * vGIC starts uninitialised, and every VMM access records the errno it got (format 1.1).
   * Absent: the vGIC is initialised before the guest starts.
   */
  init?: 'traced';
  /**
   * GICv3 only: the VM has KVM's vITS (KVM_DEV_TYPE_ARM_VGIC_ITS) at QEMU virt's 0x08080000, so the
   * guest has LPIs, GITS_* registers, guest memory the ITS reads (memWrite) and MSIs (hostMsi).
   */
  its?: boolean;
}

/**
 * What a vCPU needs of the machine it runs in (machine.ts implements it): the configuration, the
 * vCPU outputs, and the way to record events, line changes and failures. Keeping the vCPU to
 * this interface keeps it from depending on the whole machine.
 */
export interface VcpuHost {
  readonly gic: GuestGic;
  readonly guestName: string;
  mpidr(cpu: number): bigint;
  irqLevel(cpu: number): boolean;
  fiqLevel(cpu: number): boolean;
  /** Record an event and return what a read observed (the model's value). */
  emit(ev: TraceEvent): bigint;
  scheduleLine(cycle: bigint, intid: number, cpu: number | null, level: 0 | 1): void;
  failure(cpu: number | null, message: string, site: GuestSite | undefined): void;
}
