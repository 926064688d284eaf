// The guest-facing view of one vCPU: MMIO and system-register accesses by name, WFI, delays,
// PSTATE.I/F masks, exception handlers, device lines, assertions and console markers. Every
// method that touches the machine returns a Step: call it with `yield*`.
//
// Timing rule: each step first reaches an instruction boundary (the scheduler runs the vCPU with
// the lowest cycle, and a pending unmasked IRQ/FIQ is taken there), then does its access at the
// vCPU's cycle, then reaches another boundary. So guest code between two steps always sees the
// effects of the first step's interrupts, as it would after an ISB on hardware.

import { sysregByName, SysregInfo } from '../arch/sysregs';
import { AccessSize, CTRL_INIT, CTRL_SAVE_PENDING_TABLES, EventKind, Frame, GicVersion, UserGroup } from '../trace/events';
import { VIRT_GITS } from './host';
import type { VcpuHost } from './host';
import { SCHED, Step, Value } from './step';
import { CostModel, mmioCost, sysregCost } from './costs';
import { resolveRegister, RegisterNameError, ResolvedReg } from './regnames';
import { GuestError, guestSite, GuestSite } from './site';

/** An exception handler; `kind` says whether the IRQ or the FIQ vector was taken. */
export type Handler = (c: Vcpu, kind: 'irq' | 'fiq') => Step<void>;

export type VcpuState = 'ready' | 'wfi' | 'idle' | 'busy' | 'done';

export interface AccessOptions {
  /** Redistributor index for GICR_* registers; default: this vCPU's own. */
  rd?: number;
}

const SIZES: readonly number[] = [1, 2, 4, 8];

export class Vcpu {
  /** Guest cycle of this vCPU: the cycle its next access will carry. */
  cycle = 0n;
  state: VcpuState = 'ready';
  /** PSTATE.I and PSTATE.F: both masked out of reset, as on a real CPU. */
  maskI = true;
  maskF = true;
  /** Where the current WFI was called, for a hang report. */
  waitSite: GuestSite | undefined;
  /** Steps created but not yet run: a step that never runs means a missing `yield*`. */
  private created: { err: Error; started: boolean }[] = [];
  private irqHandler: Handler | undefined;
  private fiqHandler: Handler | undefined;
  private depth = 0;

  constructor(
    readonly id: number,
    private readonly m: VcpuHost,
    private readonly costs: CostModel,
  ) {}

  get gicVersion(): GicVersion {
    return this.m.gic.version;
  }

  /** Number of vCPUs in the guest. */
  get cpuCount(): number {
    return this.m.gic.cpus;
  }

  get spis(): number {
    return this.m.gic.spis;
  }

  /** MPIDR_EL1 of this vCPU (KVM's reset_mpidr). */
  get mpidr(): bigint {
    return this.m.mpidr(this.id);
  }

  /** True while running an exception handler. */
  get inHandler(): boolean {
    return this.depth > 0;
  }

  // ---- errors -------------------------------------------------------------------------------

  /** A GuestError pointing at the guest line that called into the API. */
  fail(message: string): GuestError {
    return new GuestError(this.m.guestName, message, guestSite(new Error(message)));
  }

  private value(v: Value, what: string): bigint {
    if (typeof v === 'bigint') {
      if (v < 0n || v >= 1n << 64n) throw this.fail(`${what}: value ${v} is not an unsigned 64-bit integer`);
      return v;
    }
    if (!Number.isSafeInteger(v) || v < 0) throw this.fail(`${what}: value ${v} is not a non-negative safe integer (use a bigint above 2^53)`);
    return BigInt(v);
  }

  private resolve(name: string, opts: AccessOptions | undefined): ResolvedReg & { rd: number } {
    let r: ResolvedReg;
    try {
      r = resolveRegister(this.m.gic.version, name);
    } catch (e) {
      if (e instanceof RegisterNameError) throw this.fail(e.message);
      throw e;
    }
    if (r.frame === Frame.Its && !this.m.gic.its) throw this.fail(`${name}: this guest has no ITS (gic.its)`);
    const isRedist = r.frame === Frame.RedistRd || r.frame === Frame.RedistSgi;
    if (opts?.rd !== undefined && !isRedist) throw this.fail(`${name}: only GICR_* registers take a redistributor index`);
    const rd = isRedist ? opts?.rd ?? this.id : 0;
    if (!Number.isInteger(rd) || rd < 0 || rd >= this.m.gic.cpus) {
      throw this.fail(`${name}: redistributor ${rd} does not exist (the guest has ${this.m.gic.cpus} vCPUs: 0..${this.m.gic.cpus - 1})`);
    }
    return { ...r, rd };
  }

  private sysreg(name: string, want: 'read' | 'write'): SysregInfo {
    const s = sysregByName(name);
    if (!s) throw this.fail(`unknown system register ${JSON.stringify(name)}`);
    if (want === 'read' && s.access === 'WO') throw this.fail(`${s.name} is write-only: a read is UNDEFINED`);
    if (want === 'write' && s.access === 'RO') throw this.fail(`${s.name} is read-only: a write is UNDEFINED`);
    if (s.owner === 'gic' && this.m.gic.version !== 3) throw this.fail(`${s.name}: a GICv2 guest has no ICC_* system-register interface`);
    return s;
  }

  private checkFrame(frame: Frame, offset: number, size: number, rd: number): void {
    const v = this.m.gic.version;
    const ok = v === 3 ? frame === Frame.Dist || frame === Frame.RedistRd || frame === Frame.RedistSgi || (frame === Frame.Its && this.m.gic.its === true) : frame === Frame.Dist || frame === Frame.CpuIf;
    if (!ok) throw this.fail(`frame ${Frame[frame] ?? frame} does not exist on GICv${v}${frame === Frame.Its ? ' without an ITS' : ''}`);
    if (!SIZES.includes(size)) throw this.fail(`access size ${size} is not 1, 2, 4 or 8 bytes`);
    const limit = frame === Frame.Its ? 0x1ffff : 0xffff;
    if (!Number.isInteger(offset) || offset < 0 || offset > limit) throw this.fail(`offset ${offset} is outside the ${frame === Frame.Its ? '128' : '64'} KiB frame`);
    if (!Number.isInteger(rd) || rd < 0 || rd >= this.m.gic.cpus) throw this.fail(`redistributor ${rd} does not exist`);
  }

  // ---- forgotten `yield*` ---------------------------------------------------------------------

  /** Wrap a public step so that one created and never run is reported at its guest line. */
  private track<T>(inner: Step<T>): Step<T> {
    const t = { err: new Error('step created'), started: false };
    this.created.push(t);
    const checkForgotten = () => this.checkForgotten();
    return (function* (): Step<T> {
      t.started = true;
      checkForgotten();
      return yield* inner;
    })();
  }

  /** Throws for a step that was created but never run (called when a later one starts, and at the end). */
  checkForgotten(): void {
    for (const t of this.created) {
      if (!t.started) throw new GuestError(this.m.guestName, 'this call was never run: a guest step needs `yield*` (e.g. `yield* c.read(...)`)', guestSite(t.err));
    }
    this.created = [];
  }

  // ---- instruction boundaries and exceptions ------------------------------------------------

  /** Which exception this vCPU takes now, if any (FIQ before IRQ). */
  pendingException(): 'irq' | 'fiq' | null {
    if (!this.maskF && this.m.fiqLevel(this.id)) return 'fiq';
    if (!this.maskI && this.m.irqLevel(this.id)) return 'irq';
    return null;
  }

  /** Yield to the scheduler, then take every pending unmasked exception. */
  *boundary(): Step {
    for (;;) {
      yield SCHED;
      const kind = this.pendingException();
      if (!kind) return;
      yield* this.takeException(kind);
    }
  }

  private *takeException(kind: 'irq' | 'fiq'): Step {
    const h = kind === 'fiq' ? this.fiqHandler : this.irqHandler;
    if (!h) throw this.fail(`${kind.toUpperCase()} taken with no handler installed (call c.on${kind === 'fiq' ? 'Fiq' : 'Irq'}() before unmasking)`);
    const savedI = this.maskI;
    const savedF = this.maskF;
    // AArch64 exception entry masks D, A, I and F.
    this.maskI = true;
    this.maskF = true;
    this.depth++;
    this.cycle += this.costs.exceptionEntry;
    yield* h(this, kind);
    this.cycle += this.costs.exceptionReturn;
    this.depth--;
    this.maskI = savedI;
    this.maskF = savedF;
  }

  onIrq(h: Handler): void {
    this.irqHandler = h;
  }

  onFiq(h: Handler): void {
    this.fiqHandler = h;
  }

  // ---- register accesses --------------------------------------------------------------------

  /** Read a GIC register by name: 'GICD_TYPER', 'GICR_ISENABLER0' (opts.rd picks the redistributor), 'GICC_IAR', 'GICD_IPRIORITYR8.B2'. */
  read(name: string, opts?: AccessOptions): Step<bigint> {
    const r = this.resolve(name, opts);
    return this.track(this.mmio(r.frame, r.offset, r.size, r.rd, null));
  }

  write(name: string, value: Value, opts?: AccessOptions): Step {
    const r = this.resolve(name, opts);
    const v = this.value(value, name);
    if (r.size < 8 && v >= 1n << BigInt(r.size * 8)) throw this.fail(`${name}: value 0x${v.toString(16)} does not fit a ${r.size * 8}-bit access`);
    return this.track(this.voidStep(this.mmio(r.frame, r.offset, r.size, r.rd, v)));
  }

  /** Read by frame and offset, e.g. a 16-bit access KVM rejects, or a byte of IPRIORITYR. */
  readAt(frame: Frame, offset: number, size: AccessSize, rd = 0): Step<bigint> {
    this.checkFrame(frame, offset, size, rd);
    return this.track(this.mmio(frame, offset, size, rd, null));
  }

  writeAt(frame: Frame, offset: number, size: AccessSize, value: Value, rd = 0): Step {
    this.checkFrame(frame, offset, size, rd);
    const v = this.value(value, `${Frame[frame]}+0x${offset.toString(16)}`);
    if (size < 8 && v >= 1n << BigInt(size * 8)) throw this.fail(`value 0x${v.toString(16)} does not fit a ${size * 8}-bit access`);
    return this.track(this.voidStep(this.mmio(frame, offset, size, rd, v)));
  }

  private *voidStep(s: Step<bigint>): Step {
    yield* s;
  }

  private *mmio(frame: Frame, offset: number, size: AccessSize, rd: number, value: bigint | null): Step<bigint> {
    yield* this.boundary();
    const index = frame === Frame.RedistRd || frame === Frame.RedistSgi ? rd : 0;
    const base = { cycle: this.cycle, cpu: this.id, frame, index, offset, size };
    const got = value === null ? this.m.emit({ kind: EventKind.MmioRead, ...base, observed: null }) : this.m.emit({ kind: EventKind.MmioWrite, ...base, value });
    this.cycle += mmioCost(this.costs, frame);
    yield* this.boundary();
    return got;
  }

  /** MRS of an ICC_* or CNT* register by name (ICC_IAR1_EL1, or ICC_IAR1). */
  sysRead(name: string): Step<bigint> {
    const s = this.sysreg(name, 'read');
    return this.track(this.sys(s, null));
  }

  /** MSR of an ICC_* or CNT* register by name. */
  sysWrite(name: string, value: Value): Step {
    const s = this.sysreg(name, 'write');
    const v = this.value(value, s.name);
    return this.track(this.voidStep(this.sys(s, v)));
  }

  private *sys(s: SysregInfo, value: bigint | null): Step<bigint> {
    yield* this.boundary();
    const got =
      value === null
        ? this.m.emit({ kind: EventKind.SysregRead, cycle: this.cycle, cpu: this.id, enc: s.enc, observed: null })
        : this.m.emit({ kind: EventKind.SysregWrite, cycle: this.cycle, cpu: this.id, enc: s.enc, value });
    this.cycle += sysregCost(this.costs, s);
    yield* this.boundary();
    return got;
  }

  // ---- PSTATE -------------------------------------------------------------------------------

  /** MSR DAIFSet: mask IRQ and/or FIQ. */
  mask(which: { irq?: boolean; fiq?: boolean } = { irq: true }): Step {
    return this.track(this.maskStep(which));
  }

  private *maskStep(which: { irq?: boolean; fiq?: boolean }): Step {
    yield* this.boundary();
    if (which.irq) this.maskI = true;
    if (which.fiq) this.maskF = true;
    this.cycle += this.costs.daif;
  }

  /** MSR DAIFClr: unmask IRQ and/or FIQ; a pending one is taken right after. */
  unmask(which: { irq?: boolean; fiq?: boolean } = { irq: true }): Step {
    return this.track(this.unmaskStep(which));
  }

  private *unmaskStep(which: { irq?: boolean; fiq?: boolean }): Step {
    yield* this.boundary();
    if (which.irq) this.maskI = false;
    if (which.fiq) this.maskF = false;
    this.cycle += this.costs.daif;
    yield* this.boundary();
  }

  // ---- time ---------------------------------------------------------------------------------

  /** Busy-wait `cycles` guest cycles; unmasked interrupts are taken when they arrive. */
  delay(cycles: Value): Step {
    const n = this.value(cycles, 'delay');
    return this.track(this.busy(n));
  }

  private *busy(n: bigint): Step {
    yield* this.boundary();
    const until = this.cycle + n;
    while (this.cycle < until) {
      this.cycle = until;
      this.state = 'busy';
      yield SCHED;
      // The machine pulls `cycle` back to the event that raised an unmasked interrupt.
      this.state = 'ready';
      const kind = this.pendingException();
      if (kind) yield* this.takeException(kind);
    }
    yield* this.boundary();
  }

  /** WFI: returns once this vCPU's IRQ or FIQ output is asserted (masked or not), after taking it if unmasked. */
  wfi(): Step {
    const site = guestSite(new Error('wfi'));
    return this.track(this.waitFor('wfi', site));
  }

  /**
   * Park for good: WFI in a loop, taking interrupts. The recording ends when every vCPU has
   * returned or idles with nothing left that could wake it (KUT's do_idle, a Linux idle loop).
   */
  idle(): Step {
    return this.track(this.idleLoop());
  }

  private *idleLoop(): Step {
    for (;;) yield* this.waitFor('idle', undefined);
  }

  private *waitFor(kind: 'wfi' | 'idle', site: GuestSite | undefined): Step {
    yield* this.boundary();
    this.cycle += this.costs.wfiEntry;
    if (!this.m.irqLevel(this.id) && !this.m.fiqLevel(this.id)) {
      this.state = kind;
      this.waitSite = site;
      yield SCHED;
      this.state = 'ready';
      this.waitSite = undefined;
    }
    yield* this.boundary();
  }

  // ---- the VMM's device-attribute interface ----------------------------------------------------

  /**
   * The host/VMM reads a GIC register through KVM_DEV_ARM_VGIC_GRP_{DIST,REDIST,CPU}_REGS, on the
   * guest's request (selftests' kvm_irq_write_ispendr): a UserRead event. GICR SGI_base registers
   * sit at +64 KiB in the redistributor group, as KVM's uaccess region table has them.
   */
  hostRead(name: string, opts?: AccessOptions): Step<bigint> {
    const r = this.resolve(name, opts);
    return this.track(this.user(r, null));
  }

  hostWrite(name: string, value: Value, opts?: AccessOptions): Step {
    const r = this.resolve(name, opts);
    return this.track(this.voidStep(this.user(r, this.value(value, name))));
  }

  /**
   * The VMM initialises the vGIC (KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT): a ctrl
   * user-write, for guests whose gic.init is "traced" (format 1.1).
   */
  hostCtrlInit(): Step {
    if (this.m.gic.init !== 'traced') throw this.fail('hostCtrlInit needs gic.init "traced": without it the vGIC is initialised before the guest starts');
    return this.track(this.voidStep(this.ctrlInit()));
  }

  private *ctrlInit(): Step<bigint> {
    yield* this.boundary();
    const got = this.m.emit({ kind: EventKind.UserWrite, cycle: this.cycle, group: UserGroup.Ctrl, cpu: null, offset: CTRL_INIT, size: 4, value: 0n });
    this.cycle += this.costs.hostRequest;
    yield* this.boundary();
    return got;
  }

  /** The VMM reads this vCPU's ICC_* register through KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS (GICv3). */
  hostSysRead(name: string): Step<bigint> {
    const s = this.userSysreg(name);
    return this.track(this.userSys(s, null));
  }

  hostSysWrite(name: string, value: Value): Step {
    const s = this.userSysreg(name);
    return this.track(this.voidStep(this.userSys(s, this.value(value, s.name))));
  }

  private userSysreg(name: string): SysregInfo {
    const s = sysregByName(name);
    if (!s || s.owner !== 'gic') throw this.fail(`${JSON.stringify(name)} is not an ICC_* register the CPU_SYSREGS group carries`);
    if (this.m.gic.version !== 3) throw this.fail(`${s.name}: KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS exists only on GICv3`);
    return s;
  }

  private *userSys(s: SysregInfo, value: bigint | null): Step<bigint> {
    yield* this.boundary();
    const base = { cycle: this.cycle, group: UserGroup.CpuSysregs, cpu: this.id, offset: s.enc, size: 8 as const };
    const got = value === null ? this.m.emit({ kind: EventKind.UserRead, ...base, observed: null }) : this.m.emit({ kind: EventKind.UserWrite, ...base, value });
    this.cycle += this.costs.hostRequest;
    yield* this.boundary();
    return got;
  }

  private *user(r: ResolvedReg & { rd: number }, value: bigint | null): Step<bigint> {
    if (r.frame === Frame.Its) return yield* this.userIts(r, value);
    // KVM_{GET,SET}_DEVICE_ATTR on DIST_REGS/REDIST_REGS/CPU_REGS move a u32: a VMM reaches a
    // 64-bit register (GICD_IROUTER<n>, GICR_TYPER) as two 32-bit halves, low word first, as
    // QEMU's arm_gicv3_kvm.c does for IROUTER.
    if (r.size === 8) {
      const lo = yield* this.user({ ...r, size: 4 }, value === null ? null : value & 0xffffffffn);
      const hi = yield* this.user({ ...r, offset: r.offset + 4, size: 4 }, value === null ? null : value >> 32n);
      return (hi << 32n) | lo;
    }
    if (r.size !== 4) throw this.fail(`${r.name}: KVM's register device attributes are 32-bit; a ${r.size}-byte userspace access cannot be made`);
    const group = r.frame === Frame.Dist ? UserGroup.DistRegs : r.frame === Frame.CpuIf ? UserGroup.CpuRegs : UserGroup.RedistRegs;
    const offset = r.frame === Frame.RedistSgi ? r.offset + 0x10000 : r.offset;
    const cpu = r.frame === Frame.Dist ? null : r.frame === Frame.CpuIf ? this.id : r.rd;
    yield* this.boundary();
    const base = { cycle: this.cycle, group, cpu, offset, size: r.size };
    const got = value === null ? this.m.emit({ kind: EventKind.UserRead, ...base, observed: null }) : this.m.emit({ kind: EventKind.UserWrite, ...base, value });
    this.cycle += this.costs.hostRequest;
    yield* this.boundary();
    return got;
  }

  /**
   * KVM_DEV_ARM_VGIC_GRP_ITS_REGS: unlike the vGIC's groups, KVM moves each ITS register at its
   * own width (a u64 for GITS_BASER<n>, GITS_CBASER, GITS_CWRITER/CREADR, GITS_TYPER), as QEMU's
   * arm_gicv3_its_kvm.c does.
   */
  private *userIts(r: ResolvedReg, value: bigint | null): Step<bigint> {
    if (r.offset >= 0x10000) throw this.fail(`${r.name}: KVM_DEV_ARM_VGIC_GRP_ITS_REGS addresses the ITS control frame only`);
    yield* this.boundary();
    const base = { cycle: this.cycle, group: UserGroup.ItsRegs, cpu: null, offset: r.offset, size: r.size };
    const got = value === null ? this.m.emit({ kind: EventKind.UserRead, ...base, observed: null }) : this.m.emit({ kind: EventKind.UserWrite, ...base, value });
    this.cycle += this.costs.hostRequest;
    yield* this.boundary();
    return got;
  }

  // ---- guest memory and MSIs (a VM with an ITS; format 1.2) -----------------------------------

  private needIts(what: string): void {
    if (!this.m.gic.its) throw this.fail(`${what}: this guest has no ITS (gic.its); only the ITS reads guest memory and takes MSIs`);
  }

  /**
   * The guest stores bytes to its memory that the ITS will read (a command in the command queue,
   * an LPI property byte, a pending table it clears): a mem-write event of this vCPU. Only memory
   * the ITS reads needs recording; everything else is invisible to the vGIC.
   */
  memWrite(addr: Value, data: Uint8Array | readonly number[]): Step {
    this.needIts('memWrite');
    const bytes = data instanceof Uint8Array ? new Uint8Array(data) : Uint8Array.from(data);
    if (bytes.length === 0) throw this.fail('memWrite of no bytes');
    return this.track(this.mem(this.id, this.value(addr, 'memWrite address'), bytes));
  }

  /** The VMM (or a device's DMA) writes guest memory: a mem-write event without a vCPU (a restored table, a device's own data). */
  hostMemWrite(addr: Value, data: Uint8Array | readonly number[]): Step {
    this.needIts('hostMemWrite');
    const bytes = data instanceof Uint8Array ? new Uint8Array(data) : Uint8Array.from(data);
    if (bytes.length === 0) throw this.fail('hostMemWrite of no bytes');
    return this.track(this.mem(null, this.value(addr, 'hostMemWrite address'), bytes));
  }

  private *mem(cpu: number | null, addr: bigint, data: Uint8Array): Step {
    yield* this.boundary();
    this.m.emit({ kind: EventKind.MemWrite, cycle: this.cycle, cpu, addr, data });
    // A store is guest instructions, not a trap; a VMM's write costs its request round trip.
    this.cycle += cpu === null ? this.costs.hostRequest : this.costs.perAccess;
    yield* this.boundary();
  }

  /**
   * A PCI device's MSI as the VMM delivers it (KVM_SIGNAL_MSI with KVM_MSI_VALID_DEVID, the way
   * QEMU's kvm_irqchip_send_msi does): DeviceID `devid`, payload `eventId`, doorbell GITS_TRANSLATER
   * unless `address` says otherwise. Returns what the ioctl returned: 1 delivered, 0 blocked by
   * the guest's mappings, a negative errno.
   */
  hostMsi(devid: number | null, eventId: number, address?: Value): Step<bigint> {
    this.needIts('hostMsi');
    const doorbell = address === undefined ? VIRT_GITS + 0x10040n : this.value(address, 'hostMsi address');
    return this.track(this.msi(doorbell, eventId >>> 0, devid));
  }

  private *msi(address: bigint, data: number, devid: number | null): Step<bigint> {
    yield* this.boundary();
    const got = this.m.emit({ kind: EventKind.Msi, cycle: this.cycle, cpu: null, address, data, devid });
    this.cycle += this.costs.hostRequest;
    yield* this.boundary();
    return got;
  }

  /**
   * The VMM sets a control attribute of the ITS device (KVM_DEV_ARM_VGIC_GRP_CTRL on the ITS fd):
   * 1 KVM_DEV_ARM_ITS_SAVE_TABLES, 2 KVM_DEV_ARM_ITS_RESTORE_TABLES, 4 KVM_DEV_ARM_ITS_CTRL_RESET.
   * Returns the ioctl's result (0 or a negative errno).
   */
  hostItsCtrl(attr: 0 | 1 | 2 | 4): Step<bigint> {
    this.needIts('hostItsCtrl');
    return this.track(this.ctrl(UserGroup.ItsCtrl, attr));
  }

  /** KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES on the vGIC: every LPI's pending bit into its redistributor's pending table. */
  hostSavePendingTables(): Step<bigint> {
    this.needIts('hostSavePendingTables');
    return this.track(this.ctrl(UserGroup.Ctrl, CTRL_SAVE_PENDING_TABLES));
  }

  private *ctrl(group: UserGroup.Ctrl | UserGroup.ItsCtrl, attr: number): Step<bigint> {
    yield* this.boundary();
    const got = this.m.emit({ kind: EventKind.UserWrite, cycle: this.cycle, group, cpu: null, offset: attr, size: 4, value: 0n });
    this.cycle += this.costs.hostRequest;
    yield* this.boundary();
    return got;
  }

  // ---- devices ------------------------------------------------------------------------------

  /**
   * Ask the host/VMM to drive an input line now (selftests' GUEST_SYNC → KVM_IRQ_LINE): an SPI
   * (cpu omitted) or a PPI of `cpu` (default: this vCPU).
   */
  line(intid: number, level: 0 | 1, cpu?: number): Step {
    const target = this.lineTarget(intid, level, cpu);
    return this.track(this.hostLine(intid, target, level));
  }

  private *hostLine(intid: number, cpu: number | null, level: 0 | 1): Step {
    yield* this.boundary();
    this.m.emit({ kind: EventKind.Line, cycle: this.cycle, intid, cpu, level });
    this.cycle += this.costs.hostRequest;
    yield* this.boundary();
  }

  /** A device drives a line by itself `after` cycles from now (an RTC match, a NIC): no guest time spent. */
  scheduleLine(after: Value, intid: number, level: 0 | 1, cpu?: number): void {
    const target = this.lineTarget(intid, level, cpu);
    this.m.scheduleLine(this.cycle + this.value(after, 'scheduleLine'), intid, target, level);
  }

  private lineTarget(intid: number, level: number, cpu: number | undefined): number | null {
    if (level !== 0 && level !== 1) throw this.fail(`line level ${level} is not 0 or 1`);
    const { spis, cpus } = this.m.gic;
    if (Number.isInteger(intid) && intid >= 32 && intid < 32 + spis) {
      if (cpu !== undefined) throw this.fail(`INTID ${intid} is an SPI: it has no target vCPU`);
      return null;
    }
    if (Number.isInteger(intid) && intid >= 16 && intid < 32) {
      const c = cpu ?? this.id;
      if (!Number.isInteger(c) || c < 0 || c >= cpus) throw this.fail(`vCPU ${c} does not exist (the guest has ${cpus} vCPUs)`);
      return c;
    }
    throw this.fail(`INTID ${intid} is not a PPI (16..31) or an SPI of this guest (32..${31 + spis})`);
  }

  // ---- assertions and console ---------------------------------------------------------------

  /** The guest's own check, recorded as a marker; a failure fails the recording (not the run). */
  assert(cond: boolean, message: string): Step {
    const site = cond ? undefined : guestSite(new Error(message));
    return this.track(this.assertStep(cond, message, site));
  }

  /** Assert `got === want` and show both values in hex on failure. */
  assertEq(got: Value, want: Value, message: string): Step {
    const g = BigInt(got);
    const w = BigInt(want);
    const ok = g === w;
    const text = ok ? message : `${message}: got 0x${g.toString(16)}, expected 0x${w.toString(16)}`;
    const site = ok ? undefined : guestSite(new Error(text));
    return this.track(this.assertStep(ok, text, site));
  }

  private *assertStep(cond: boolean, message: string, site: GuestSite | undefined): Step {
    yield* this.boundary();
    this.m.emit({ kind: EventKind.Marker, cycle: this.cycle, cpu: this.id, text: `${cond ? 'PASS' : 'FAIL'}: ${message}` });
    if (!cond) this.m.failure(this.id, message, site);
    this.cycle += this.costs.marker;
  }

  /** A console line, recorded as a marker. */
  log(text: string): Step {
    return this.track(this.logStep(text));
  }

  private *logStep(text: string): Step {
    yield* this.boundary();
    this.m.emit({ kind: EventKind.Marker, cycle: this.cycle, cpu: this.id, text });
    this.cycle += this.costs.marker;
  }
}
