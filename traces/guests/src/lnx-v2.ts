// LNX-V2: a Linux GICv2 guest booting on 2 vCPUs, drivers/irqchip/irq-gic.c as
// ../shared/spec/test-guest-scenarios.md §5 ("Linux GICv2 guest") reads it: gic_dist_init
// (own CPU mask from ITARGETSR0..7, SPI targets, gic_dist_config), gic_cpu_init (banked
// gic_cpu_config, PMR, CTLR keeping the bypass bits), IPIs through GICD_SGIR, gic_handle_irq
// looping on GICC_IAR with EOImode 0, and the vtimer PPI ticking. Never touches IGROUPR: depends
// on KVM's GICv2 reset Group 0 [—]; signalled as IRQ because FIQEn is 0.

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { BootOrder } from './lib/boot';
import { sendSgiV2, VTIMER_PPI, waitUntil } from './lib/gic';

const TICK_TICKS = 62500n;
const TICKS_PER_CPU = 3;

function* cpuMask(c: Vcpu): Step<number> {
  let mask = 0n;
  for (let i = 0; i < 8 && mask === 0n; i++) mask |= yield* c.read(`GICD_ITARGETSR${i}`);
  mask |= mask >> 16n;
  mask |= mask >> 8n;
  return Number(mask & 0xffn);
}

export const lnxV2 = defineGuest({
  name: 'lnx-v2',
  title: 'Linux GICv2 guest boot on 2 vCPUs up to the first IPIs and timer ticks',
  scenario: 'LNX-V2: drivers/irqchip/irq-gic.c gic_dist_init / gic_cpu_init / gic_raise_softirq / gic_handle_irq',
  gic: { version: 2, cpus: 2, spis: 256 },
  program() {
    const boot = new BootOrder();
    const ticks = [0, 0];
    const ipis: number[][] = [[], []];
    const masks = [0, 0];
    return function* (c: Vcpu): Step {
      yield* boot.turn(c);
      if (c.id === 0) {
        const typer = yield* c.read('GICD_TYPER');
        const lines = Math.min(32 * (Number(typer & 0x1fn) + 1), 1020);
        yield* c.read('GICD_IIDR');
        yield* c.log(`GIC: ${lines} interrupt lines`);
        // gic_dist_init()
        yield* c.write('GICD_CTLR', 0);
        const m = yield* cpuMask(c);
        const m4 = (m * 0x01010101) >>> 0;
        for (let i = 32; i < lines; i += 4) yield* c.write(`GICD_ITARGETSR${i / 4}`, m4);
        for (let i = 32; i < lines; i += 16) yield* c.write(`GICD_ICFGR${i / 16}`, 0);
        for (let i = 32; i < lines; i += 4) yield* c.write(`GICD_IPRIORITYR${i / 4}`, 0xa0a0a0a0);
        for (let i = 32; i < lines; i += 32) {
          yield* c.write(`GICD_ICACTIVER${i / 32}`, 0xffffffff);
          yield* c.write(`GICD_ICENABLER${i / 32}`, 0xffffffff);
        }
        yield* c.write('GICD_CTLR', 1);
      }
      // gic_cpu_init()
      masks[c.id] = yield* cpuMask(c);
      yield* c.assertEq(masks[c.id], 1 << c.id, `CPU${c.id}: ITARGETSR0 names this CPU`);
      yield* c.write('GICD_ICACTIVER0', 0xffffffff);
      yield* c.write('GICD_ICENABLER0', 0xffff0000);
      yield* c.write('GICD_ISENABLER0', 0x0000ffff);
      for (let i = 0; i < 8; i++) yield* c.write(`GICD_IPRIORITYR${i}`, 0xa0a0a0a0);
      yield* c.write('GICC_PMR', 0xf0);
      const ctlr = yield* c.read('GICC_CTLR');
      yield* c.write('GICC_CTLR', (ctlr & 0x1e0n) | 1n);
      c.onIrq(function* (h) {
        // gic_handle_irq(): loop until the CPU interface has nothing more.
        for (;;) {
          const iar = yield* h.read('GICC_IAR');
          const intid = Number(iar & 0x3ffn);
          if (intid >= 1020) break;
          if (intid === VTIMER_PPI) {
            const ctl = yield* h.sysRead('CNTV_CTL_EL0');
            if ((ctl & 4n) !== 0n) {
              yield* h.sysWrite('CNTV_CTL_EL0', ctl | 2n);
              ticks[h.id]++;
              if (ticks[h.id] < TICKS_PER_CPU) {
                yield* h.sysWrite('CNTV_CVAL_EL0', (yield* h.sysRead('CNTVCT_EL0')) + TICK_TICKS);
                yield* h.sysWrite('CNTV_CTL_EL0', 1);
              }
            }
          } else if (intid < 16) ipis[h.id].push(intid);
          yield* h.write('GICC_EOIR', iar);
        }
      });
      yield* c.read('GICD_ICFGR1');
      yield* c.write('GICD_ISENABLER0', 1 << VTIMER_PPI);
      yield* c.unmask();
      boot.done();
      yield* boot.all(c);
      if (c.id === 0) {
        yield* c.log('smp: Brought up 1 node, 2 CPUs');
        yield* sendSgiV2(c, 0, 0, masks[1]);
        yield* sendSgiV2(c, 1, 0, masks[1]);
      }
      yield* waitUntil(c, () => ipis[c.id].length >= 2 || c.id === 0, 5000, 100);
      if (c.id === 1) yield* sendSgiV2(c, 1, 0, masks[0]);
      yield* c.sysWrite('CNTV_CVAL_EL0', (yield* c.sysRead('CNTVCT_EL0')) + TICK_TICKS);
      yield* c.sysWrite('CNTV_CTL_EL0', 1);
      yield* waitUntil(c, () => ticks[c.id] >= TICKS_PER_CPU, 250000, 100);
      yield* c.assertEq(ticks[c.id], TICKS_PER_CPU, `CPU${c.id}: ${TICKS_PER_CPU} timer ticks`);
      const want = c.id === 0 ? [1] : [0, 1];
      yield* c.assert(ipis[c.id].join(',') === want.join(','), `CPU${c.id}: IPIs ${want.join(',')} received (got ${ipis[c.id].join(',')})`);
      yield* c.idle();
    };
  },
});
