// The GICv2 vGIC KVM presents to a guest (KVM_DEV_TYPE_ARM_VGIC_V2): the distributor KVM
// emulates, the CPU interface the guest reaches through the host's GICV frame, and the VMM's
// device-attribute view, on the shared interrupt store, delivery core and CPU-interface engine.

import { InputError } from '../../errors';
import { DepTracker } from '../../model/deps';
import { GicModel, ReadResult, WriteResult } from '../../model/model';
import { Policy } from '../../policy/policy';
import { AccessSize, Frame, GicConfig, UserGroup } from '../../trace/events';
import { CpuInterface, FLAVOUR_V2 } from '../core/cpuif';
import { VgicCore } from '../core/vgic';
import { GICV2_CPUIF, GICV2_CPUIF_USER } from './cpuif-table';
import { V2CpuIf } from './cpuif';
import { GICV2_DIST } from './dist-table';
import { V2Distributor } from './dist';
import { VGIC_V2_MAX_CPUS } from './ids';
import { describeV2Mmio, describeV2User } from './registry';
import { resetV2Irqs } from './reset';

const NO_CPU_NOTE = 'the source did not name the vCPU: banked state of vCPU 0';

export class GicV2Model implements GicModel {
  readonly gicVersion = 2 as const;
  readonly cpuCount: number;
  readonly core: VgicCore;
  readonly cpuif: CpuInterface;
  private readonly dist: V2Distributor;
  private readonly gicc: V2CpuIf;
  private readonly gicvIidr: number;

  constructor(
    gic: GicConfig,
    readonly policy: Policy,
    readonly deps: DepTracker,
  ) {
    const cpus = gic.cpus.length;
    if (cpus < 1 || cpus > VGIC_V2_MAX_CPUS) {
      throw new InputError(`a GICv2 trace has ${cpus} vCPUs`, undefined, `1..${VGIC_V2_MAX_CPUS} (VGIC_V2_MAX_CPUS)`);
    }
    if (!Number.isInteger(gic.spis) || gic.spis < 32 || gic.spis > 960 || gic.spis % 32 !== 0) {
      throw new InputError(`a GICv2 trace has ${gic.spis} SPIs`, undefined, 'a multiple of 32 from 32 to 960 (KVM_DEV_ARM_VGIC_GRP_NR_IRQS 64..992)');
    }
    this.cpuCount = cpus;
    this.core = new VgicCore(2, cpus, gic.spis, policy, deps);
    resetV2Irqs(this.core.irqs);
    this.cpuif = new CpuInterface(this.core, FLAVOUR_V2);
    this.dist = new V2Distributor(this.core);
    this.gicc = new V2CpuIf(this.cpuif, policy.host);
    this.gicvIidr = policy.host.gicvIidr >>> 0;
  }

  private vcpu(cpu: number | null): number {
    if (cpu === null) return 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpuCount) {
      throw new InputError(`access names vCPU ${cpu}`, undefined, `a vCPU 0..${this.cpuCount - 1}`);
    }
    return cpu;
  }

  mmioRead(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, observed: bigint | null): ReadResult {
    void observed;
    const c = this.vcpu(cpu);
    if (frame === Frame.Dist) {
      const r = GICV2_DIST.resolve(offset, size);
      if (r.error) return { value: 0n, reg: r.reg, note: `${r.error}: KVM reads 0` };
      if (!r.row) return { value: 0n, reg: r.reg, note: 'no register here: RAZ' };
      const value = this.dist.read(c, r.row, offset, size);
      this.core.settle();
      return cpu === null && this.dist.banked(r.row, offset) ? { value: BigInt(value), reg: r.reg, note: NO_CPU_NOTE } : { value: BigInt(value), reg: r.reg };
    }
    if (frame === Frame.CpuIf) {
      const r = GICV2_CPUIF.resolve(offset, size);
      if (r.error) return { value: 0n, reg: r.reg, note: `${r.error}: reads 0` };
      if (!r.row) return { value: 0n, reg: r.reg, note: 'reserved: RAZ' };
      const res = this.gicc.read(c, r.row, offset, this.gicvIidr);
      this.core.settle();
      const note = cpu === null ? (res.note ? `${res.note}; ${NO_CPU_NOTE}` : NO_CPU_NOTE) : res.note;
      return note ? { value: BigInt(res.value), reg: r.reg, note } : { value: BigInt(res.value), reg: r.reg };
    }
    const d = describeV2Mmio(frame, offset, size);
    void index;
    return { value: 0n, reg: d.reg, note: `${d.error}: reads 0` };
  }

  mmioWrite(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, value: bigint): WriteResult {
    void index;
    const c = this.vcpu(cpu);
    const v = Number(value & 0xffffffffn);
    if (frame === Frame.Dist) {
      const r = GICV2_DIST.resolve(offset, size);
      if (r.error) return { reg: r.reg, effect: `ignored: ${r.error}` };
      if (!r.row) return { reg: r.reg, effect: 'ignored: no register here (WI)' };
      const w = this.dist.write(c, r.row, offset, size, v, false);
      this.core.settle();
      return w.effect ? { reg: r.reg, effect: w.effect } : { reg: r.reg };
    }
    if (frame === Frame.CpuIf) {
      const r = GICV2_CPUIF.resolve(offset, size);
      if (r.error) return { reg: r.reg, effect: `ignored: ${r.error}` };
      if (!r.row) return { reg: r.reg, effect: 'ignored: reserved (WI)' };
      const effect = this.gicc.write(c, r.row, offset, v);
      this.core.settle();
      return effect ? { reg: r.reg, effect } : { reg: r.reg };
    }
    const d = describeV2Mmio(frame, offset, size);
    return { reg: d.reg, effect: `ignored: ${d.error}` };
  }

  sysregRead(cpu: number, enc: number, observed: bigint | null): ReadResult {
    void cpu;
    void observed;
    return { value: 0n, reg: `sysreg 0x${enc.toString(16)}`, note: 'a GICv2 guest has no GIC system registers (ICC_SRE_EL1.SRE=0): UNDEFINED' };
  }

  sysregWrite(cpu: number, enc: number, value: bigint): WriteResult {
    void cpu;
    void value;
    return { reg: `sysreg 0x${enc.toString(16)}`, effect: 'ignored: a GICv2 guest has no GIC system registers (UNDEFINED)' };
  }

  userRead(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, observed: bigint | null): ReadResult {
    void observed;
    const d = describeV2User(group, cpu, offset, size);
    if (d.error) return { value: 0n, reg: d.reg, note: `${d.error}: reads 0` };
    const c = this.vcpu(cpu);
    if (group === UserGroup.DistRegs) {
      const row = GICV2_DIST.row(offset);
      if (!row) return { value: 0n, reg: d.reg, note: 'no register here: KVM reads 0' };
      const value = this.dist.read(c, row, offset, 4);
      this.core.settle();
      return { value: BigInt(value), reg: d.reg };
    }
    const row = GICV2_CPUIF_USER.row(offset);
    if (!row) return { value: 0n, reg: d.reg, note: 'no register here: KVM reads 0' };
    return { value: BigInt(this.gicc.userRead(c, row, offset)), reg: d.reg };
  }

  userWrite(group: UserGroup, cpu: number | null, offset: number, size: AccessSize, value: bigint): WriteResult {
    const d = describeV2User(group, cpu, offset, size);
    if (d.error) return { reg: d.reg, effect: `ignored: ${d.error}` };
    const c = this.vcpu(cpu);
    const v = Number(value & 0xffffffffn);
    if (group === UserGroup.DistRegs) {
      const row = GICV2_DIST.row(offset);
      if (!row) return { reg: d.reg, effect: 'ignored: no register here (KVM ignores the write)' };
      const w = this.dist.write(c, row, offset, 4, v, true);
      this.core.settle();
      return w.effect ? { reg: d.reg, effect: w.effect } : { reg: d.reg };
    }
    const row = GICV2_CPUIF_USER.row(offset);
    if (!row) return { reg: d.reg, effect: 'ignored: no register here (KVM ignores the write)' };
    const effect = this.gicc.userWrite(c, row, offset, v);
    this.core.settle();
    return effect ? { reg: d.reg, effect } : { reg: d.reg };
  }

  setLine(intid: number, cpu: number | null, level: 0 | 1, owner: 'device' | 'timer'): WriteResult {
    const reason = this.core.injectLine(intid, cpu, level, owner);
    this.core.settle();
    const reg = intid < 32 ? `PPI ${intid}` : `SPI ${intid}`;
    return reason ? { reg, effect: reason } : { reg };
  }

  irqOutput(cpu: number): 0 | 1 {
    return this.cpuif.irqOutput(cpu);
  }

  fiqOutput(cpu: number): 0 | 1 {
    return this.cpuif.fiqOutput(cpu);
  }
}

export function createGicV2Model(gic: GicConfig, policy: Policy, deps: DepTracker): GicModel {
  return new GicV2Model(gic, policy, deps);
}
