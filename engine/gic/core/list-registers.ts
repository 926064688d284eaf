// The list registers: what of a vCPU's ap_list the guest's CPU interface can see.
//
// KVM loads a vCPU's list registers at every guest entry (vgic.c kvm_vgic_flush_hwstate →
// vgic_flush_lr_state) and reads them back at every exit (kvm_vgic_sync_hwstate →
// vgic_fold_lr_state, then vgic_prune_ap_list). In between, the guest's ICC_IAR/EOIR/DIR/HPPIR
// act on the list registers only: in hardware when KVM does not trap them, and in hyp's
// emulation (hyp/vgic-v3-sr.c __vgic_v3_read_iar, __vgic_v3_write_eoir, …, which return to the
// guest without an exit) when it does. When the ap_list holds more than the host has list
// registers, KVM sorts it (vgic_sort_ap_list with the kernel's vgic_irq_cmp, a stable list_sort)
// and loads only its head; the rest waits for the next entry.
//
// So a vCPU is either running (its list registers are what the last entry loaded, `frozen`) or
// out (its next entry loads them afresh from the current state, which is also what a probe — a
// fresh KVM_RUN — shows). The models say when a vCPU enters and exits (GicModel accesses: see
// MODEL.md "List registers"); this class keeps the list registers and picks their contents.
// With `unlimited` list registers the view is the whole ap_list and nothing here runs.

import { LrOverflowRule } from '../../policy/policy';
import { GicVersion } from '../../trace/events';
import { IrqStore, NR_SGIS } from './irq-store';

/** What the list registers read of the core (vgic.ts VgicCore, which owns them). */
export interface LrCore {
  readonly cpus: number;
  readonly gicVersion: GicVersion;
  readonly irqs: IrqStore;
  readonly apList: number[][];
  readonly verifyIncremental: boolean;
  settle(): void;
}

export class ListRegisters {
  /** Host list registers; 0 = unlimited (the view is the ap_list itself). */
  readonly count: number;
  /**
   * The kernel's overflow rule, asked for the first time it decides something (a sort, a GICv2
   * SGI needing more than one list register): a replay that never overflows never asks, so
   * `check` can let one replay stand for kernels that differ only there (policy/consults.ts).
   */
  private readonly ruleOf: () => LrOverflowRule;
  private ruleAsked: LrOverflowRule | null = null;
  /** Per vCPU: its list registers hold what its last entry loaded (it is running). */
  private readonly frozen: Uint8Array;
  /** Per vCPU: an out vCPU's fresh view must be recomputed (something it depends on changed). */
  private readonly stale: Uint8Array;
  /** Per vCPU: `count` slots, the first `used[c]` valid (LR order = ap_list order after the sort). */
  private readonly slots: Int32Array;
  private readonly used: Uint8Array;
  /** The vCPU that ran last (its segment continues while nothing else happens), or -1. */
  private running = -1;

  constructor(
    private readonly core: LrCore,
    count: number | 'unlimited',
    rule: () => LrOverflowRule,
  ) {
    this.count = count === 'unlimited' ? 0 : count;
    this.ruleOf = rule;
    const n = core.cpus;
    this.frozen = new Uint8Array(n);
    this.stale = new Uint8Array(n).fill(1);
    this.slots = new Int32Array(n * Math.max(this.count, 1));
    this.used = new Uint8Array(n);
  }

  get limited(): boolean {
    return this.count > 0;
  }

  private get rule(): LrOverflowRule {
    return (this.ruleAsked ??= this.ruleOf());
  }

  /** Whether `cpu` runs with the list registers its entry loaded (they change only at its next entry). */
  isFrozen(cpu: number): boolean {
    return this.frozen[cpu] === 1;
  }

  /** Something a vCPU's fresh view depends on changed (VgicCore.touchCpu / touchAll). */
  markStale(cpu: number): void {
    this.stale[cpu] = 1;
  }

  markAllStale(): void {
    this.stale.fill(1);
  }

  /**
   * A guest access of `cpu` begins. Every other vCPU is out (the replay runs one vCPU at a time);
   * `cpu` enters afresh unless its segment simply continues.
   */
  enter(cpu: number): void {
    if (!this.limited) return;
    if (this.running !== cpu) {
      if (this.running >= 0) this.frozen[this.running] = 0;
      this.running = cpu;
    }
    if (!this.frozen[cpu]) {
      // A fresh entry reloads the list registers, but a reload with nothing changed since the
      // last one (not stale once settled) loads the same head in the same order: the sort is
      // stable and the list is already in its order. So only a stale vCPU pays for it.
      this.core.settle();
      if (this.stale[cpu]) this.refresh(cpu);
      else if (this.core.verifyIncremental) this.verifyCurrent(cpu);
      this.frozen[cpu] = 1;
    }
  }

  /** The running vCPU exited after its access (a trap, a maintenance interrupt, a probe): its next access enters afresh. */
  exit(cpu: number): void {
    if (!this.limited) return;
    this.frozen[cpu] = 0;
  }

  /** Something outside the guest happened (userspace, a line, an MSI): every vCPU is out. */
  leaveAll(): void {
    if (!this.limited || this.running < 0) return;
    this.frozen[this.running] = 0;
    this.running = -1;
  }

  /**
   * verifyIncremental: a vCPU that is not stale has the list registers a reload would give now
   * (every change to its ap_list or to a listed interrupt reaches touchCpu, which marks it stale).
   */
  private verifyCurrent(cpu: number): void {
    const list = this.core.apList[cpu];
    const before = list.slice();
    const base = cpu * this.count;
    const held = Array.from(this.slots.subarray(base, base + this.used[cpu]));
    // The reload itself, so the check follows every rule of the selection (the sort, 6.1's
    // multi-SGI cut): a current vCPU must come out of it with the same list and the same slots.
    this.refresh(cpu);
    const fresh = Array.from(this.slots.subarray(base, base + this.used[cpu]));
    if (list.some((s, i) => s !== before[i]) || fresh.length !== held.length || fresh.some((s, i) => s !== held[i])) {
      throw new Error(`list registers of vCPU ${cpu} not marked stale: they hold [${held.join(', ')}] of ap_list [${before.join(', ')}], a reload would give [${fresh.join(', ')}] of [${list.join(', ')}]`);
    }
  }

  /** Make `cpu`'s view current: frozen list registers stay, an out vCPU's are reloaded if stale. */
  private ensure(cpu: number): void {
    if (!this.frozen[cpu] && this.stale[cpu]) this.refresh(cpu);
  }

  /** Interrupts the guest's CPU interface sees (call ensureView first). */
  viewLength(cpu: number): number {
    if (!this.limited) return this.core.apList[cpu].length;
    this.ensure(cpu);
    return this.used[cpu];
  }

  viewAt(cpu: number, i: number): number {
    return this.limited ? this.slots[cpu * this.count + i] : this.core.apList[cpu][i];
  }

  /** Is `slot` in one of `cpu`'s list registers? (With unlimited ones: is it on its ap_list.) */
  holds(cpu: number, slot: number): boolean {
    if (!this.limited) return this.core.irqs.queuedOn[slot] === cpu;
    this.ensure(cpu);
    const base = cpu * this.count;
    for (let i = 0; i < this.used[cpu]; i++) if (this.slots[base + i] === slot) return true;
    return false;
  }

  /**
   * vgic_flush_lr_state: sort the ap_list when it does not fit, or on 6.1/6.12 when a GICv2 SGI
   * needs more than one LR (in place and stable, as list_sort; the new order stays the list's
   * order), then load its head. 6.1/6.12 also stop at the first entry of lower priority than a
   * loaded GICv2 SGI that keeps sources back ("multi-SGIs … must all be seen before any IRQ of
   * lower priority": `if (multi_sgi && irq->priority > prio) break`, `prio` taken from every
   * loaded entry whose `irq->source` is still non-zero after vgic_v2_populate_lr). The 2025
   * LR-overflow series (mainline, `pending-first`) dropped that cut.
   */
  private refresh(cpu: number): void {
    this.core.settle();
    this.stale[cpu] = 0;
    const list = this.core.apList[cpu];
    const multiSgi = this.multiSgi(list);
    // compute_ap_list_depth (6.1) counts a GICv2 SGI once per pending source (plus one when
    // active), mainline's summarize_ap_list each entry once; either way the list is sorted when
    // the depth exceeds the list registers. 6.1's depth can exceed the list's length only when
    // some SGI counts more than once, which is multi_sgi, and that sorts anyway: so the length
    // is the depth that decides.
    if (multiSgi || list.length > this.count) this.sort(list);
    const s = this.core.irqs;
    const base = cpu * this.count;
    let n = 0;
    let prio = 0xff;
    for (let i = 0; i < list.length && n < this.count; i++) {
      const slot = list[i];
      if (multiSgi && s.priority[slot] > prio) break;
      // After settle() every entry's oracle names this vCPU (vgic_target_oracle == vcpu).
      this.slots[base + n++] = slot;
      if (multiSgi && this.sourcesLeft(slot)) prio = s.priority[slot];
    }
    this.used[cpu] = n;
  }

  /** A GICv2 SGI's sources after vgic_v2_populate_lr loaded it: an active one keeps them all, a pending one gives up its lowest. */
  private sourcesLeft(slot: number): boolean {
    const s = this.core.irqs;
    if (!s.isPrivate(slot) || s.intidOf(slot) >= NR_SGIS) return false;
    const src = s.source[slot];
    return s.active[slot] ? src !== 0 : (src & (src - 1)) !== 0;
  }

  /**
   * compute_ap_list_depth's multi_sgi (6.1/6.12, GICv2): some SGI needs more than one list
   * register. The rule is asked only when there is such an SGI (mainline has no multi_sgi).
   */
  private multiSgi(list: readonly number[]): boolean {
    if (this.core.gicVersion !== 2) return false;
    for (let i = 0; i < list.length; i++) if (this.lrCount(list[i]) > 1) return this.rule === 'active-first';
    return false;
  }

  /** vgic_irq_get_lr_count: a GICv2 SGI with sources counts one per source, plus one when active. */
  private lrCount(slot: number): number {
    const s = this.core.irqs;
    const src = s.isPrivate(slot) && s.intidOf(slot) < NR_SGIS ? s.source[slot] : 0;
    return src !== 0 ? popcount8(src) + s.active[slot] : 1;
  }

  /** Stable insertion sort of the ap_list by the kernel's vgic_irq_cmp (lists are short; no allocation). */
  private sort(list: number[]): void {
    for (let i = 1; i < list.length; i++) {
      const x = list[i];
      let j = i - 1;
      while (j >= 0 && this.cmp(list[j], x) > 0) {
        list[j + 1] = list[j];
        j--;
      }
      list[j + 1] = x;
    }
  }

  /**
   * vgic_irq_cmp. 6.1/6.12: active before inactive; then enabled-and-pending before not; then
   * lower priority value first. Mainline: enabled, pending and not active first; then lower
   * priority value; then hardware-mapped first. 0 keeps the list order.
   */
  private cmp(a: number, b: number): number {
    const s = this.core.irqs;
    if (this.rule === 'active-first') {
      if (s.active[a] || s.active[b]) return s.active[b] - s.active[a];
      const pa = s.enabled[a] && s.pending(a) ? 1 : 0;
      const pb = s.enabled[b] && s.pending(b) ? 1 : 0;
      if (!pa || !pb) return pb - pa;
      return s.priority[a] - s.priority[b];
    }
    const pa = s.enabled[a] && s.pending(a) && !s.active[a] ? 1 : 0;
    const pb = s.enabled[b] && s.pending(b) && !s.active[b] ? 1 : 0;
    if (pa !== pb) return pb - pa;
    if (s.priority[a] !== s.priority[b]) return s.priority[a] - s.priority[b];
    return s.hw[b] - s.hw[a];
  }
}

function popcount8(v: number): number {
  let n = 0;
  for (let x = v & 0xff; x; x &= x - 1) n++;
  return n;
}
