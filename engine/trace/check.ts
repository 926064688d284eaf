// Checks of one event against the trace's GIC configuration and the events before it (FORMAT.md
// "Event rules"). Type checks live in codec.ts decodeEvent; register-level checks (is this offset
// a register, is this size allowed for it) in registers.ts, because they need the register tables.

import { AccessSize, CTRL_INIT, CTRL_SAVE_PENDING_TABLES, EventKind, Frame, GicVersion, ITS_CTRL_ATTRS, LineEvent, MarkerEvent, MemWriteEvent, MINOR_ITS, MmioReadEvent, MmioWriteEvent, MsiEvent, SysregReadEvent, SysregWriteEvent, TraceEvent, TraceHeader, UserGroup, UserReadEvent, UserWriteEvent } from './events';
import { violation } from './violation';
import { sysregByEnc } from '../arch/sysregs';

/** Bytes each frame decodes, as KVM registers them (uapi KVM_VGIC_V2_*_SIZE, KVM_VGIC_V3_*_SIZE). */
export const FRAME_BYTES: Readonly<Record<GicVersion, Partial<Record<Frame, number>>>> = {
  2: { [Frame.Dist]: 0x1000, [Frame.CpuIf]: 0x2000 },
  3: { [Frame.Dist]: 0x10000, [Frame.RedistRd]: 0x10000, [Frame.RedistSgi]: 0x10000, [Frame.Its]: 0x20000 },
};

/** Offsets a device-attribute group addresses (KVM's uaccess ranges); CPU_SYSREGS uses a sysreg encoding instead. */
export const USER_GROUP_BYTES: Readonly<Record<GicVersion, Partial<Record<UserGroup, number>>>> = {
  2: { [UserGroup.DistRegs]: 0x1000, [UserGroup.CpuRegs]: 0x2000 },
  // REDIST_REGS spans RD_base and SGI_base: SGI-frame registers sit at 64 KiB + their offset.
  // ITS_REGS addresses the ITS control frame (vgic_its_attr_regs_access: offsets below 64 KiB).
  3: { [UserGroup.DistRegs]: 0x10000, [UserGroup.RedistRegs]: 0x20000, [UserGroup.CpuSysregs]: 0, [UserGroup.ItsRegs]: 0x10000 },
};

export const FRAME_NAMES: Readonly<Record<Frame, string>> = {
  [Frame.Dist]: 'dist',
  [Frame.RedistRd]: 'redist-rd',
  [Frame.RedistSgi]: 'redist-sgi',
  [Frame.CpuIf]: 'cpuif',
  [Frame.Its]: 'its',
};

export const USER_GROUP_NAMES: Readonly<Record<UserGroup, string>> = {
  [UserGroup.DistRegs]: 'dist-regs',
  [UserGroup.RedistRegs]: 'redist-regs',
  [UserGroup.CpuRegs]: 'cpu-regs',
  [UserGroup.CpuSysregs]: 'cpu-sysregs',
  [UserGroup.ItsRegs]: 'its-regs',
  [UserGroup.Ctrl]: 'ctrl',
  [UserGroup.ItsCtrl]: 'its-ctrl',
};

/** A packed op0/op1/CRn/CRm/op2 encoding (arch/sysregs.ts sysregEncoding) with every field in range. */
export function validSysregEncoding(enc: number): boolean {
  return enc >= 0 && enc <= 0x37fff && ((enc >> 12) & 0xf) <= 7 && (enc & 0xf) <= 7;
}

const MAX_BY_SIZE: Record<AccessSize, bigint> = { 1: 0xffn, 2: 0xffffn, 4: 0xffffffffn, 8: 0xffffffffffffffffn };

export class EventChecker {
  private readonly cpus: number;
  private readonly version: GicVersion;
  private readonly frameBytes: Partial<Record<Frame, number>>;
  private readonly userBytes: Partial<Record<UserGroup, number>>;
  private readonly spiEnd: number;
  private readonly its: boolean;
  private readonly minor: number;
  /** Cycle of the previous event; -1 before the first. */
  lastCycle = -1n;
  /** A GICv3 vGIC the trace initialises itself (gic.init "traced") and has not yet: its vCPUs cannot run. */
  private uninitialisedV3: boolean;

  constructor(header: TraceHeader) {
    this.cpus = header.gic.cpus.length;
    this.version = header.gic.version;
    this.frameBytes = FRAME_BYTES[this.version];
    this.userBytes = USER_GROUP_BYTES[this.version];
    this.spiEnd = 32 + header.gic.spis;
    this.its = header.gic.its;
    this.minor = header.formatMinor;
    this.uninitialisedV3 = header.gic.init === 'traced' && this.version === 3;
  }

  /** KVM refuses KVM_RUN on a GICv3 VM before KVM_DEV_ARM_VGIC_CTRL_INIT (vgic_v3_map_resources: -EBUSY). */
  private guest(): void {
    if (this.uninitialisedV3) violation('a guest access before the vGIC is initialised', 'the ctrl user-write KVM_DEV_ARM_VGIC_CTRL_INIT (offset 0) before any guest event: KVM_RUN fails with -EBUSY on an uninitialised GICv3');
  }

  /**
   * Throws Violation when `ev` breaks a rule; on success it becomes the "previous event". One
   * method per kind, as in Replayer.apply: V8 shares the feedback of every `ev.cycle` load in one
   * function, and events of five shapes make such a load megamorphic.
   */
  check(ev: TraceEvent): void {
    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite:
        return this.mmioEvent(ev);
      case EventKind.SysregRead:
      case EventKind.SysregWrite:
        return this.sysregEvent(ev);
      case EventKind.UserRead:
      case EventKind.UserWrite:
        return this.userEvent(ev);
      case EventKind.Line:
        return this.lineEvent(ev);
      case EventKind.Marker:
        return this.markerEvent(ev);
      case EventKind.MemWrite:
        return this.memWriteEvent(ev);
      case EventKind.Msi:
        return this.msiEvent(ev);
    }
  }

  /** The rule every event meets first. */
  private ordered(cycle: bigint): void {
    if (cycle < this.lastCycle) violation(`cycle ${cycle} goes backwards (previous event at cycle ${this.lastCycle})`, `a cycle >= ${this.lastCycle}`);
  }

  private mmioEvent(ev: MmioReadEvent | MmioWriteEvent): void {
    const cycle = ev.cycle;
    this.ordered(cycle);
    this.guest();
    this.cpu(ev.cpu, true);
    this.mmio(ev.frame, ev.index, ev.offset, ev.size);
    this.fits(ev.kind === EventKind.MmioRead ? ev.observed : ev.value, ev.size);
    this.lastCycle = cycle;
  }

  private sysregEvent(ev: SysregReadEvent | SysregWriteEvent): void {
    const cycle = ev.cycle;
    this.ordered(cycle);
    // A GICv2 guest still has the generic timer's CNT* system registers; only ICC_* are GICv3-only.
    this.guest();
    if (this.version !== 3 && sysregByEnc(ev.enc)?.owner !== 'timer') violation('system-register access on GICv2', 'sysreg events only with GICv3, or CNT* timer registers (a GICv2 guest uses the GICC frame)');
    this.cpu(ev.cpu, false);
    if (!validSysregEncoding(ev.enc)) violation(`sysreg encoding 0x${ev.enc.toString(16)} has a field out of range`, 'op0<<16|op1<<12|CRn<<8|CRm<<4|op2 with op0<=3, op1<=7, op2<=7');
    this.lastCycle = cycle;
  }

  private userEvent(ev: UserReadEvent | UserWriteEvent): void {
    const cycle = ev.cycle;
    this.ordered(cycle);
    if (ev.group === UserGroup.Ctrl || ev.group === UserGroup.ItsCtrl) {
      this.ctrl(ev);
    } else {
      this.user(ev.group, ev.cpu, ev.offset, ev.size);
      this.fits(ev.kind === EventKind.UserRead ? ev.observed : ev.value, ev.size);
    }
    this.lastCycle = cycle;
  }

  private lineEvent(ev: LineEvent): void {
    const cycle = ev.cycle;
    this.ordered(cycle);
    if (ev.intid >= 16 && ev.intid < 32) {
      if (ev.cpu === null) violation(`PPI ${ev.intid} line without a vCPU`, 'a vCPU for a PPI line (INTID 16..31)');
      this.cpu(ev.cpu, false);
    } else if (ev.intid >= 32 && ev.intid < this.spiEnd) {
      if (ev.cpu !== null) violation(`SPI ${ev.intid} line names vCPU ${ev.cpu}`, 'cpu nil for an SPI line');
    } else {
      violation(`line INTID ${ev.intid} is not a PPI or an SPI this GIC has`, `INTID 16..31 (PPI) or 32..${this.spiEnd - 1} (SPI)`);
    }
    this.lastCycle = cycle;
  }

  private markerEvent(ev: MarkerEvent): void {
    const cycle = ev.cycle;
    this.ordered(cycle);
    this.cpu(ev.cpu, true);
    this.lastCycle = cycle;
  }

  private memWriteEvent(ev: MemWriteEvent): void {
    const cycle = ev.cycle;
    this.ordered(cycle);
    this.needIts('mem-write');
    this.cpu(ev.cpu, true);
    if (ev.addr + BigInt(ev.data.length) > 0x10000000000000000n) violation(`mem-write of ${ev.data.length} bytes at 0x${ev.addr.toString(16)} runs past 2^64`, 'a guest-physical range inside the 64-bit address space');
    this.lastCycle = cycle;
  }

  private msiEvent(ev: MsiEvent): void {
    const cycle = ev.cycle;
    this.ordered(cycle);
    this.needIts('msi');
    this.lastCycle = cycle;
  }

  /** Guest memory and MSIs matter only to an ITS: a trace without one cannot carry them. */
  private needIts(what: string): void {
    if (!this.its) violation(`${what} event in a trace without an ITS`, `gic.its true (only the ITS reads guest memory and takes MSIs)`);
  }

  private cpu(cpu: number | null, nullable: boolean): void {
    if (cpu === null) {
      if (!nullable) violation('vCPU is nil', `a vCPU index below ${this.cpus}`);
      return;
    }
    if (cpu >= this.cpus) violation(`vCPU ${cpu} out of range`, `a vCPU index below ${this.cpus} (header.gic.cpus)`);
  }

  private mmio(frame: Frame, index: number, offset: number, size: AccessSize): void {
    const bytes = this.frameBytes[frame];
    if (bytes === undefined || (frame === Frame.Its && !this.its)) {
      const allowed = this.version === 2 ? 'dist or cpuif on GICv2' : `dist, redist-rd or redist-sgi${this.its ? ' or its' : ''} on GICv3${this.its ? '' : ' without an ITS'}`;
      violation(`frame ${FRAME_NAMES[frame]} does not exist on this GICv${this.version}`, allowed);
    }
    if (frame === Frame.RedistRd || frame === Frame.RedistSgi) {
      if (index >= this.cpus) violation(`redistributor ${index} out of range`, `a redistributor index below ${this.cpus}`);
    } else if (index !== 0) {
      violation(`frame index ${index} on the ${FRAME_NAMES[frame]} frame`, 'index 0 outside the redistributor frames');
    }
    if (offset + size > bytes) violation(`offset 0x${offset.toString(16)} (+${size}) lies outside the ${FRAME_NAMES[frame]} frame`, `an offset below 0x${bytes.toString(16)} with the access inside the frame`);
  }

  private user(group: UserGroup, cpu: number | null, offset: number, size: AccessSize): void {
    const bytes = this.userBytes[group];
    if (bytes === undefined) {
      violation(`device-attribute group ${USER_GROUP_NAMES[group]} does not exist on GICv${this.version}`, this.version === 2 ? 'dist-regs or cpu-regs on GICv2' : 'dist-regs, redist-regs or cpu-sysregs on GICv3');
    }
    if (group === UserGroup.ItsRegs) {
      if (!this.its) violation('its-regs access in a trace without an ITS', 'gic.its true for KVM_DEV_ARM_VGIC_GRP_ITS_REGS');
      if (cpu !== null) violation(`its-regs access names vCPU ${cpu}`, 'cpu nil (the ITS registers are the VM\'s)');
      if (size !== 4 && size !== 8) violation(`its-regs access of ${size} bytes`, 'size 4 or 8 (KVM_DEV_ARM_VGIC_GRP_ITS_REGS accesses a register at its width)');
    } else {
      // DIST_REGS may name a vCPU (GICv2 banked registers); the other groups must.
      this.cpu(cpu, group === UserGroup.DistRegs);
    }
    if (group === UserGroup.CpuSysregs) {
      if (!validSysregEncoding(offset)) violation(`cpu-sysregs offset 0x${offset.toString(16)} is not a valid sysreg encoding`, 'a packed op0/op1/CRn/CRm/op2 encoding');
      if (size !== 8) violation(`cpu-sysregs access of ${size} bytes`, 'size 8 (KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS is 64-bit)');
      return;
    }
    if (offset + size > bytes) violation(`offset 0x${offset.toString(16)} (+${size}) lies outside ${USER_GROUP_NAMES[group]}`, `an offset below 0x${bytes.toString(16)}`);
  }

  /**
   * Control attributes: on the vGIC (`ctrl`) a write of KVM_DEV_ARM_VGIC_CTRL_INIT (format 1.1)
   * or, on GICv3 from format 1.2, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES; on the ITS device
   * (`its-ctrl`, format 1.2) INIT, SAVE_TABLES, RESTORE_TABLES or CTRL_RESET.
   */
  private ctrl(ev: TraceEvent & { kind: EventKind.UserRead | EventKind.UserWrite }): void {
    const its = ev.group === UserGroup.ItsCtrl;
    const g = its ? 'its-ctrl' : 'ctrl';
    if (ev.kind === EventKind.UserRead) violation(`user-read of the ${g} group`, `only user-writes in the ${g} group (KVM has no readable control attribute)`);
    if (its) {
      if (!this.its) violation('its-ctrl write in a trace without an ITS', 'gic.its true for the ITS device\'s control attributes');
      if (ITS_CTRL_ATTRS[ev.offset] === undefined) violation(`its-ctrl attribute ${ev.offset}`, `offset ${Object.entries(ITS_CTRL_ATTRS).map(([k, n]) => `${k} (${n})`).join(', ')}`);
    } else if (ev.offset === CTRL_SAVE_PENDING_TABLES && this.minor >= MINOR_ITS && this.version === 3) {
      // KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: a GICv3 attribute (vgic_v3_set_attr).
    } else if (ev.offset !== CTRL_INIT) {
      violation(`ctrl attribute ${ev.offset}`, this.minor >= MINOR_ITS && this.version === 3 ? `offset ${CTRL_INIT} (KVM_DEV_ARM_VGIC_CTRL_INIT) or ${CTRL_SAVE_PENDING_TABLES} (KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)` : `offset ${CTRL_INIT} (KVM_DEV_ARM_VGIC_CTRL_INIT)${this.version === 3 ? '; 3 (KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) needs format 1.2' : ''}`);
    }
    if (ev.cpu !== null) violation(`${g} write names vCPU ${ev.cpu}`, 'cpu nil (the attribute is the device\'s)');
    if (ev.size !== 4 || ev.value !== 0n) violation(`${g} write of size ${ev.size}, value 0x${ev.value.toString(16)}`, 'size 4 and value 0 (the control attributes take no data)');
    if (!its && ev.offset === CTRL_INIT) this.uninitialisedV3 = false;
  }

  private fits(v: bigint | null, size: AccessSize): void {
    if (v !== null && v > MAX_BY_SIZE[size]) violation(`value 0x${v.toString(16)} does not fit a ${size}-byte access`, `a value below 2^${size * 8}`);
  }
}
