// The ITS commands KVM's vITS handles (vgic-its.c vgic_its_handle_command and the
// vgic_its_cmd_handle_* functions), one row per command: how KVM decodes its fields from the four
// 64-bit command words, and what it does. A handler returns 0, an E_ITS_* error or a negative
// errno; the caller ignores it as KVM does. Where kernels differ, the row follows mainline (6.13+)
// and says what 6.1 did.

import { CMD, E_ITS, ERRNO } from './abi';
import { Its, ItsCollection } from './its';
import { LPI_BASE } from '../core/irq-store';
import { hex } from '../../util/hex';

/** its_cmd_mask_field: `size` bits of command word `word` from bit `shift`. */
function field(cmd: readonly bigint[], word: number, shift: number, size: number): number {
  return Number((cmd[word] >> BigInt(shift)) & ((1n << BigInt(size)) - 1n));
}

const deviceId = (c: readonly bigint[]) => field(c, 0, 32, 32);
const eventId = (c: readonly bigint[]) => field(c, 1, 0, 32);
const physicalId = (c: readonly bigint[]) => field(c, 1, 32, 32);
const sizeField = (c: readonly bigint[]) => field(c, 1, 0, 5) + 1;
const collectionId = (c: readonly bigint[]) => field(c, 2, 0, 16);
const ittAddr = (c: readonly bigint[]) => BigInt(field(c, 2, 8, 44)) << 8n;
const targetAddr = (c: readonly bigint[]) => field(c, 2, 16, 32);
const validBit = (c: readonly bigint[]) => field(c, 2, 63, 1);

export interface CommandOutcome {
  /** The command as decoded, e.g. "MAPTI DeviceID 0x10 EventID 0x0 ICID 0x1 pINTID 8192". */
  text: string;
  ret: number;
  /** What it did or why it failed, when that is not obvious from `ret`. */
  what?: string;
}

interface CommandRow {
  opcode: number;
  name: string;
  describe(c: readonly bigint[]): string;
  run(its: Its, c: readonly bigint[]): { ret: number; what?: string };
}

function mapd(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const id = deviceId(c);
  const valid = validBit(c);
  const bits = sizeField(c);
  const gpa = its.checkId(its.baserDevice, id);
  if (gpa === null) return { ret: E_ITS.E_ITS_MAPD_DEVICE_OOR, what: `DeviceID ${hex(id)} does not fit the device table (GITS_BASER0)` };
  if (valid && bits > 16) return { ret: E_ITS.E_ITS_MAPD_ITTSIZE_OOR, what: `${bits} EventID bits, the vITS has 16` };
  its.dep('map', true);
  const old = its.findDevice(id);
  const ites = old ? old.ites.length : 0;
  // MAPD of a mapped device drops its ITTEs and maps it afresh (KVM's reading of "invalidates").
  if (old) its.freeDevice(old);
  if (!valid) {
    // Since 6.13 (and the stable kernels), the unmapped device's DTE is cleared in guest memory.
    its.lpi.memWrite(gpa, new Uint8Array(8), `MAPD V=0: device ${hex(id)}'s device-table entry cleared`);
    return { ret: 0, what: old ? `device ${hex(id)} unmapped with its ${ites} ITTE(s)` : `device ${hex(id)} was not mapped` };
  }
  its.devices.push({ id, ittAddr: ittAddr(c), eventBits: bits, ites: [] });
  return { ret: 0, what: old ? `device ${hex(id)} remapped: its ITTEs are gone` : undefined };
}

function mapc(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const id = collectionId(c);
  its.dep('map', true);
  if (!validBit(c)) {
    its.freeCollection(id);
    return { ret: 0 };
  }
  // Mainline looks the target up only for V=1; 6.1 refused any target >= the vCPU count first.
  const target = targetAddr(c);
  if (target >= its.host.cpus) return { ret: E_ITS.E_ITS_MAPC_PROCNUM_OOR, what: `RDbase ${target} is not a vCPU (GITS_TYPER.PTA = 0: RDbase is the vCPU number)` };
  let coll = its.findCollection(id);
  if (!coll) {
    if (its.checkId(its.baserColl, id) === null) return { ret: E_ITS.E_ITS_MAPC_COLLECTION_OOR, what: `ICID ${id} does not fit the collection table (GITS_BASER1)` };
    coll = its.allocCollection(id);
    coll.target = target;
    return { ret: 0 };
  }
  coll.target = target;
  // update_affinity_collection: every ITTE of this collection now targets the new vCPU.
  for (const d of its.devices) for (const ite of d.ites) if (ite.coll === coll) its.lpi.setTarget(ite.lpi, target);
  return { ret: 0 };
}

function mapti(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const devId = deviceId(c);
  const ev = eventId(c);
  const id = collectionId(c);
  const dev = its.findDevice(devId);
  if (!dev) return { ret: E_ITS.E_ITS_MAPTI_UNMAPPED_DEVICE, what: `device ${hex(devId)} is not mapped` };
  if (ev >= 2 ** dev.eventBits) return { ret: E_ITS.E_ITS_MAPTI_ID_OOR, what: `EventID ${hex(ev)} beyond the device's ${dev.eventBits} EventID bits` };
  const lpi = field(c, 0, 0, 8) === CMD.MAPTI ? physicalId(c) : ev;
  const limit = its.lpi.limit();
  if (lpi < LPI_BASE || lpi >= limit) return { ret: E_ITS.E_ITS_MAPTI_PHYSICALID_OOR, what: `pINTID ${lpi} outside ${LPI_BASE}..${limit - 1} (GICR_PROPBASER.IDbits)` };
  // "If there is an existing mapping, behavior is UNPREDICTABLE": KVM keeps the old one.
  if (its.findIte(devId, ev)) return { ret: 0, what: `DeviceID ${hex(devId)} EventID ${hex(ev)} is already mapped: KVM keeps the old mapping` };
  its.dep('map', true);
  let coll: ItsCollection | undefined = its.findCollection(id);
  if (!coll) {
    if (its.checkId(its.baserColl, id) === null) return { ret: E_ITS.E_ITS_MAPC_COLLECTION_OOR, what: `ICID ${id} does not fit the collection table (GITS_BASER1)` };
    coll = its.allocCollection(id);
  }
  dev.ites.push({ event: ev, lpi, coll });
  const cpu = Its.mapped(coll) ? its.collectionVcpu(coll) : -1;
  its.lpi.add(lpi, cpu);
  return { ret: 0, what: cpu >= 0 ? `LPI ${lpi} targets vCPU ${cpu}` : `LPI ${lpi} targets no vCPU (collection ${id} is not mapped)` };
}

function movi(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const ite = its.findIte(deviceId(c), eventId(c));
  if (!ite) return { ret: E_ITS.E_ITS_MOVI_UNMAPPED_INTERRUPT };
  if (!Its.mapped(ite.coll)) return { ret: E_ITS.E_ITS_MOVI_UNMAPPED_COLLECTION, what: 'the ITTE\'s collection is not mapped' };
  const coll = its.findCollection(collectionId(c));
  if (!Its.mapped(coll)) return { ret: E_ITS.E_ITS_MOVI_UNMAPPED_COLLECTION, what: `collection ${collectionId(c)} is not mapped` };
  its.dep('map', true);
  ite.coll = coll;
  const cpu = its.collectionVcpu(coll);
  its.lpi.setTarget(ite.lpi, cpu);
  return { ret: 0, what: `LPI ${ite.lpi} now targets vCPU ${cpu}` };
}

function discard(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const devId = deviceId(c);
  const ev = eventId(c);
  const ite = its.findIte(devId, ev);
  if (!ite || !Its.mapped(ite.coll)) return { ret: E_ITS.E_ITS_DISCARD_UNMAPPED_INTERRUPT };
  const dev = its.findDevice(devId)!;
  its.dep('map', true);
  // The pending state is not removed: a queued LPI is still delivered (as in KVM).
  its.freeIte(dev, ite);
  its.lpi.memWrite(dev.ittAddr + BigInt(ev * 8), new Uint8Array(8), `DISCARD: DeviceID ${hex(devId)} EventID ${hex(ev)}'s ITT entry cleared`);
  return { ret: 0, what: `LPI ${ite.lpi} unmapped` };
}

function clear(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const ite = its.findIte(deviceId(c), eventId(c));
  if (!ite) return { ret: E_ITS.E_ITS_CLEAR_UNMAPPED_INTERRUPT };
  its.lpi.clearPending(ite.lpi);
  return { ret: 0 };
}

function inv(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const ite = its.findIte(deviceId(c), eventId(c));
  if (!ite) return { ret: E_ITS.E_ITS_INV_UNMAPPED_INTERRUPT };
  its.lpi.updateConfig(ite.lpi, -1);
  return { ret: 0 };
}

function invall(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const coll = its.findCollection(collectionId(c));
  if (!Its.mapped(coll)) return { ret: E_ITS.E_ITS_INVALL_UNMAPPED_COLLECTION, what: `collection ${collectionId(c)} is not mapped` };
  const n = its.lpi.invalidateAll(its.collectionVcpu(coll));
  return { ret: 0, what: `${n} LPI(s) re-read` };
}

function movall(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const t1 = targetAddr(c);
  const t2 = field(c, 3, 16, 32);
  if (t1 >= its.host.cpus || t2 >= its.host.cpus) return { ret: E_ITS.E_ITS_MOVALL_PROCNUM_OOR };
  if (t1 === t2) return { ret: 0 };
  // Mainline (since 6.10) walks the whole LPI xarray and retargets every LPI to RDbase2, not only
  // those targeting RDbase1; 6.1 moved only RDbase1's (vgic_copy_lpi_list filtered by vCPU).
  let n = 0;
  for (const intid of its.lpi.existing()) {
    its.lpi.setTarget(intid, t2);
    n++;
  }
  return { ret: 0, what: `${n} LPI(s) now target vCPU ${t2}` };
}

function int(its: Its, c: readonly bigint[]): { ret: number; what?: string } {
  const r = its.triggerMsi(deviceId(c), eventId(c));
  return { ret: r.ret, what: r.what };
}

const ev = (c: readonly bigint[]) => `DeviceID ${hex(deviceId(c))} EventID ${hex(eventId(c))}`;

/** KVM's command table; anything else returns -ENODEV (and is ignored like every error). */
export const ITS_COMMANDS: readonly CommandRow[] = [
  { opcode: CMD.MAPD, name: 'MAPD', describe: (c) => `MAPD DeviceID ${hex(deviceId(c))} Size ${sizeField(c)} ITT_addr ${hex(ittAddr(c))} V ${validBit(c)}`, run: mapd },
  { opcode: CMD.MAPC, name: 'MAPC', describe: (c) => `MAPC ICID ${collectionId(c)} RDbase ${targetAddr(c)} V ${validBit(c)}`, run: mapc },
  { opcode: CMD.MAPI, name: 'MAPI', describe: (c) => `MAPI ${ev(c)} ICID ${collectionId(c)}`, run: mapti },
  { opcode: CMD.MAPTI, name: 'MAPTI', describe: (c) => `MAPTI ${ev(c)} ICID ${collectionId(c)} pINTID ${physicalId(c)}`, run: mapti },
  { opcode: CMD.MOVI, name: 'MOVI', describe: (c) => `MOVI ${ev(c)} ICID ${collectionId(c)}`, run: movi },
  { opcode: CMD.DISCARD, name: 'DISCARD', describe: (c) => `DISCARD ${ev(c)}`, run: discard },
  { opcode: CMD.CLEAR, name: 'CLEAR', describe: (c) => `CLEAR ${ev(c)}`, run: clear },
  { opcode: CMD.MOVALL, name: 'MOVALL', describe: (c) => `MOVALL RDbase1 ${targetAddr(c)} RDbase2 ${field(c, 3, 16, 32)}`, run: movall },
  { opcode: CMD.INT, name: 'INT', describe: (c) => `INT ${ev(c)}`, run: int },
  { opcode: CMD.INV, name: 'INV', describe: (c) => `INV ${ev(c)}`, run: inv },
  { opcode: CMD.INVALL, name: 'INVALL', describe: (c) => `INVALL ICID ${collectionId(c)}`, run: invall },
  // "we ignore this command: we are in sync all of the time"
  { opcode: CMD.SYNC, name: 'SYNC', describe: (c) => `SYNC RDbase ${targetAddr(c)}`, run: () => ({ ret: 0 }) },
];

const BY_OPCODE = new Map(ITS_COMMANDS.map((r) => [r.opcode, r]));

export function commandName(opcode: number): string | undefined {
  return BY_OPCODE.get(opcode)?.name;
}

/** Decode and run one 32-byte command. */
export function runCommand(its: Its, cmd: readonly bigint[]): CommandOutcome {
  const opcode = field(cmd, 0, 0, 8);
  const row = BY_OPCODE.get(opcode);
  if (!row) return { text: `command ${hex(opcode)}`, ret: -ERRNO.ENODEV };
  const r = row.run(its, cmd);
  return { text: row.describe(cmd), ret: r.ret, what: r.what };
}

/** Build command words (for guests and tests): the inverse of the field layout above. */
export function encodeCommand(opcode: number, f: { deviceId?: number; eventId?: number; physicalId?: number; size?: number; icid?: number; ittAddr?: bigint; target?: number; target2?: number; valid?: boolean }): bigint[] {
  const w = [BigInt(opcode) | (BigInt(f.deviceId ?? 0) << 32n), 0n, 0n, 0n];
  if (f.size !== undefined) w[1] |= BigInt((f.size - 1) & 0x1f);
  if (f.eventId !== undefined) w[1] |= BigInt(f.eventId >>> 0);
  if (f.physicalId !== undefined) w[1] |= BigInt(f.physicalId >>> 0) << 32n;
  if (f.icid !== undefined) w[2] |= BigInt(f.icid & 0xffff);
  if (f.ittAddr !== undefined) w[2] |= f.ittAddr & (0xfffffffffffn << 8n);
  if (f.target !== undefined) w[2] |= BigInt(f.target >>> 0) << 16n;
  if (f.valid) w[2] |= 1n << 63n;
  if (f.target2 !== undefined) w[3] |= BigInt(f.target2 >>> 0) << 16n;
  return w;
}

