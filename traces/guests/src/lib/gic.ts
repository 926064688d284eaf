// Per-interrupt register helpers shared by the catalogue's guests, the way every guest library
// (kvm-unit-tests lib/arm/gic.c, selftests lib/arm64/gic_v3.c, Linux irq-gic-common.c) has them:
// which register holds an INTID's bit or byte, RWP polling, SGI generation.

import { Step } from '../../../../engine/guests/api';
import { kvmMpidr } from '../../../../engine/trace/events';
import { Vcpu } from '../../../../engine/guests/vcpu';

export const RWP = 1n << 31n;
export const SPURIOUS = 1023n;

/** GICD_CTLR bits as Linux names them (non-secure view). */
export const GICD_CTLR_ENABLE_G1 = 1n << 1n;
export const GICD_CTLR_ENABLE_G1A = 1n << 1n;
export const GICD_CTLR_ARE_NS = 1n << 4n;
export const GICD_CTLR_DS = 1n << 6n;

/** Timer PPIs (Linux DT / KVM defaults): EL1 virtual and physical timer. */
export const VTIMER_PPI = 27;
export const PTIMER_PPI = 30;

/** Name of the register holding `intid` in a one-bit-per-INTID family (ISENABLER, IGROUPR, …), and the bit. */
export function bitReg(c: Vcpu, family: string, intid: number): { name: string; bit: bigint } {
  const bit = 1n << BigInt(intid % 32);
  if (c.gicVersion === 3 && intid < 32) return { name: `GICR_${family}0`, bit };
  return { name: `GICD_${family}${Math.floor(intid / 32)}`, bit };
}

/** Name of the byte register holding `intid`'s field in IPRIORITYR/ITARGETSR. */
export function byteReg(c: Vcpu, family: string, intid: number): string {
  const word = Math.floor(intid / 4);
  const b = intid % 4;
  if (c.gicVersion === 3 && intid < 32) return `GICR_${family}${word}.B${b}`;
  return `GICD_${family}${word}.B${b}`;
}

export function* setBit(c: Vcpu, family: string, intid: number): Step {
  const r = bitReg(c, family, intid);
  yield* c.write(r.name, r.bit);
}

export function* testBit(c: Vcpu, family: string, intid: number): Step<boolean> {
  const r = bitReg(c, family, intid);
  return ((yield* c.read(r.name)) & r.bit) !== 0n;
}

/** Poll GICD_CTLR (or this vCPU's GICR_CTLR) until RWP clears; a guest assertion if it never does. */
export function* waitRwp(c: Vcpu, redist = false): Step {
  const reg = redist ? 'GICR_CTLR' : 'GICD_CTLR';
  for (let i = 0; i < 1000; i++) {
    if (((yield* c.read(reg)) & RWP) === 0n) return;
  }
  yield* c.assert(false, `${reg}.RWP never cleared`);
}

/** The register-only part of an MPIDR a GICv3 redistributor's TYPER[63:32] reports: Aff3.Aff2.Aff1.Aff0. */
export function compressedAffinity(mpidr: bigint): bigint {
  return ((mpidr >> 8n) & 0xff000000n) | (mpidr & 0xffffffn);
}

/** ICC_SGI1R_EL1 value for an SGI to the listed vCPUs of one Aff3.Aff2.Aff1 cluster. */
export function sgi1r(c: Vcpu, intid: number, targets: number[]): bigint[] {
  const clusters: { aff: bigint; list: bigint }[] = [];
  for (const t of [...targets].sort((a, b) => a - b)) {
    const m = mpidrOf(c, t);
    const aff = m >> 8n;
    let cl = clusters.find((x) => x.aff === aff);
    if (!cl) clusters.push((cl = { aff, list: 0n }));
    cl.list |= 1n << (m & 0xfn);
  }
  return clusters.map(({ aff, list }) => {
    const aff1 = aff & 0xffn;
    const aff2 = (aff >> 8n) & 0xffn;
    return (aff2 << 32n) | (BigInt(intid) << 24n) | (aff1 << 16n) | list;
  });
}

/** KVM's reset MPIDR for vCPU `id` (Aff0 = id & 0xf, Aff1 = id >> 4). */
export function mpidrOf(c: Vcpu, id: number): bigint {
  if (!Number.isInteger(id) || id < 0 || id >= c.cpuCount) throw c.fail(`vCPU ${id} does not exist (the guest has ${c.cpuCount} vCPUs)`);
  return kvmMpidr(id);
}

/** GICv3: one SGI to a list of vCPUs (ICC_SGI1R_EL1 per cluster, as Linux's gic_ipi_send_mask). */
export function* sendSgiV3(c: Vcpu, intid: number, targets: number[]): Step {
  for (const v of sgi1r(c, intid, targets)) yield* c.sysWrite('ICC_SGI1R_EL1', v);
}

/** GICv3: SGI to every vCPU but this one (IRM = 1). */
export function* broadcastSgiV3(c: Vcpu, intid: number): Step {
  yield* c.sysWrite('ICC_SGI1R_EL1', (1n << 40n) | (BigInt(intid) << 24n));
}

/** GICv2 GICD_SGIR: filter 0 = target list, 1 = all but self, 2 = self only. */
export function* sendSgiV2(c: Vcpu, intid: number, filter: 0 | 1 | 2, targetList = 0): Step {
  yield* c.write('GICD_SGIR', (filter << 24) | ((targetList & 0xff) << 16) | intid);
}

/** Pending/active state the way kvm-unit-tests' gic_irq_state() reports it. */
export type IrqState = 'inactive' | 'pending' | 'active' | 'active-pending';

export function* irqState(c: Vcpu, intid: number): Step<IrqState> {
  const p = yield* testBit(c, 'ISPENDR', intid);
  const a = yield* testBit(c, 'ISACTIVER', intid);
  return p && a ? 'active-pending' : a ? 'active' : p ? 'pending' : 'inactive';
}

/** Busy-wait until `cond()` holds, polling every `step` cycles, at most `tries` times; returns whether it held. */
export function* waitUntil(c: Vcpu, cond: () => boolean, step: number, tries: number): Step<boolean> {
  for (let i = 0; i < tries && !cond(); i++) yield* c.delay(step);
  return cond();
}
