// The virtual CPU interface as the architecture defines it (GICv3 ICV_* / GICv2 GICV_*), run
// over the interrupts KVM put in the list registers (list-registers.ts: the head of the vCPU's
// ap_list, policy host.listRegisters of them; the whole list when unlimited).
// KVM never executes this logic (the hardware does), so it follows the architecture, with the
// GICv2 differences as flavour options. The exception is a host whose KVM traps the GICv3
// interface (policy host.cpuifTraps): the trapped registers are then answered by KVM's own
// emulation (hyp/vgic-v3-sr.c), whose few departures from the architecture are kept here too:
// see KvmTraps and engine/gic/MODEL.md "Trapped CPU interface".
// The GICv2 differences as flavour options:
//   - GICv2 IAR acknowledges Group 1 only with AckCtl=1, else returns 1022;
//   - GICv2 signals Group 0 as FIQ only with FIQEn=1 (GICv3 Group 0 is always vFIQ);
//   - GICv2 IAR carries the SGI source CPU in bits [12:10], one acknowledge per source, lowest first;
//   - GICv2 AIAR/AEOIR/AHPPIR are Group 1 aliases (use ACK_G1).

import { hex } from '../../util/hex';
import { CONFIG_EDGE, NR_SGIS } from './irq-store';
import { VgicCore } from './vgic';

export interface CpuIfFlavour {
  /** GICv2: SGI source in IAR bits [12:10]; one instance per source, lowest source first. */
  sgiSource: boolean;
  /** GICv2: Group 0 is FIQ only when FIQEn=1. GICv3: Group 0 is always vFIQ. */
  fiqEnGatesGroup0: boolean;
}

export const FLAVOUR_V3: CpuIfFlavour = { sgiSource: false, fiqEnGatesGroup0: false };
export const FLAVOUR_V2: CpuIfFlavour = { sgiSource: true, fiqEnGatesGroup0: true };

/** Which acknowledge register: Group 0 (ICC_IAR0), Group 1 (ICC_IAR1, GICC_AIAR), or GICv2 GICC_IAR. */
export const ACK_G0 = 0;
export const ACK_G1 = 1;
export const ACK_V2 = 2;
export type AckKind = typeof ACK_G0 | typeof ACK_G1 | typeof ACK_V2;

export const INTID_SPURIOUS = 1023;
/** GICv2: the highest pending interrupt is Group 1 and AckCtl=0. */
export const INTID_GROUP1_NO_ACKCTL = 1022;

/**
 * Where KVM's trapped emulation (hyp/vgic-v3-sr.c; read in mainline, measured the same on 6.1
 * and 6.12) answers differently from the architecture the hardware follows. Per trap group, decided once from
 * policy host.cpuifTraps (GICv3 only; a GICv2 guest's GICC_* never trap).
 */
interface KvmTraps {
  /** ICC_IAR0/EOIR0 (TALL0) and ICC_IAR1/EOIR1 (TALL1), by group. */
  group: [boolean, boolean];
  /** ICC_PMR_EL1 and ICC_DIR_EL1 (TC). */
  common: boolean;
}

/** One vCPU's interface state (ICH_VMCR and the APRs). */
export class CpuIfState {
  pmr = 0;
  bpr0: number;
  bpr1: number;
  cbpr = 0;
  eoiMode = 0;
  grpEn0 = 0;
  grpEn1 = 0;
  /** GICv2 only. */
  ackCtl = 0;
  fiqEn = 0;
  readonly apr0 = new Uint32Array(4);
  readonly apr1 = new Uint32Array(4);
  constructor(minBpr0: number) {
    this.bpr0 = minBpr0;
    this.bpr1 = minBpr0 + 1;
  }
}

/** The fields of a listed interrupt the highest-pending choice reads (pending() also reads mode and line). */
const HPPI_INPUTS = ['pending', 'config', 'level', 'active', 'enabled', 'priority', 'group'] as const;

export class CpuInterface {
  readonly state: CpuIfState[] = [];
  /** Implemented priority mask (PRIbits). */
  readonly priMask: number;
  readonly minBpr0: number;
  /** Number of implemented APR registers per group (1, 2 or 4). */
  readonly aprCount: number;
  private readonly aprShift: number;
  private readonly irqOut: Uint8Array;
  private readonly fiqOut: Uint8Array;
  /** Bumped whenever a recomputation changes any vCPU's IRQ or FIQ output (see outputEpoch()). */
  private epoch = 0;
  private readonly traps: KvmTraps;
  /** The host's ICH_VMCR_EL2 keeps all 8 PMR bits KVM writes there (policy host.vmcrPmr all-bits). */
  private readonly vmcrPmrAllBits: boolean;

  constructor(
    private readonly core: VgicCore,
    readonly flavour: CpuIfFlavour,
  ) {
    const host = core.policy.host;
    this.priMask = (0xff << (8 - host.priBits)) & 0xff;
    this.minBpr0 = 7 - host.preBits;
    this.aprShift = 8 - host.preBits;
    this.aprCount = host.preBits >= 7 ? 4 : host.preBits === 6 ? 2 : 1;
    const t = flavour.sgiSource ? [] : host.cpuifTraps;
    this.traps = { group: [t.includes('group0'), t.includes('group1')], common: t.includes('common') };
    this.vmcrPmrAllBits = !flavour.sgiSource && host.vmcrPmr === 'all-bits';
    for (let c = 0; c < core.cpus; c++) this.state.push(new CpuIfState(this.minBpr0));
    this.irqOut = new Uint8Array(core.cpus);
    this.fiqOut = new Uint8Array(core.cpus);
  }

  private dep(cpu: number, name: string, write: boolean): void {
    const d = this.core.deps;
    if (!d.enabled) return;
    if (write) d.write(`cpu${cpu}:${name}`);
    else d.read(`cpu${cpu}:${name}`);
  }

  /** Dependency reads of every implemented APR (the running priority depends on all of them). */
  private depReadAprs(cpu: number): void {
    if (!this.core.deps.enabled) return;
    for (let n = 0; n < this.aprCount; n++) {
      this.core.deps.read(`cpu${cpu}:ap0r${n}`);
      this.core.deps.read(`cpu${cpu}:ap1r${n}`);
    }
  }

  /** Group-priority mask of a group (ICV gprio mask): G0 ~0 << (BPR0+1), G1 ~0 << BPR1, CBPR makes G1 use G0's. */
  groupMask(cpu: number, group: number): number {
    const st = this.state[cpu];
    if (group === 0 || st.cbpr) return (0xff << (st.bpr0 + 1)) & 0xff;
    return (0xff << st.bpr1) & 0xff;
  }

  /**
   * KVM's trapped __vgic_v3_pri_to_pre mask: as groupMask, except that with CBPR Group 1 takes
   * __vgic_v3_get_bpr1's BPR0 + 1 capped at 7 (BPR0 = 7 masks 0x80 where the architecture masks 0).
   */
  private trappedGroupMask(cpu: number, group: number): number {
    const st = this.state[cpu];
    if (group === 0) return (0xff << (st.bpr0 + 1)) & 0xff;
    return (0xff << (st.cbpr ? Math.min(st.bpr0 + 1, 7) : st.bpr1)) & 0xff;
  }

  /** The group-priority mask an acknowledge or EOI of `group` uses: KVM's own when that group traps. */
  private priorityMask(cpu: number, group: number, trapped: boolean): number {
    return trapped ? this.trappedGroupMask(cpu, group) : this.groupMask(cpu, group);
  }

  /** Running priority: the group priority of the lowest set APR bit, 0xFF when none. */
  runningPriority(cpu: number): number {
    const st = this.state[cpu];
    for (let i = 0; i < this.aprCount; i++) {
      const v = (st.apr0[i] | st.apr1[i]) >>> 0;
      if (v !== 0) return (((i << 5) + ctz32(v)) << this.aprShift) & 0xff;
    }
    return 0xff;
  }

  private groupEnabled(st: CpuIfState, group: number): boolean {
    return group === 0 ? st.grpEn0 !== 0 : st.grpEn1 !== 0;
  }

  /**
   * The highest-priority pending interrupt the vCPU's LRs would present: pending, not active,
   * enabled, its group enabled at the interface (any group with `anyGroup`); first in ap_list
   * order on equal priority.
   */
  hppiSlot(cpu: number, track = true, anyGroup = false): number {
    this.core.settle();
    const s = this.core.irqs;
    const st = this.state[cpu];
    const lrs = this.core.lrs;
    const n = lrs.viewLength(cpu);
    let best = -1;
    let bestPrio = 0x100;
    for (let i = 0; i < n; i++) {
      const slot = lrs.viewAt(cpu, i);
      if (s.active[slot] || !s.enabled[slot] || !s.pending(slot)) continue;
      if (!anyGroup && !this.groupEnabled(st, s.group[slot])) continue;
      const p = s.priority[slot];
      if (p < bestPrio) {
        best = slot;
        bestPrio = p;
      }
    }
    if (track && this.core.deps.enabled) {
      // The list (its members and order; the list registers are loaded from it), and everything
      // the choice above looked at.
      const list = this.core.apList[cpu];
      this.core.deps.read(`cpu${cpu}:aplist`);
      for (let i = 0; i < list.length; i++) {
        for (const f of HPPI_INPUTS) this.core.depRead(list[i], f);
      }
      this.dep(cpu, 'igrpen0', false);
      this.dep(cpu, 'igrpen1', false);
      // GICv2: AckCtl and FIQEn (GICC_CTLR) decide what an IAR of either group returns.
      this.dep(cpu, 'ctlr', false);
    }
    return best;
  }

  /** Whether an interrupt of priority `prio` in `group` beats PMR and the running priority. */
  canPreempt(cpu: number, prio: number, group: number): boolean {
    const st = this.state[cpu];
    if (prio >= st.pmr) return false;
    const rpr = this.runningPriority(cpu);
    if (rpr === 0xff) return true;
    const m = this.groupMask(cpu, group);
    return (prio & m) < (rpr & m);
  }

  /**
   * The highest-priority pending interrupt in the loaded LRs as the KVM host rules
   * (engine/backend/kvm/qemu-gicv.ts) need it to say what a host's GICV answers by itself: INTID,
   * GICv2 SGI source (lowest, as KVM loads it), priority and group; with `anyGroup` whatever the
   * interface's group enables. Null when none. Records no dependencies and changes nothing a replay sees.
   */
  topPending(cpu: number, anyGroup: boolean): { intid: number; source: number; priority: number; group: number } | null {
    const slot = this.hppiSlot(cpu, false, anyGroup);
    if (slot < 0) return null;
    const s = this.core.irqs;
    const intid = s.intidOf(slot);
    return { intid, source: (this.intidWithSource(slot, false) - intid) >>> 10, priority: s.priority[slot], group: s.group[slot] };
  }

  /**
   * KVM's trapped __vgic_v3_read_iar: PMR as above, then the running priority unmasked against
   * the candidate's preemption level (`hap <= pri_to_pre(lr_prio)` is spurious).
   */
  private trappedCanPreempt(cpu: number, prio: number, group: number): boolean {
    if (prio >= this.state[cpu].pmr) return false;
    return (prio & this.trappedGroupMask(cpu, group)) < this.runningPriority(cpu);
  }

  private intidWithSource(slot: number, forAck: boolean): number {
    const s = this.core.irqs;
    const intid = s.intidOf(slot);
    if (!this.flavour.sgiSource || intid >= NR_SGIS || !s.isPrivate(slot)) return intid;
    const src = s.source[slot] !== 0 ? ctz32(s.source[slot]) : 0;
    void forAck;
    return intid | (src << 10);
  }

  /** HPPIR0/1 (HPPI in that group, else 1023), GICv2 HPPIR (1022 rule), AHPPIR (ACK_G1). No PMR check. */
  hppir(cpu: number, kind: AckKind): number {
    const slot = this.hppiSlot(cpu);
    if (slot < 0) return INTID_SPURIOUS;
    const g = this.core.irqs.group[slot];
    if (kind === ACK_V2) {
      if (g === 1 && !this.state[cpu].ackCtl) return INTID_GROUP1_NO_ACKCTL;
      return this.intidWithSource(slot, false);
    }
    return g === kind ? this.intidWithSource(slot, false) : INTID_SPURIOUS;
  }

  /** IAR: acknowledge the HPPI if it is of the right group and can preempt; else 1023 (or 1022). */
  acknowledge(cpu: number, kind: AckKind): number {
    const slot = this.hppiSlot(cpu);
    this.dep(cpu, 'pmr', false);
    this.depReadAprs(cpu);
    if (slot < 0) return INTID_SPURIOUS;
    const s = this.core.irqs;
    const g = s.group[slot];
    const prio = s.priority[slot];
    if (kind !== ACK_V2 && g !== kind) return INTID_SPURIOUS;
    const trapped = kind !== ACK_V2 && this.traps.group[kind];
    if (!(trapped ? this.trappedCanPreempt(cpu, prio, g) : this.canPreempt(cpu, prio, g))) return INTID_SPURIOUS;
    if (kind === ACK_V2 && g === 1 && !this.state[cpu].ackCtl) return INTID_GROUP1_NO_ACKCTL;
    const intid = s.intidOf(slot);
    let value = intid;
    if (this.flavour.sgiSource && intid < NR_SGIS && s.isPrivate(slot)) {
      // One instance per source, lowest source first; other sources stay pending.
      const src = s.source[slot] !== 0 ? ctz32(s.source[slot]) : 0;
      s.source[slot] &= ~(1 << src);
      s.latch[slot] = s.source[slot] !== 0 ? 1 : 0;
      s.activeSource[slot] = src;
      value = intid | (src << 10);
    } else if (s.config[slot] === CONFIG_EDGE) {
      s.latch[slot] = 0;
    }
    // A level interrupt keeps its latch until it is fully inactive (KVM clears it when the LR
    // state folds back to invalid), so ISPENDR still reads it while active.
    s.active[slot] = 1;
    const bit = (prio & this.priorityMask(cpu, g, trapped)) >> this.aprShift;
    const apr = g === 0 ? this.state[cpu].apr0 : this.state[cpu].apr1;
    apr[bit >> 5] = (apr[bit >> 5] | (1 << (bit & 31))) >>> 0;
    if (this.core.deps.enabled) {
      this.core.deps.write(s.key(slot, 'active'));
      this.core.deps.write(s.key(slot, 'pending'));
      this.dep(cpu, `ap${g}r${bit >> 5}`, true);
    }
    this.core.touch(slot);
    this.core.touchCpu(cpu);
    this.core.settle();
    return value;
  }

  /**
   * Clear the lowest set APR bit (Group 0 first at the same level; KVM's trapped
   * __vgic_v3_clear_highest_active_priority takes Group 1 first: `c0 < c1` clears AP0); its group
   * priority, or 0xFF.
   */
  private dropPriority(cpu: number, group1First = false): number {
    const st = this.state[cpu];
    for (let i = 0; i < this.aprCount; i++) {
      const a0 = st.apr0[i];
      const a1 = st.apr1[i];
      if (!a0 && !a1) continue;
      if (!a1 || (a0 && (group1First ? ctz32(a0) < ctz32(a1) : ctz32(a0) <= ctz32(a1)))) {
        st.apr0[i] = (a0 & (a0 - 1)) >>> 0;
        this.dep(cpu, `ap0r${i}`, true);
        return (((i << 5) + ctz32(a0)) << this.aprShift) & 0xff;
      }
      st.apr1[i] = (a1 & (a1 - 1)) >>> 0;
      this.dep(cpu, `ap1r${i}`, true);
      return (((i << 5) + ctz32(a1)) << this.aprShift) & 0xff;
    }
    return 0xff;
  }

  /** The active interrupt this vCPU holds with INTID (and GICv2 SGI source) from an EOIR/DIR value, or -1. */
  private findActive(cpu: number, value: number, trapped = false): number {
    const s = this.core.irqs;
    // KVM's trapped __vgic_v3_find_active_lr compares the whole 32-bit value with the LR's vINTID.
    if (trapped && value >>> 24 !== 0) return -1;
    const intid = this.flavour.sgiSource ? value & 0x3ff : value & 0xffffff;
    if (!s.hasIntid(intid)) return -1;
    const slot = s.slot(cpu, intid);
    if (!s.active[slot]) return -1;
    if (!s.isPrivate(slot) && s.queuedOn[slot] !== cpu) return -1;
    if (this.flavour.sgiSource && intid < NR_SGIS && s.activeSource[slot] !== ((value >> 10) & 7)) return -1;
    return slot;
  }

  /**
   * 6.1/6.12 (kernel.lrOverflow active-first): an EOI or DIR finds only an interrupt in one of the
   * vCPU's list registers (the hardware's, or hyp's __vgic_v3_find_active_lr); for any other it
   * only bumps ICH_HCR_EL2.EOIcount, which those kernels never read, so the interrupt stays
   * active. Mainline handles EOIcount and traps DIR, so the deactivation reaches it there.
   */
  private outsideLrs(cpu: number, slot: number): boolean {
    const lrs = this.core.lrs;
    if (!lrs.limited) return false;
    // A running vCPU's list registers stay as its entry loaded them, so asking what they hold
    // first changes nothing, and the kernel's rule is asked only for an interrupt outside them
    // (policy/consults.ts: a replay that never asks can stand for either kernel). An out vCPU's
    // holds() may reload (and sort) its list, which only 6.1/6.12 do here: rule first.
    if (lrs.isFrozen(cpu)) return !lrs.holds(cpu, slot) && this.core.policy.kernel.lrOverflow === 'active-first';
    return this.core.policy.kernel.lrOverflow === 'active-first' && !lrs.holds(cpu, slot);
  }

  private deactivate(slot: number): void {
    const s = this.core.irqs;
    s.active[slot] = 0;
    // The LR folds back to invalid: a level interrupt's latch clears (a high line re-pends it).
    if (s.config[slot] !== CONFIG_EDGE) s.latch[slot] = 0;
    if (this.core.deps.enabled) {
      this.core.deps.write(s.key(slot, 'active'));
      this.core.deps.write(s.key(slot, 'pending'));
    }
    this.core.touch(slot);
  }

  /**
   * EOIR0/1, GICv2 EOIR (ACK_V2, any group) and AEOIR (ACK_G1): priority drop, plus deactivation
   * when EOImode=0 and the interrupt's group and group priority match the dropped priority.
   * Returns a sentence when the write did less than a plain EOI.
   */
  endOfInterrupt(cpu: number, value: number, kind: AckKind): string | undefined {
    const intid = this.flavour.sgiSource ? value & 0x3ff : value & 0xffffff;
    const trapped = kind !== ACK_V2 && this.traps.group[kind];
    // Only the special INTIDs are ignored outright; any other value drops the running priority
    // (ICV_EOIR), and deactivates what it names if that is active here (LPIs included). KVM's
    // trapped __vgic_v3_write_eoir drops the priority "in any case", special INTIDs too.
    if (intid >= 1020 && intid <= 1023 && !trapped) return `ignored: INTID ${intid} is a special INTID`;
    this.depReadAprs(cpu);
    const dropped = this.dropPriority(cpu, trapped);
    this.core.touchCpu(cpu);
    if (dropped === 0xff) {
      this.core.settle();
      return 'ignored: no active priority to drop';
    }
    const slot = this.findActive(cpu, value, trapped);
    let effect: string | undefined;
    if (slot < 0 && trapped && intid >= 1020 && intid <= 1023) {
      effect = `priority dropped (KVM's trapped EOIR drops it for any INTID); INTID ${intid} is a special INTID`;
    } else if (slot < 0 && trapped && value >>> 24 !== 0) {
      effect = `priority dropped; ${hex(value)} names no list register's INTID (KVM's trapped EOIR compares all 32 bits)`;
    } else if (slot < 0) {
      effect = `priority dropped; INTID ${intid} is not active on this vCPU`;
    } else if (this.outsideLrs(cpu, slot)) {
      effect = `priority dropped; INTID ${intid} is in no list register (EOIcount only), not deactivated`;
    } else {
      const s = this.core.irqs;
      const g = s.group[slot];
      if (kind !== ACK_V2 && g !== kind) effect = `priority dropped; INTID ${intid} is Group ${g}, not deactivated by a Group ${kind} EOI`;
      else if ((s.priority[slot] & this.priorityMask(cpu, g, trapped)) !== dropped) effect = `priority dropped (0x${dropped.toString(16)}); INTID ${intid} has another priority, not deactivated`;
      else if (this.state[cpu].eoiMode) effect = undefined;
      else this.deactivate(slot);
    }
    this.core.settle();
    return effect;
  }

  /** DIR: deactivate without a priority drop; only with EOImode=1. */
  deactivateInterrupt(cpu: number, value: number): string | undefined {
    const intid = value & (this.flavour.sgiSource ? 0x3ff : 0xffffff);
    if (!this.state[cpu].eoiMode) return 'ignored: DIR has no effect with EOImode=0';
    if (intid >= 1020 && intid <= 1023) return `ignored: INTID ${intid} is a special INTID`;
    let slot = this.findActive(cpu, value, this.traps.common);
    // GICv3 on mainline: KVM traps ICC_DIR_EL1 (ICH_HCR_EL2.TDIR) and vgic_v3_deactivate()
    // deactivates an SPI wherever it is active, also in another vCPU's list registers (selftest
    // vgic_irq guest_code_asym_dir). Kernels before that series (6.1, 6.12: the policy's
    // kernel.dirDeactivatesOtherVcpus) let ICV_DIR_EL1 reach only the vCPU's own list registers.
    // A GICv2 GICC_DIR goes to the local hardware GICV and cannot reach another vCPU at all.
    if (slot < 0 && !this.flavour.sgiSource && this.core.policy.kernel.dirDeactivatesOtherVcpus) slot = this.findActiveSpi(value);
    if (slot < 0) return `ignored: INTID ${intid} is not active on this vCPU`;
    if (this.outsideLrs(cpu, slot)) return `ignored: INTID ${intid} is in no list register (EOIcount only), not deactivated`;
    this.deactivate(slot);
    this.core.settle();
    return undefined;
  }

  /** An SPI that is active on any vCPU, by INTID. */
  private findActiveSpi(value: number): number {
    const s = this.core.irqs;
    const intid = value & 0xffffff;
    if (intid < 32 || intid >= s.nrIrqs) return -1;
    const slot = s.slot(0, intid);
    return s.active[slot] ? slot : -1;
  }

  // ---- outputs ----

  /** IRQ (bit 0) and FIQ (bit 1) the vCPU's interface signals now. */
  private outputsOf(c: number): number {
    const s = this.core.irqs;
    const slot = this.hppiSlot(c, false);
    if (slot < 0 || !this.canPreempt(c, s.priority[slot], s.group[slot])) return 0;
    if (s.group[slot] === 1) return 1;
    return !this.flavour.fiqEnGatesGroup0 || this.state[c].fiqEn ? 2 : 1;
  }

  /** Recompute the outputs of the vCPUs the core marked stale (VgicCore.outputStale). */
  private recomputeOutputs(): void {
    const stale = this.core.outputStale;
    for (let c = 0; c < this.core.cpus; c++) {
      if (!stale[c]) continue;
      stale[c] = 0;
      const o = this.outputsOf(c);
      const irq = o & 1;
      const fiq = o >> 1;
      if (this.irqOut[c] !== irq || this.fiqOut[c] !== fiq) this.epoch++;
      this.irqOut[c] = irq;
      this.fiqOut[c] = fiq;
    }
    this.core.outputsStale = false;
    if (this.core.verifyIncremental) {
      for (let c = 0; c < this.core.cpus; c++) {
        const o = this.outputsOf(c);
        if ((o & 1) !== this.irqOut[c] || o >> 1 !== this.fiqOut[c]) throw new Error(`incremental output missed a change: vCPU ${c} signals IRQ=${o & 1} FIQ=${o >> 1}, the cache holds IRQ=${this.irqOut[c]} FIQ=${this.fiqOut[c]}`);
      }
    }
  }

  /** A number that changes whenever any vCPU's output changed since it was last asked (GicModel.outputEpoch). */
  outputEpoch(): number {
    this.core.settle();
    if (this.core.outputsStale) this.recomputeOutputs();
    return this.epoch;
  }

  irqOutput(cpu: number): 0 | 1 {
    this.core.settle();
    if (this.core.outputsStale) this.recomputeOutputs();
    return this.irqOut[cpu] as 0 | 1;
  }

  fiqOutput(cpu: number): 0 | 1 {
    this.core.settle();
    if (this.core.outputsStale) this.recomputeOutputs();
    return this.fiqOut[cpu] as 0 | 1;
  }

  // ---- register-level setters shared by ICC_* and GICC_* ----

  /**
   * PMR keeps the implemented priority bits. Returns the stored value. `user`: a VMM's write,
   * which KVM stores in the saved ICH_VMCR_EL2, as it does the guest's own when it traps the
   * common registers; a host whose VMCR keeps all 8 bits (host.vmcrPmr) keeps them then.
   */
  writePmr(cpu: number, v: number, user = false): number {
    const st = this.state[cpu];
    st.pmr = v & (this.vmcrPmrAllBits && (user || this.traps.common) ? 0xff : this.priMask);
    this.dep(cpu, 'pmr', true);
    this.core.touchCpu(cpu);
    return st.pmr;
  }

  /** BPR0 (GICv2 GICC_BPR): values below the minimum store the minimum. */
  writeBpr0(cpu: number, v: number): number {
    const st = this.state[cpu];
    st.bpr0 = Math.max(v & 7, this.minBpr0);
    this.dep(cpu, 'bpr0', true);
    this.core.touchCpu(cpu);
    return st.bpr0;
  }

  /** BPR1 (GICv2 GICC_ABPR): minimum is BPR0's + 1; ignored while CBPR=1 (returns -1 then). */
  writeBpr1(cpu: number, v: number): number {
    const st = this.state[cpu];
    if (st.cbpr) return -1;
    st.bpr1 = Math.max(v & 7, this.minBpr0 + 1);
    this.dep(cpu, 'bpr1', true);
    this.core.touchCpu(cpu);
    return st.bpr1;
  }

  /** BPR1 as read: with CBPR=1, min(BPR0 + 1, 7). */
  readBpr1(cpu: number): number {
    const st = this.state[cpu];
    this.dep(cpu, 'bpr1', false);
    return st.cbpr ? Math.min(st.bpr0 + 1, 7) : st.bpr1;
  }

  /** APR register n of a group; -1 when not implemented. */
  readApr(cpu: number, group: number, n: number): number {
    if (n >= this.aprCount) return -1;
    this.dep(cpu, `ap${group}r${n}`, false);
    return group === 0 ? this.state[cpu].apr0[n] : this.state[cpu].apr1[n];
  }

  writeApr(cpu: number, group: number, n: number, v: number): boolean {
    if (n >= this.aprCount) return false;
    (group === 0 ? this.state[cpu].apr0 : this.state[cpu].apr1)[n] = v >>> 0;
    this.dep(cpu, `ap${group}r${n}`, true);
    this.core.touchCpu(cpu);
    return true;
  }

  markDirty(cpu: number, name: string): void {
    this.dep(cpu, name, true);
    this.core.touchCpu(cpu);
  }

  /** Record a dependency read of CPU-interface state; 'apr' stands for every implemented APR. */
  readDep(cpu: number, name: string): void {
    if (name === 'apr') this.depReadAprs(cpu);
    else this.dep(cpu, name, false);
  }
}

/** Count trailing zeros of a non-zero 32-bit value. */
export function ctz32(v: number): number {
  return 31 - Math.clz32(v & -v);
}
