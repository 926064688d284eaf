// The contract between the replay engine and a GIC model (GICv2 or GICv3).
// Models are synchronous and deterministic: same calls in the same order => same results.

import { AccessSize, Frame, GicVersion, UserGroup } from '../trace/events';
import { errnoValue } from '../util/errno';
import { DepTracker } from './deps';

export interface ReadResult {
  value: bigint;
  /** Architecture name with its index: GICD_IGROUPR1, GICR_CTLR, ICC_IAR1_EL1, GICD_IPRIORITYR8. */
  reg: string;
  /** The model does not emulate this register: value is the recorded one. */
  unmodelled?: boolean;
  /** Why the value is what it is when that is not obvious (e.g. "16-bit access: KVM returns 0"). */
  note?: string;
  /** Userspace reads: the errno magnitude KVM_GET_DEVICE_ATTR returns (absent = success); `value` is then 0. */
  result?: number;
}

export interface WriteResult {
  reg: string;
  /**
   * Set when the model dropped the write or stored something other than what was written,
   * e.g. "ignored: policy rev1 drops IGROUPR writes at revision 1", "stored 0x52 (only EnableGrp1 is kept)".
   */
  effect?: string;
  unmodelled?: boolean;
  /**
   * Userspace writes: the errno magnitude KVM_SET_DEVICE_ATTR returns (absent = success). A
   * write refused with an effect "rejected (-EINVAL): …" returns that errno (userWriteErrno).
   */
  result?: number;
}

/** The errno a refused userspace write returns: its own `result`, or the one its "rejected (-EXXX)" effect names. */
export function userWriteErrno(r: WriteResult): number | undefined {
  if (r.result) return r.result;
  const m = r.effect ? /^rejected \(-(E[A-Z0-9]+)\)/.exec(r.effect) : null;
  return m ? errnoValue(m[1]) : undefined;
}

/**
 * What the vGIC did on its own during the last call, beyond the access's result: an ITS command it
 * processed from the guest's command queue, or guest memory it wrote (saved ITS tables, a consumed
 * LPI pending bit, a cleared table entry). Replay turns each into an output record of the event
 * that caused it, in order.
 */
export type SideRecord =
  | { kind: 'its-cmd'; /** CREADR offset of the command. */ at: number; command: string; result: string }
  | { kind: 'mem-write'; addr: bigint; bytes: Uint8Array; why: string };

/** KVM_SIGNAL_MSI's outcome: `result` is the ioctl's return value (1 delivered, 0 blocked by the guest's mapping, negative errno). */
export interface MsiResult {
  reg: string;
  result: number;
  effect: string;
}

/** KVM_DEV_ARM_VGIC_GRP_CTRL: which device file the attribute was set on. */
export type CtrlDevice = 'vgic' | 'its';

/** A device-control attribute's outcome: `result` 0 or a negative errno. */
export interface CtrlResult {
  reg: string;
  result: number;
  effect?: string;
}

/** Who drives an input line: a device (recorded line event) or the model's own timer. */
export type LineOwner = 'device' | 'timer';

export interface GicModel {
  readonly gicVersion: GicVersion;
  readonly cpuCount: number;

  /** Guest MMIO. `cpu` null means the source could not tell; banked registers then act on vCPU 0 and say so in `note`. */
  mmioRead(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, observed: bigint | null): ReadResult;
  mmioWrite(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, value: bigint): WriteResult;

  /** Guest system-register access to a GIC register (ICC_*). Timer registers never reach the model. */
  sysregRead(cpu: number, enc: number, observed: bigint | null): ReadResult;
  sysregWrite(cpu: number, enc: number, value: bigint): WriteResult;

  /** Userspace (VMM) device-attribute access, with KVM's uaccess rules. */
  userRead(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, observed: bigint | null): ReadResult;
  userWrite(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, value: bigint): WriteResult;

  /** Input line level change (kvm_vgic_inject_irq). SPIs have cpu null; PPIs name their vCPU. */
  setLine(intid: number, cpu: number | null, level: 0 | 1, owner: LineOwner): WriteResult;

  /** The vCPU's virtual IRQ and FIQ outputs as they stand after the last call. */
  irqOutput(cpu: number): 0 | 1;
  fiqOutput(cpu: number): 0 | 1;
  /**
   * Optional: a number that is unchanged as long as no vCPU's IRQ or FIQ output has changed since
   * it was last returned, so replay can skip asking every vCPU after every event. Calling it has
   * the same side effects as calling irqOutput (bringing the outputs up to date). Models without
   * it are asked per vCPU after every event.
   */
  outputEpoch?(): number;

  /** Guest memory a VMM, device or the guest wrote (the ITS reads its queue and tables from it). Models without an ITS may omit it. */
  memWrite?(cpu: number | null, addr: bigint, bytes: Uint8Array): WriteResult;
  /** KVM_SIGNAL_MSI on the VM (the doorbell `address` selects the ITS; `devid` null: KVM_MSI_VALID_DEVID clear). */
  signalMsi?(address: bigint, data: number, devid: number | null): MsiResult;
  /** KVM_SET_DEVICE_ATTR(KVM_DEV_ARM_VGIC_GRP_CTRL, attr) on the vGIC or the ITS device. */
  deviceCtrl?(device: CtrlDevice, attr: number): CtrlResult;
  /** What the model did on its own since the last call (SideRecord), oldest first; null or empty when nothing. */
  takeSideRecords?(): SideRecord[] | null;

  /** Dependency tracker the model reports state reads and writes to (a no-op unless a diff asked for it). */
  readonly deps: DepTracker;
}

/** What a register table says about one access (RegisterRegistry). */
export interface RegisterAccess {
  reg: string;
  /** An access shape KVM refuses (misaligned, wrong size, outside the frame). */
  error?: string;
  /** No register claims the offset: KVM reads 0 and ignores writes (the validator flags it). */
  unclaimed?: boolean;
}

/** Static knowledge of one GIC configuration's registers: names, access rules, field decoding. */
export interface RegisterRegistry {
  /**
   * Name of the register an MMIO access hits, and whether the access is one KVM accepts.
   * `error` (e.g. "GICD_CTLR allows 32-bit accesses only") marks a misaligned or wrongly sized
   * access or an offset outside the frame; the trace validator rejects such events.
   */
  describeMmio(frame: Frame, index: number, offset: number, size: AccessSize): RegisterAccess;
  /** Same for a userspace device-attribute access. */
  describeUser(group: UserGroup, cpu: number | null, offset: number, size: AccessSize): RegisterAccess;
  /** Field breakdown for reports, e.g. "EnableGrp1=1 ARE=1 DS=1"; undefined for registers without fields. */
  formatFields(reg: string, value: bigint): string | undefined;
}
