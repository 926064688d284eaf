// The vITS device as the GICv3 model exposes it: guest MMIO to the 128 KiB ITS frame, the VMM's
// KVM_DEV_ARM_VGIC_GRP_ITS_REGS and KVM_DEV_ARM_VGIC_GRP_CTRL attributes, KVM_SIGNAL_MSI, and the
// guest memory the ITS reads. Dispatch follows vgic-mmio.c (binary search over its_registers[],
// check_region) for the guest, and vgic_its_attr_regs_access for userspace.

import { DepTracker } from '../../model/deps';
import { CtrlResult, MsiResult, ReadResult, SideRecord, WriteResult } from '../../model/model';
import { VgicCore } from '../core/vgic';
import { userReadOf, userWriteOf, W64 } from '../core/regtable';
import { ERRNO, resultName } from './abi';
import { runCommand } from './commands';
import { Its } from './its';
import { GITS_TRANSLATER, ITS_FRAME } from './its-table';
import { LpiHost, LpiUnit } from './lpi';
import { GuestMemory } from './memory';
import { restoreTables, saveTables } from './tables';
import { hex } from '../../util/hex';

/** KVM_DEV_ARM_VGIC_GRP_CTRL attributes (arch/arm64/include/uapi/asm/kvm.h). */
export const CTRL_ATTR = {
  INIT: 0,
  ITS_SAVE_TABLES: 1,
  ITS_RESTORE_TABLES: 2,
  VGIC_SAVE_PENDING_TABLES: 3,
  ITS_CTRL_RESET: 4,
} as const;

export const CTRL_ATTR_NAMES: Readonly<Record<number, string>> = {
  0: 'KVM_DEV_ARM_VGIC_CTRL_INIT',
  1: 'KVM_DEV_ARM_ITS_SAVE_TABLES',
  2: 'KVM_DEV_ARM_ITS_RESTORE_TABLES',
  3: 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES',
  4: 'KVM_DEV_ARM_ITS_CTRL_RESET',
};

const SIZE_MASK: readonly bigint[] = [0n, 0xffn, 0xffffn, 0xffffffn, 0xffffffffn, 0n, 0n, 0n, 0xffffffffffffffffn];

export interface VitsHost extends LpiHost {
  readonly core: VgicCore;
  readonly cpus: number;
  /** The CPU interface's implemented priority mask (PRIbits). */
  readonly priMask: number;
}

export class VgicIts {
  readonly mem = new GuestMemory();
  readonly lpi: LpiUnit;
  readonly its: Its;
  private log: SideRecord[] = [];

  constructor(host: VitsHost, deps: DepTracker, readonly base: bigint | undefined) {
    const log: SideRecord[] = [];
    this.log = log;
    this.lpi = new LpiUnit(host.core, host.priMask, this.mem, log, host);
    this.its = new Its(this.lpi, host, log, deps, runCommand);
  }

  /** Side records since the last call, oldest first. */
  take(): SideRecord[] | null {
    if (this.log.length === 0) return null;
    const out = this.log.slice();
    this.log.length = 0;
    return out;
  }

  private name(off: number, size: number): string {
    if (off >= GITS_TRANSLATER && off < GITS_TRANSLATER + 4) return 'GITS_TRANSLATER';
    return size === 4 || size === 8 ? ITS_FRAME.wordName(off) : ITS_FRAME.accessName(off, size);
  }

  mmioRead(off: number, size: number): ReadResult {
    const row = ITS_FRAME.accept(off, size, 0);
    if (!row) return { value: 0n, reg: this.name(off, size), note: this.refusal(off, size) };
    return { value: row.read(this.its, 0, off, size), reg: this.name(off, size) };
  }

  mmioWrite(off: number, size: number, value: bigint): WriteResult {
    const row = ITS_FRAME.accept(off, size, 0);
    if (!row) return { reg: this.name(off, size), effect: `ignored: ${this.refusal(off, size)}` };
    const m = SIZE_MASK[size];
    const effect = row.write(this.its, 0, off, size, value > m ? value & m : value);
    return effect ? { reg: this.name(off, size), effect } : { reg: this.name(off, size) };
  }

  private refusal(off: number, size: number): string {
    if (off >= GITS_TRANSLATER && off < GITS_TRANSLATER + 4) return 'KVM registers no region for GITS_TRANSLATER: a guest write does not raise an MSI (devices use KVM_SIGNAL_MSI or irqfd)';
    const r = ITS_FRAME.resolve(off, size, 0);
    return r.refused ?? 'no register at this offset: KVM reads 0 and ignores writes';
  }

  /** vgic_its_attr_regs_access's checks: the register KVM finds and its width, or why it refuses. */
  static userAccess(off: number): { width: 4 | 8; reg: string } | { error: string; reg: string } {
    const align = off < 0x8 || off >= 0xffd0 ? 3 : 7;
    const reg = off >= 0 && off < 0x10000 ? ITS_FRAME.wordName(off & ~3) : `GITS+${hex(off)}`;
    if (off < 0 || off >= 0x10000) return { error: 'KVM_DEV_ARM_VGIC_GRP_ITS_REGS addresses the 64 KiB control frame (-ENXIO)', reg };
    if (off & align) return { error: `offset ${hex(off)} is not ${align + 1}-byte aligned (-EINVAL)`, reg };
    const row = ITS_FRAME.rowAt(off);
    if (!row) return { error: 'no ITS register at this offset (-ENXIO)', reg };
    return { width: row.widths & W64 ? 8 : 4, reg };
  }

  userRead(off: number, size: number): ReadResult {
    const a = VgicIts.userAccess(off);
    if ('error' in a) return { value: 0n, reg: a.reg, note: a.error };
    if (size !== a.width) return { value: 0n, reg: a.reg, note: `${size * 8}-bit access: KVM_DEV_ARM_VGIC_GRP_ITS_REGS accesses ${a.reg} as ${a.width * 8} bits` };
    const row = ITS_FRAME.rowAt(off)!;
    return { value: userReadOf(row)!(this.its, 0, off, a.width), reg: a.reg };
  }

  userWrite(off: number, size: number, value: bigint): WriteResult {
    const a = VgicIts.userAccess(off);
    if ('error' in a) return { reg: a.reg, effect: `rejected: ${a.error}` };
    if (size !== a.width) return { reg: a.reg, effect: `rejected: ${size * 8}-bit access (KVM_DEV_ARM_VGIC_GRP_ITS_REGS accesses ${a.reg} as ${a.width * 8} bits)` };
    const row = ITS_FRAME.rowAt(off)!;
    const m = SIZE_MASK[a.width];
    const effect = userWriteOf(row)!(this.its, 0, off, a.width, value > m ? value & m : value);
    return effect ? { reg: a.reg, effect } : { reg: a.reg };
  }

  /** KVM_DEV_ARM_VGIC_GRP_CTRL on the ITS device (vgic_its_ctrl). */
  ctrl(attr: number): CtrlResult {
    const reg = CTRL_ATTR_NAMES[attr] ?? `ITS CTRL attribute ${attr}`;
    switch (attr) {
      case CTRL_ATTR.INIT:
        return { reg, result: 0 };
      case CTRL_ATTR.ITS_CTRL_RESET:
        this.its.reset();
        return { reg, result: 0, effect: 'ITS reset: tables invalid, command queue empty, disabled, mappings freed' };
      case CTRL_ATTR.ITS_SAVE_TABLES: {
        const r = saveTables(this.its);
        return { reg, result: r.ret, effect: r.ret ? `failed (${resultName(r.ret)}): ${r.what}` : r.what };
      }
      case CTRL_ATTR.ITS_RESTORE_TABLES: {
        const r = restoreTables(this.its);
        return { reg, result: r.ret, effect: r.ret ? `failed (${resultName(r.ret)}): ${r.what}` : r.what };
      }
      default:
        return { reg, result: -ERRNO.ENXIO, effect: 'rejected (-ENXIO): not an ITS control attribute' };
    }
  }

  /** KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES on the vGIC device. */
  savePendingTables(): CtrlResult {
    this.lpi.missing = 0;
    const n = this.lpi.savePendingTables();
    const missing = this.lpi.missing ? `; ${this.lpi.missing} pending-table byte(s) not in the trace (read as 0)` : '';
    return { reg: CTRL_ATTR_NAMES[3], result: 0, effect: `${n} pending-table byte(s) written${missing}` };
  }

  /**
   * KVM_SIGNAL_MSI (kvm_send_userspace_msi -> vgic_its_inject_msi): 1 when the LPI was made
   * pending, 0 when the guest's mappings block it, a negative errno otherwise.
   */
  msi(address: bigint, data: number, devid: number | null): MsiResult {
    const reg = msiName(devid, data);
    if (devid === null) return { reg, result: -ERRNO.EINVAL, effect: 'rejected (-EINVAL): KVM_MSI_VALID_DEVID is not set and the vITS needs a DeviceID' };
    if (this.base !== undefined && (address < this.base || address >= this.base + 0x20000n)) {
      return { reg, result: -ERRNO.EINVAL, effect: `rejected (-EINVAL): doorbell ${hex(address)} is not in the ITS frame at ${hex(this.base)}` };
    }
    const r = this.its.triggerMsi(devid, data >>> 0);
    if (r.ret < 0) return { reg, result: r.ret, effect: `failed (${resultName(r.ret)}): ${r.what}` };
    if (r.ret > 0) return { reg, result: 0, effect: `blocked (returns 0): ${resultName(r.ret)}, ${r.what}` };
    return { reg, result: 1, effect: `delivered (returns 1): ${r.what}` };
  }

  memWrite(addr: bigint, bytes: Uint8Array): void {
    this.mem.write(addr, bytes);
  }
}

/** How an MSI record names a KVM_SIGNAL_MSI (the model's and real KVM's records alike). */
export function msiName(devid: number | null, data: number): string {
  return `MSI ${devid === null ? 'without DeviceID' : `DeviceID ${hex(devid)}`} EventID ${hex(data)}`;
}
