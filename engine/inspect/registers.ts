// Register-level names and checks from the GIC register tables (engine/gic registryFor): which
// register an access hits, and whether KVM accepts its size and alignment. The trace layer knows
// nothing of the tables; `trace validate` hands RegisterChecker.check to the reader as its check
// hook, and `trace dump` hands a RegisterNamer to the text forms.

import { sysregByEnc, sysregName } from '../arch/sysregs';
import { registryFor } from '../gic';
import { RegisterRegistry } from '../model/model';
import { EventKind, Frame, GicConfig, TraceEvent, UserGroup } from '../trace/events';
import { EventNamer, fallbackMmioName, fallbackUserName } from '../trace/names';
import { violation } from '../trace/violation';

/** Register names for the text form: the registry's when it knows the register, else the trace layer's fallback. */
export class RegisterNamer implements EventNamer {
  constructor(private readonly registry: RegisterRegistry) {}

  static for(gic: GicConfig): RegisterNamer {
    return new RegisterNamer(registryFor(gic));
  }

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
        if (ev.group === UserGroup.Ctrl || ev.group === UserGroup.ItsCtrl) return fallbackUserName(ev.group, ev.offset);
        return this.registry.describeUser(ev.group, ev.cpu, ev.offset, ev.size).reg || fallbackUserName(ev.group, ev.offset);
      default:
        return undefined;
    }
  }

  mmio(frame: Frame, index: number, offset: number, size: 1 | 2 | 4 | 8): string {
    return this.registry.describeMmio(frame, index, offset, size).reg || fallbackMmioName(frame, index, offset);
  }
}

/** Throws Violation for an access KVM would not accept as the register it hits (the reader's check hook). */
export class RegisterChecker {
  constructor(private readonly registry: RegisterRegistry) {}

  static for(gic: GicConfig): RegisterChecker {
    return new RegisterChecker(registryFor(gic));
  }

  /** Bound, so it can be passed as the reader's `check` option. */
  readonly check = (ev: TraceEvent): void => {
    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite: {
        const d = this.registry.describeMmio(ev.frame, ev.index, ev.offset, ev.size);
        if (d.error) violation(`${d.reg || fallbackMmioName(ev.frame, ev.index, ev.offset)}: ${d.error}`, 'an access size and alignment the register allows');
        if (d.unclaimed) violation(`${d.reg || fallbackMmioName(ev.frame, ev.index, ev.offset)}: no register claims this offset (KVM reads 0 and ignores writes)`, 'an offset one of the frame\'s registers claims');
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
        // The ctrl group has no registers; the format's own check covers it.
        if (ev.group === UserGroup.Ctrl || ev.group === UserGroup.ItsCtrl) break;
        if (ev.group === UserGroup.CpuSysregs) {
          if (!sysregByEnc(ev.offset)) violation(`unknown system register ${sysregName(ev.offset)} in cpu-sysregs`, 'an ICC_* register encoding');
          break;
        }
        const d = this.registry.describeUser(ev.group, ev.cpu, ev.offset, ev.size);
        if (d.error) violation(`${d.reg || fallbackUserName(ev.group, ev.offset)}: ${d.error}`, 'an access KVM_{GET,SET}_DEVICE_ATTR accepts');
        if (d.unclaimed) violation(`${d.reg || fallbackUserName(ev.group, ev.offset)}: no register claims this offset (KVM reads 0 and ignores writes)`, 'an offset one of the attribute group\'s registers claims');
        break;
      }
      default:
        break;
    }
  };
}
