// One-line, human description of a trace event, with decoded register names.

import { sysregName } from '../arch/sysregs';
import { RegisterRegistry } from '../model/model';
import { EventKind, Frame, TraceEvent, UserGroup } from '../trace/events';
import { hex } from '../util/canonical-json';

const FRAME_PREFIX: Record<Frame, string> = {
  [Frame.Dist]: 'GICD',
  [Frame.RedistRd]: 'GICR',
  [Frame.RedistSgi]: 'GICR_SGI',
  [Frame.CpuIf]: 'GICC',
  [Frame.Its]: 'GITS',
};

const USER_GROUP: Record<UserGroup, string> = {
  [UserGroup.DistRegs]: 'DIST_REGS',
  [UserGroup.RedistRegs]: 'REDIST_REGS',
  [UserGroup.CpuRegs]: 'CPU_REGS',
  [UserGroup.CpuSysregs]: 'CPU_SYSREGS',
};

function mmioName(reg: RegisterRegistry | undefined, frame: Frame, index: number, offset: number, size: number): string {
  if (reg) {
    try {
      return reg.describeMmio(frame, index, offset, size as 1).reg;
    } catch {
      // fall through to the raw name
    }
  }
  return `${FRAME_PREFIX[frame]}+${hex(offset)}`;
}

function userName(reg: RegisterRegistry | undefined, group: UserGroup, cpu: number | null, offset: number, size: number): string {
  if (group === UserGroup.CpuSysregs) return sysregName(offset);
  if (reg) {
    try {
      return reg.describeUser(group, cpu, offset, size as 1).reg;
    } catch {
      // fall through
    }
  }
  return `${USER_GROUP[group]}+${hex(offset)}`;
}

const who = (cpu: number | null) => (cpu === null ? 'cpu?' : `cpu${cpu}`);

export function describeEvent(ev: TraceEvent, reg?: RegisterRegistry): string {
  switch (ev.kind) {
    case EventKind.MmioRead:
      return `${who(ev.cpu)} read ${mmioName(reg, ev.frame, ev.index, ev.offset, ev.size)}${ev.frame === Frame.RedistRd || ev.frame === Frame.RedistSgi ? ` (redistributor ${ev.index})` : ''}`;
    case EventKind.MmioWrite:
      return `${who(ev.cpu)} write ${mmioName(reg, ev.frame, ev.index, ev.offset, ev.size)}${ev.frame === Frame.RedistRd || ev.frame === Frame.RedistSgi ? ` (redistributor ${ev.index})` : ''} = ${hex(ev.value)}`;
    case EventKind.SysregRead:
      return `${who(ev.cpu)} read ${sysregName(ev.enc)}`;
    case EventKind.SysregWrite:
      return `${who(ev.cpu)} write ${sysregName(ev.enc)} = ${hex(ev.value)}`;
    case EventKind.UserRead:
      return `userspace read ${userName(reg, ev.group, ev.cpu, ev.offset, ev.size)}${ev.cpu === null ? '' : ` (vCPU ${ev.cpu})`}`;
    case EventKind.UserWrite:
      return `userspace write ${userName(reg, ev.group, ev.cpu, ev.offset, ev.size)}${ev.cpu === null ? '' : ` (vCPU ${ev.cpu})`} = ${hex(ev.value)}`;
    case EventKind.Line:
      return `line INTID ${ev.intid}${ev.cpu === null ? '' : ` (cpu${ev.cpu})`} level ${ev.level}`;
    case EventKind.Marker:
      return `marker ${JSON.stringify(ev.text)}`;
  }
}
