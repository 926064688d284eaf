// LPIs as KVM handles them (vgic-its.c update_lpi_config, vgic_add_lpi, its_sync_lpi_pending_table,
// vgic_its_invall; vgic-v3.c vgic_v3_lpi_sync_pending_status, vgic_v3_save_pending_tables; vgic.c
// vgic_flush_pending_lpis), on the shared interrupt store: an LPI is an edge-triggered Group 1
// interrupt whose priority and enable come from its byte in the property table (GICR_PROPBASER)
// and whose pending state is read from the target redistributor's pending table (GICR_PENDBASER)
// when it is mapped and when that redistributor enables LPIs. Delivery, acknowledge and EOI are the
// core's and the CPU interface's, as for every other interrupt.
//
// KVM keeps a struct vgic_irq per mapped LPI, reference-counted by the ITTEs that map it and by
// the ap_list that holds it. Here every LPI INTID has a slot; `refs` counts the ITTEs, and an LPI
// exists while it has one or sits on an ap_list (a discarded but still queued LPI is delivered, as
// in KVM). A slot that no longer exists is reset when it is mapped again. Walks over all LPIs go in
// INTID order, as KVM's LPI xarray does (6.9 and later; 6.1 walked its list in mapping order).

import { SideRecord } from '../../model/model';
import { LPI_BASE } from '../core/irq-store';
import { VgicCore } from '../core/vgic';
import { GuestMemory } from './memory';
import { hex } from '../../util/hex';

/** GICR_PROPBASER_ADDRESS: bits [51:12]. */
export const PROPBASER_ADDR_MASK = 0x000ffffffffff000n;
/** GICR_PENDBASER_ADDRESS: bits [51:16]. */
export const PENDBASER_ADDR_MASK = 0x000fffffffff0000n;
export const PENDBASER_PTZ = 1n << 62n;
/** INTERRUPT_ID_BITS_ITS. */
const ITS_ID_BITS = 16;

/** What the LPI machinery needs from the redistributors. */
export interface LpiHost {
  propbaser(): bigint;
  pendbaser(cpu: number): bigint;
  lpisEnabled(cpu: number): boolean;
}

export class LpiUnit {
  /** Per LPI (index intid - 8192): ITTEs that map it. */
  readonly refs: Uint16Array;
  private readonly base: number;
  /**
   * One past the largest LPI index add() ever created. Only add() creates an LPI, and an LPI gets
   * queued only through an ITTE or existing(), so no LPI at or above it can exist: existing() scans
   * up to here, not all ~57,000 slots, on every EnableLPIs, INVALL, MOVALL and table save.
   */
  private used = 0;
  /** Guest memory reads the last operation could not know (bytes), for notes. */
  missing = 0;

  constructor(
    readonly core: VgicCore,
    /** The CPU interface's implemented priority bits: the LR priority the hardware compares. */
    private readonly priMask: number,
    readonly mem: GuestMemory,
    private readonly log: SideRecord[],
    private readonly host: LpiHost,
  ) {
    this.base = core.irqs.lpiBase;
    this.refs = new Uint16Array(core.irqs.lpis);
  }

  slotOf(intid: number): number {
    return this.base + intid - LPI_BASE;
  }

  inRange(intid: number): boolean {
    return intid >= LPI_BASE && intid - LPI_BASE < this.refs.length;
  }

  /** vgic_get_irq(kvm, intid) for an LPI: mapped by an ITTE, or still on an ap_list. */
  exists(intid: number): boolean {
    if (!this.inRange(intid)) return false;
    return this.refs[intid - LPI_BASE] > 0 || this.core.irqs.queuedOn[this.slotOf(intid)] >= 0;
  }

  /** max_lpis_propbaser: one past the largest LPI INTID GICR_PROPBASER.IDbits allows. */
  limit(): number {
    const bits = Math.min(Number(this.host.propbaser() & 0x1fn) + 1, ITS_ID_BITS);
    return 2 ** bits;
  }

  /** vgic_add_lpi: take another reference on an existing LPI, or create it targeting `cpu` (-1: none). */
  add(intid: number, cpu: number): void {
    const i = intid - LPI_BASE;
    if (i >= this.used) this.used = i + 1;
    if (this.exists(intid)) {
      this.refs[i]++;
      return;
    }
    const s = this.core.irqs;
    const slot = this.slotOf(intid);
    s.enabled[slot] = 0;
    s.latch[slot] = 0;
    s.active[slot] = 0;
    s.priority[slot] = 0;
    s.group[slot] = 1;
    s.target[slot] = cpu;
    this.refs[i] = 1;
    this.dep(slot, 'route');
    this.updateConfig(intid, -1);
    this.syncPendingStatus(intid);
  }

  /** The put of its_free_ite: one ITTE less. */
  put(intid: number): void {
    const i = intid - LPI_BASE;
    if (this.refs[i] > 0) this.refs[i]--;
  }

  /**
   * update_lpi_config: read the LPI's property byte (priority [7:2], enable [0]) and queue it.
   * With `filterCpu` >= 0 only an LPI targeting that vCPU is updated. Returns false when filtered.
   */
  updateConfig(intid: number, filterCpu: number): boolean {
    const s = this.core.irqs;
    const slot = this.slotOf(intid);
    const r = this.mem.readU8((this.host.propbaser() & PROPBASER_ADDR_MASK) + BigInt(intid - LPI_BASE));
    if (r.missing) this.missing++;
    if (filterCpu >= 0 && s.target[slot] !== filterCpu) return false;
    s.priority[slot] = r.value & 0xfc & this.priMask;
    s.enabled[slot] = r.value & 1;
    this.dep(slot, 'priority');
    this.dep(slot, 'enabled');
    this.core.queue(slot);
    return true;
  }

  /** vgic_v3_lpi_sync_pending_status: pending state from the target's pending table; a set bit is consumed (cleared in memory). */
  syncPendingStatus(intid: number): void {
    const s = this.core.irqs;
    const slot = this.slotOf(intid);
    const cpu = s.target[slot];
    if (cpu < 0) return;
    const addr = (this.host.pendbaser(cpu) & PENDBASER_ADDR_MASK) + BigInt(intid >> 3);
    const r = this.mem.readU8(addr);
    if (r.missing) this.missing++;
    const bit = 1 << (intid & 7);
    s.latch[slot] = r.value & bit ? 1 : 0;
    this.dep(slot, 'pending');
    this.core.queue(slot);
    if (r.value & bit) this.memWrite(addr, new Uint8Array([r.value & ~bit]), `LPI ${intid} mapped: its pending bit in vCPU ${cpu}'s pending table is consumed (vgic_v3_lpi_sync_pending_status)`);
  }

  /** Existing LPI INTIDs in INTID order (KVM's xa_for_each over lpi_xa). */
  existing(): number[] {
    const out: number[] = [];
    const q = this.core.irqs.queuedOn;
    for (let i = 0; i < this.used; i++) if (this.refs[i] > 0 || q[this.base + i] >= 0) out.push(i + LPI_BASE);
    return out;
  }

  /** vgic_enable_lpis (GICR_CTLR.EnableLPIs 0 -> 1): unless PTZ, its_sync_lpi_pending_table. */
  enableLpis(cpu: number): void {
    const pendbaser = this.host.pendbaser(cpu);
    if (pendbaser & PENDBASER_PTZ) return;
    const s = this.core.irqs;
    const pendbase = pendbaser & PENDBASER_ADDR_MASK;
    let lastByte = -1;
    let byte = 0;
    for (const intid of this.existing()) {
      if (intid >> 3 !== lastByte) {
        const r = this.mem.readU8(pendbase + BigInt(intid >> 3));
        if (r.missing) this.missing++;
        byte = r.value;
        lastByte = intid >> 3;
      }
      const slot = this.slotOf(intid);
      if (s.target[slot] === cpu) {
        s.latch[slot] = byte & (1 << (intid & 7)) ? 1 : 0;
        this.dep(slot, 'pending');
      }
      this.core.queue(slot);
    }
  }

  /** vgic_flush_pending_lpis (EnableLPIs 1 -> 0): LPIs leave the vCPU's ap_list, their pending state stays. */
  flushPending(cpu: number): void {
    const s = this.core.irqs;
    this.core.unqueueWhere(cpu, (slot) => s.isLpi(slot));
  }

  /** vgic_its_inv_lpi (ITS INV, GICR_INVLPIR): re-read the LPI's configuration. False: no such LPI. */
  invalidate(intid: number): boolean {
    if (!this.exists(intid)) return false;
    this.updateConfig(intid, -1);
    return true;
  }

  /** vgic_its_invall (ITS INVALL, GICR_INVALLR): re-read the configuration of every LPI targeting `cpu`. Returns how many. */
  invalidateAll(cpu: number): number {
    let n = 0;
    for (const intid of this.existing()) if (this.updateConfig(intid, cpu)) n++;
    return n;
  }

  /** vgic_its_trigger_msi's tail: the LPI becomes pending and is queued. */
  trigger(intid: number): void {
    const slot = this.slotOf(intid);
    this.core.irqs.latch[slot] = 1;
    this.dep(slot, 'pending');
    this.core.queue(slot);
  }

  /** ITS CLEAR: pending_latch = false (a queued LPI leaves its list at the next prune). */
  clearPending(intid: number): void {
    const slot = this.slotOf(intid);
    this.core.irqs.latch[slot] = 0;
    this.dep(slot, 'pending');
    this.core.touch(slot);
  }

  /** update_affinity: the LPI now targets `cpu` (-1: none); a queued LPI moves at the next prune. */
  setTarget(intid: number, cpu: number): void {
    const slot = this.slotOf(intid);
    this.core.irqs.target[slot] = cpu;
    this.dep(slot, 'route');
    this.core.touch(slot);
  }

  target(intid: number): number {
    return this.core.irqs.target[this.slotOf(intid)];
  }

  /** vgic_v3_save_pending_tables: every LPI's pending state into its target's pending table, byte by byte where it differs. */
  savePendingTables(): number {
    const s = this.core.irqs;
    let lastAddr = -1n;
    let byte = 0;
    let written = 0;
    for (const intid of this.existing()) {
      const slot = this.slotOf(intid);
      const cpu = s.target[slot];
      if (cpu < 0) continue;
      const addr = (this.host.pendbaser(cpu) & PENDBASER_ADDR_MASK) + BigInt(intid >> 3);
      if (addr !== lastAddr) {
        const r = this.mem.readU8(addr);
        if (r.missing) this.missing++;
        byte = r.value;
        lastAddr = addr;
      }
      const bit = 1 << (intid & 7);
      const stored = (byte & bit) !== 0;
      if (stored === (s.latch[slot] !== 0)) continue;
      byte = s.latch[slot] ? byte | bit : byte & ~bit;
      this.memWrite(addr, new Uint8Array([byte]), `KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: LPI ${intid} ${s.latch[slot] ? 'pending' : 'not pending'} in vCPU ${cpu}'s pending table`);
      written++;
    }
    return written;
  }

  /** Guest memory the vGIC writes: stored, and reported as a side record. */
  memWrite(addr: bigint, bytes: Uint8Array, why: string): void {
    this.mem.write(addr, bytes);
    this.log.push({ kind: 'mem-write', addr, bytes, why });
  }

  private dep(slot: number, field: string): void {
    if (this.core.deps.enabled) this.core.deps.write(this.core.irqs.key(slot, field));
  }

  describe(intid: number): string {
    return `LPI ${intid} (${hex(intid)})`;
  }
}
