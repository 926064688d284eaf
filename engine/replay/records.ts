// What a replay produces: the guest-visible output of one trace under one policy.
// Records are emitted in order; golden rendering, JSON lines and diffs all consume this stream.

export type AccessSource = 'guest' | 'user';

/** A read (MMIO, system register or userspace) and the value the model returned. */
export interface ReadRecord {
  op: 'read';
  index: number;
  cycle: bigint;
  cpu: number | null;
  src: AccessSource;
  /** 'mmio' | 'sysreg' | 'user' — how the register was reached. */
  via: 'mmio' | 'sysreg' | 'user';
  reg: string;
  /** Frame offset for MMIO / userspace offset; null for system registers. */
  offset: number | null;
  size: number;
  value: bigint;
  /** The value the source observed, or null. */
  recorded: bigint | null;
  unmodelled?: boolean;
  note?: string;
  /** Userspace reads: the errno magnitude KVM_GET_DEVICE_ATTR returned (absent = success); `value` is then 0. */
  result?: number;
  /**
   * Set when the value cannot be compared with another replay of the trace, and why: a real-KVM
   * value that depends on when a host timer fired, or an access KVM's API cannot express.
   */
  notComparable?: string;
}

/** A write the model dropped or stored differently from what was written. */
export interface WriteEffectRecord {
  op: 'write';
  index: number;
  cycle: bigint;
  cpu: number | null;
  src: AccessSource | 'line' | 'timer';
  via: 'mmio' | 'sysreg' | 'user' | 'line';
  reg: string;
  offset: number | null;
  size: number;
  value: bigint;
  effect: string;
  unmodelled?: boolean;
  /** Userspace writes: the errno magnitude KVM_SET_DEVICE_ATTR returned (absent = success). */
  result?: number;
}

/** A change of a vCPU's virtual IRQ or FIQ output. `index` is the event that caused it, or -1 for the timer. */
export interface OutputRecord {
  op: 'irq' | 'fiq';
  cpu: number;
  level: 0 | 1;
  cycle: bigint;
  index: number;
  /** As for ReadRecord: the change cannot be compared (it depends on when a host timer fired). */
  notComparable?: string;
}

/** A recorded input line that disagrees with the line the model drives itself (timer PPIs). */
export interface LineCheckRecord {
  op: 'line-mismatch';
  index: number;
  cycle: bigint;
  cpu: number | null;
  intid: number;
  recorded: 0 | 1;
  modelled: 0 | 1;
}

export interface MarkerRecord {
  op: 'marker';
  index: number;
  cycle: bigint;
  cpu: number | null;
  text: string;
}

/** Emitted once, last, when a truncated trace was replayed with --allow-truncated. */
export interface TruncatedRecord {
  op: 'truncated';
  index: number;
  reason: string;
}

/** An ITS command the vITS processed from the guest's command queue, caused by event `index` (a GITS_CWRITER or GITS_CTLR write). */
export interface ItsCommandRecord {
  op: 'its-cmd';
  index: number;
  cycle: bigint;
  cpu: number | null;
  /** GITS_CREADR offset of the command. */
  at: number;
  command: string;
  /** "ok", or the error KVM ignored, and what the command did. */
  result: string;
}

/** Guest memory the vGIC itself wrote while handling event `index` (saved ITS tables, consumed pending bits, cleared entries). */
export interface MemWriteRecord {
  op: 'mem-write';
  index: number;
  cycle: bigint;
  addr: bigint;
  bytes: Uint8Array;
  why: string;
}

/** A KVM_SIGNAL_MSI the VMM made: what the ioctl returned and what happened. */
export interface MsiRecord {
  op: 'msi';
  index: number;
  cycle: bigint;
  reg: string;
  result: number;
  effect: string;
}

/** A KVM_DEV_ARM_VGIC_GRP_CTRL attribute the VMM set on the vGIC or the ITS device. */
export interface CtrlRecord {
  op: 'ctrl';
  index: number;
  cycle: bigint;
  reg: string;
  result: number;
  effect?: string;
}

export type ReplayRecord = ReadRecord | WriteEffectRecord | OutputRecord | LineCheckRecord | MarkerRecord | TruncatedRecord | ItsCommandRecord | MemWriteRecord | MsiRecord | CtrlRecord;

export type ReplaySink = (rec: ReplayRecord) => void;

export interface ReplaySummary {
  events: number;
  reads: number;
  writeEffects: number;
  outputChanges: number;
  lineMismatches: number;
  unmodelledReads: number;
  truncated: boolean;
}
