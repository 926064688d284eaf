// Register names the trace format can give on its own, without the GIC register tables: the frame
// and offset of an MMIO access (GICD+0x84), the group and offset of a device attribute, the
// architecture name of a system register. engine/inspect/registers.ts names accesses from the
// tables and falls back to these for offsets no table claims.

import { sysregName } from '../arch/sysregs';
import { CTRL_INIT, CTRL_SAVE_PENDING_TABLES, EventKind, Frame, ITS_CTRL_ATTRS, TraceEvent, UserGroup } from './events';

/** Names the register an event accesses, for the text forms (`trace dump`). */
export interface EventNamer {
  name(ev: TraceEvent): string | undefined;
}

const FRAME_PREFIX: Record<Frame, string> = {
  [Frame.Dist]: 'GICD',
  [Frame.RedistRd]: 'GICR',
  [Frame.RedistSgi]: 'GICR_SGI',
  [Frame.CpuIf]: 'GICC',
  [Frame.Its]: 'GITS',
};

/** KVM_DEV_ARM_VGIC_GRP_* names without the prefix, for reports. */
export const USER_GROUP_NAMES: Record<UserGroup, string> = {
  [UserGroup.DistRegs]: 'DIST_REGS',
  [UserGroup.RedistRegs]: 'REDIST_REGS',
  [UserGroup.CpuRegs]: 'CPU_REGS',
  [UserGroup.CpuSysregs]: 'CPU_SYSREGS',
  [UserGroup.ItsRegs]: 'ITS_REGS',
  [UserGroup.Ctrl]: 'CTRL',
  [UserGroup.ItsCtrl]: 'ITS_CTRL',
};

/** Name of an MMIO offset when no register table claims it: GICD+0x84, GICR2+0x80, GICR_SGI0+0x100. */
export function fallbackMmioName(frame: Frame, index: number, offset: number): string {
  const redist = frame === Frame.RedistRd || frame === Frame.RedistSgi;
  return `${FRAME_PREFIX[frame]}${redist ? index : ''}+0x${offset.toString(16)}`;
}

export function fallbackUserName(group: UserGroup, offset: number): string {
  if (group === UserGroup.Ctrl && offset === CTRL_INIT) return 'KVM_DEV_ARM_VGIC_CTRL_INIT';
  if (group === UserGroup.Ctrl && offset === CTRL_SAVE_PENDING_TABLES) return 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES';
  if (group === UserGroup.ItsCtrl && ITS_CTRL_ATTRS[offset] !== undefined) return `ITS ${ITS_CTRL_ATTRS[offset]}`;
  return group === UserGroup.CpuSysregs ? sysregName(offset) : `${USER_GROUP_NAMES[group]}+0x${offset.toString(16)}`;
}

/** Names from the trace alone (no register tables): frame+offset, group+offset, sysreg names. */
export const FALLBACK_NAMER: EventNamer = {
  name(ev: TraceEvent): string | undefined {
    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite:
        return fallbackMmioName(ev.frame, ev.index, ev.offset);
      case EventKind.SysregRead:
      case EventKind.SysregWrite:
        return sysregName(ev.enc);
      case EventKind.UserRead:
      case EventKind.UserWrite:
        return fallbackUserName(ev.group, ev.offset);
      default:
        return undefined;
    }
  },
};
