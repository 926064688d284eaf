// The vGIC's device attributes as KVM's uapi encodes them (arch/arm64/include/uapi/asm/kvm.h,
// arch/arm64/kvm/vgic/vgic-kvm-device.c): the KVM backend encodes trace events into them, the
// ftrace importer decodes the ones a VMM wrote into the host's trace.

import { decodeSysregEncoding, sysregEncoding } from './sysregs';

/** KVM_DEV_ARM_VGIC_GRP_* numbers. */
export const KVM_GRP = { DIST_REGS: 1, CPU_REGS: 2, CTRL: 4, REDIST_REGS: 5, CPU_SYSREGS: 6 } as const;

/** KVM's packing of a system register in a device attribute (KVM_REG_ARM64_SYSREG_*_SHIFT). */
export function kvmSysregAttr(enc: number): number {
  const f = decodeSysregEncoding(enc);
  return (f.op0 << 14) | (f.op1 << 11) | (f.crn << 7) | (f.crm << 3) | f.op2;
}

/** The inverse of kvmSysregAttr: the packed encoding the trace format uses. */
export function sysregOfKvmAttr(attr: number): number {
  return sysregEncoding((attr >> 14) & 3, (attr >> 11) & 7, (attr >> 7) & 0xf, (attr >> 3) & 0xf, attr & 7);
}

/** MPIDR_EL1 as vgic_v3_parse_attr wants it in attr[63:32]: Aff3.Aff2.Aff1.Aff0, one byte each. */
export function vgicMpidr(mpidr: bigint): bigint {
  return (((mpidr >> 32n) & 0xffn) << 24n) | (mpidr & 0xffffffn);
}

/** KVM_DEV_ARM_VGIC_OFFSET_MASK: the register offset in attr[31:0]. */
const OFFSET_MASK = 0xffffffffn;
/** KVM_DEV_ARM_VGIC_CPUID_MASK (GICv2): the vCPU index in attr[39:32]. */
const V2_CPUID_SHIFT = 32n;

export type VgicAttrTarget =
  | { kind: 'dist'; cpu: number | null; offset: number }
  | { kind: 'redist' | 'cpuif' | 'sysreg'; cpu: number; offset: number };

/**
 * A vGIC register attribute (groups DIST_REGS, CPU_REGS, REDIST_REGS, CPU_SYSREGS) as the
 * register and vCPU it names, or why it names none. `mpidrs` are the vCPUs' MPIDR_EL1 values
 * (GICv3 attributes name a vCPU by MPIDR). Redistributor offsets count from RD_base across both
 * 64 KiB frames, as KVM's uaccess table does.
 */
export function decodeVgicAttr(gic: 2 | 3, group: number, attr: bigint, mpidrs: readonly bigint[]): VgicAttrTarget | string {
  const offset = Number(attr & OFFSET_MASK);
  if (gic === 2) {
    const cpu = Number((attr >> V2_CPUID_SHIFT) & 0xffn);
    if (group !== KVM_GRP.DIST_REGS && group !== KVM_GRP.CPU_REGS) return `group ${group} is not a GICv2 register group`;
    if (cpu >= mpidrs.length) return `attr names vCPU ${cpu}, the VM has ${mpidrs.length}`;
    return group === KVM_GRP.DIST_REGS ? { kind: 'dist', cpu, offset } : { kind: 'cpuif', cpu, offset };
  }
  if (group === KVM_GRP.DIST_REGS) return { kind: 'dist', cpu: null, offset };
  if (group !== KVM_GRP.REDIST_REGS && group !== KVM_GRP.CPU_SYSREGS) return `group ${group} is not a GICv3 register group`;
  const aff = attr >> 32n;
  const cpu = mpidrs.findIndex((m) => vgicMpidr(m) === aff);
  if (cpu < 0) return `attr names MPIDR affinity 0x${aff.toString(16)}, which no vCPU has`;
  return group === KVM_GRP.REDIST_REGS ? { kind: 'redist', cpu, offset } : { kind: 'sysreg', cpu, offset: sysregOfKvmAttr(offset & 0xffff) };
}
