// The GICv3 model: KVM's vGICv3 as the guest and the VMM see it. Routes each access through the
// frame tables (dispatch rules of vgic-mmio.c), the ICC table, or the line input, then settles
// the delivery state once per call.

import { sysregName } from '../../arch/sysregs';
import { DepTracker } from '../../model/deps';
import { CtrlDevice, CtrlResult, GicModel, LineOwner, MsiResult, ReadResult, SideRecord, WriteResult } from '../../model/model';
import { Policy } from '../../policy/policy';
import { AccessSize, CTRL_INIT, Frame, GicConfig, UserGroup } from '../../trace/events';
import { ERRNO } from '../../util/errno';
import { FrameTable } from '../core/regtable';
import { TableModel } from '../core/table-model';
import { V3_DIST_ROWS } from './dist-table';
import { IccRow, iccRow, iccUserRead, iccUserWrite } from './icc-table';
import { V3_REDIST_ROWS, SGI_BASE } from './redist-table';
import { V3State } from './state';
import { CoreOptions } from '../core/vgic';

export const V3_DIST = new FrameTable<V3State>('GICD', 0x10000, V3_DIST_ROWS, '64 KiB GICv3 distributor frame');
/** RD_base and SGI_base as KVM registers them: one 128 KiB device per redistributor. */
export const V3_REDIST = new FrameTable<V3State>('GICR', 0x20000, V3_REDIST_ROWS, '128 KiB GICv3 redistributor (RD_base + SGI_base)');

const MASK64 = 0xffffffffffffffffn;
/** ICC writes after which the vCPU re-enters: the SGI registers trap, EOIR/DIR deactivate (TableModel.afterGuestWrite). */
/** The two registers mainline's reg_allowed_pre_init() lets through before CTRL_INIT. */
const GICD_IIDR_OFFSET = 0x0008;
const GICD_TYPER2_OFFSET = 0x000c;

export class GicV3Model extends TableModel<V3State> implements GicModel {
  readonly gicVersion = 3 as const;

  /**
   * vgic_initialized(): true from the start unless the trace holds the VMM's CTRL_INIT
   * (gic.init "traced", format 1.1). Until then KVM refuses register accesses through the
   * device attributes with -EBUSY (vgic_v3_attr_regs_access; see refusedBeforeInit) and KVM_IRQ_LINE
   * with -EBUSY (vgic_lazy_init); a vCPU cannot run at all (the trace validator refuses guest
   * events before it).
   */
  private initialised: boolean;

  constructor(gic: GicConfig, policy: Policy, deps: DepTracker, opts: CoreOptions = {}) {
    super(new V3State(gic, policy, deps, opts), deps);
    this.initialised = gic.init !== 'traced';
  }

  private static readonly NOT_INITIALISED = 'the vGIC is not initialised (no KVM_DEV_ARM_VGIC_CTRL_INIT yet)';

  /** The refusal of a register device attribute before CTRL_INIT, or null once initialised. */
  private preInitRead(reg: string): ReadResult | null {
    return this.initialised ? null : { value: 0n, reg, result: ERRNO.EBUSY, note: `${GicV3Model.NOT_INITIALISED}: KVM returns -EBUSY` };
  }

  private preInitWrite(reg: string): WriteResult | null {
    return this.initialised ? null : { reg, result: ERRNO.EBUSY, effect: `rejected (-EBUSY): ${GicV3Model.NOT_INITIALISED}` };
  }

  /** ICC_AP<g>R<n>_EL1 beyond the implemented APRs (preemption bits): UNDEF / -EINVAL. */
  private aprMissing(row: IccRow): boolean {
    return row.apr >= this.st.cpuif.aprCount;
  }

  /**
   * Userspace APR access is bounded by the vCPU's num_pri_bits, not the host's PREbits
   * (vgic.h vgic_v3_max_apr_idx: 7 bits → AP*R0..3, 6 → AP*R0..1, else AP*R0 only), so a VMM
   * that lowered PRIbits through ICC_CTLR_EL1 loses the upper APRs.
   */
  private userAprMissing(row: IccRow, cpu: number): boolean {
    if (row.apr < 0) return false;
    const pri = this.st.numPriBits[cpu];
    return row.apr > (pri >= 7 ? 3 : pri === 6 ? 1 : 0);
  }

  /** Redistributor frame offset (RD_base-relative, 0..0x1FFFF) for an MMIO frame, or -1. */
  private redistOffset(frame: Frame, offset: number): number {
    if (frame === Frame.RedistRd) return offset < SGI_BASE ? offset : -1;
    return offset < SGI_BASE ? offset + SGI_BASE : -1;
  }

  private itsRead(offset: number, size: number): ReadResult {
    if (!this.st.vits) return { value: 0n, reg: `GITS+0x${offset.toString(16)}`, note: 'this VM has no ITS: nothing decodes the ITS frame' };
    const r = this.st.vits.mmioRead(offset, size);
    this.st.core.settle();
    return r;
  }

  private itsWrite(offset: number, size: number, value: bigint): WriteResult {
    if (!this.st.vits) return { reg: `GITS+0x${offset.toString(16)}`, effect: 'ignored: this VM has no ITS' };
    const r = this.st.vits.mmioWrite(offset, size, value);
    this.st.core.settle();
    return r;
  }

  /** Every GICv3 MMIO frame traps (KVM emulates GICD, GICR and the ITS): the access is an exit. */
  mmioRead(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, observed: bigint | null): ReadResult {
    void observed;
    this.enter(cpu);
    const r = this.mmioReadIn(cpu, frame, index, offset, size);
    this.exit(cpu);
    return r;
  }

  mmioWrite(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, value: bigint): WriteResult {
    this.enter(cpu);
    const r = this.mmioWriteIn(cpu, frame, index, offset, size, value);
    this.exit(cpu);
    return r;
  }

  private mmioReadIn(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize): ReadResult {
    switch (frame) {
      case Frame.Dist:
        // Every banked distributor register is RAZ/WI under ARE=1, so the accessing vCPU never matters.
        return this.frameRead(V3_DIST, cpu ?? 0, offset, size, false);
      case Frame.RedistRd:
      case Frame.RedistSgi: {
        const off = this.redistOffset(frame, offset);
        if (index < 0 || index >= this.cpuCount) return { value: 0n, reg: `GICR${index}+0x${offset.toString(16)}`, note: `no redistributor ${index} (${this.cpuCount} vCPUs)` };
        if (off < 0) return { value: 0n, reg: `GICR+0x${offset.toString(16)}`, note: 'offset outside the 64 KiB frame' };
        return this.frameRead(V3_REDIST, index, off, size, false);
      }
      case Frame.Its:
        return this.itsRead(offset, size);
      default:
        return { value: 0n, reg: `GICC+0x${offset.toString(16)}`, note: 'a GICv3 guest has no memory-mapped CPU interface under KVM' };
    }
  }

  private mmioWriteIn(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, value: bigint): WriteResult {
    switch (frame) {
      case Frame.Dist:
        return this.frameWrite(V3_DIST, cpu ?? 0, offset, size, value, false);
      case Frame.RedistRd:
      case Frame.RedistSgi: {
        const off = this.redistOffset(frame, offset);
        if (index < 0 || index >= this.cpuCount) return { reg: `GICR${index}+0x${offset.toString(16)}`, effect: `ignored: no redistributor ${index}` };
        if (off < 0) return { reg: `GICR+0x${offset.toString(16)}`, effect: 'ignored: offset outside the 64 KiB frame' };
        return this.frameWrite(V3_REDIST, index, off, size, value, false);
      }
      case Frame.Its:
        return this.itsWrite(offset, size, value);
      default:
        return { reg: `GICC+0x${offset.toString(16)}`, effect: 'ignored: a GICv3 guest has no memory-mapped CPU interface under KVM' };
    }
  }

  sysregRead(cpu: number, enc: number, observed: bigint | null): ReadResult {
    void observed;
    const row = iccRow(enc);
    const reg = row ? row.name : sysregName(enc);
    if (cpu < 0 || cpu >= this.cpuCount) return { value: 0n, reg, note: `no vCPU ${cpu}` };
    // No read exits: untrapped, the hardware answers from the list registers; trapped, hyp's
    // vgic-v3-sr.c emulates it on the list registers and returns to the guest.
    this.enter(cpu);
    if (!row) return { value: 0n, reg, note: 'not a GIC system register the model knows: reads 0' };
    if (!row.read || this.aprMissing(row)) {
      return { value: 0n, reg, note: `UNDEF: ${row.undef}` };
    }
    const value = row.read(this.st, cpu);
    this.st.core.settle();
    return { value, reg };
  }

  sysregWrite(cpu: number, enc: number, value: bigint): WriteResult {
    const row = iccRow(enc);
    const reg = row ? row.name : sysregName(enc);
    if (cpu < 0 || cpu >= this.cpuCount) return { reg, effect: `ignored: no vCPU ${cpu}` };
    this.enter(cpu);
    const r = this.sysregWriteIn(cpu, row, reg, value);
    // ICC_SGI0R/SGI1R/ASGI1R always trap (access_gic_sgi runs in the host); EOIR and DIR are
    // deactivating writes the replay re-enters the vCPU after.
    this.afterGuestWrite(cpu, row !== undefined && row.exitsOnWrite);
    return r;
  }

  private sysregWriteIn(cpu: number, row: ReturnType<typeof iccRow>, reg: string, value: bigint): WriteResult {
    if (!row) return { reg, effect: 'ignored: not a GIC system register the model knows' };
    if (!row.write || this.aprMissing(row)) {
      return { reg, effect: `ignored: UNDEF: ${row.undef}` };
    }
    const effect = row.write(this.st, cpu, value > MASK64 ? value & MASK64 : value);
    this.st.core.settle();
    return effect ? { reg, effect } : { reg };
  }

  /**
   * Before CTRL_INIT KVM refuses register attributes with -EBUSY, except what mainline's
   * reg_allowed_pre_init() lets through (GICD_IIDR and GICD_TYPER2, for either direction) where
   * the policy's kernel has it.
   */
  private refusedBeforeInit(group: UserGroup, offset: number): boolean {
    if (this.initialised || group === UserGroup.ItsRegs) return false;
    // The kernel's rule is asked only for the two registers it could let through.
    const early = group === UserGroup.DistRegs && (offset === GICD_IIDR_OFFSET || offset === GICD_TYPER2_OFFSET) && this.st.core.policy.kernel.distRegsBeforeInit === 'iidr-typer2';
    return !early;
  }

  userRead(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, observed: bigint | null): ReadResult {
    void observed;
    this.outside();
    if (this.refusedBeforeInit(group, offset)) {
      const reg = group === UserGroup.DistRegs ? V3_DIST.accessName(offset, 4) : group === UserGroup.RedistRegs ? V3_REDIST.accessName(offset, 4) : (iccRow(offset)?.name ?? sysregName(offset));
      return this.preInitRead(reg)!;
    }
    switch (group) {
      case UserGroup.DistRegs:
        if (size !== 4) return { value: 0n, reg: V3_DIST.accessName(offset, size), note: `${size * 8}-bit access: KVM's device attributes access 32 bits` };
        return this.frameRead(V3_DIST, 0, offset, 4, true);
      case UserGroup.RedistRegs: {
        if (size !== 4) return { value: 0n, reg: V3_REDIST.accessName(offset, size), note: `${size * 8}-bit access: KVM's device attributes access 32 bits` };
        if (cpu === null || cpu < 0 || cpu >= this.cpuCount) return { value: 0n, reg: V3_REDIST.accessName(offset, 4), result: ERRNO.EINVAL, note: `no vCPU ${cpu}: KVM returns -EINVAL` };
        return this.frameRead(V3_REDIST, cpu, offset, 4, true);
      }
      case UserGroup.CpuSysregs: {
        const row = iccRow(offset);
        const reg = row ? row.name : sysregName(offset);
        if (cpu === null || cpu < 0 || cpu >= this.cpuCount) return { value: 0n, reg, result: ERRNO.EINVAL, note: `no vCPU ${cpu}: KVM returns -EINVAL` };
        const uread = row ? iccUserRead(row) : null;
        if (!row || !uread) return { value: 0n, reg, result: ERRNO.ENXIO, note: 'not accessible through KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS (-ENXIO)' };
        if (this.userAprMissing(row, cpu)) return { value: 0n, reg, result: ERRNO.EINVAL, note: "APR index beyond this vCPU's priority bits (vgic_v3_max_apr_idx, -EINVAL)" };
        return { value: uread(this.st, cpu), reg };
      }
      case UserGroup.ItsRegs: {
        if (!this.st.vits) return { value: 0n, reg: `ITS_REGS+0x${offset.toString(16)}`, note: 'this VM has no ITS device (-ENXIO)' };
        const r = this.st.vits.userRead(offset, size);
        this.st.core.settle();
        return r;
      }
      default:
        return { value: 0n, reg: `CPU_REGS+0x${offset.toString(16)}`, result: ERRNO.ENXIO, note: 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS is GICv2 only (-ENXIO)' };
    }
  }

  userWrite(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, value: bigint): WriteResult {
    this.outside();
    if (this.refusedBeforeInit(group, offset)) {
      const reg = group === UserGroup.DistRegs ? V3_DIST.accessName(offset, 4) : group === UserGroup.RedistRegs ? V3_REDIST.accessName(offset, 4) : (iccRow(offset)?.name ?? sysregName(offset));
      return this.preInitWrite(reg)!;
    }
    switch (group) {
      case UserGroup.DistRegs:
        if (size !== 4) return { reg: V3_DIST.accessName(offset, size), effect: `ignored: ${size * 8}-bit access (device attributes are 32-bit)` };
        return this.frameWrite(V3_DIST, 0, offset, 4, value, true);
      case UserGroup.RedistRegs:
        if (size !== 4) return { reg: V3_REDIST.accessName(offset, size), effect: `ignored: ${size * 8}-bit access (device attributes are 32-bit)` };
        if (cpu === null || cpu < 0 || cpu >= this.cpuCount) return { reg: V3_REDIST.accessName(offset, 4), effect: `rejected (-EINVAL): no vCPU ${cpu}` };
        return this.frameWrite(V3_REDIST, cpu, offset, 4, value, true);
      case UserGroup.CpuSysregs: {
        const row = iccRow(offset);
        const reg = row ? row.name : sysregName(offset);
        if (cpu === null || cpu < 0 || cpu >= this.cpuCount) return { reg, effect: `rejected (-EINVAL): no vCPU ${cpu}` };
        const uwrite = row ? iccUserWrite(row) : null;
        if (!row || !uwrite) return { reg, effect: 'rejected (-ENXIO): not accessible through KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS' };
        if (this.userAprMissing(row, cpu)) return { reg, effect: "rejected (-EINVAL): APR index beyond this vCPU's priority bits (vgic_v3_max_apr_idx)" };
        const effect = uwrite(this.st, cpu, value > MASK64 ? value & MASK64 : value);
        this.st.core.settle();
        return effect ? { reg, effect } : { reg };
      }
      case UserGroup.ItsRegs: {
        if (!this.st.vits) return { reg: `ITS_REGS+0x${offset.toString(16)}`, effect: 'rejected (-ENXIO): this VM has no ITS device' };
        const r = this.st.vits.userWrite(offset, size, value);
        this.st.core.settle();
        return r;
      }
      default:
        return { reg: `CPU_REGS+0x${offset.toString(16)}`, effect: 'rejected (-ENXIO): KVM_DEV_ARM_VGIC_GRP_CPU_REGS is GICv2 only' };
    }
  }

  /** setLine's register names, built once per line: a trace raises the same few lines over and over. */
  private readonly lineNames: (string | undefined)[] = new Array<string | undefined>(this.cpuCount * 32 + 1024).fill(undefined);

  private lineName(intid: number, cpu: number | null): string {
    const n = this.cpuCount;
    const k = intid < 32 ? (cpu !== null && Number.isInteger(cpu) && cpu >= 0 && cpu < n && intid >= 0 ? cpu * 32 + intid : -1) : intid < 1024 ? n * 32 + intid : -1;
    let reg = k >= 0 ? this.lineNames[k] : undefined;
    if (reg === undefined) {
      reg = intid < 32 ? `PPI${intid}@cpu${cpu}` : `SPI${intid}`;
      if (k >= 0) this.lineNames[k] = reg;
    }
    return reg;
  }

  setLine(intid: number, cpu: number | null, level: 0 | 1, owner: LineOwner): WriteResult {
    const reg = this.lineName(intid, cpu);
    this.outside();
    if (!this.initialised) return { reg, effect: `ignored: KVM_IRQ_LINE returns -EBUSY: ${GicV3Model.NOT_INITIALISED}` };
    const effect = this.st.core.injectLine(intid, intid < 32 ? cpu : null, level, owner);
    this.st.core.settle();
    return effect ? { reg, effect } : { reg };
  }

  memWrite(cpu: number | null, addr: bigint, bytes: Uint8Array): WriteResult {
    void cpu;
    this.outside();
    const reg = `MEM[0x${addr.toString(16)}]`;
    if (!this.st.vits) return { reg, effect: 'ignored: without an ITS nothing in the vGIC reads guest memory' };
    this.st.vits.memWrite(addr, bytes);
    return { reg };
  }

  signalMsi(address: bigint, data: number, devid: number | null): MsiResult {
    this.outside();
    if (!this.st.vits) return { reg: 'MSI', result: -19, effect: 'rejected (-ENODEV): this VM has no ITS' };
    const r = this.st.vits.msi(address, data, devid);
    this.st.core.settle();
    return r;
  }

  deviceCtrl(device: CtrlDevice, attr: number): CtrlResult {
    this.outside();
    let r: CtrlResult;
    if (device === 'its') {
      r = this.st.vits ? this.st.vits.ctrl(attr) : { reg: `ITS CTRL ${attr}`, result: -19, effect: 'rejected (-ENODEV): this VM has no ITS device' };
    } else if (attr === 3) {
      // KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: without an ITS there are no LPIs to save.
      r = this.st.vits ? this.st.vits.savePendingTables() : { reg: 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', result: 0, effect: 'no LPIs (this VM has no ITS)' };
    } else if (attr === CTRL_INIT) {
      // vgic_init: idempotent; the revision defaults to the newest unless userspace set one (it cannot before init on GICv3).
      this.initialised = true;
      r = { reg: 'KVM_DEV_ARM_VGIC_CTRL_INIT', result: 0 };
    } else {
      r = { reg: `VGIC CTRL ${attr}`, result: -6, effect: 'rejected (-ENXIO): not a vGIC control attribute' };
    }
    this.st.core.settle();
    return r;
  }

  takeSideRecords(): SideRecord[] | null {
    return this.st.vits ? this.st.vits.take() : null;
  }
}
