// In-memory form of a gicreplay trace: header, events, trailer.
// The wire form (msgpack) is specified in engine/trace/FORMAT.md; codec.ts converts between the two.
// Cycles and register values are bigint so 64-bit quantities stay exact end to end.

export const TRACE_MAGIC = 'gicreplay-trace';
/** Major version: a reader refuses a newer major. Minor: additive, older readers may ignore new fields. */
export const TRACE_FORMAT_MAJOR = 1;
export const TRACE_FORMAT_MINOR = 2;
/**
 * Format minor 1 added the vGIC's init point (`gic.init: "traced"` and the `ctrl` user group)
 * and each user access's result (a trailing errno element). A trace that uses none of them stays
 * format 1.0: writers stamp the lowest minor the content needs (minorFor).
 */
export const MINOR_INIT_AND_RESULTS = 1;
/**
 * Format minor 2 added what a VM with an ITS needs: guest memory the ITS reads (`mem-write`
 * events: command-queue entries, property and pending tables, saved device/collection/ITT
 * tables), KVM_SIGNAL_MSI (`msi` events), the ITS_REGS device-attribute group, the ITS device's
 * control attributes (`its-ctrl`) and the vGIC's KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES.
 */
export const MINOR_ITS = 2;
/** Largest mem-write payload: a whole 64 KiB table (an LPI property table for 16 ID bits is 56 KiB) with room to spare. */
export const MAX_MEM_WRITE_BYTES = 0x100000;

export type GicVersion = 2 | 3;

/** Which register frame an MMIO access hit. Offsets are relative to the frame's base. */
export enum Frame {
  /** GICD (v2: 4 KiB decoded by KVM; v3: 64 KiB). */
  Dist = 0,
  /** GICv3 redistributor RD_base frame (64 KiB); `index` names the redistributor. */
  RedistRd = 1,
  /** GICv3 redistributor SGI_base frame (RD_base + 64 KiB); offsets are relative to SGI_base. */
  RedistSgi = 2,
  /** GICv2 CPU interface (GICC, 8 KiB). */
  CpuIf = 3,
  /** GICv3 ITS: control frame (64 KiB) and translation frame (64 KiB). */
  Its = 4,
}

/** KVM_DEV_ARM_VGIC_GRP_* device-attribute groups a VMM uses for save/restore. */
export enum UserGroup {
  DistRegs = 0,
  RedistRegs = 1,
  CpuRegs = 2,
  CpuSysregs = 3,
  /** KVM_DEV_ARM_VGIC_GRP_ITS_REGS on the ITS device (format minor 2): offsets in the ITS control frame, cpu nil. */
  ItsRegs = 4,
  /**
   * KVM_DEV_ARM_VGIC_GRP_CTRL on the vGIC (format minor 1): a user-write whose offset is the
   * attribute, 0 = KVM_DEV_ARM_VGIC_CTRL_INIT; size 4, value 0, no vCPU.
   */
  Ctrl = 5,
  /**
   * KVM_DEV_ARM_VGIC_GRP_CTRL on the ITS device (format minor 2): a user-write whose offset is the
   * attribute (0 INIT, 1 KVM_DEV_ARM_ITS_SAVE_TABLES, 2 KVM_DEV_ARM_ITS_RESTORE_TABLES,
   * 4 KVM_DEV_ARM_ITS_CTRL_RESET); size 4, value 0, no vCPU.
   */
  ItsCtrl = 6,
}

/** KVM_DEV_ARM_VGIC_CTRL_INIT, the ctrl group's offset that initialises the vGIC. */
export const CTRL_INIT = 0;
/** KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES on the vGIC (format minor 2): writes every LPI's pending bit to its pending table. */
export const CTRL_SAVE_PENDING_TABLES = 3;
/** The ITS device's control attributes (uapi asm/kvm.h), the `its-ctrl` group's offsets. */
export const ITS_CTRL_ATTRS: Readonly<Record<number, string>> = {
  0: 'KVM_DEV_ARM_VGIC_CTRL_INIT',
  1: 'KVM_DEV_ARM_ITS_SAVE_TABLES',
  2: 'KVM_DEV_ARM_ITS_RESTORE_TABLES',
  4: 'KVM_DEV_ARM_ITS_CTRL_RESET',
};

export enum EventKind {
  MmioRead = 1,
  MmioWrite = 2,
  SysregRead = 3,
  SysregWrite = 4,
  UserRead = 5,
  UserWrite = 6,
  Line = 7,
  Marker = 8,
  /** Format minor 2: bytes a vCPU, the VMM or a device wrote to guest memory that the ITS reads. */
  MemWrite = 9,
  /** Format minor 2: KVM_SIGNAL_MSI on the VM. */
  Msi = 10,
}

export type AccessSize = 1 | 2 | 4 | 8;

interface EventBase {
  /** Guest cycle of the event; non-decreasing along the trace. */
  cycle: bigint;
}

export interface MmioReadEvent extends EventBase {
  kind: EventKind.MmioRead;
  /** vCPU that made the access; null when the source could not tell. */
  cpu: number | null;
  frame: Frame;
  /** Redistributor index for RedistRd/RedistSgi, else 0. */
  index: number;
  offset: number;
  size: AccessSize;
  /** Value the source observed, if it observed one. */
  observed: bigint | null;
}

export interface MmioWriteEvent extends EventBase {
  kind: EventKind.MmioWrite;
  cpu: number | null;
  frame: Frame;
  index: number;
  offset: number;
  size: AccessSize;
  value: bigint;
}

export interface SysregReadEvent extends EventBase {
  kind: EventKind.SysregRead;
  cpu: number;
  /** Packed AArch64 encoding, see sysregEncoding(). */
  enc: number;
  observed: bigint | null;
}

export interface SysregWriteEvent extends EventBase {
  kind: EventKind.SysregWrite;
  cpu: number;
  enc: number;
  value: bigint;
}

export interface UserReadEvent extends EventBase {
  kind: EventKind.UserRead;
  group: UserGroup;
  /** vCPU the attribute names (redistributor / CPU interface), null for distributor registers. */
  cpu: number | null;
  /** Register offset (DIST/REDIST/CPU_REGS) or packed sysreg encoding (CPU_SYSREGS). */
  offset: number;
  size: AccessSize;
  observed: bigint | null;
  /** Format minor 1: the errno magnitude KVM_GET_DEVICE_ATTR returned as the source saw it (0 = success); absent or null = not seen. */
  result?: number | null;
}

export interface UserWriteEvent extends EventBase {
  kind: EventKind.UserWrite;
  group: UserGroup;
  cpu: number | null;
  offset: number;
  size: AccessSize;
  value: bigint;
  /** Format minor 1: the errno magnitude KVM_SET_DEVICE_ATTR returned as the source saw it; absent or null = not seen. */
  result?: number | null;
}

/** A device input line: SPI by INTID (cpu null), PPI by vCPU and INTID. */
export interface LineEvent extends EventBase {
  kind: EventKind.Line;
  intid: number;
  cpu: number | null;
  level: 0 | 1;
}

/** Free-form text (console output, guest checkpoints). Replay ignores it; reports keep it. */
export interface MarkerEvent extends EventBase {
  kind: EventKind.Marker;
  cpu: number | null;
  text: string;
}

/**
 * Guest memory the ITS reads (format minor 2): a command the guest put in its command queue, a
 * property-table byte, a table a VMM restores. Only what the ITS may read needs to be carried.
 */
export interface MemWriteEvent extends EventBase {
  kind: EventKind.MemWrite;
  /** vCPU that stored the bytes; null = the VMM, a device (DMA) or a source that could not tell. */
  cpu: number | null;
  /** Guest-physical address of the first byte. */
  addr: bigint;
  /** The bytes, in address order (1 .. MAX_MEM_WRITE_BYTES). */
  data: Uint8Array;
}

/** KVM_SIGNAL_MSI (format minor 2): struct kvm_msi's doorbell address, data (the EventID) and DeviceID. */
export interface MsiEvent extends EventBase {
  kind: EventKind.Msi;
  /** Always null: KVM_SIGNAL_MSI is a VM ioctl, not a vCPU's (kept so every event has a cpu; not on the wire). */
  cpu: null;
  /** address_hi:address_lo, the doorbell (GITS_TRANSLATER of the ITS). */
  address: bigint;
  /** The MSI payload: the EventID. */
  data: number;
  /** The DeviceID (requester ID); null = KVM_MSI_VALID_DEVID clear. */
  devid: number | null;
}

export type TraceEvent =
  | MmioReadEvent
  | MmioWriteEvent
  | SysregReadEvent
  | SysregWriteEvent
  | UserReadEvent
  | UserWriteEvent
  | LineEvent
  | MarkerEvent
  | MemWriteEvent
  | MsiEvent;

export type SourceKind = 'guest-script' | 'qemu' | 'kvm-ftrace' | 'hand';

export interface CpuConfig {
  /** MPIDR_EL1 value of the vCPU (bit 31 set as KVM's reset_mpidr does). */
  mpidr: bigint;
}

export interface GicConfig {
  version: GicVersion;
  cpus: CpuConfig[];
  /** Number of SPIs (KVM's nr_spis); INTIDs 32 .. 32+spis-1 exist. */
  spis: number;
  its: boolean;
  /** Guest-physical base addresses of the frames (for reports; replay works in frame offsets). */
  frames: {
    dist: bigint;
    redist?: bigint[];
    cpuif?: bigint;
    its?: bigint;
  };
  /**
   * Format minor 1: when the VMM initialised the vGIC. Absent (every 1.0 trace) = before the
   * first event; "traced" = the trace starts with a created, uninitialised vGIC and its
   * KVM_DEV_ARM_VGIC_CTRL_INIT is a `ctrl` user-write event (GICv2 also initialises on first use).
   */
  init?: 'traced';
}

/** How guest cycles map to the generic timer's counter: counter = cycle * num / den (integer division). */
export interface TimerConfig {
  /** CNTFRQ_EL0 the guest reads, in Hz. */
  cntfrq: bigint;
  counterPerCycle: { num: bigint; den: bigint };
  /** Counter offsets as KVM applies them: CNTVCT = counter - virtualOffset, CNTPCT = counter - physicalOffset. */
  virtualOffset: bigint;
  physicalOffset: bigint;
}

export interface Provenance {
  kind: SourceKind;
  /** Tool and version that produced the events, e.g. "QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)". */
  tool: string;
  /** Command line or script that produced the events. */
  command: string;
  /** What the source cannot observe, one sentence each. */
  blindSpots: string[];
  /** How cycles were derived (e.g. "line number × 1000; QEMU logs carry no guest time"). */
  cycles: string;
  /** Free-form extra facts (recording policy, input file digest, …); string values only, sorted by key on write. */
  details: Record<string, string>;
}

export interface TraceHeader {
  magic: typeof TRACE_MAGIC;
  formatMajor: number;
  formatMinor: number;
  /** gicreplay version that wrote the file. */
  writer: string;
  gic: GicConfig;
  timer: TimerConfig;
  provenance: Provenance;
}

export interface TraceTrailer {
  events: number;
  /** Lower-case hex SHA-256 over the msgpack bytes of every event, in order. */
  digest: string;
}

/** KVM's reset_mpidr(): Aff0 = id & 0xf, Aff1 = (id >> 4) & 0xff, Aff2 = (id >> 12) & 0xff, bit 31 set. */
export function kvmMpidr(vcpuId: number): bigint {
  const aff0 = vcpuId & 0xf;
  const aff1 = (vcpuId >> 4) & 0xff;
  const aff2 = (vcpuId >> 12) & 0xff;
  return BigInt((0x80000000 | (aff2 << 16) | (aff1 << 8) | aff0) >>> 0);
}

/** The lowest format minor that can carry this header and these events (writers stamp it). */
export function minorFor(header: TraceHeader, events: Iterable<TraceEvent>): number {
  let minor = header.gic.init !== undefined ? MINOR_INIT_AND_RESULTS : 0;
  for (const ev of events) {
    const m = eventMinor(ev);
    if (m > minor) minor = m;
    if (minor === MINOR_ITS) break;
  }
  return minor;
}

/** The format minor one event needs. */
export function eventMinor(ev: TraceEvent): number {
  if (ev.kind === EventKind.MemWrite || ev.kind === EventKind.Msi) return MINOR_ITS;
  if (ev.kind !== EventKind.UserRead && ev.kind !== EventKind.UserWrite) return 0;
  if (ev.group === UserGroup.ItsRegs || ev.group === UserGroup.ItsCtrl) return MINOR_ITS;
  if (ev.group === UserGroup.Ctrl) return ev.offset === CTRL_INIT ? MINOR_INIT_AND_RESULTS : MINOR_ITS;
  return ev.result !== undefined && ev.result !== null ? MINOR_INIT_AND_RESULTS : 0;
}
