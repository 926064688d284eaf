// KVM's vITS (arch/arm64/kvm/vgic/vgic-its.c) as a guest and a VMM see it: the state behind the
// GITS_* registers, the device, collection and interrupt-translation mappings the commands build,
// MSI translation, and the command queue. Register handlers (its-table.ts), command handlers
// (commands.ts) and the save/restore tables (tables.ts) act on this state.
//
// KVM processes the command queue synchronously inside the GITS_CWRITER (or GITS_CTLR) write, so
// CREADR has caught up by the time the guest reads it, and it ignores every command's error:
// CREADR moves past a failing command and GITS_CREADR.Stalled never reads 1.

import { DepTracker } from '../../model/deps';
import { SideRecord } from '../../model/model';
import {
  ABI0_ESZ,
  BASER_INDIRECT,
  BASER_TYPE_COLLECTION,
  BASER_TYPE_DEVICE,
  BASER_TYPE_SHIFT,
  BASER_VALID,
  BASER_ENTRY_SIZE_SHIFT,
  baserAddress,
  baserEntrySize,
  baserTableBytes,
  baserType,
  CBASER_ADDR_MASK,
  cmdQueueBytes,
  CMD_SIZE,
  COLLECTION_NOT_MAPPED,
  DEVICE_ID_BITS,
  E_ITS,
  ERRNO,
  INITIAL_BASER,
  L1E_ADDR_MASK,
  L1E_VALID,
  resultName,
} from './abi';
import { LpiUnit } from './lpi';
import { leU64 } from './memory';
import { hex } from '../../util/hex';

export interface ItsDevice {
  id: number;
  ittAddr: bigint;
  eventBits: number;
  /** ITTEs in KVM's list order (mapping order; sorted by EventID by a table save). */
  ites: ItsIte[];
}

export interface ItsCollection {
  id: number;
  /** vCPU ID, or COLLECTION_NOT_MAPPED. */
  target: number;
}

export interface ItsIte {
  event: number;
  lpi: number;
  /** null once MAPC V=0 freed the collection (vgic_its_free_collection). */
  coll: ItsCollection | null;
}

/**
 * The command table (commands.ts runCommand), handed in by vits.ts: the commands act on the
 * ITS's state, so the state must not import them back (that would be a module cycle).
 */
export type CommandRunner = (its: Its, cmd: readonly bigint[]) => { text: string; ret: number; what?: string };

/** What the ITS needs from the rest of the vGIC. */
export interface ItsHost {
  readonly cpus: number;
  lpisEnabled(cpu: number): boolean;
}

export class Its {
  enabled = false;
  cbaser = 0n;
  creadr = 0;
  cwriter = 0;
  baserDevice: bigint;
  baserColl: bigint;
  abiRev = 0;
  /** Lists in KVM's order (list_add_tail; a table save sorts the device list by DeviceID). */
  readonly devices: ItsDevice[] = [];
  readonly collections: ItsCollection[] = [];

  constructor(
    readonly lpi: LpiUnit,
    readonly host: ItsHost,
    readonly log: SideRecord[],
    readonly deps: DepTracker,
    private readonly runCommand: CommandRunner,
  ) {
    // vgic_its_create, then vgic_its_set_abi(NR_ITS_ABIS - 1) commits the entry sizes.
    this.baserDevice = INITIAL_BASER | (BASER_TYPE_DEVICE << BASER_TYPE_SHIFT);
    this.baserColl = INITIAL_BASER | (BASER_TYPE_COLLECTION << BASER_TYPE_SHIFT);
    this.commitAbi();
  }

  /** vgic_its_commit_v0: the BASERs' Entry_Size fields say 8 bytes. */
  commitAbi(): void {
    const field = 0x1fn << BASER_ENTRY_SIZE_SHIFT;
    const esz = BigInt(ABI0_ESZ - 1) << BASER_ENTRY_SIZE_SHIFT;
    this.baserDevice = (this.baserDevice & ~field) | esz;
    this.baserColl = (this.baserColl & ~field) | esz;
  }

  dep(key: string, write: boolean): void {
    if (!this.deps.enabled) return;
    if (write) this.deps.write(`its:${key}`);
    else this.deps.read(`its:${key}`);
  }

  findDevice(id: number): ItsDevice | undefined {
    for (const d of this.devices) if (d.id === id) return d;
    return undefined;
  }

  findCollection(id: number): ItsCollection | undefined {
    for (const c of this.collections) if (c.id === id) return c;
    return undefined;
  }

  findIte(devId: number, event: number): ItsIte | undefined {
    const d = this.findDevice(devId);
    if (!d) return undefined;
    for (const i of d.ites) if (i.event === event) return i;
    return undefined;
  }

  /** collection_to_vcpu (kvm_get_vcpu_by_id): the vCPU a mapped collection targets, or -1. */
  collectionVcpu(c: ItsCollection | null | undefined): number {
    if (!c || c.target === COLLECTION_NOT_MAPPED) return -1;
    return c.target < this.host.cpus ? c.target : -1;
  }

  static mapped(c: ItsCollection | null | undefined): c is ItsCollection {
    return !!c && c.target !== COLLECTION_NOT_MAPPED;
  }

  // ---- allocation and teardown (vgic_its_alloc_* / vgic_its_free_*) ----

  allocCollection(id: number): ItsCollection {
    const c = { id, target: COLLECTION_NOT_MAPPED };
    this.collections.push(c);
    return c;
  }

  freeCollection(id: number): void {
    const c = this.findCollection(id);
    if (!c) return;
    for (const d of this.devices) for (const i of d.ites) if (i.coll && i.coll.id === id) i.coll = null;
    this.collections.splice(this.collections.indexOf(c), 1);
  }

  freeIte(d: ItsDevice, ite: ItsIte): void {
    d.ites.splice(d.ites.indexOf(ite), 1);
    this.lpi.put(ite.lpi);
  }

  freeDevice(d: ItsDevice): void {
    for (const i of [...d.ites]) this.freeIte(d, i);
    this.devices.splice(this.devices.indexOf(d), 1);
  }

  freeDeviceList(): void {
    for (const d of [...this.devices]) this.freeDevice(d);
  }

  freeCollectionList(): void {
    for (const c of [...this.collections]) this.freeCollection(c.id);
  }

  // ---- table geometry ----

  /**
   * vgic_its_check_id: where a DeviceID or ICID lives in the table a BASER describes, or null when
   * it cannot be stored there. Every address is taken as visible guest RAM (the trace does not
   * carry KVM's memslots); an indirect table's level-1 entry is read from guest memory.
   */
  checkId(baser: bigint, id: number): bigint | null {
    const type = baserType(baser);
    if (type === BASER_TYPE_DEVICE) {
      if (id >= 2 ** DEVICE_ID_BITS) return null;
    } else if (type === BASER_TYPE_COLLECTION) {
      if (id >= 1 << 16) return null;
    } else {
      return null;
    }
    const l1 = baserTableBytes(baser);
    const esz = baserEntrySize(baser);
    const base = baserAddress(baser);
    if (!(baser & BASER_INDIRECT)) {
      if (id >= Math.floor(l1 / esz)) return null;
      return base + BigInt(id * esz);
    }
    const perPage = Math.floor(0x10000 / esz);
    const index = Math.floor(id / perPage);
    if (index >= l1 / 8) return null;
    const e = this.lpi.mem.readU64(base + BigInt(index * 8));
    if (e.missing) this.lpi.missing++;
    if (!(e.value & L1E_VALID)) return null;
    return (e.value & L1E_ADDR_MASK) + BigInt((id % perPage) * esz);
  }

  // ---- MSI translation (vgic_its_resolve_lpi / vgic_its_trigger_msi) ----

  /** 0 delivered, an E_ITS code for a mapping error, or a negative errno (-EBUSY). `what` says what happened. */
  triggerMsi(devId: number, event: number): { ret: number; what: string } {
    if (!this.enabled) return { ret: -ERRNO.EBUSY, what: 'the ITS is disabled (GITS_CTLR.Enabled = 0)' };
    this.dep('map', false);
    const ite = this.findIte(devId, event);
    if (!ite || !Its.mapped(ite.coll)) {
      return { ret: E_ITS.E_ITS_INT_UNMAPPED_INTERRUPT, what: ite ? `DeviceID ${hex(devId)} EventID ${hex(event)} maps to an unmapped collection` : `no mapping for DeviceID ${hex(devId)} EventID ${hex(event)}` };
    }
    const cpu = this.collectionVcpu(ite.coll);
    if (cpu < 0) return { ret: E_ITS.E_ITS_INT_UNMAPPED_INTERRUPT, what: `collection ${ite.coll.id} targets vCPU ${ite.coll.target}, which does not exist` };
    if (this.deps.enabled) this.deps.read(`redist${cpu}:ctlr`);
    if (!this.host.lpisEnabled(cpu)) return { ret: -ERRNO.EBUSY, what: `LPIs are disabled on vCPU ${cpu}'s redistributor (GICR_CTLR.EnableLPIs = 0)` };
    this.lpi.trigger(ite.lpi);
    return { ret: 0, what: `LPI ${ite.lpi} pending on vCPU ${cpu}` };
  }

  // ---- command queue (vgic_its_process_commands) ----

  processCommands(): void {
    if (!this.enabled) return;
    this.dep('cmdq', true);
    const base = this.cbaser & CBASER_ADDR_MASK;
    const size = cmdQueueBytes(this.cbaser);
    // cwriter and creadr are both below `size`, so one lap at most.
    for (let n = 0; this.cwriter !== this.creadr && n <= size / CMD_SIZE; n++) {
      const at = this.creadr;
      const r = this.lpi.mem.read(base + BigInt(at), CMD_SIZE);
      const cmd = [leU64(r.bytes, 0), leU64(r.bytes, 8), leU64(r.bytes, 16), leU64(r.bytes, 24)];
      this.lpi.missing = 0;
      const out = this.runCommand(this, cmd);
      let result = out.ret === 0 ? 'ok' : out.ret === -ERRNO.ENODEV ? 'ignored: not a command KVM handles (-ENODEV)' : `${resultName(out.ret)}: KVM ignores the error, CREADR moves on`;
      if (out.what) result = `${result}; ${out.what}`;
      if (r.missing) result += `; ${r.missing} of the command's 32 bytes are not in the trace (read as 0)`;
      if (this.lpi.missing) result += `; ${this.lpi.missing} table byte(s) read from guest memory the trace does not carry (read as 0)`;
      this.log.push({ kind: 'its-cmd', at, command: out.text, result });
      this.creadr += CMD_SIZE;
      if (this.creadr === size) this.creadr = 0;
    }
  }

  /** vgic_its_reset (KVM_DEV_ARM_ITS_CTRL_RESET): tables invalid (ABI fields kept), queue empty, disabled, mappings freed. */
  reset(): void {
    this.baserColl &= ~BASER_VALID;
    this.baserDevice &= ~BASER_VALID;
    this.cbaser = 0n;
    this.creadr = 0;
    this.cwriter = 0;
    this.enabled = false;
    this.freeDeviceList();
    this.freeCollectionList();
    this.dep('ctlr', true);
    this.dep('cmdq', true);
    this.dep('map', true);
  }
}

export { baserAddress, hex };
