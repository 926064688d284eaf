// kvm-unit-tests' GIC library as the catalogue's KUT guests use it: lib/arm/gic-v2.c
// gicv2_enable_defaults, lib/arm/gic-v3.c gicv3_enable_defaults, and arm/gic.c's irq_handler
// bookkeeping (acked / spurious / bad_irq / bad_sender per CPU). Sequences follow
// ../shared/spec/test-guest-scenarios.md §2.0 (KUT-INIT-V2, KUT-INIT-V3, KUT-HANDLER).

import { Handler, Step } from '../../../../engine/guests/api';
import { Vcpu } from '../../../../engine/guests/vcpu';
import { Frame } from '../../../../engine/trace/events';
import { compressedAffinity, SPURIOUS, waitRwp } from './gic';

/** irq_nr as KUT computes it from GICD_TYPER.ITLinesNumber. */
export function irqNr(typer: bigint): number {
  return Math.min(32 * ((Number(typer & 0x1fn)) + 1), 1020);
}

/** KUT-INIT-V2: gicv2_enable_defaults(). Relies on KVM's GICv2 reset Group 0; never writes IGROUPR. */
export function* kutInitV2(c: Vcpu): Step {
  const n = irqNr(yield* c.read('GICD_TYPER'));
  for (let i = 0; i < n; i += 4) yield* c.write(`GICD_IPRIORITYR${i / 4}`, 0xa0a0a0a0);
  yield* c.write('GICD_ISENABLER0', 0x0000ffff);
  yield* c.write('GICD_CTLR', 1);
  yield* c.write('GICC_PMR', 0xf0);
  yield* c.write('GICC_CTLR', 1);
}

/**
 * KUT-INIT-V3: gicv3_enable_defaults(). Keeps KUT's IGROUPR loop quirk: the loop steps 4 bytes
 * per interrupt, so with 288 IRQs it writes ~0 over all of IGROUPR and on into ISENABLER and
 * ICENABLER (offsets 0x080..0x19C).
 */
export function* kutInitV3(c: Vcpu): Step {
  const n = irqNr(yield* c.read('GICD_TYPER'));
  yield* c.write('GICD_CTLR', 0);
  yield* waitRwp(c);
  yield* c.write('GICD_CTLR', 0x13);
  yield* waitRwp(c);
  for (let i = 0; i < n; i += 4) yield* c.writeAt(Frame.Dist, 0x80 + i, 4, 0xffffffff);
  // gicv3_set_redist_base(): walk the redistributors until TYPER[63:32] matches this CPU.
  const want = compressedAffinity(c.mpidr);
  let found = false;
  for (let rd = 0; rd < c.cpuCount && !found; rd++) {
    const typer = yield* c.read('GICR_TYPER', { rd });
    found = typer >> 32n === want;
    if ((typer & 0x10n) !== 0n) break; // Last
  }
  yield* c.assert(found, `redistributor of CPU${c.id} found`);
  yield* c.write('GICR_IGROUPR0', 0xffffffff);
  for (let i = 0; i < 4; i++) yield* c.write(`GICR_IPRIORITYR${i}`, 0xa0a0a0a0);
  yield* c.write('GICR_ISENABLER0', 0x0000ffff);
  yield* c.sysWrite('ICC_PMR_EL1', 0xf0);
  yield* c.sysWrite('ICC_IGRPEN1_EL1', 1);
}

/** Per-CPU bookkeeping of arm/gic.c's irq_handler. */
export class KutStats {
  acked: number[];
  spurious: number[];
  badIrq: number[];
  badSender: number[];
  constructor(cpus: number) {
    this.acked = new Array(cpus).fill(0);
    this.spurious = new Array(cpus).fill(0);
    this.badIrq = new Array(cpus).fill(-1);
    this.badSender = new Array(cpus).fill(-1);
  }
  reset(): void {
    this.acked.fill(0);
    this.spurious.fill(0);
    this.badIrq.fill(-1);
    this.badSender.fill(-1);
  }
}

/**
 * KUT-HANDLER: acknowledge (GICC_IAR / ICC_IAR1_EL1), check INTID (and on v2 the sender in
 * IAR[12:10]), EOI the whole IAR value.
 */
export function kutHandler(stats: KutStats, wantIrq: number, wantSender: number | null): Handler {
  return function* (c: Vcpu) {
    const v2 = c.gicVersion === 2;
    const iar = v2 ? yield* c.read('GICC_IAR') : yield* c.sysRead('ICC_IAR1_EL1');
    const intid = iar & 0x3ffn;
    if (intid === SPURIOUS) {
      stats.spurious[c.id]++;
      return;
    }
    if (v2) yield* c.write('GICC_EOIR', iar);
    else yield* c.sysWrite('ICC_EOIR1_EL1', iar);
    if (Number(intid) !== wantIrq) stats.badIrq[c.id] = Number(intid);
    else if (v2 && wantSender !== null && Number((iar >> 10n) & 7n) !== wantSender) stats.badSender[c.id] = Number((iar >> 10n) & 7n);
    else stats.acked[c.id]++;
  };
}

/** arm/gic.c check_acked(): every CPU in `mask` acked exactly once, nobody else, no bad INTID or sender. */
export function* checkAcked(c: Vcpu, stats: KutStats, testname: string, mask: number[]): Step {
  for (let cpu = 0; cpu < c.cpuCount; cpu++) {
    const want = mask.includes(cpu) ? 1 : 0;
    yield* c.assertEq(stats.acked[cpu], want, `${testname}: CPU${cpu} acked ${want} time(s)`);
    const bad = stats.badIrq[cpu];
    yield* c.assert(bad === -1, `${testname}: CPU${cpu} saw no wrong INTID${bad === -1 ? '' : ` (got ${bad})`}`);
    const sender = stats.badSender[cpu];
    if (c.gicVersion === 2) yield* c.assert(sender === -1, `${testname}: CPU${cpu} saw the right sender${sender === -1 ? '' : ` (got ${sender})`}`);
  }
}
