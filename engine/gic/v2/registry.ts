// RegisterRegistry of a GICv2 configuration: names and access rules of guest MMIO and of
// KVM's userspace device attributes, without any interrupt state.

import { RegisterRegistry } from '../../model/model';
import { AccessSize, Frame, UserGroup } from '../../trace/events';
import { GICV2_CPUIF, GICV2_CPUIF_USER } from './cpuif-table';
import { D, GICV2_DIST } from './dist-table';
import { formatV2Fields } from './fields';

export function describeV2Mmio(frame: Frame, offset: number, size: AccessSize): { reg: string; error?: string } {
  if (frame === Frame.Dist) {
    const r = GICV2_DIST.resolve(offset, size);
    return r.error ? { reg: r.reg, error: r.error } : { reg: r.reg };
  }
  if (frame === Frame.CpuIf) {
    const r = GICV2_CPUIF.resolve(offset, size);
    return r.error ? { reg: r.reg, error: r.error } : { reg: r.reg };
  }
  return { reg: `${Frame[frame] ?? 'frame'}+0x${offset.toString(16)}`, error: `a GICv2 has no ${Frame[frame] ?? String(frame)} frame (only GICD and GICC)` };
}

export function describeV2User(group: UserGroup, cpu: number | null, offset: number, size: AccessSize): { reg: string; error?: string } {
  let reg: string;
  let claimed: boolean;
  if (group === UserGroup.DistRegs) {
    const row = GICV2_DIST.row(offset);
    reg = GICV2_DIST.name(row, offset, 4);
    claimed = row !== undefined && row.kind !== D.IdRaz;
  } else if (group === UserGroup.CpuRegs) {
    const row = GICV2_CPUIF_USER.row(offset);
    reg = GICV2_CPUIF_USER.name(row, offset, 4);
    claimed = row !== undefined;
  } else {
    return { reg: `${UserGroup[group] ?? 'group'}+0x${offset.toString(16)}`, error: `KVM's GICv2 device has no ${UserGroup[group] ?? String(group)} attribute group` };
  }
  // vgic_uaccess: aligned 32-bit, and only offsets a region claims; anything else is -ENXIO.
  if (size !== 4) return { reg, error: `KVM's GICv2 device attributes are 32-bit (got ${size * 8}-bit)` };
  if ((offset & 3) !== 0) return { reg, error: `device attribute offset 0x${offset.toString(16)} is not 32-bit aligned` };
  // An offset no region claims is RAZ/WI for KVM_{GET,SET}_DEVICE_ATTR too (vgic_uaccess_read/write
  // return 0); only KVM_HAS_DEVICE_ATTR says -ENXIO. Beyond the frame the attribute is nonsense.
  const frameBytes = group === UserGroup.DistRegs ? GICV2_DIST.frameBytes : GICV2_CPUIF.frameBytes;
  if (!claimed && (offset < 0 || offset >= frameBytes)) return { reg, error: `device attribute offset 0x${offset.toString(16)} is outside the ${reg.slice(0, 4)} frame` };
  if (group === UserGroup.CpuRegs && cpu === null) return { reg, error: `${reg} is per vCPU; the attribute must name a vCPU` };
  return { reg };
}

export const GICV2_REGISTRY: RegisterRegistry = {
  describeMmio: (frame, _index, offset, size) => describeV2Mmio(frame, offset, size),
  describeUser: describeV2User,
  formatFields: formatV2Fields,
};
