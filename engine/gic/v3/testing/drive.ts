// Test fixtures for the GICv3 model (not used at run time): a KVM-like configuration and a
// small driver that names registers instead of offsets.

import { sysregByName } from '../../../arch/sysregs';
import { DepTracker, NO_DEPS } from '../../../model/deps';
import { getPolicy } from '../../../policy/policy';
import { AccessSize, Frame, GicConfig, kvmMpidr, UserGroup } from '../../../trace/events';
import { GicV3Model } from '../model';

export function v3Config(cpus = 2, spis = 256, its = false): GicConfig {
  return {
    version: 3,
    cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })),
    spis,
    its,
    frames: { dist: 0x8000000n, redist: [0x80a0000n] },
  };
}

export function v3Model(policy = 'rev3', cpus = 2, spis = 256, its = false, deps: DepTracker = NO_DEPS): GicV3Model {
  return new GicV3Model(v3Config(cpus, spis, its), getPolicy(policy), deps);
}

export function enc(name: string): number {
  const s = sysregByName(name);
  if (!s) throw new Error(name);
  return s.enc;
}

/** Thin driver: guest accesses by frame and offset, system registers by name. */
export class Drive {
  constructor(readonly m: GicV3Model) {}
  d(off: number, size: AccessSize = 4): bigint {
    return this.m.mmioRead(0, Frame.Dist, 0, off, size, null).value;
  }
  dw(off: number, v: bigint | number, size: AccessSize = 4): string | undefined {
    return this.m.mmioWrite(0, Frame.Dist, 0, off, size, BigInt(v)).effect;
  }
  rd(cpu: number, off: number, size: AccessSize = 4): bigint {
    return this.m.mmioRead(cpu, Frame.RedistRd, cpu, off, size, null).value;
  }
  rdw(cpu: number, off: number, v: bigint | number, size: AccessSize = 4): string | undefined {
    return this.m.mmioWrite(cpu, Frame.RedistRd, cpu, off, size, BigInt(v)).effect;
  }
  sgi(cpu: number, off: number, size: AccessSize = 4): bigint {
    return this.m.mmioRead(cpu, Frame.RedistSgi, cpu, off, size, null).value;
  }
  sgiw(cpu: number, off: number, v: bigint | number, size: AccessSize = 4): string | undefined {
    return this.m.mmioWrite(cpu, Frame.RedistSgi, cpu, off, size, BigInt(v)).effect;
  }
  sr(cpu: number, name: string): bigint {
    return this.m.sysregRead(cpu, enc(name), null).value;
  }
  sw(cpu: number, name: string, v: bigint | number): string | undefined {
    return this.m.sysregWrite(cpu, enc(name), BigInt(v)).effect;
  }
  ur(off: number, cpu: number | null = null, group = UserGroup.DistRegs): bigint {
    return this.m.userRead(group, cpu, off, 4, null).value;
  }
  uw(off: number, v: bigint | number, cpu: number | null = null, group = UserGroup.DistRegs): string | undefined {
    return this.m.userWrite(group, cpu, off, 4, BigInt(v)).effect;
  }
  /** Enable the distributor, Group 1 at the CPU interface, PMR 0xF0 on every vCPU. */
  bootLinuxLike(): void {
    this.dw(0x0, 0x12);
    for (let c = 0; c < this.m.cpuCount; c++) {
      this.sw(c, 'ICC_PMR_EL1', 0xf0);
      this.sw(c, 'ICC_IGRPEN1_EL1', 1);
    }
  }
  /** Enable SPI `intid` with priority `prio` (default 0xa0). */
  enableSpi(intid: number, prio = 0xa0): void {
    this.dw(0x400 + intid, prio, 1);
    this.dw(0x100 + 4 * (intid >> 5), 1 << (intid & 31));
  }
  pendSpi(intid: number): void {
    this.dw(0x200 + 4 * (intid >> 5), 1 << (intid & 31));
  }
  spiBit(base: number, intid: number): number {
    return Number((this.d(base + 4 * (intid >> 5)) >> BigInt(intid & 31)) & 1n);
  }
}
