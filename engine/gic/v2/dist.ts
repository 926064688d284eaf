// The GICv2 distributor's register handlers, guest and userspace (vgic-mmio-v2.c and the shared
// per-IRQ handlers of vgic-mmio.c), over the shared interrupt store and delivery core.
// Each handler covers one register row; banked rows act on the accessing vCPU's private IRQs.

import { CONFIG_EDGE, NR_PRIVATE, NR_SGIS } from '../core/irq-store';
import { VgicCore } from '../core/vgic';
import { RegRow } from './frame-table';
import { D } from './dist-table';
import { GICD_IIDR_REVISION_MASK, gicdIidr, gicdTyper } from './ids';
import { decodeSgir } from './sgir';
import { deliveryVcpu, storedTargets } from './targets';

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

export interface DistWrite {
  effect?: string;
}

export class V2Distributor {
  constructor(readonly core: VgicCore) {}

  /** Whether an access acts on the accessing vCPU's private state (SGIs/PPIs, SGIR's sender). */
  banked(row: RegRow<D>, offset: number): boolean {
    if (row.bitsPerIrq) return this.firstIntid(row, offset) < NR_PRIVATE;
    return row.kind === D.Sgir || row.kind === D.Cpendsgir || row.kind === D.Spendsgir;
  }

  /** First INTID an access to a per-INTID row covers. */
  private firstIntid(row: RegRow<D>, offset: number): number {
    return ((offset - row.offset) * 8) / row.bitsPerIrq;
  }

  read(cpu: number, row: RegRow<D>, offset: number, size: number): number {
    const core = this.core;
    const s = core.irqs;
    const deps = core.deps.enabled;
    switch (row.kind) {
      case D.Ctlr:
        if (deps) core.deps.read('dist:ctlr');
        return core.distEnabled ? 1 : 0;
      case D.Typer:
        return gicdTyper(s.spis, s.cpus);
      case D.Iidr:
        if (deps) core.deps.read('dist:revision');
        return gicdIidr(core.revision);
      case D.Sgir:
        return 0;
      case D.Cpendsgir:
      case D.Spendsgir: {
        // One byte per SGI: its source bitmap on the accessing vCPU.
        const first = offset & 0xf;
        let v = 0;
        for (let k = 0; k < size; k++) {
          const slot = s.slot(cpu, first + k);
          if (deps) core.depRead(slot, 'pending');
          v |= s.source[slot] << (8 * k);
        }
        return v >>> 0;
      }
      case D.IdRaz:
        return 0;
      default:
        break;
    }
    const first = this.firstIntid(row, offset);
    if (first >= s.nrIrqs) return 0;
    switch (row.kind) {
      case D.Igroupr:
        return this.readBits(cpu, first, s.group, 'group');
      case D.Isenabler:
      case D.Icenabler:
        return this.readBits(cpu, first, s.enabled, 'enabled');
      case D.Ispendr:
      case D.Icpendr: {
        let v = 0;
        for (let i = 0; i < 32; i++) {
          const slot = s.slot(cpu, first + i);
          if (deps) core.depRead(slot, 'pending');
          if (s.pending(slot)) v |= 1 << i;
        }
        return v >>> 0;
      }
      case D.Isactiver:
      case D.Icactiver:
        return this.readBits(cpu, first, s.active, 'active');
      case D.Ipriorityr:
        return this.readBytes(cpu, first, size, s.priority, 'priority');
      case D.Itargetsr: {
        // Private bytes read the accessing vCPU's own bit (its banked copy's targets).
        return this.readBytes(cpu, first, size, s.targets, 'targets');
      }
      case D.Icfgr: {
        let v = 0;
        for (let i = 0; i < 16; i++) {
          const slot = s.slot(cpu, first + i);
          if (deps) core.depRead(slot, 'config');
          if (s.config[slot] === CONFIG_EDGE) v |= 2 << (2 * i);
        }
        return v >>> 0;
      }
      default:
        return 0;
    }
  }

  private readBits(cpu: number, first: number, arr: Uint8Array, field: string): number {
    const core = this.core;
    const s = core.irqs;
    let v = 0;
    for (let i = 0; i < 32; i++) {
      const slot = s.slot(cpu, first + i);
      if (core.deps.enabled) core.depRead(slot, field);
      if (arr[slot]) v |= 1 << i;
    }
    return v >>> 0;
  }

  private readBytes(cpu: number, first: number, size: number, arr: Uint8Array, field: string): number {
    const core = this.core;
    const s = core.irqs;
    let v = 0;
    for (let k = 0; k < size; k++) {
      const slot = s.slot(cpu, first + k);
      if (core.deps.enabled) core.depRead(slot, field);
      v |= arr[slot] << (8 * k);
    }
    return v >>> 0;
  }

  /**
   * A write. `user` selects KVM's uaccess handlers (device-attribute writes from the VMM), which
   * differ for GICD_IIDR, IGROUPR, ISPENDR/ICPENDR and ISACTIVER/ICACTIVER.
   */
  write(cpu: number, row: RegRow<D>, offset: number, size: number, value: number, user: boolean): DistWrite {
    const core = this.core;
    const s = core.irqs;
    switch (row.kind) {
      case D.Ctlr: {
        const on = (value & 1) !== 0;
        core.setDistEnabled(on, !core.distEnabled && on);
        return (value & ~1) !== 0 ? { effect: `stored ${hex(value & 1)} (KVM keeps only the Enable bit, which gates both groups)` } : {};
      }
      case D.Typer:
        return { effect: 'ignored: GICD_TYPER is read-only' };
      case D.Iidr:
        return user ? this.userWriteIidr(value) : { effect: 'ignored: GICD_IIDR is read-only to the guest' };
      case D.Sgir:
        return this.writeSgir(cpu, value);
      case D.Cpendsgir:
      case D.Spendsgir:
        this.writeSgiPending(cpu, offset & 0xf, size, value, row.kind === D.Spendsgir);
        return {};
      case D.IdRaz:
        return { effect: `ignored: ${row.name} is not emulated by KVM (RAZ/WI)` };
      default:
        break;
    }
    const first = this.firstIntid(row, offset);
    if (first >= s.nrIrqs) return { effect: `ignored: INTID ${first} does not exist (${s.nrIrqs} INTIDs)` };
    switch (row.kind) {
      case D.Igroupr:
        return this.writeGroup(cpu, first, value, user);
      case D.Isenabler:
        for (let i = 0; i < 32; i++) if (value & (1 << i)) core.setEnabled(s.slot(cpu, first + i), user);
        return {};
      case D.Icenabler:
        for (let i = 0; i < 32; i++) if (value & (1 << i)) core.clearEnabled(s.slot(cpu, first + i));
        return {};
      case D.Ispendr:
        return this.writePending(cpu, first, value, true, user);
      case D.Icpendr:
        return this.writePending(cpu, first, value, false, user);
      case D.Isactiver:
      case D.Icactiver: {
        const on = row.kind === D.Isactiver;
        let skipped = 0;
        for (let i = 0; i < 32; i++) {
          if (!(value & (1 << i))) continue;
          const slot = s.slot(cpu, first + i);
          // vgic_hw_irq_change_active ignores userspace for HW-mapped interrupts (the timer PPIs).
          if (user && s.hw[slot]) {
            skipped |= 1 << i;
            continue;
          }
          core.setActive(slot, on, user ? 0 : cpu);
        }
        return skipped ? { effect: `HW-mapped INTIDs left unchanged (KVM ignores userspace active changes for them): bits ${hex(skipped)}` } : {};
      }
      case D.Ipriorityr: {
        for (let k = 0; k < size; k++) core.setPriority(s.slot(cpu, first + k), (value >>> (8 * k)) & 0xff);
        const stored = this.readBytes(cpu, first, size, s.priority, 'priority');
        return stored !== (value >>> 0) ? { effect: `stored ${hex(stored)} (KVM keeps 5 priority bits: byte & 0xf8)` } : {};
      }
      case D.Itargetsr:
        return this.writeTargets(cpu, first, size, value);
      case D.Icfgr: {
        for (let i = 0; i < 16; i++) {
          // SGI and PPI configuration is read-only in KVM (the timer relies on level PPIs).
          if (first + i < NR_PRIVATE) continue;
          core.setConfig(s.slot(cpu, first + i), (value & (2 << (2 * i))) !== 0);
        }
        const stored = this.read(cpu, row, offset, size);
        if (stored === (value >>> 0)) return {};
        return first < NR_PRIVATE
          ? { effect: `ignored: ${first < NR_SGIS ? 'SGI' : 'PPI'} configuration is read-only (reads ${hex(stored)})` }
          : { effect: `stored ${hex(stored)} (only the edge/level bit of each field is kept)` };
      }
      default:
        return {};
    }
  }

  private writeGroup(cpu: number, first: number, value: number, user: boolean): DistWrite {
    const core = this.core;
    const s = core.irqs;
    const p = core.policy;
    let reason: string | undefined;
    if (user) {
      if (core.deps.enabled) {
        core.deps.read('dist:revision');
        core.deps.read('dist:user-iidr-written');
      }
      if (!p.userGroupWriteHonoured(2, core.revision, core.userWroteIidr)) {
        const rule = p.data.userGroupWrites.v2;
        reason =
          rule.requireUserIidrWrite && !core.userWroteIidr
            ? `ignored: policy ${p.id} drops userspace IGROUPR writes until userspace has written GICD_IIDR`
            : `ignored: policy ${p.id} drops userspace IGROUPR writes at revision ${core.revision}`;
      }
    } else {
      if (core.deps.enabled) core.deps.read('dist:revision');
      if (!p.guestGroupWriteHonoured(core.revision)) reason = `ignored: policy ${p.id} drops IGROUPR writes at revision ${core.revision}`;
    }
    if (reason) {
      if (core.deps.enabled) for (let i = 0; i < 32; i++) core.deps.drop(s.key(s.slot(cpu, first + i), 'group'), reason);
      return { effect: reason };
    }
    for (let i = 0; i < 32; i++) {
      const slot = s.slot(cpu, first + i);
      // Every bit is stored and re-queued, changed or not (vgic_mmio_write_group).
      core.setGroup(slot, (value >>> i) & 1);
    }
    return {};
  }

  private writePending(cpu: number, first: number, value: number, set: boolean, user: boolean): DistWrite {
    const core = this.core;
    const s = core.irqs;
    let sgiBits = 0;
    for (let i = 0; i < 32; i++) {
      if (!(value & (1 << i))) continue;
      const intid = first + i;
      const slot = s.slot(cpu, intid);
      if (intid < NR_SGIS) {
        if (!user) {
          // GICD_ISPENDR0/ICPENDR0 SGI bits are WI on GICv2: SPENDSGIR/CPENDSGIR carry the source.
          sgiBits |= 1 << i;
          continue;
        }
        // uaccess: KVM cannot restore the source, so it names the attribute's vCPU (set) or
        // forgets every source (clear).
        if (set) core.setPending(slot, cpu);
        else core.clearPending(slot);
        continue;
      }
      if (set) core.setPending(slot, cpu);
      else core.clearPending(slot);
    }
    return sgiBits ? { effect: `SGI bits ${hex(sgiBits)} ignored (GICv2: SGI pending state is written through GICD_${set ? 'SPENDSGIR' : 'CPENDSGIR'})` } : {};
  }

  private writeTargets(cpu: number, first: number, size: number, value: number): DistWrite {
    const core = this.core;
    const s = core.irqs;
    if (first < NR_PRIVATE) return { effect: `ignored: ITARGETSR of SGIs and PPIs is read-only (reads vCPU ${cpu}'s own bit)` };
    let stored = 0;
    for (let k = 0; k < size; k++) {
      const slot = s.slot(cpu, first + k);
      const t = storedTargets((value >>> (8 * k)) & 0xff, s.cpus);
      s.targets[slot] = t;
      s.target[slot] = deliveryVcpu(t);
      stored |= t << (8 * k);
      if (core.deps.enabled) {
        core.deps.write(s.key(slot, 'targets'));
        core.deps.write(s.key(slot, 'route'));
      }
    }
    // A queued SPI moves to its new target when the holder next exits (prune).
    core.dirty = true;
    stored >>>= 0;
    return stored !== (value >>> 0) ? { effect: `stored ${hex(stored)} (bits of vCPUs that do not exist are dropped)` } : {};
  }

  private writeSgir(cpu: number, value: number): DistWrite {
    const core = this.core;
    const s = core.irqs;
    const d = decodeSgir(value, cpu, s.cpus);
    if (d.ignored) return { effect: d.ignored };
    for (let c = 0; c < s.cpus; c++) if (d.targets & (1 << c)) core.setPending(s.slot(c, d.sgi), cpu);
    if (d.filter === 0 && ((value >>> 16) & 0xff) !== d.targets) {
      return { effect: `CPUTargetList ${hex((value >>> 16) & 0xff)} names vCPUs that do not exist; pended on ${hex(d.targets)}` };
    }
    return {};
  }

  private writeSgiPending(cpu: number, firstSgi: number, size: number, value: number, set: boolean): void {
    const core = this.core;
    const s = core.irqs;
    for (let k = 0; k < size; k++) {
      const bits = (value >>> (8 * k)) & 0xff;
      const slot = s.slot(cpu, firstSgi + k);
      if (set) {
        s.source[slot] |= bits;
        if (s.source[slot]) {
          s.latch[slot] = 1;
          if (core.deps.enabled) core.deps.write(s.key(slot, 'pending'));
          core.queue(slot);
        }
      } else if (bits) {
        s.source[slot] &= ~bits;
        if (!s.source[slot]) s.latch[slot] = 0;
        if (core.deps.enabled) core.deps.write(s.key(slot, 'pending'));
        core.dirty = true;
      }
    }
  }

  /**
   * Userspace GICD_IIDR write (vgic_mmio_uaccess_write_v2_misc): every field but Revision must
   * equal the current value, and the policy must let userspace select the revision; success
   * records that userspace wrote GICD_IIDR (mainline's v2_groups_user_writable).
   */
  private userWriteIidr(value: number): DistWrite {
    const core = this.core;
    const cur = gicdIidr(core.revision);
    if (core.deps.enabled) core.deps.read('dist:revision');
    if (((cur ^ value) & ~GICD_IIDR_REVISION_MASK) >>> 0 !== 0) {
      return { effect: `rejected: fields other than Revision differ from ${hex(cur)} (KVM returns -EINVAL)` };
    }
    const rev = (value & GICD_IIDR_REVISION_MASK) >>> 12;
    if (!core.policy.userMaySelectRevision(rev)) {
      return { effect: `rejected: policy ${core.policy.id} does not let userspace select revision ${rev} (KVM returns -EINVAL)` };
    }
    core.revision = rev;
    core.userWroteIidr = true;
    if (core.deps.enabled) {
      core.deps.write('dist:revision');
      core.deps.write('dist:user-iidr-written');
    }
    core.dirty = true;
    return {};
  }
}
