// KVM_DEV_ARM_ITS_SAVE_TABLES / RESTORE_TABLES with the table layout of ITS ABI revision 0
// (vgic-its.c vgic_its_save_tables_v0 / vgic_its_restore_tables_v0; the layout is KVM's ABI,
// Documentation/virt/kvm/devices/arm-vgic-its.rst): 8-byte entries, little-endian.
//
//   DTE  (device table, indexed by DeviceID): V [63] | Next [62:49] | ITT_addr[51:8] [48:5] | Size-1 [4:0]
//   ITE  (ITT, indexed by EventID):            Next [63:48] | pINTID [47:16] | ICID [15:0]
//   CTE  (collection table, in list order):    V [63] | RDbase (vCPU) [47:16] | ICID [15:0]
//
// "Next" is the distance to the next valid entry (0: last), which restore follows. Saving sorts
// the device list by DeviceID and each ITT by EventID, as KVM's list_sort does, and ends the
// collection table with an invalid entry when it is not full. Restore reads the tables back from
// guest memory: collections first, then the device table (one or two levels) and every ITT.

import {
  ABI0_ESZ,
  BASER_INDIRECT,
  BASER_VALID,
  baserAddress,
  baserTableBytes,
  COLLECTION_NOT_MAPPED,
  CTE_RDBASE_SHIFT,
  CTE_VALID,
  DTE_ITTADDR_MASK,
  DTE_ITTADDR_SHIFT,
  DTE_MAX_DEVID_OFFSET,
  DTE_NEXT_MASK,
  DTE_NEXT_SHIFT,
  DTE_VALID,
  ERRNO,
  ITE_MAX_EVENTID_OFFSET,
  ITE_NEXT_SHIFT,
  ITE_PINTID_MASK,
  ITE_PINTID_SHIFT,
  L1E_ADDR_MASK,
  L1E_VALID,
} from './abi';
import { Its, ItsDevice } from './its';
import { u64Le } from './memory';
import { LPI_BASE } from '../core/irq-store';
import { hex } from '../../util/hex';

export interface TableResult {
  /** 0 or a negative errno, as the KVM_SET_DEVICE_ATTR ioctl returns it. */
  ret: number;
  what: string;
}

function writeEntry(its: Its, gpa: bigint, v: bigint, why: string): void {
  its.lpi.memWrite(gpa, u64Le(v), why);
}

export function saveTables(its: Its): TableResult {
  const counts = { dte: 0, ite: 0, cte: 0 };
  // vgic_its_save_device_tables
  if (its.baserDevice & BASER_VALID) {
    its.devices.sort((a, b) => a.id - b.id);
    for (let di = 0; di < its.devices.length; di++) {
      const dev = its.devices[di];
      const eaddr = its.checkId(its.baserDevice, dev.id);
      if (eaddr === null) return { ret: -ERRNO.EINVAL, what: `device ${hex(dev.id)} does not fit the device table` };
      dev.ites.sort((a, b) => a.event - b.event);
      for (let k = 0; k < dev.ites.length; k++) {
        const ite = dev.ites[k];
        if (!ite.coll) return { ret: -ERRNO.EFAULT, what: `DeviceID ${hex(dev.id)} EventID ${hex(ite.event)} has no collection (MAPC V=0 freed it); KVM dereferences it here` };
        const next = k + 1 < dev.ites.length ? Math.min(dev.ites[k + 1].event - ite.event, ITE_MAX_EVENTID_OFFSET) : 0;
        const val = (BigInt(next) << ITE_NEXT_SHIFT) | (BigInt(ite.lpi) << ITE_PINTID_SHIFT) | BigInt(ite.coll.id);
        writeEntry(its, dev.ittAddr + BigInt(ite.event * ABI0_ESZ), val, `KVM_DEV_ARM_ITS_SAVE_TABLES: ITE of DeviceID ${hex(dev.id)} EventID ${hex(ite.event)} (LPI ${ite.lpi}, ICID ${ite.coll.id})`);
        counts.ite++;
      }
      const next = di + 1 < its.devices.length ? Math.min(its.devices[di + 1].id - dev.id, DTE_MAX_DEVID_OFFSET) : 0;
      const val = DTE_VALID | (BigInt(next) << DTE_NEXT_SHIFT) | ((dev.ittAddr >> 8n) << DTE_ITTADDR_SHIFT) | BigInt(dev.eventBits - 1);
      writeEntry(its, eaddr, val, `KVM_DEV_ARM_ITS_SAVE_TABLES: DTE of DeviceID ${hex(dev.id)}`);
      counts.dte++;
    }
  }
  // vgic_its_save_collection_table
  if (its.baserColl & BASER_VALID) {
    let gpa = baserAddress(its.baserColl);
    const max = baserTableBytes(its.baserColl);
    let filled = 0;
    for (const c of its.collections) {
      writeEntry(its, gpa, CTE_VALID | (BigInt(c.target) << CTE_RDBASE_SHIFT) | BigInt(c.id), `KVM_DEV_ARM_ITS_SAVE_TABLES: CTE of ICID ${c.id}`);
      gpa += BigInt(ABI0_ESZ);
      filled += ABI0_ESZ;
      counts.cte++;
    }
    if (filled !== max) writeEntry(its, gpa, 0n, 'KVM_DEV_ARM_ITS_SAVE_TABLES: end of the collection table (invalid CTE)');
  }
  return { ret: 0, what: `saved ${counts.dte} device(s), ${counts.ite} ITE(s), ${counts.cte} collection(s)` };
}

/**
 * scan_its_table: read `esz`-byte entries from `base`, call `fn` with each; a positive return is
 * the distance to the next entry, 0 the end, negative an error. Returns 1 when the table ran out.
 */
function scan(its: Its, base: bigint, size: number, startId: number, fn: (id: number, entry: bigint) => number): number {
  let len = size;
  let id = startId;
  let gpa = base;
  for (;;) {
    const e = its.lpi.mem.readU64(gpa);
    if (e.missing) its.lpi.missing++;
    const next = fn(id, e.value);
    if (next <= 0) return next;
    const byteOffset = next * ABI0_ESZ;
    if (byteOffset >= len) break;
    id += next;
    gpa += BigInt(byteOffset);
    len -= byteOffset;
  }
  return 1;
}

function restoreIte(its: Its, dev: ItsDevice, event: number, val: bigint, counts: { ite: number }): number {
  const icid = Number(val & 0xffffn);
  const lpi = Number((val & ITE_PINTID_MASK) >> ITE_PINTID_SHIFT);
  if (!lpi) return 1; // invalid entry: scan the next one
  if (lpi < LPI_BASE) return -ERRNO.EINVAL;
  const offset = Number(val >> ITE_NEXT_SHIFT);
  if (event + offset >= 2 ** dev.eventBits) return -ERRNO.EINVAL;
  const coll = its.findCollection(icid);
  if (!coll) return -ERRNO.EINVAL;
  if (event >= 2 ** dev.eventBits) return -ERRNO.EINVAL;
  if (!its.lpi.inRange(lpi)) return -ERRNO.EINVAL;
  dev.ites.push({ event, lpi, coll });
  its.lpi.add(lpi, Its.mapped(coll) ? its.collectionVcpu(coll) : -1);
  counts.ite++;
  return offset;
}

function restoreDte(its: Its, id: number, val: bigint, counts: { dte: number; ite: number }): number {
  if (!(val & DTE_VALID)) return 1;
  const eventBits = Number(val & 0x1fn) + 1;
  const ittAddr = ((val & DTE_ITTADDR_MASK) >> DTE_ITTADDR_SHIFT) << 8n;
  const offset = Number((val & DTE_NEXT_MASK) >> DTE_NEXT_SHIFT);
  if (its.checkId(its.baserDevice, id) === null) return -ERRNO.EINVAL;
  const dev: ItsDevice = { id, ittAddr, eventBits, ites: [] };
  its.devices.push(dev);
  let ret = scan(its, ittAddr, 2 ** eventBits * ABI0_ESZ, 0, (ev, e) => restoreIte(its, dev, ev, e, counts));
  if (ret > 0) ret = 0;
  if (ret) {
    its.freeDevice(dev);
    return ret;
  }
  counts.dte++;
  return offset;
}

export function restoreTables(its: Its): TableResult {
  const counts = { dte: 0, ite: 0, cte: 0 };
  its.lpi.missing = 0;
  let ret = restoreCollections(its, counts);
  if (ret) return { ret, what: `the collection table does not restore (${ret})` + missingNote(its) };
  ret = restoreDevices(its, counts);
  if (ret) {
    its.freeCollectionList();
    return { ret, what: 'the device table or an ITT does not restore' + missingNote(its) };
  }
  return { ret: 0, what: `restored ${counts.dte} device(s), ${counts.ite} ITE(s), ${counts.cte} collection(s)${missingNote(its)}` };
}

function missingNote(its: Its): string {
  return its.lpi.missing ? `; ${its.lpi.missing} entries read from guest memory the trace does not carry (read as 0)` : '';
}

function restoreCollections(its: Its, counts: { cte: number }): number {
  const baser = its.baserColl;
  if (!(baser & BASER_VALID)) return 0;
  let gpa = baserAddress(baser);
  const max = baserTableBytes(baser);
  let ret = 1;
  for (let read = 0; read < max; read += ABI0_ESZ, gpa += BigInt(ABI0_ESZ)) {
    const e = its.lpi.mem.readU64(gpa);
    if (e.missing) its.lpi.missing++;
    if (!(e.value & CTE_VALID)) {
      ret = 0;
      break;
    }
    const target = Number((e.value >> CTE_RDBASE_SHIFT) & 0xffffffffn);
    const icid = Number(e.value & 0xffffn);
    if (target !== COLLECTION_NOT_MAPPED && target >= its.host.cpus) {
      ret = -ERRNO.EINVAL;
      break;
    }
    if (its.findCollection(icid)) {
      ret = -ERRNO.EEXIST;
      break;
    }
    if (its.checkId(baser, icid) === null) {
      ret = -ERRNO.EINVAL;
      break;
    }
    its.allocCollection(icid).target = target;
    counts.cte++;
  }
  if (ret > 0) return 0;
  if (ret < 0) its.freeCollectionList();
  return ret;
}

function restoreDevices(its: Its, counts: { dte: number; ite: number }): number {
  const baser = its.baserDevice;
  if (!(baser & BASER_VALID)) return 0;
  const l1 = baserAddress(baser);
  const size = baserTableBytes(baser);
  let ret: number;
  if (baser & BASER_INDIRECT) {
    ret = scan(its, l1, size, 0, (id, e) => {
      if (!(e & L1E_VALID)) return 1;
      return scan(its, e & L1E_ADDR_MASK, 0x10000, id * (0x10000 / ABI0_ESZ), (devId, d) => restoreDte(its, devId, d, counts));
    });
  } else {
    ret = scan(its, l1, size, 0, (id, e) => restoreDte(its, id, e, counts));
  }
  if (ret > 0) ret = 0;
  if (ret < 0) its.freeDeviceList();
  return ret;
}
