// GICC registers of a GICv2 guest over the shared architectural CPU-interface engine
// (engine/gic/core/cpuif.ts with the GICv2 flavour). The guest reaches the host's GICV frame, so
// its semantics are the architecture's; the VMM reaches KVM's saved VMCR/APR through
// KVM_DEV_ARM_VGIC_GRP_CPU_REGS, with KVM's ABI quirks (PMR as the 5-bit VMPriMask).

import { ACK_G1, ACK_V2, CpuInterface } from '../core/cpuif';
import { HostParams } from '../../policy/policy';
import { RegRow } from './frame-table';
import { C } from './cpuif-table';
import { GICC_IIDR_USER } from './ids';

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/** GICC_CTLR bits of the virtual CPU interface: EnableGrp0, EnableGrp1, AckCtl, FIQEn, CBPR, EOImode. */
const CTLR_MASK = 0x21f;

export interface CpuIfRead {
  value: number;
  note?: string;
}

export class V2CpuIf {
  constructor(
    readonly ci: CpuInterface,
    private readonly host: HostParams,
  ) {}

  readCtlr(cpu: number): number {
    const st = this.ci.state[cpu];
    this.ci.readDep(cpu, 'ctlr');
    return (st.grpEn0 | (st.grpEn1 << 1) | (st.ackCtl << 2) | (st.fiqEn << 3) | (st.cbpr << 4) | (st.eoiMode << 9)) >>> 0;
  }

  writeCtlr(cpu: number, v: number): void {
    const st = this.ci.state[cpu];
    st.grpEn0 = v & 1;
    st.grpEn1 = (v >>> 1) & 1;
    st.ackCtl = (v >>> 2) & 1;
    st.fiqEn = (v >>> 3) & 1;
    st.cbpr = (v >>> 4) & 1;
    st.eoiMode = (v >>> 9) & 1;
    this.ci.markDirty(cpu, 'ctlr');
  }

  /** GICC_APRn: GICV has one set of active-priority registers for both groups. */
  private readApr(cpu: number, n: number): number {
    const a0 = this.ci.readApr(cpu, 0, n);
    if (a0 < 0) return 0;
    return (a0 | this.ci.readApr(cpu, 1, n)) >>> 0;
  }

  private writeApr(cpu: number, n: number, v: number): boolean {
    if (!this.ci.writeApr(cpu, 0, n, v)) return false;
    this.ci.writeApr(cpu, 1, n, 0);
    return true;
  }

  private writeAbpr(cpu: number, v: number): number {
    // GICV_ABPR is its own register (CBPR only changes which binary point Group 1 uses).
    const st = this.ci.state[cpu];
    st.bpr1 = Math.max(v & 7, this.ci.minBpr0 + 1);
    this.ci.markDirty(cpu, 'bpr1');
    return st.bpr1;
  }

  /** Guest read of a GICC register (the GICV frame). */
  read(cpu: number, row: RegRow<C>, offset: number, gicvIidr: number): CpuIfRead {
    const ci = this.ci;
    switch (row.kind) {
      case C.Ctlr:
        return { value: this.readCtlr(cpu) };
      case C.Pmr:
        ci.readDep(cpu, 'pmr');
        return { value: ci.state[cpu].pmr };
      case C.Bpr:
        ci.readDep(cpu, 'bpr0');
        return { value: ci.state[cpu].bpr0 };
      case C.Abpr:
        ci.readDep(cpu, 'bpr1');
        return { value: ci.state[cpu].bpr1 };
      case C.Iar:
        return { value: ci.acknowledge(cpu, ACK_V2) };
      case C.Aiar:
        return { value: ci.acknowledge(cpu, ACK_G1) };
      case C.Hppir:
        return { value: ci.hppir(cpu, ACK_V2) };
      case C.Ahppir:
        return { value: ci.hppir(cpu, ACK_G1) };
      case C.Rpr:
        ci.readDep(cpu, 'apr');
        return { value: ci.runningPriority(cpu) };
      case C.Apr:
        return { value: this.readApr(cpu, (offset - row.offset) >> 2) };
      case C.Nsapr:
        return { value: 0, note: 'GICC_NSAPRn is not part of the virtual CPU interface: RAZ' };
      case C.Iidr:
        return { value: gicvIidr, note: "the host's GICV_IIDR (policy host parameter gicvIidr)" };
      case C.Eoir:
      case C.Aeoir:
      case C.Dir:
        return { value: 0, note: `${row.name} is write-only: reads 0 (architecturally UNKNOWN)` };
      default:
        return { value: 0 };
    }
  }

  /** Guest write of a GICC register. Returns the effect sentence when the write did not simply store. */
  write(cpu: number, row: RegRow<C>, offset: number, v: number): string | undefined {
    const ci = this.ci;
    switch (row.kind) {
      case C.Ctlr:
        this.writeCtlr(cpu, v);
        return (v & ~CTLR_MASK) !== 0 ? `stored ${hex(v & CTLR_MASK)} (other bits are RES0)` : undefined;
      case C.Pmr: {
        const stored = ci.writePmr(cpu, v & 0xff);
        return stored !== v >>> 0 ? `stored ${hex(stored)} (${this.host.priBits} priority bits implemented)` : undefined;
      }
      case C.Bpr: {
        const stored = ci.writeBpr0(cpu, v);
        return stored !== v >>> 0 ? `stored ${stored} (minimum binary point ${ci.minBpr0})` : undefined;
      }
      case C.Abpr: {
        const stored = this.writeAbpr(cpu, v);
        return stored !== v >>> 0 ? `stored ${stored} (minimum binary point ${ci.minBpr0 + 1})` : undefined;
      }
      case C.Eoir:
        return ci.endOfInterrupt(cpu, v, ACK_V2);
      case C.Aeoir:
        return ci.endOfInterrupt(cpu, v, ACK_G1);
      case C.Dir:
        return ci.deactivateInterrupt(cpu, v);
      case C.Apr: {
        const n = (offset - row.offset) >> 2;
        return this.writeApr(cpu, n, v) ? undefined : `ignored: GICC_APR${n} is not implemented (${this.host.preBits} preemption bits)`;
      }
      case C.Nsapr:
        return 'ignored: GICC_NSAPRn is not part of the virtual CPU interface (WI)';
      default:
        return `ignored: ${row.name} is read-only`;
    }
  }

  /** Userspace CPU_REGS read (vgic_mmio_read_vcpuif / vgic_mmio_read_apr). */
  userRead(cpu: number, row: RegRow<C>, offset: number): number {
    const ci = this.ci;
    switch (row.kind) {
      case C.Ctlr:
        return this.readCtlr(cpu);
      case C.Pmr:
        // KVM's ABI exports GICH_VMCR.VMPriMask, the upper five PMR bits, in bits [4:0].
        ci.readDep(cpu, 'pmr');
        return (ci.state[cpu].pmr & 0xf8) >>> 3;
      case C.Bpr:
        ci.readDep(cpu, 'bpr0');
        return ci.state[cpu].bpr0;
      case C.Abpr:
        ci.readDep(cpu, 'bpr1');
        return ci.state[cpu].bpr1;
      case C.Apr:
        return this.readApr(cpu, (offset - row.offset) >> 2);
      case C.Iidr:
        return GICC_IIDR_USER;
      default:
        return 0;
    }
  }

  userWrite(cpu: number, row: RegRow<C>, offset: number, v: number): string | undefined {
    const ci = this.ci;
    switch (row.kind) {
      case C.Ctlr:
        this.writeCtlr(cpu, v);
        return (v & ~CTLR_MASK) !== 0 ? `stored ${hex(v & CTLR_MASK)} (VMCR keeps EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode)` : undefined;
      case C.Pmr: {
        const stored = ci.writePmr(cpu, (v << 3) & 0xf8);
        return stored >>> 3 !== v >>> 0 ? `stored VMPriMask ${hex(stored >>> 3)} (GICC_PMR ${hex(stored)})` : undefined;
      }
      case C.Bpr: {
        const stored = ci.writeBpr0(cpu, v);
        return stored !== v >>> 0 ? `stored ${stored} (minimum binary point ${ci.minBpr0})` : undefined;
      }
      case C.Abpr: {
        const stored = this.writeAbpr(cpu, v);
        return stored !== v >>> 0 ? `stored ${stored} (minimum binary point ${ci.minBpr0 + 1})` : undefined;
      }
      case C.Apr: {
        const n = (offset - row.offset) >> 2;
        return this.writeApr(cpu, n, v) ? undefined : `ignored: GICC_APR${n} is not implemented (KVM keeps APR0 only)`;
      }
      case C.Iidr:
        return 'ignored: GICC_IIDR is read-only';
      default:
        return undefined;
    }
  }
}
