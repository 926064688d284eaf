// GICC registers of a GICv2 guest over the shared architectural CPU-interface engine
// (engine/gic/core/cpuif.ts, GICv2 flavour: AckCtl/1022, FIQEn, SGI source in IAR[12:10], Group 1
// aliases). The guest reaches the host's GICV frame, so semantics are the architecture's; the
// VMM reaches KVM's saved VMCR/APR, with KVM's ABI quirk of PMR as the 5-bit VMPriMask.

import { HostParams } from '../../policy/policy';
import { ACK_G1, ACK_V2, CpuInterface } from '../core/cpuif';
import { hex } from '../../util/hex';


/** GICC_CTLR bits of the virtual CPU interface: EnableGrp0, EnableGrp1, AckCtl, FIQEn, CBPR, EOImode. */
const CTLR_MASK = 0x21f;

export class V2CpuIf {
  constructor(
    readonly ci: CpuInterface,
    private readonly host: HostParams,
  ) {}

  readCtlr(cpu: number): number {
    const st = this.ci.state[cpu];
    // GICC_CTLR holds the group enables (igrpen0/1 to the core) and the rest of the VMCR (ctlr).
    this.ci.readDep(cpu, 'ctlr');
    this.ci.readDep(cpu, 'igrpen0');
    this.ci.readDep(cpu, 'igrpen1');
    return (st.grpEn0 | (st.grpEn1 << 1) | (st.ackCtl << 2) | (st.fiqEn << 3) | (st.cbpr << 4) | (st.eoiMode << 9)) >>> 0;
  }

  private setCtlr(cpu: number, v: number): void {
    const st = this.ci.state[cpu];
    st.grpEn0 = v & 1;
    st.grpEn1 = (v >>> 1) & 1;
    st.ackCtl = (v >>> 2) & 1;
    st.fiqEn = (v >>> 3) & 1;
    st.cbpr = (v >>> 4) & 1;
    st.eoiMode = (v >>> 9) & 1;
    this.ci.markDirty(cpu, 'ctlr');
    this.ci.markDirty(cpu, 'igrpen0');
    this.ci.markDirty(cpu, 'igrpen1');
  }

  writeCtlr(cpu: number, v: number): string | undefined {
    this.setCtlr(cpu, v);
    return (v & ~CTLR_MASK) !== 0 ? `stored ${hex(v & CTLR_MASK)} (other bits are RES0)` : undefined;
  }

  /** vgic_mmio_write_vcpuif: the VMCR keeps the same six bits. */
  userWriteCtlr(cpu: number, v: number): string | undefined {
    this.setCtlr(cpu, v);
    return (v & ~CTLR_MASK) !== 0 ? `stored ${hex(v & CTLR_MASK)} (VMCR keeps EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode)` : undefined;
  }

  readPmr(cpu: number): number {
    this.ci.readDep(cpu, 'pmr');
    return this.ci.state[cpu].pmr;
  }

  writePmr(cpu: number, v: number): string | undefined {
    const stored = this.ci.writePmr(cpu, v & 0xff);
    return stored !== v >>> 0 ? `stored ${hex(stored)} (${this.host.priBits} priority bits implemented)` : undefined;
  }

  /** KVM's ABI exports GICH_VMCR.VMPriMask, the upper five PMR bits, in bits [4:0]. */
  userReadPmr(cpu: number): number {
    return (this.readPmr(cpu) & 0xf8) >>> 3;
  }

  userWritePmr(cpu: number, v: number): string | undefined {
    const stored = this.ci.writePmr(cpu, (v << 3) & 0xf8);
    return stored >>> 3 !== v >>> 0 ? `stored VMPriMask ${hex(stored >>> 3)} (GICC_PMR ${hex(stored)})` : undefined;
  }

  readBpr(cpu: number): number {
    this.ci.readDep(cpu, 'bpr0');
    return this.ci.state[cpu].bpr0;
  }

  writeBpr(cpu: number, v: number): string | undefined {
    const stored = this.ci.writeBpr0(cpu, v);
    return stored !== v >>> 0 ? `stored ${stored} (minimum binary point ${this.ci.minBpr0})` : undefined;
  }

  /** GICV_ABPR is its own register: CBPR only changes which binary point Group 1 preemption uses. */
  readAbpr(cpu: number): number {
    this.ci.readDep(cpu, 'bpr1');
    return this.ci.state[cpu].bpr1;
  }

  writeAbpr(cpu: number, v: number): string | undefined {
    const st = this.ci.state[cpu];
    st.bpr1 = Math.max(v & 7, this.ci.minBpr0 + 1);
    this.ci.markDirty(cpu, 'bpr1');
    return st.bpr1 !== v >>> 0 ? `stored ${st.bpr1} (minimum binary point ${this.ci.minBpr0 + 1})` : undefined;
  }

  iar(cpu: number): number {
    return this.ci.acknowledge(cpu, ACK_V2);
  }

  aiar(cpu: number): number {
    return this.ci.acknowledge(cpu, ACK_G1);
  }

  hppir(cpu: number): number {
    return this.ci.hppir(cpu, ACK_V2);
  }

  ahppir(cpu: number): number {
    return this.ci.hppir(cpu, ACK_G1);
  }

  eoir(cpu: number, v: number): string | undefined {
    return this.ci.endOfInterrupt(cpu, v, ACK_V2);
  }

  aeoir(cpu: number, v: number): string | undefined {
    return this.ci.endOfInterrupt(cpu, v, ACK_G1);
  }

  dir(cpu: number, v: number): string | undefined {
    return this.ci.deactivateInterrupt(cpu, v);
  }

  rpr(cpu: number): number {
    this.depReadAprs(cpu);
    return this.ci.runningPriority(cpu);
  }

  /** The running priority depends on every implemented APR of both groups (dependency keys ap<g>r<n>). */
  private depReadAprs(cpu: number): void {
    for (let n = 0; n < this.ci.aprCount; n++) {
      this.ci.readDep(cpu, `ap0r${n}`);
      this.ci.readDep(cpu, `ap1r${n}`);
    }
  }

  /** GICC_APRn: GICV has one set of active-priority registers for both groups. */
  readApr(cpu: number, n: number): number {
    const a0 = this.ci.readApr(cpu, 0, n);
    if (a0 < 0) return 0;
    return (a0 | this.ci.readApr(cpu, 1, n)) >>> 0;
  }

  writeApr(cpu: number, n: number, v: number): string | undefined {
    if (!this.ci.writeApr(cpu, 0, n, v)) return `ignored: GICC_APR${n} is not implemented (${this.host.preBits} preemption bits: APR0 only)`;
    this.ci.writeApr(cpu, 1, n, 0);
    return undefined;
  }
}
