// The GICv2-only distributor handlers (vgic-mmio-v2.c): the misc region (CTLR, TYPER, IIDR and
// its userspace write), ITARGETSR, GICD_SGIR and the per-source SGI pending registers. The
// per-INTID registers KVM shares between v2 and v3 use engine/gic/core/irq-regs.ts.

import { NR_PRIVATE } from '../core/irq-store';
import { readIidr, userWriteIidr } from '../core/iidr';
import { addrToIntid, lo32 } from '../core/regtable';
import { gicdTyper } from './ids';
import { decodeSgir } from './sgir';
import { V2State } from './state';
import { deliveryVcpu, storedTargets } from './targets';
import { hex } from '../../util/hex';


/** vgic_mmio_read_v2_misc: GICD_CTLR (bit 0 = dist->enabled), GICD_TYPER, GICD_IIDR. */
export function readMisc(st: V2State, _cpu: number, off: number): bigint {
  const core = st.core;
  switch (off & 0xc) {
    case 0x0:
      if (core.deps.enabled) core.deps.read('dist:ctlr');
      return core.distEnabled ? 1n : 0n;
    case 0x4:
      return BigInt(gicdTyper(core.irqs.spis, st.cpus));
    case 0x8:
      return BigInt(readIidr(core));
    default:
      return 0n;
  }
}

/** vgic_mmio_write_v2_misc: only GICD_CTLR's Enable bit is writable, by guest and userspace. */
export function writeMisc(st: V2State, _cpu: number, off: number, _size: number, value: bigint): string | undefined {
  const v = lo32(value);
  switch (off & 0xc) {
    case 0x0: {
      const on = (v & 1) !== 0;
      st.core.setDistEnabled(on, on && !st.core.distEnabled);
      return (v & ~1) !== 0 ? `stored ${hex(v & 1)} (KVM keeps only the Enable bit, which gates both groups)` : undefined;
    }
    case 0x4:
    case 0x8:
      // The one rule for ignored writes (core/regtable.ts ignoredWrite): only bits that do not read back.
      return (BigInt(v) & ~readMisc(st, 0, off)) !== 0n ? `ignored: ${off & 0x8 ? 'GICD_IIDR is read-only to the guest' : 'GICD_TYPER is read-only'}` : undefined;
    default:
      return undefined;
  }
}

/** vgic_mmio_uaccess_write_v2_misc: GICD_IIDR selects the revision (core/iidr.ts); the rest as the guest's. */
export function userWriteMisc(st: V2State, cpu: number, off: number, size: number, value: bigint): string | undefined {
  if ((off & 0xc) !== 0x8) return writeMisc(st, cpu, off, size, value);
  return userWriteIidr(st.core, lo32(value));
}

/** vgic_mmio_read_target: one byte per INTID; private bytes are the accessing vCPU's own bit. */
export function readTargets(st: V2State, cpu: number, off: number, size: number): bigint {
  const core = st.core;
  const s = core.irqs;
  const first = addrToIntid(off, 8);
  let v = 0;
  for (let k = 0; k < size; k++) {
    const slot = s.slot(cpu, first + k);
    core.depRead(slot, 'targets');
    v |= s.targets[slot] << (8 * k);
  }
  return BigInt(v >>> 0);
}

/**
 * vgic_mmio_write_target: SGI/PPI bytes are read-only; an SPI keeps the bits of existing vCPUs
 * and is delivered to the lowest of them, or to vCPU 0 when none is left.
 */
export function writeTargets(st: V2State, cpu: number, off: number, size: number, value: bigint): string | undefined {
  const core = st.core;
  const s = core.irqs;
  const first = addrToIntid(off, 8);
  if (first < NR_PRIVATE) return `ignored: ITARGETSR of SGIs and PPIs is read-only (reads vCPU ${cpu}'s own bit)`;
  const v = lo32(value);
  let stored = 0;
  for (let k = 0; k < size; k++) {
    const slot = s.slot(cpu, first + k);
    const t = storedTargets((v >>> (8 * k)) & 0xff, st.cpus);
    s.targets[slot] = t;
    s.target[slot] = deliveryVcpu(t);
    stored |= t << (8 * k);
    if (core.deps.enabled) {
      core.deps.write(s.key(slot, 'targets'));
      core.deps.write(s.key(slot, 'route'));
    }
    // A queued SPI moves to its new target when its holder next exits (prune at settle).
    core.touch(slot);
  }
  stored >>>= 0;
  return stored !== v >>> 0 ? `stored ${hex(stored)} (bits of vCPUs that do not exist are dropped)` : undefined;
}

/** vgic_mmio_write_sgir: pend SGI n on each target with the writer as source. */
export function writeSgir(st: V2State, cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  const core = st.core;
  const s = core.irqs;
  const v = lo32(value);
  const d = decodeSgir(v, cpu, st.cpus);
  if (d.ignored) return d.ignored;
  for (let c = 0; c < st.cpus; c++) if (d.targets & (1 << c)) core.setPending(s.slot(c, d.sgi), cpu);
  if (d.filter === 0 && ((v >>> 16) & 0xff) !== d.targets) {
    return `CPUTargetList ${hex((v >>> 16) & 0xff)} names vCPUs that do not exist; pended on ${hex(d.targets)}`;
  }
  return undefined;
}

/** vgic_mmio_read_sgipend: one byte per SGI, the source bitmap on the accessing vCPU. */
export function readSgiPend(st: V2State, cpu: number, off: number, size: number): bigint {
  const core = st.core;
  const s = core.irqs;
  const first = off & 0xf;
  let v = 0;
  for (let k = 0; k < size; k++) {
    const slot = s.slot(cpu, first + k);
    core.depRead(slot, 'pending');
    v |= s.source[slot] << (8 * k);
  }
  return BigInt(v >>> 0);
}

/** vgic_mmio_write_sgipends: OR sources in; pending while any source is set. */
export function writeSgiPendSet(st: V2State, cpu: number, off: number, size: number, value: bigint): string | undefined {
  const core = st.core;
  const s = core.irqs;
  const v = lo32(value);
  for (let k = 0; k < size; k++) {
    const slot = s.slot(cpu, (off & 0xf) + k);
    // The sources are ORed in: the new bitmap depends on the old one.
    core.depRead(slot, 'pending');
    s.source[slot] |= (v >>> (8 * k)) & 0xff;
    if (s.source[slot]) {
      s.latch[slot] = 1;
      if (core.deps.enabled) core.deps.write(s.key(slot, 'pending'));
      core.queue(slot);
    }
  }
  return undefined;
}

/** vgic_mmio_write_sgipendc: clear sources; the latch drops when none is left. */
export function writeSgiPendClear(st: V2State, cpu: number, off: number, size: number, value: bigint): string | undefined {
  const core = st.core;
  const s = core.irqs;
  const v = lo32(value);
  for (let k = 0; k < size; k++) {
    const bits = (v >>> (8 * k)) & 0xff;
    const slot = s.slot(cpu, (off & 0xf) + k);
    if (bits) core.depRead(slot, 'pending');
    s.source[slot] &= ~bits;
    if (!s.source[slot]) s.latch[slot] = 0;
    if (bits && core.deps.enabled) core.deps.write(s.key(slot, 'pending'));
    core.touch(slot);
  }
  return undefined;
}
