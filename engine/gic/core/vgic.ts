// The state both vGIC models share and the delivery rules of KVM's vgic.c: the distributor
// enable and IIDR revision, the interrupt store, and each vCPU's ap_list with
// vgic_target_oracle / vgic_queue_irq_unlock / vgic_prune_ap_list semantics.
//
// Model choice (MODEL.md "Queue order"): an interrupt joins the tail of its target's ap_list when
// KVM would queue it and leaves it when the oracle no longer names that vCPU. Pruning runs after
// every access (settle()), as if every vCPU exited at once; KVM prunes at each vCPU's next exit.
// The ap_list order is the equal-priority tie-break: the interrupt queued first wins (spec §8.4).
//
// settle() prunes only the lists holding an interrupt whose state changed (touch()): pruning any
// other list would keep every entry, because the oracle reads nothing but the interrupt's own
// state and the distributor enable (touchAll()). The CPU interface likewise recomputes only the
// outputs of vCPUs whose list, listed interrupts or interface state changed. Tests replay every
// trace with ModelOptions.verifyIncremental, which checks both against the full computation.

import { DepTracker } from '../../model/deps';
import { Policy } from '../../policy/policy';
import { GicVersion } from '../../trace/events';
import { CONFIG_EDGE, CONFIG_LEVEL, IrqStore, NR_PRIVATE, NR_SGIS, OWNER_NONE, OWNER_TIMER } from './irq-store';
import { ListRegisters } from './list-registers';

export type AccessSource = 'guest' | 'user';

/** Options a model passes down to its core (engine/gic ModelOptions). */
export interface CoreOptions {
  /** LPI slots (IrqStore LPI_CAPACITY with an ITS, else 0). */
  lpis?: number;
  /**
   * Tests: after every settle() and output recomputation, check that the incremental work gave
   * what pruning every list and recomputing every output would have, and throw if not.
   */
  verifyIncremental?: boolean;
}

/** What vgic_target_oracle looks at besides the target: dependency fields of one interrupt. */
const ORACLE_INPUTS = ['pending', 'config', 'level', 'enabled', 'active'] as const;

export class VgicCore {
  readonly irqs: IrqStore;
  readonly cpus: number;
  /** CoreOptions.verifyIncremental. */
  readonly verifyIncremental: boolean;
  /** dist->enabled: KVM's single distributor enable (GICv3 GICD_CTLR bit 1, GICv2 bit 0). */
  distEnabled = false;
  /** dist->implementation_rev. */
  revision: number;
  /** Userspace wrote GICD_IIDR successfully (mainline's v2_groups_user_writable). */
  userWroteIidr = false;
  /** Per vCPU: slots on its ap_list, in queue order. */
  readonly apList: number[][];
  /** Some list needs pruning (pruneCpu), settle() has work. */
  private dirty = true;
  /** Per vCPU: its ap_list holds an interrupt whose state changed since the last settle(). */
  private readonly pruneCpu: Uint8Array;
  /** Per vCPU: its outputs may have changed; the CPU interface clears these when it recomputes. */
  readonly outputStale: Uint8Array;
  /** Some outputStale entry is set. */
  outputsStale = true;
  /** What of each ap_list the guest's CPU interface sees (policy host.listRegisters, kernel.lrOverflow). */
  readonly lrs: ListRegisters;

  constructor(
    readonly gicVersion: GicVersion,
    cpus: number,
    spis: number,
    readonly policy: Policy,
    readonly deps: DepTracker,
    opts: CoreOptions = {},
  ) {
    this.cpus = cpus;
    this.verifyIncremental = opts.verifyIncremental === true;
    this.irqs = new IrqStore(cpus, spis, opts.lpis ?? 0);
    this.revision = policy.defaultRevision;
    this.apList = [];
    for (let c = 0; c < cpus; c++) this.apList.push([]);
    this.pruneCpu = new Uint8Array(cpus).fill(1);
    this.outputStale = new Uint8Array(cpus).fill(1);
    this.lrs = new ListRegisters(this, policy.host.listRegisters, () => policy.kernel.lrOverflow);
  }

  // ---- change tracking (what settle() and the CPU interface must look at again) ----

  /** An interrupt's state changed: the list holding it (if any) needs pruning and its vCPU's outputs recomputing. */
  touch(slot: number): void {
    const q = this.irqs.queuedOn[slot];
    if (q >= 0) {
      this.pruneCpu[q] = 1;
      this.dirty = true;
    }
  }

  /** A vCPU's interface state changed: its outputs need recomputing, no list changes. */
  touchCpu(cpu: number): void {
    this.outputStale[cpu] = 1;
    this.outputsStale = true;
    this.lrs.markStale(cpu);
  }

  /** Something every interrupt's delivery depends on changed (distributor enable, reset). */
  touchAll(): void {
    this.pruneCpu.fill(1);
    this.outputStale.fill(1);
    this.dirty = true;
    this.outputsStale = true;
    this.lrs.markAllStale();
  }

  /**
   * KVM-native reset (kvm_vgic_dist_init, vgic_allocate_private_irqs_locked): SGIs enabled and
   * edge, PPIs disabled and level, SPIs disabled and edge (zeroed allocation) targeting vCPU 0,
   * every priority 0, every interrupt in `group` (GICv3: 1, GICv2: 0). LPI slots start unmapped:
   * disabled, edge, Group 1 (vgic_add_lpi), no target.
   */
  resetNative(group: number): void {
    const s = this.irqs;
    for (let slot = 0; slot < s.lpiBase; slot++) {
      const intid = s.intidOf(slot);
      s.enabled[slot] = intid < NR_SGIS ? 1 : 0;
      s.config[slot] = intid >= NR_SGIS && intid < NR_PRIVATE ? CONFIG_LEVEL : CONFIG_EDGE;
      s.group[slot] = group;
      s.target[slot] = intid < NR_PRIVATE ? s.cpuOf(slot) : 0;
    }
    // The same per-slot values over the whole store, without a per-slot INTID decode: with an ITS
    // the ~57,000 LPI slots dominate a reset, and a check resets a model per (trace, policy).
    const all = [s.priority, s.latch, s.level, s.active, s.mpidr, s.targets, s.source, s.activeSource];
    for (const a of all) a.fill(0);
    s.queuedOn.fill(-1);
    if (s.lpis > 0) {
      s.enabled.fill(0, s.lpiBase);
      s.config.fill(CONFIG_EDGE, s.lpiBase);
      s.group.fill(1, s.lpiBase);
      s.target.fill(-1, s.lpiBase);
    }
    for (const l of this.apList) l.length = 0;
    this.distEnabled = false;
    this.touchAll();
  }

  // ---- delivery (vgic.c) ----


  /** vgic_target_oracle: the vCPU an interrupt should be queued on, or -1. */
  oracle(slot: number): number {
    const s = this.irqs;
    if (s.active[slot]) return s.queuedOn[slot] >= 0 ? s.queuedOn[slot] : s.target[slot];
    if (s.enabled[slot] && s.pending(slot)) {
      const t = s.target[slot];
      if (t >= 0 && !this.distEnabled) return -1;
      return t;
    }
    return -1;
  }

  /**
   * Dependencies of an ap_list change: the list (key cpu<n>:aplist) is a function of its previous
   * contents and of the oracle's inputs of the interrupt that joined or left it. What an IAR or
   * HPPIR read picks depends on the list, so every change reads the list it changes.
   */
  private listDeps(slot: number, cpus: readonly number[]): void {
    const d = this.deps;
    for (const f of ORACLE_INPUTS) d.read(this.irqs.key(slot, f));
    d.read(this.gicVersion === 3 ? this.irqs.key(slot, 'route') : this.irqs.key(slot, 'targets'));
    d.read('dist:ctlr');
    for (const c of cpus) {
      d.read(`cpu${c}:aplist`);
      d.write(`cpu${c}:aplist`);
    }
  }

  /** vgic_queue_irq_unlock: append to the target's ap_list unless already on one or undeliverable. */
  queue(slot: number): void {
    const s = this.irqs;
    if (s.queuedOn[slot] >= 0) {
      this.touch(slot);
      return;
    }
    const t = this.oracle(slot);
    if (this.deps.enabled) this.listDeps(slot, t < 0 ? [] : [t]);
    if (t < 0) return;
    s.queuedOn[slot] = t;
    this.apList[t].push(slot);
    this.touchCpu(t);
  }

  /**
   * vgic_prune_ap_list on every vCPU whose list holds a touched interrupt, in vCPU order: drop
   * what no longer belongs, move what changed target (to the tail of the new vCPU's list).
   */
  private prune(): void {
    const s = this.irqs;
    for (let c = 0; c < this.cpus; c++) {
      if (!this.pruneCpu[c]) continue;
      this.pruneCpu[c] = 0;
      this.touchCpu(c);
      const list = this.apList[c];
      let w = 0;
      for (let r = 0; r < list.length; r++) {
        const slot = list[r];
        const t = this.oracle(slot);
        if (t === c) {
          list[w++] = slot;
          continue;
        }
        if (this.deps.enabled) this.listDeps(slot, t < 0 ? [c] : [c, t]);
        if (t < 0) {
          s.queuedOn[slot] = -1;
        } else {
          s.queuedOn[slot] = t;
          this.apList[t].push(slot);
          this.touchCpu(t);
        }
      }
      // pop() rather than a length store: V8 inlines pop, a length store is a runtime call.
      while (list.length > w) list.pop();
    }
  }

  /**
   * Take the interrupts `drop` selects off a vCPU's ap_list without changing their state
   * (vgic_flush_pending_lpis: a pending LPI stays pending but is no longer queued anywhere).
   */
  unqueueWhere(cpu: number, drop: (slot: number) => boolean): void {
    const list = this.apList[cpu];
    let w = 0;
    for (let r = 0; r < list.length; r++) {
      const slot = list[r];
      if (drop(slot)) this.irqs.queuedOn[slot] = -1;
      else list[w++] = slot;
    }
    if (w !== list.length) {
      list.length = w;
      this.touchCpu(cpu);
    }
  }

  /** End of an access: prune what changed. Models call this once per public call. */
  settle(): void {
    if (!this.dirty) return;
    this.prune();
    this.dirty = false;
    if (this.verifyIncremental) this.verifyPruned();
  }

  /** verifyIncremental: a full prune now would keep every entry where it is. */
  private verifyPruned(): void {
    for (let c = 0; c < this.cpus; c++) {
      for (const slot of this.apList[c]) {
        const t = this.oracle(slot);
        if (t !== c) throw new Error(`incremental prune missed a change: slot ${slot} (${this.irqs.key(slot, 'state')}) is on vCPU ${c}'s list, the oracle says ${t}`);
      }
    }
  }

  // ---- per-interrupt state changes (the bodies of vgic-mmio.c's per-bit loops) ----

  setGroup(slot: number, g: number): void {
    this.irqs.group[slot] = g;
    if (this.deps.enabled) this.deps.write(this.irqs.key(slot, 'group'));
    this.queue(slot);
  }

  setEnabled(slot: number, user: boolean): void {
    this.irqs.enabled[slot] = 1;
    if (this.deps.enabled) this.deps.write(this.irqs.key(slot, 'enabled'));
    void user;
    this.queue(slot);
  }

  clearEnabled(slot: number): void {
    this.irqs.enabled[slot] = 0;
    if (this.deps.enabled) this.deps.write(this.irqs.key(slot, 'enabled'));
    this.touch(slot);
  }

  /** __set_pending. `writerCpu` becomes the GICv2 SGI source (KVM picks the accessing vCPU). */
  setPending(slot: number, writerCpu: number): void {
    const s = this.irqs;
    if (this.gicVersion === 2 && s.isPrivate(slot) && s.intidOf(slot) < NR_SGIS) {
      // A GICv2 SGI keeps one pending bit per source: the new bitmap depends on the old one.
      this.depRead(slot, 'pending');
      s.source[slot] |= 1 << writerCpu;
    }
    s.latch[slot] = 1;
    if (this.deps.enabled) this.deps.write(s.key(slot, 'pending'));
    this.queue(slot);
  }

  /** __clear_pending: the latch only; a level interrupt whose line is high stays pending. */
  clearPending(slot: number): void {
    const s = this.irqs;
    if (this.gicVersion === 2 && s.isPrivate(slot) && s.intidOf(slot) < NR_SGIS) s.source[slot] = 0;
    s.latch[slot] = 0;
    if (this.deps.enabled) this.deps.write(s.key(slot, 'pending'));
    this.touch(slot);
  }

  /** vgic_mmio_change_active. `requesterCpu` is the GICv2 SGI active source (0 for userspace). */
  setActive(slot: number, active: boolean, requesterCpu: number): void {
    const s = this.irqs;
    s.active[slot] = active ? 1 : 0;
    if (this.gicVersion === 2 && active && s.isPrivate(slot) && s.intidOf(slot) < NR_SGIS) s.activeSource[slot] = requesterCpu;
    if (this.deps.enabled) this.deps.write(s.key(slot, 'active'));
    if (active) this.queue(slot);
    else this.touch(slot);
  }

  setPriority(slot: number, byte: number): void {
    this.irqs.priority[slot] = byte & 0xf8;
    if (this.deps.enabled) this.deps.write(this.irqs.key(slot, 'priority'));
    // KVM does not re-evaluate an interrupt already queued; an idealised model sees the new
    // priority at once (the vCPU would at its next entry).
    this.touch(slot);
  }

  setConfig(slot: number, edge: boolean): void {
    this.irqs.config[slot] = edge ? CONFIG_EDGE : CONFIG_LEVEL;
    if (this.deps.enabled) this.deps.write(this.irqs.key(slot, 'config'));
    this.touch(slot);
  }

  setDistEnabled(on: boolean, kick: boolean): void {
    this.distEnabled = on;
    if (this.deps.enabled) this.deps.write('dist:ctlr');
    // Enabling only kicks vCPUs with something already queued (vgic_kick_vcpus): an interrupt
    // that became pending while the distributor was off is not queued by the enable itself.
    void kick;
    this.touchAll();
  }

  /** Read an interrupt field for the dependency tracker. */
  depRead(slot: number, field: string): void {
    if (this.deps.enabled) this.deps.read(this.irqs.key(slot, field));
  }

  // ---- input lines (kvm_vgic_inject_irq) ----

  /**
   * Returns undefined when applied (or when KVM's vgic_validate_injection makes it a no-op),
   * else the reason the injection was refused.
   */
  injectLine(intid: number, cpu: number | null, level: 0 | 1, owner: 'device' | 'timer'): string | undefined {
    const s = this.irqs;
    if (intid < NR_SGIS) return `rejected: INTID ${intid} is an SGI; lines exist only for PPIs and SPIs`;
    if (intid < NR_PRIVATE) {
      if (cpu === null || cpu < 0 || cpu >= this.cpus) return `rejected: PPI ${intid} needs a vCPU (got ${cpu})`;
    } else if (intid >= s.nrIrqs) {
      return `rejected: INTID ${intid} does not exist (nr_irqs ${s.nrIrqs})`;
    } else if (cpu !== null) {
      // SPIs are not banked; KVM's KVM_IRQ_LINE ignores the vCPU field for SPIs.
    }
    const slot = s.slot(cpu ?? 0, intid);
    if (owner === 'timer') {
      if (s.owner[slot] === OWNER_NONE) {
        s.owner[slot] = OWNER_TIMER;
        s.hw[slot] = 1;
      }
    } else if (s.owner[slot] === OWNER_TIMER) {
      return `rejected: INTID ${intid} is owned by the in-kernel timer`;
    }
    // What the line does depends on the trigger mode, and for a level interrupt on its level.
    this.depRead(slot, 'config');
    if (s.config[slot] === CONFIG_LEVEL) {
      this.depRead(slot, 'level');
      if (s.level[slot] === level) return undefined;
      s.level[slot] = level;
      if (this.deps.enabled) this.deps.write(s.key(slot, 'level'));
    } else {
      if (!level) return undefined;
      s.latch[slot] = 1;
      if (this.deps.enabled) this.deps.write(s.key(slot, 'pending'));
    }
    this.queue(slot);
    return undefined;
  }
}
