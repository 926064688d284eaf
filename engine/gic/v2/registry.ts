// RegisterRegistry of a GICv2 configuration: names and access rules of guest MMIO and of
// KVM's userspace device attributes, without any interrupt state.

import { RegisterAccess, RegisterRegistry } from '../../model/model';
import { AccessSize, Frame, UserGroup } from '../../trace/events';
import { V2_CPUIF, V2_CPUIF_USER } from './cpuif-table';
import { V2_DIST } from './dist-table';
import { accessOf } from '../core/regtable';
import { formatV2Fields } from './fields';

/** Naming does not depend on the INTID count: resolve as if all 1024 existed. */
const ALL_INTIDS = 1024;

export function describeV2Mmio(frame: Frame, offset: number, size: AccessSize): RegisterAccess {
  const t = frame === Frame.Dist ? V2_DIST : frame === Frame.CpuIf ? V2_CPUIF : undefined;
  if (!t) return { reg: `${Frame[frame] ?? 'frame'}+0x${offset.toString(16)}`, error: `a GICv2 has no ${Frame[frame] ?? String(frame)} frame (only GICD and GICC)` };
  const r = t.resolve(offset, size, ALL_INTIDS);
  if (!r.error && t === V2_CPUIF && size !== 4) return { reg: r.reg, error: `the GICv2 CPU interface allows 32-bit accesses only (got ${size * 8}-bit)` };
  if (!r.error && size === 8) return { reg: r.reg, error: 'KVM accepts no 64-bit access to a GICv2 distributor' };
  return accessOf(r);
}

export function describeV2User(group: UserGroup, cpu: number | null, offset: number, size: AccessSize): RegisterAccess {
  const t = group === UserGroup.DistRegs ? V2_DIST : group === UserGroup.CpuRegs ? V2_CPUIF_USER : undefined;
  if (!t) return { reg: `${UserGroup[group] ?? 'group'}+0x${offset.toString(16)}`, error: `KVM's GICv2 device has no ${UserGroup[group] ?? String(group)} attribute group` };
  const inFrame = offset >= 0 && offset + 4 <= t.size;
  const reg = inFrame ? t.wordName(offset) : `${t.prefix}+0x${offset.toString(16)}`;
  // vgic_uaccess: aligned 32-bit. An offset no region claims reads 0 and ignores writes (only
  // KVM_HAS_DEVICE_ATTR says -ENXIO); beyond the register space the attribute is nonsense.
  if (size !== 4) return { reg, error: `KVM's GICv2 device attributes are 32-bit (got ${size * 8}-bit)` };
  if ((offset & 3) !== 0) return { reg, error: `device attribute offset 0x${offset.toString(16)} is not 32-bit aligned` };
  if (!inFrame) return { reg, error: `device attribute offset 0x${offset.toString(16)} is outside the ${t.title}` };
  if (group === UserGroup.CpuRegs && cpu === null) return { reg, error: `${reg} is per vCPU; the attribute must name a vCPU` };
  return t.resolve(offset, 4, ALL_INTIDS).unclaimed ? { reg, unclaimed: true } : { reg };
}

export const GICV2_REGISTRY: RegisterRegistry = {
  describeMmio: (frame, _index, offset, size) => describeV2Mmio(frame, offset, size),
  describeUser: describeV2User,
  formatFields: formatV2Fields,
};
