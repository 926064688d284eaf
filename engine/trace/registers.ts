// Register-level checks and names: does an access hit a register KVM decodes, with a size and
// alignment it accepts, and what is that register called. Needs the GIC register tables
// (engine/gic registryFor), so it is opt-in for the reader (`trace validate` turns it on). The
// tables are loaded lazily: the reader itself never depends on the GIC models.

import { sysregByEnc, sysregName } from '../arch/sysregs';
import { RegisterRegistry } from '../model/model';
import { EventKind, Frame, GicConfig, TraceEvent, UserGroup } from './events';
import { violation } from './violation';

const FRAME_PREFIX: Record<Frame, string> = {
  [Frame.Dist]: 'GICD',
  [Frame.RedistRd]: 'GICR',
  [Frame.RedistSgi]: 'GICR_SGI',
  [Frame.CpuIf]: 'GICC',
  [Frame.Its]: 'GITS',
};

const GROUP_PREFIX: Record<UserGroup, string> = {
  [UserGroup.DistRegs]: 'DIST_REGS',
  [UserGroup.RedistRegs]: 'REDIST_REGS',
  [UserGroup.CpuRegs]: 'CPU_REGS',
  [UserGroup.CpuSysregs]: 'CPU_SYSREGS',
};

/** Name of an MMIO offset when no register table is at hand: GICD+0x84, GICR2+0x80, GICR_SGI0+0x100. */
export function fallbackMmioName(frame: Frame, index: number, offset: number): string {
  const redist = frame === Frame.RedistRd || frame === Frame.RedistSgi;
  return `${FRAME_PREFIX[frame]}${redist ? index : ''}+0x${offset.toString(16)}`;
}

export function fallbackUserName(group: UserGroup, offset: number): string {
  return group === UserGroup.CpuSysregs ? sysregName(offset) : `${GROUP_PREFIX[group]}+0x${offset.toString(16)}`;
}

/** The registry for a configuration, or the reason there is none (the model not built yet). */
export function tryRegistry(gic: GicConfig): { registry: RegisterRegistry | null; reason: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { registryFor } = require('../gic') as typeof import('../gic');
    return { registry: registryFor(gic), reason: '' };
  } catch (e) {
    return { registry: null, reason: (e as Error).message };
  }
}

/** Register names for the text form: the registry's when it knows the register, else a fallback. */
export class RegisterNamer {
  constructor(private readonly registry: RegisterRegistry | null) {}

  name(ev: TraceEvent): string | undefined {
    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite:
        return this.mmio(ev.frame, ev.index, ev.offset, ev.size);
      case EventKind.SysregRead:
      case EventKind.SysregWrite:
        return sysregName(ev.enc);
      case EventKind.UserRead:
      case EventKind.UserWrite:
        if (ev.group === UserGroup.CpuSysregs) return sysregName(ev.offset);
        if (this.registry) {
          try {
            const d = this.registry.describeUser(ev.group, ev.cpu, ev.offset, ev.size);
            if (d.reg) return d.reg;
          } catch {
            // a registry that cannot name it: fall back
          }
        }
        return fallbackUserName(ev.group, ev.offset);
      default:
        return undefined;
    }
  }

  mmio(frame: Frame, index: number, offset: number, size: 1 | 2 | 4 | 8): string {
    if (this.registry) {
      try {
        const d = this.registry.describeMmio(frame, index, offset, size);
        if (d.reg) return d.reg;
      } catch {
        // fall back below
      }
    }
    return fallbackMmioName(frame, index, offset);
  }
}

/** Throws Violation for an access KVM would not accept as the register it hits. */
export class RegisterChecker {
  constructor(private readonly registry: RegisterRegistry) {}

  check(ev: TraceEvent): void {
    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite: {
        const d = this.registry.describeMmio(ev.frame, ev.index, ev.offset, ev.size);
        if (d.error) violation(`${d.reg || fallbackMmioName(ev.frame, ev.index, ev.offset)}: ${d.error}`, 'an access size and alignment the register allows');
        break;
      }
      case EventKind.SysregRead:
      case EventKind.SysregWrite: {
        // Read-only / write-only misuse is guest behaviour the model replays, not a bad trace.
        if (!sysregByEnc(ev.enc)) violation(`unknown system register ${sysregName(ev.enc)} (encoding 0x${ev.enc.toString(16)})`, 'an ICC_* or CNT* register from engine/arch/sysregs.ts');
        break;
      }
      case EventKind.UserRead:
      case EventKind.UserWrite: {
        if (ev.group === UserGroup.CpuSysregs) {
          if (!sysregByEnc(ev.offset)) violation(`unknown system register ${sysregName(ev.offset)} in cpu-sysregs`, 'an ICC_* register encoding');
          break;
        }
        const d = this.registry.describeUser(ev.group, ev.cpu, ev.offset, ev.size);
        if (d.error) violation(`${d.reg || fallbackUserName(ev.group, ev.offset)}: ${d.error}`, 'an access KVM_{GET,SET}_DEVICE_ATTR accepts');
        break;
      }
      default:
        break;
    }
  }
}
