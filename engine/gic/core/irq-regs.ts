// The common per-interrupt register handlers of KVM's vgic-mmio.c, for both models: group,
// enable set/clear, pending set/clear (with level semantics), active set/clear, priority bytes,
// config. `cpu` selects the bank for SGIs/PPIs (the redistributor's vCPU on GICv3, the accessing
// vCPU on GICv2). `first` is the INTID of bit 0; callers have applied check_region already.
// Writes return an effect sentence when they drop or change what was written (WriteResult.effect).
// A register's INTIDs never straddle the SGI/PPI-SPI boundary (its first INTID is a multiple of
// its INTID count), so bit i lives in slot base + i, with base = slot(cpu, first).

import { CONFIG_EDGE, NR_PRIVATE, NR_SGIS } from './irq-store';
import { AccessSource, VgicCore } from './vgic';

function count(core: VgicCore, first: number, n: number): number {
  return Math.min(n, core.irqs.nrIrqs - first);
}

/** The bits of `val` that name one of the k INTIDs a register covers. */
function inRange(val: number, k: number): number {
  return k >= 32 ? val >>> 0 : (val & ((1 << k) - 1)) >>> 0;
}

/** Index of the lowest 1 bit of a non-zero 32-bit value. */
function lowestBit(m: number): number {
  return 31 - Math.clz32(m & -m);
}

/**
 * Whether a word of a one-bit field holds its four slots at bits 0, 8, 16 and 24, lowest slot
 * lowest (a little-endian host: every platform Node ships for but s390x). Elsewhere the reads
 * below take one slot at a time, with the same result.
 */
const QUADS = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Four slots' bits (bits 0, 8, 16, 24 of a word, each 0 or 1) as bits 0..3. The product moves
 * slot i's bit to bit 28 + i; the other partial products land at distinct bits below 28 or
 * above 31, so none carries into the four.
 */
function packQuad(x: number): number {
  return Math.imul(x, 0x10204080) >>> 28;
}

/**
 * A one-bit-per-INTID register read straight from a per-slot field (group, enable, active), four
 * slots at a time where the register's slots start on a word (they always do: a register's first
 * INTID is a multiple of 8). One-bit fields hold 0 or 1 (IrqStore), so no bit is tested: the
 * branch per INTID was the replay's most mispredicted one, and these reads its most frequent.
 */
function readBits(core: VgicCore, cpu: number, first: number, n: number, bits: Uint8Array, quads: Uint32Array, field: string): number {
  let v = 0;
  const k = count(core, first, n);
  const base = core.irqs.slot(cpu, first);
  let i = 0;
  if (QUADS && (base & 3) === 0) for (; i + 4 <= k; i += 4) v |= packQuad(quads[(base + i) >> 2]) << i;
  for (; i < k; i++) v |= bits[base + i] << i;
  // Dependency reads in a loop of their own: a replay without a tracker skips it whole.
  if (core.deps.enabled) for (let i = 0; i < k; i++) core.depRead(base + i, field);
  return v >>> 0;
}

export function readGroup(core: VgicCore, cpu: number, first: number, n: number): number {
  return readBits(core, cpu, first, n, core.irqs.group, core.irqs.groupQ, 'group');
}

/**
 * vgic_mmio_write_group behind the policy switch: the guest's write is honoured per
 * policy.guestGroupWriteHonoured(rev), userspace's per policy.userGroupWriteHonoured(...).
 */
export function writeGroup(core: VgicCore, cpu: number, first: number, n: number, val: number, src: AccessSource, regName: string): string | undefined {
  const s = core.irqs;
  const p = core.policy;
  const rev = core.revision;
  const deps = core.deps;
  if (deps.enabled) {
    deps.read('dist:revision');
    if (src === 'user') deps.read('dist:user-iidr-written');
  }
  const ok = src === 'guest' ? p.guestGroupWriteHonoured(rev) : p.userGroupWriteHonoured(core.gicVersion, rev, core.userWroteIidr);
  const k = count(core, first, n);
  if (!ok) {
    let reason: string;
    if (src === 'guest') reason = `ignored: policy ${p.id} drops guest ${regName} writes at revision ${rev}`;
    else if (!core.userWroteIidr && p.data.userGroupWrites[core.gicVersion === 2 ? 'v2' : 'v3'].requireUserIidrWrite)
      reason = `ignored: policy ${p.id} drops userspace ${regName} writes until userspace writes GICD_IIDR`;
    else reason = `ignored: policy ${p.id} drops userspace ${regName} writes at revision ${rev}`;
    if (deps.enabled) for (let i = 0; i < k; i++) deps.drop(s.key(s.slot(cpu, first + i), 'group'), reason);
    return reason;
  }
  for (let i = 0; i < k; i++) core.setGroup(s.slot(cpu, first + i), (val >>> i) & 1);
  return undefined;
}

export function readEnable(core: VgicCore, cpu: number, first: number, n: number): number {
  return readBits(core, cpu, first, n, core.irqs.enabled, core.irqs.enabledQ, 'enabled');
}

// The set/clear writes visit only the bits written 1, lowest first (KVM's for_each_set_bit order).

export function writeSetEnable(core: VgicCore, cpu: number, first: number, n: number, val: number, src: AccessSource): void {
  const base = core.irqs.slot(cpu, first);
  for (let m = inRange(val, count(core, first, n)); m !== 0; m &= m - 1) core.setEnabled(base + lowestBit(m), src === 'user');
}

export function writeClearEnable(core: VgicCore, cpu: number, first: number, n: number, val: number): void {
  const base = core.irqs.slot(cpu, first);
  for (let m = inRange(val, count(core, first, n)); m !== 0; m &= m - 1) core.clearEnabled(base + lowestBit(m));
}

/**
 * __read_pending. Guest: HW-mapped level interrupts read the line, others irq_is_pending.
 * Userspace on GICv3 reads the latch only (line levels are saved separately).
 */
export function readPending(core: VgicCore, cpu: number, first: number, n: number, src: AccessSource): number {
  const s = core.irqs;
  let v = 0;
  const k = count(core, first, n);
  const userV3 = src === 'user' && core.gicVersion === 3;
  const base = s.slot(cpu, first);
  const { latch, level, config, hw } = s;
  const guest = src === 'guest' ? 1 : 0;
  // irq_is_pending without a call per INTID: latch | (line & level-sensitive), every field 0 or 1
  // (CONFIG_LEVEL is 1); a guest reading a HW-mapped level interrupt gets the line alone. Four
  // slots at a time as in readBits: `hwLevel` is 1 in the lanes that read the line alone.
  let i = 0;
  if (QUADS && (base & 3) === 0) {
    const { latchQ, levelQ, configQ, hwQ } = s;
    for (; i + 4 <= k; i += 4) {
      const q = (base + i) >> 2;
      let x = latchQ[q];
      if (!userV3) {
        const lvl = configQ[q];
        const line = levelQ[q];
        const hwLevel = guest ? hwQ[q] & lvl : 0;
        x = (hwLevel & line) | (~hwLevel & (x | (line & lvl)));
      }
      v |= packQuad(x) << i;
    }
  }
  if (userV3) for (; i < k; i++) v |= latch[base + i] << i;
  else {
    for (; i < k; i++) {
      const slot = base + i;
      const lvl = config[slot];
      v |= (guest & hw[slot] & lvl ? level[slot] : latch[slot] | (level[slot] & lvl)) << i;
    }
  }
  if (core.deps.enabled) {
    for (let i = 0; i < k; i++) {
      // The latch, and (a level interrupt is pending while its line is high) the mode and the line.
      core.depRead(base + i, 'pending');
      if (!userV3) {
        core.depRead(base + i, 'config');
        core.depRead(base + i, 'level');
      }
    }
  }
  return v >>> 0;
}

function isV2Sgi(core: VgicCore, intid: number): boolean {
  return core.gicVersion === 2 && intid < NR_SGIS;
}

/**
 * __set_pending / __clear_pending for each 1 bit: GICv2 SGI bits are WI from the guest (an effect
 * says so). `writerCpu` is the source a set GICv2 SGI records.
 */
export function writePending(core: VgicCore, cpu: number, first: number, n: number, val: number, src: AccessSource, set: boolean, writerCpu: number): string | undefined {
  const k = count(core, first, n);
  let ignored = 0;
  for (let i = 0; i < k; i++) {
    if (!((val >>> i) & 1)) continue;
    if (src === 'guest' && isV2Sgi(core, first + i)) {
      ignored++;
      continue;
    }
    const slot = core.irqs.slot(cpu, first + i);
    if (set) core.setPending(slot, writerCpu);
    else core.clearPending(slot);
  }
  return ignored ? `ignored for ${ignored} SGI bit(s): GICv2 SGI pending bits are WI from the guest (use GICD_${set ? 'S' : 'C'}PENDSGIR)` : undefined;
}

/** vgic_v3_uaccess_write_pending: set the latch for 1 bits, clear it for 0 bits. */
export function writeUserPendingV3(core: VgicCore, cpu: number, first: number, n: number, val: number, writerCpu: number): undefined {
  writePending(core, cpu, first, n, val, 'user', true, writerCpu);
  writePending(core, cpu, first, n, ~val >>> 0, 'user', false, 0);
  return undefined;
}

export function readActive(core: VgicCore, cpu: number, first: number, n: number): number {
  return readBits(core, cpu, first, n, core.irqs.active, core.irqs.activeQ, 'active');
}

/** ISACTIVER / ICACTIVER. `requester` is the accessing vCPU (GICv2 SGI active source; 0 from userspace). */
export function writeActive(core: VgicCore, cpu: number, first: number, n: number, val: number, set: boolean, requester: number): void {
  const base = core.irqs.slot(cpu, first);
  for (let m = inRange(val, count(core, first, n)); m !== 0; m &= m - 1) core.setActive(base + lowestBit(m), set, requester);
}

/**
 * vgic_mmio_uaccess_write_[sc]active: no running vCPU, so a HW-mapped interrupt's active state is
 * left alone (vgic_hw_irq_change_active returns early for uaccess); others change with active
 * source 0 (a GICv2 SGI).
 */
export function writeUserActive(core: VgicCore, cpu: number, first: number, n: number, val: number, set: boolean): string | undefined {
  const s = core.irqs;
  const k = count(core, first, n);
  const base = s.slot(cpu, first);
  let hw = 0;
  for (let i = 0; i < k; i++) if ((val >>> i) & 1 && s.hw[base + i]) hw |= 1 << i;
  writeActive(core, cpu, first, n, (val & ~hw) >>> 0, set, 0);
  return hw ? `ignored for HW-mapped INTID(s) (mask 0x${(hw >>> 0).toString(16)}): userspace cannot change their active state` : undefined;
}

/** Priority bytes, `n` INTIDs (1 for a byte access, 4 for a word). */
export function readPriority(core: VgicCore, cpu: number, first: number, n: number): number {
  const s = core.irqs;
  let v = 0;
  const k = count(core, first, n);
  const base = s.slot(cpu, first);
  for (let i = 0; i < k; i++) v |= s.priority[base + i] << (8 * i);
  if (core.deps.enabled) for (let i = 0; i < k; i++) core.depRead(base + i, 'priority');
  return v >>> 0;
}

/** Stores byte & 0xF8; returns an effect when a low bit was dropped. */
export function writePriority(core: VgicCore, cpu: number, first: number, n: number, val: number): string | undefined {
  const k = count(core, first, n);
  const base = core.irqs.slot(cpu, first);
  for (let i = 0; i < k; i++) core.setPriority(base + i, (val >>> (8 * i)) & 0xff);
  const mask = n === 1 ? 0xf8 : 0xf8f8f8f8;
  const stored = (val & mask) >>> 0;
  if (stored !== val >>> 0) return `stored 0x${stored.toString(16)}: KVM keeps 5 priority bits (byte & 0xf8)`;
  return undefined;
}

/** ICFGR: 0b10 per edge interrupt, 0b00 per level. `first` is the INTID of field 0; n fields. */
export function readConfig(core: VgicCore, cpu: number, first: number, n: number): number {
  const s = core.irqs;
  let v = 0;
  const k = count(core, first, n);
  const base = s.slot(cpu, first);
  for (let i = 0; i < k; i++) if (s.config[base + i] === CONFIG_EDGE) v |= 2 << (2 * i);
  if (core.deps.enabled) for (let i = 0; i < k; i++) core.depRead(base + i, 'config');
  return v >>> 0;
}

/** vgic_mmio_write_config: SGI and PPI configs are read-only; bit 2i is ignored. */
export function writeConfig(core: VgicCore, cpu: number, first: number, n: number, val: number): string | undefined {
  const s = core.irqs;
  const k = count(core, first, n);
  let changedPrivate = false;
  for (let i = 0; i < k; i++) {
    const intid = first + i;
    const edge = ((val >>> (2 * i + 1)) & 1) !== 0;
    if (intid < NR_PRIVATE) {
      const slot = s.slot(cpu, intid);
      if ((s.config[slot] === CONFIG_EDGE) !== edge) changedPrivate = true;
      if (core.deps.enabled) core.deps.drop(s.key(slot, 'config'), 'SGI and PPI configuration is read-only under KVM');
      continue;
    }
    core.setConfig(s.slot(cpu, intid), edge);
  }
  const stored = readConfig(core, cpu, first, n);
  if (stored !== val >>> 0) {
    const why = changedPrivate ? 'SGI/PPI configuration is read-only under KVM' : 'only the edge bit (2i+1) of each field is stored';
    return `stored 0x${stored.toString(16)}: ${why}`;
  }
  return undefined;
}
