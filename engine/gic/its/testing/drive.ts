// Test fixtures for the vITS (not used at run time): a GICv3 model with an ITS, guest memory
// helpers, and a driver that sets the ITS up the way Linux's its_probe_one / its_cpu_init_lpis do
// and queues commands the way its_send_single_command does (command into the queue, then
// GITS_CWRITER).

import { DepTracker, NO_DEPS } from '../../../model/deps';
import { SideRecord } from '../../../model/model';
import { getPolicy, Policy } from '../../../policy/policy';
import { Frame, GicConfig, kvmMpidr, UserGroup } from '../../../trace/events';
import { GicV3Model } from '../../v3/model';
import { Drive } from '../../v3/testing/drive';
import { CMD } from '../abi';
import { encodeCommand } from '../commands';
import { u64Le } from '../memory';

export const ITS_BASE = 0x08080000n;
/** Guest-physical layout the driver uses (all inside a 512 MiB guest at 0x40000000). */
export const MEM = {
  cmdq: 0x40000000n, // 64 KiB command queue
  devTable: 0x40010000n, // 64 KiB flat device table
  collTable: 0x40020000n, // 64 KiB collection table
  prop: 0x40030000n, // property table, 64 KiB (IDbits 15 -> 16-bit INTIDs)
  pend: 0x40100000n, // one 64 KiB pending table per vCPU
  itt: 0x40200000n, // ITTs, 4 KiB apart
} as const;

export function itsConfig(cpus = 2, spis = 64): GicConfig {
  return {
    version: 3,
    cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })),
    spis,
    its: true,
    frames: { dist: 0x8000000n, redist: [0x80a0000n], its: ITS_BASE },
  };
}

export function itsModel(policy: string | Policy = 'rev3', cpus = 2, deps: DepTracker = NO_DEPS): GicV3Model {
  return new GicV3Model(itsConfig(cpus), typeof policy === 'string' ? getPolicy(policy) : policy, deps);
}

export class ItsDrive extends Drive {
  /** Side records seen so far (ITS commands, memory the vGIC wrote). */
  readonly side: SideRecord[] = [];

  its(off: number, size: 4 | 8 = 8): bigint {
    const r = this.m.mmioRead(0, Frame.Its, 0, off, size, null).value;
    this.collect();
    return r;
  }

  itsw(off: number, v: bigint | number, size: 4 | 8 = 8): string | undefined {
    const e = this.m.mmioWrite(0, Frame.Its, 0, off, size, BigInt(v)).effect;
    this.collect();
    return e;
  }

  uits(off: number, size: 4 | 8 = 8): bigint {
    return this.m.userRead(UserGroup.ItsRegs, null, off, size, null).value;
  }

  uitsw(off: number, v: bigint | number, size: 4 | 8 = 8): string | undefined {
    const e = this.m.userWrite(UserGroup.ItsRegs, null, off, size, BigInt(v)).effect;
    this.collect();
    return e;
  }

  mem(addr: bigint, bytes: Uint8Array): void {
    this.m.memWrite(null, addr, bytes);
  }

  collect(): SideRecord[] {
    const s = this.m.takeSideRecords() ?? [];
    this.side.push(...s);
    return s;
  }

  /** The results of the ITS commands processed since the last call. */
  results(): string[] {
    const out = this.side.filter((r) => r.kind === 'its-cmd').map((r) => (r.kind === 'its-cmd' ? `${r.command} -> ${r.result}` : ''));
    this.side.length = 0;
    return out;
  }

  /** Property byte of an LPI (priority | Group1 | enable). */
  prop(intid: number, byte: number): void {
    this.mem(MEM.prop + BigInt(intid - 8192), new Uint8Array([byte]));
  }

  /** Linux-like bring-up: tables, command queue, PROPBASER/PENDBASER and EnableLPIs on every vCPU, ITS enabled. */
  bringUp(opts: { enableLpis?: boolean; enableIts?: boolean } = {}): void {
    this.bootLinuxLike();
    this.itsw(0x100, MEM.devTable | (1n << 63n) | (0x400n) | 0n); // BASER0: valid, inner-shareable, 1 page
    this.itsw(0x108, MEM.collTable | (1n << 63n) | 0x400n);
    this.itsw(0x80, MEM.cmdq | (1n << 63n) | 0x400n | 15n); // 16 x 4 KiB = 64 KiB queue
    this.itsw(0x88, 0);
    for (let c = 0; c < this.m.cpuCount; c++) {
      this.rdw(c, 0x70, MEM.prop | 0x400n | 15n, 8); // IDbits 15: INTIDs up to 65535
      this.rdw(c, 0x78, MEM.pend + BigInt(c) * 0x10000n | 0x400n, 8);
      if (opts.enableLpis !== false) this.rdw(c, 0x0, 1);
    }
    if (opts.enableIts !== false) this.itsw(0x0, 1, 4);
    this.collect();
    this.side.length = 0;
  }

  /** Write commands into the queue at CWRITER and advance CWRITER past them. */
  cmds(...cmds: bigint[][]): string[] {
    let w = Number(this.its(0x88));
    const size = (Number(this.its(0x80) & 0xffn) + 1) << 12;
    for (const c of cmds) {
      const bytes = new Uint8Array(32);
      for (let i = 0; i < 4; i++) bytes.set(u64Le(c[i]), 8 * i);
      this.mem(MEM.cmdq + BigInt(w), bytes);
      w = (w + 32) % size;
    }
    this.itsw(0x88, w);
    return this.results();
  }

  mapd(dev: number, bits = 8, valid = true, itt = MEM.itt + BigInt(dev) * 0x1000n): bigint[] {
    return encodeCommand(CMD.MAPD, { deviceId: dev, size: bits, ittAddr: itt, valid });
  }
  mapc(icid: number, target: number, valid = true): bigint[] {
    return encodeCommand(CMD.MAPC, { icid, target, valid });
  }
  mapti(dev: number, ev: number, lpi: number, icid: number): bigint[] {
    return encodeCommand(CMD.MAPTI, { deviceId: dev, eventId: ev, physicalId: lpi, icid });
  }
  cmd(op: number, f: Parameters<typeof encodeCommand>[1] = {}): bigint[] {
    return encodeCommand(op, f);
  }

  /** Does vCPU `cpu` take LPI `intid` now? Acknowledges it if so (and returns what IAR1 said). */
  ack(cpu: number): number {
    return Number(this.sr(cpu, 'ICC_IAR1_EL1'));
  }
  eoi(cpu: number, intid: number): void {
    this.sw(cpu, 'ICC_EOIR1_EL1', intid);
  }
}

export function pendingTableByte(cpu: number, intid: number): bigint {
  return MEM.pend + BigInt(cpu) * 0x10000n + BigInt(intid >> 3);
}
