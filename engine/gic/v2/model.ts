// The GICv2 vGIC KVM presents to a guest (KVM_DEV_TYPE_ARM_VGIC_V2): the distributor KVM
// emulates, the CPU interface the guest reaches through the host's GICV frame, and the VMM's
// device-attribute view. Routes each access through the frame tables, then settles the shared
// delivery core once per call.

import { sysregName } from '../../arch/sysregs';
import { InputError } from '../../errors';
import { DepTracker } from '../../model/deps';
import { CtrlDevice, CtrlResult, GicModel, LineOwner, ReadResult, WriteResult } from '../../model/model';
import { Policy } from '../../policy/policy';
import { AccessSize, CTRL_INIT, Frame, GicConfig, UserGroup } from '../../trace/events';
import { ERRNO } from '../../util/errno';
import { FrameTable, RegRow } from '../core/regtable';
import { TableModel } from '../core/table-model';
import { CpuInterface } from '../core/cpuif';
import { V2_CPUIF, V2_CPUIF_USER } from './cpuif-table';
import { distBanked, isKvmRegion, V2_DIST } from './dist-table';
import { describeV2Mmio, describeV2User } from './registry';
import { V2State } from './state';
import { CoreOptions } from '../core/vgic';

/** GICC_EOIR, GICC_AEOIR, GICC_DIR: deactivating writes the replay re-enters the vCPU after (TableModel.afterGuestWrite). */
const GICC_DEACTIVATING = new Set([0x10, 0x24, 0x1000]);
const NO_CPU_NOTE = 'the source did not name the vCPU: banked state of vCPU 0';

export class GicV2Model extends TableModel<V2State> implements GicModel {
  readonly gicVersion = 2 as const;

  constructor(gic: GicConfig, policy: Policy, deps: DepTracker, opts: CoreOptions = {}) {
    super(new V2State(gic, policy, deps, opts), deps);
  }

  /** Banked GICv2 state belongs to the accessing vCPU; an access naming no vCPU acts on vCPU 0 (and says so). */
  protected override bank(cpu: number | null): number {
    if (cpu === null) return 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpuCount) {
      throw new InputError(`an access names vCPU ${cpu}`, undefined, `a vCPU 0..${this.cpuCount - 1}`);
    }
    return cpu;
  }

  protected override notDispatched(t: FrameTable<V2State>, row: RegRow<V2State>, user: boolean): string | null {
    return user && t === V2_DIST && !isKvmRegion(row) ? `${row.name} is not emulated by KVM` : null;
  }

  protected override readNote(t: FrameTable<V2State>, row: RegRow<V2State>, cpu: number | null, off: number, user: boolean): string | undefined {
    return cpu === null && !user && (t === V2_CPUIF || distBanked(row, off)) ? NO_CPU_NOTE : undefined;
  }

  /**
   * The vCPU's CPU interface as its next guest access finds it (entered as that access enters it,
   * so the same list registers): for the KVM host rules that compute what the host's GICV answers
   * (engine/backend/kvm/qemu-gicv.ts). Changes nothing the access would not.
   */
  gicvBeforeAccess(cpu: number): CpuInterface {
    this.enter(cpu);
    return this.st.cpuif;
  }

  /**
   * GICD traps (KVM emulates it): an exit. The GICC frame is the host's GICV, mapped into the
   * guest: its accesses act on the list registers without an exit.
   */
  mmioRead(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, observed: bigint | null): ReadResult {
    this.enter(cpu);
    const r = this.mmioReadIn(cpu, frame, index, offset, size, observed);
    if (frame !== Frame.CpuIf) this.exit(cpu);
    return r;
  }

  mmioWrite(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, value: bigint): WriteResult {
    this.enter(cpu);
    const r = this.mmioWriteIn(cpu, frame, index, offset, size, value);
    if (frame !== Frame.CpuIf) this.exit(cpu);
    else this.afterGuestWrite(cpu, GICC_DEACTIVATING.has(offset));
    return r;
  }

  private mmioReadIn(cpu: number | null, frame: Frame, _index: number, offset: number, size: AccessSize, _observed: bigint | null): ReadResult {
    if (frame === Frame.Dist) return this.frameRead(V2_DIST, cpu, offset, size, false);
    if (frame === Frame.CpuIf) {
      // GICV accepts aligned 32-bit accesses only.
      if (size !== 4) return { value: 0n, reg: describeV2Mmio(frame, offset, size).reg, note: `${size * 8}-bit access to the GICV frame: reads 0` };
      return this.frameRead(V2_CPUIF, cpu, offset, size, false);
    }
    const d = describeV2Mmio(frame, offset, size);
    return { value: 0n, reg: d.reg, note: `${d.error}: reads 0` };
  }

  private mmioWriteIn(cpu: number | null, frame: Frame, _index: number, offset: number, size: AccessSize, value: bigint): WriteResult {
    if (frame === Frame.Dist) return this.frameWrite(V2_DIST, cpu, offset, size, value, false);
    if (frame === Frame.CpuIf) {
      if (size !== 4) return { reg: describeV2Mmio(frame, offset, size).reg, effect: `ignored: ${size * 8}-bit access to the GICV frame` };
      return this.frameWrite(V2_CPUIF, cpu, offset, size, value, false);
    }
    const d = describeV2Mmio(frame, offset, size);
    return { reg: d.reg, effect: `ignored: ${d.error}` };
  }

  sysregRead(_cpu: number, enc: number, _observed: bigint | null): ReadResult {
    // KVM gives a GICv2 guest ICC_SRE_EL1.SRE=0: the ICC_* registers are not usable (UNDEFINED).
    return { value: 0n, reg: sysregName(enc), note: 'a GICv2 guest has no GIC system-register interface (ICC_SRE_EL1.SRE=0): reads 0' };
  }

  sysregWrite(_cpu: number, enc: number, _value: bigint): WriteResult {
    return { reg: sysregName(enc), effect: 'ignored: a GICv2 guest has no GIC system-register interface (ICC_SRE_EL1.SRE=0)' };
  }

  userRead(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, _observed: bigint | null): ReadResult {
    this.outside();
    const d = describeV2User(group, cpu, offset, size);
    if (d.error) return { value: 0n, reg: d.reg, note: `${d.error}: reads 0` };
    return this.frameRead(group === UserGroup.DistRegs ? V2_DIST : V2_CPUIF_USER, cpu ?? 0, offset, 4, true);
  }

  userWrite(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, value: bigint): WriteResult {
    this.outside();
    const d = describeV2User(group, cpu, offset, size);
    if (d.error) return { reg: d.reg, effect: `ignored: ${d.error}` };
    return this.frameWrite(group === UserGroup.DistRegs ? V2_DIST : V2_CPUIF_USER, cpu ?? 0, offset, 4, value, true);
  }

  setLine(intid: number, cpu: number | null, level: 0 | 1, owner: LineOwner): WriteResult {
    this.outside();
    const reason = this.st.core.injectLine(intid, cpu, level, owner);
    this.st.core.settle();
    const reg = intid < 32 ? `PPI ${intid}` : `SPI ${intid}`;
    return reason ? { reg, effect: reason } : { reg };
  }

  /**
   * KVM_DEV_ARM_VGIC_GRP_CTRL: a GICv2 knows only CTRL_INIT. KVM also initialises a GICv2 on its
   * first register access, line or KVM_RUN (vgic_lazy_init), so nothing a trace can show depends
   * on when that happens: the model needs no uninitialised state for GICv2.
   */
  deviceCtrl(device: CtrlDevice, attr: number): CtrlResult {
    this.outside();
    if (device === 'vgic' && attr === CTRL_INIT) return { reg: 'KVM_DEV_ARM_VGIC_CTRL_INIT', result: 0 };
    return { reg: device === 'vgic' ? `VGIC CTRL ${attr}` : `ITS CTRL ${attr}`, result: -ERRNO.ENXIO, effect: device === 'vgic' ? 'rejected (-ENXIO): not a GICv2 control attribute' : 'rejected (-ENXIO): a GICv2 VM has no ITS' };
  }
}

export function createGicV2Model(gic: GicConfig, policy: Policy, deps: DepTracker, opts: CoreOptions = {}): GicModel {
  return new GicV2Model(gic, policy, deps, opts);
}
