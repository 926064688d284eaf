// Helpers for the GICv2 model tests: a model for N vCPUs, and register access by name.

import { RecordingDeps } from '../../../model/deps';
import { getPolicy, Policy } from '../../../policy/policy';
import { Frame, GicConfig, kvmMpidr, UserGroup } from '../../../trace/events';
import { GicV2Model } from '../model';

export function v2Config(cpus = 2, spis = 256): GicConfig {
  return {
    version: 2,
    cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })),
    spis,
    its: false,
    frames: { dist: 0x08000000n, cpuif: 0x08010000n },
  };
}

export class V2Harness {
  readonly m: GicV2Model;
  readonly deps = new RecordingDeps();
  constructor(policy: string | Policy = 'rev3', cpus = 2, spis = 256) {
    this.m = new GicV2Model(v2Config(cpus, spis), typeof policy === 'string' ? getPolicy(policy) : policy, this.deps);
  }
  d(cpu: number, off: number, size: 1 | 4 = 4): number {
    return Number(this.m.mmioRead(cpu, Frame.Dist, 0, off, size, null).value);
  }
  dw(cpu: number, off: number, v: number, size: 1 | 4 = 4): string | undefined {
    return this.m.mmioWrite(cpu, Frame.Dist, 0, off, size, BigInt(v >>> 0)).effect;
  }
  c(cpu: number, off: number): number {
    return Number(this.m.mmioRead(cpu, Frame.CpuIf, 0, off, 4, null).value);
  }
  cw(cpu: number, off: number, v: number): string | undefined {
    return this.m.mmioWrite(cpu, Frame.CpuIf, 0, off, 4, BigInt(v >>> 0)).effect;
  }
  ud(cpu: number, off: number): number {
    return Number(this.m.userRead(UserGroup.DistRegs, cpu, off, 4, null).value);
  }
  udw(cpu: number, off: number, v: number): string | undefined {
    return this.m.userWrite(UserGroup.DistRegs, cpu, off, 4, BigInt(v >>> 0)).effect;
  }
  uc(cpu: number, off: number): number {
    return Number(this.m.userRead(UserGroup.CpuRegs, cpu, off, 4, null).value);
  }
  ucw(cpu: number, off: number, v: number): string | undefined {
    return this.m.userWrite(UserGroup.CpuRegs, cpu, off, 4, BigInt(v >>> 0)).effect;
  }
  /** Distributor on, CPU interface of every vCPU on with both groups, PMR 0xF0. */
  enableAll(ctlr = 0x3): void {
    this.dw(0, GICD.CTLR, 1);
    for (let c = 0; c < this.m.cpuCount; c++) {
      this.cw(c, GICC.CTLR, ctlr);
      this.cw(c, GICC.PMR, 0xf0);
    }
  }
  out(cpu: number): { irq: number; fiq: number } {
    return { irq: this.m.irqOutput(cpu), fiq: this.m.fiqOutput(cpu) };
  }
}

export const GICD = {
  CTLR: 0x000,
  TYPER: 0x004,
  IIDR: 0x008,
  IGROUPR: 0x080,
  ISENABLER: 0x100,
  ICENABLER: 0x180,
  ISPENDR: 0x200,
  ICPENDR: 0x280,
  ISACTIVER: 0x300,
  ICACTIVER: 0x380,
  IPRIORITYR: 0x400,
  ITARGETSR: 0x800,
  ICFGR: 0xc00,
  SGIR: 0xf00,
  CPENDSGIR: 0xf10,
  SPENDSGIR: 0xf20,
  ICPIDR2: 0xfe8,
} as const;

export const GICC = {
  CTLR: 0x000,
  PMR: 0x004,
  BPR: 0x008,
  IAR: 0x00c,
  EOIR: 0x010,
  RPR: 0x014,
  HPPIR: 0x018,
  ABPR: 0x01c,
  AIAR: 0x020,
  AEOIR: 0x024,
  AHPPIR: 0x028,
  APR0: 0x0d0,
  NSAPR0: 0x0e0,
  IIDR: 0x0fc,
  DIR: 0x1000,
} as const;

/** GICC_CTLR bits. */
export const CTLR = { EnableGrp0: 1, EnableGrp1: 2, AckCtl: 4, FIQEn: 8, CBPR: 0x10, EOImode: 0x200 } as const;
