// The KVM selftests' arm64 guest GIC library (tools/testing/selftests/kvm/lib/arm64/gic_v3.c and
// gic.c) as ../shared/spec/test-guest-scenarios.md §4.0 describes it: ST-INIT-DIST, ST-INIT-CPU and
// the per-IRQ read-modify-write helpers (each followed by RWP where the library does one).

import { Step } from '../../../../engine/guests/api';
import { Vcpu } from '../../../../engine/guests/vcpu';
import { bitReg, byteReg, waitRwp } from './gic';

/** ST-INIT-DIST: gicv3_dist_init(), once per VM. */
export function* stInitDist(c: Vcpu): Step<number> {
  const typer = yield* c.read('GICD_TYPER');
  const nr = Math.min(32 * (Number(typer & 0x1fn) + 1), 1020);
  yield* c.write('GICD_CTLR', 0);
  yield* waitRwp(c);
  for (let i = 32; i < nr; i += 32) {
    yield* c.write(`GICD_IGROUPR${i / 32}`, 0xffffffff);
    yield* c.write(`GICD_ICACTIVER${i / 32}`, 0xffffffff);
    yield* c.write(`GICD_ICENABLER${i / 32}`, 0xffffffff);
  }
  for (let i = 32; i < nr; i += 4) yield* c.write(`GICD_IPRIORITYR${i / 4}`, 0xa0a0a0a0);
  yield* waitRwp(c);
  yield* c.write('GICD_CTLR', 0x13);
  yield* waitRwp(c);
  return nr;
}

/**
 * ST-INIT-CPU: gicv3_cpu_init(). Keeps the library's quirk: the line commented "Disable Group-0"
 * writes 1 to ICC_IGRPEN1_EL1, so ICC_IGRPEN0_EL1 is never written.
 */
export function* stInitCpu(c: Vcpu): Step {
  const waker = yield* c.read('GICR_WAKER');
  yield* c.write('GICR_WAKER', waker & ~2n & 0xffffffffn);
  for (let i = 0; i < 1000; i++) if (((yield* c.read('GICR_WAKER')) & 4n) === 0n) break;
  yield* c.write('GICR_IGROUPR0', 0xffffffff);
  yield* c.write('GICR_ICACTIVER0', 0xffffffff);
  yield* c.write('GICR_ICENABLER0', 0xffffffff);
  for (let i = 0; i < 8; i++) yield* c.write(`GICR_IPRIORITYR${i}`, 0xa0a0a0a0);
  yield* waitRwp(c, true);
  const sre = yield* c.sysRead('ICC_SRE_EL1');
  yield* c.sysWrite('ICC_SRE_EL1', sre | 1n);
  yield* c.sysWrite('ICC_PMR_EL1', 0xf0);
  yield* c.sysWrite('ICC_IGRPEN1_EL1', 1); // "Disable Group-0" (sic)
  yield* c.sysWrite('ICC_IGRPEN1_EL1', 1);
}

/** gic_irq_enable / gic_irq_disable: read-modify-write of the set/clear register, then RWP. */
export function* stIrqEnable(c: Vcpu, intid: number, on = true): Step {
  const r = bitReg(c, on ? 'ISENABLER' : 'ICENABLER', intid);
  const v = yield* c.read(r.name);
  yield* c.write(r.name, v | r.bit);
  yield* waitRwp(c, intid < 32);
}

/** gic_set_priority: 32-bit read-modify-write of the IPRIORITYR byte lane. */
export function* stSetPriority(c: Vcpu, intid: number, prio: number): Step {
  const name = byteReg(c, 'IPRIORITYR', intid).replace(/\.B\d$/, '');
  const shift = BigInt((intid % 4) * 8);
  const v = yield* c.read(name);
  yield* c.write(name, (v & ~(0xffn << shift) & 0xffffffffn) | (BigInt(prio & 0xff) << shift));
}

/** gic_irq_set_config: ICFGR 2-bit field, edge = 2, level = 0 (SPIs only; SGI/PPI config is RO). */
export function* stSetConfig(c: Vcpu, intid: number, edge: boolean): Step {
  const name = c.gicVersion === 3 && intid < 32 ? `GICR_ICFGR${Math.floor(intid / 16)}` : `GICD_ICFGR${Math.floor(intid / 16)}`;
  const shift = BigInt((intid % 16) * 2);
  const v = yield* c.read(name);
  yield* c.write(name, (v & ~(3n << shift) & 0xffffffffn) | ((edge ? 2n : 0n) << shift));
}

/** One-bit read (ISACTIVER / ISPENDR) of an INTID. */
export function* stIrqBit(c: Vcpu, family: string, intid: number): Step<boolean> {
  const r = bitReg(c, family, intid);
  return ((yield* c.read(r.name)) & r.bit) !== 0n;
}

/**
 * kvm_irq_write_ispendr / kvm_irq_write_isactiver: the host's read-modify-write through the
 * device-attribute interface (SPIs: DIST_REGS; SGI/PPI: REDIST_REGS of vCPU 0 at +64 KiB).
 */
export function* hostSetBit(c: Vcpu, family: 'ISPENDR' | 'ISACTIVER', intid: number): Step {
  const r = bitReg(c, family, intid);
  const opts = intid < 32 ? { rd: 0 } : undefined;
  const v = yield* c.hostRead(r.name, opts);
  yield* c.hostWrite(r.name, v | r.bit, opts);
}
