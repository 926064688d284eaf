// Everything the GICv3 register handlers act on: the shared core and CPU interface plus the
// GICv3-only state (redistributor LPI enables, PROPBASER/PENDBASER, vCPU affinities) and, when the
// VM has one, the vITS with its LPIs (engine/gic/its).

import { InputError } from '../../errors';
import { DepTracker } from '../../model/deps';
import { Policy } from '../../policy/policy';
import { GicConfig } from '../../trace/events';
import { CpuInterface, FLAVOUR_V3 } from '../core/cpuif';
import { LPI_CAPACITY } from '../core/irq-store';
import { CoreOptions, VgicCore } from '../core/vgic';
import { INITIAL_PROPBASER, VgicIts } from '../its';

/** VGIC_V3_MAX_CPUS. */
export const V3_MAX_CPUS = 512;
/** GICR_PENDBASER reset (vgic_v3_enable): InnerShareable, inner RaWb, outer SameAsInner. */
export const PENDBASER_RESET = 0x580n;

export class V3State {
  readonly core: VgicCore;
  readonly cpuif: CpuInterface;
  readonly cpus: number;
  readonly its: boolean;
  /** Per vCPU: MPIDR Aff2.Aff1.Aff0 (bits [23:0]) and Aff3. */
  readonly aff: Int32Array;
  readonly aff3: Uint8Array;
  /** Per vCPU GICR_CTLR.EnableLPIs (vgic_cpu->ctlr). */
  readonly lpisEnabled: Uint8Array;
  /**
   * Per vCPU vgic_cpu->num_pri_bits / num_id_bits: the host's ICH_VTR_EL2 values at vCPU creation,
   * lowered by a userspace ICC_CTLR_EL1 write (vgic-sys-reg-v3.c access_gic_ctlr / set_gic_ctlr).
   * Only userspace reads them back, and they bound userspace APR access (vgic_v3_max_apr_idx);
   * the guest's ICV_CTLR_EL1 reads the hardware ICH_VTR_EL2, so it always sees the host's values.
   */
  readonly numPriBits: Uint8Array;
  readonly numIdBits: Uint8Array;
  /** dist->propbaser: one value for the whole VM (KVM_CREATE_DEVICE(ITS) sets INITIAL_PROPBASER_VALUE). */
  propbaser = 0n;
  readonly pendbaser: bigint[];
  /** The vITS and the LPIs, when the VM has an ITS. */
  readonly vits: VgicIts | null;

  constructor(readonly gic: GicConfig, policy: Policy, deps: DepTracker, opts: CoreOptions = {}) {
    const n = gic.cpus.length;
    if (n < 1 || n > V3_MAX_CPUS) throw new InputError(`GICv3 configuration has ${n} vCPUs`, undefined, `1..${V3_MAX_CPUS} (VGIC_V3_MAX_CPUS)`);
    if (!Number.isInteger(gic.spis) || gic.spis < 0 || gic.spis % 32 !== 0 || gic.spis > 960) {
      throw new InputError(`GICv3 configuration has ${gic.spis} SPIs`, undefined, 'a multiple of 32 from 0 to 960 (KVM_DEV_ARM_VGIC_GRP_NR_IRQS takes 64..992 INTIDs in steps of 32)');
    }
    this.cpus = n;
    this.its = gic.its;
    this.core = new VgicCore(3, n, gic.spis, policy, deps, { ...opts, lpis: gic.its ? LPI_CAPACITY : 0 });
    this.cpuif = new CpuInterface(this.core, FLAVOUR_V3);
    this.aff = new Int32Array(n);
    this.aff3 = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const m = gic.cpus[i].mpidr;
      this.aff[i] = Number(m & 0xffffffn);
      this.aff3[i] = Number((m >> 32n) & 0xffn);
    }
    this.lpisEnabled = new Uint8Array(n);
    this.numPriBits = new Uint8Array(n).fill(policy.host.priBits);
    this.numIdBits = new Uint8Array(n).fill(policy.host.idBits);
    this.pendbaser = new Array<bigint>(n).fill(PENDBASER_RESET);
    this.core.resetNative(1);
    if (gic.its) {
      this.propbaser = INITIAL_PROPBASER;
      const propbaser = () => this.propbaser;
      const pendbaser = (cpu: number) => this.pendbaser[cpu];
      const lpisEnabled = (cpu: number) => this.lpisEnabled[cpu] !== 0;
      this.vits = new VgicIts(
        {
          core: this.core,
          cpus: n,
          priMask: this.cpuif.priMask,
          propbaser,
          pendbaser,
          lpisEnabled,
        },
        deps,
        gic.frames.its,
      );
    } else {
      this.vits = null;
    }
  }

  /** kvm_mpidr_to_vcpu: the vCPU whose affinity is Aff3.Aff2.Aff1.Aff0, or -1. */
  vcpuByAffinity(aff: number, aff3: number): number {
    for (let i = 0; i < this.cpus; i++) if (this.aff[i] === aff && this.aff3[i] === aff3) return i;
    return -1;
  }
}
