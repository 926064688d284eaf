// Everything a GICv2 register handler reaches: the shared delivery core and interrupt store, the
// architectural CPU interface (GICv2 flavour) and the host parameters of the GICV frame.

import { InputError } from '../../errors';
import { DepTracker } from '../../model/deps';
import { Policy } from '../../policy/policy';
import { GicConfig } from '../../trace/events';
import { CpuInterface, FLAVOUR_V2 } from '../core/cpuif';
import { CoreOptions, VgicCore } from '../core/vgic';
import { V2CpuIf } from './cpuif';
import { VGIC_V2_MAX_CPUS } from './ids';
import { resetV2 } from './reset';

export class V2State {
  readonly cpus: number;
  readonly core: VgicCore;
  readonly cpuif: CpuInterface;
  readonly gicc: V2CpuIf;
  /** GICC_IIDR the guest reads: the host's GICV_IIDR. */
  readonly gicvIidr: number;

  constructor(gic: GicConfig, policy: Policy, deps: DepTracker, opts: CoreOptions = {}) {
    const cpus = gic.cpus.length;
    if (cpus < 1 || cpus > VGIC_V2_MAX_CPUS) {
      throw new InputError(`a GICv2 configuration has ${cpus} vCPUs`, undefined, `1..${VGIC_V2_MAX_CPUS} (KVM's VGIC_V2_MAX_CPUS)`);
    }
    if (!Number.isInteger(gic.spis) || gic.spis < 32 || gic.spis > 960 || gic.spis % 32 !== 0) {
      throw new InputError(`a GICv2 configuration has ${gic.spis} SPIs`, undefined, 'a multiple of 32 from 32 to 960 (KVM_DEV_ARM_VGIC_GRP_NR_IRQS 64..992)');
    }
    this.cpus = cpus;
    this.core = new VgicCore(2, cpus, gic.spis, policy, deps, opts);
    resetV2(this.core);
    this.cpuif = new CpuInterface(this.core, FLAVOUR_V2);
    this.gicc = new V2CpuIf(this.cpuif, policy.host);
    this.gicvIidr = policy.host.gicvIidr >>> 0;
  }
}
