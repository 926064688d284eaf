// OT-ZEPHYR: Zephyr drivers/interrupt_controller/intc_gicv3.c, gicv3_dist_init(),
// gicv3_rdist_enable() / gicv3_cpuif_init() and arm_gic_irq_set_priority() / arm_gic_irq_enable()
// (../shared/spec/test-guest-scenarios.md §6, "OT-ZEPHYR"), for a non-secure (CONFIG_ARMV8_A_NS)
// build: IGROUPR_VAL = 0xFFFFFFFF, IGRPMODR = ~0 (RAZ/WI under KVM), then one device SPI
// connected, enabled and delivered. Group: [G~].

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { compressedAffinity, SPURIOUS, waitRwp, waitUntil } from './lib/gic';

const IGROUPR_VAL = 0xffffffff;
const DEF_PRI_X4 = 0xa0a0a0a0;
const DEVICE_SPI = 32 + 8;

export const zephyrV3 = defineGuest({
  name: 'zephyr-v3',
  title: 'Zephyr intc_gicv3: distributor, redistributor and CPU interface init, one device SPI delivered',
  scenario: 'OT-ZEPHYR: Zephyr drivers/interrupt_controller/intc_gicv3.c gicv3_dist_init / gicv3_rdist_enable / gicv3_cpuif_init / arm_gic_irq_enable',
  gic: { version: 3, cpus: 1, spis: 64 },
  program() {
    let handled = 0;
    return function* (c: Vcpu): Step {
      // gicv3_dist_init()
      const typer = yield* c.read('GICD_TYPER');
      const num = 32 * (Number(typer & 0x1fn) + 1);
      yield* c.write('GICD_CTLR', 0);
      yield* waitRwp(c);
      // Single security state: set DS and check it stuck.
      yield* c.write('GICD_CTLR', 0x40);
      yield* c.assert(((yield* c.read('GICD_CTLR')) & 0x40n) !== 0n, 'GICD_CTLR.DS set');
      for (let i = 32; i < num; i += 32) {
        const n = i / 32;
        yield* c.write(`GICD_ICENABLER${n}`, 0xffffffff);
        yield* c.write(`GICD_ICPENDR${n}`, 0xffffffff);
        yield* c.write(`GICD_IGROUPR${n}`, IGROUPR_VAL);
        yield* c.write(`GICD_IGRPMODR${n}`, 0xffffffff);
      }
      yield* waitRwp(c);
      for (let i = 32; i < num; i += 4) yield* c.write(`GICD_IPRIORITYR${i / 4}`, DEF_PRI_X4);
      for (let i = 32; i < num; i += 16) yield* c.write(`GICD_ICFGR${i / 16}`, 0);
      yield* c.write('GICD_CTLR', 0x12); // ARE_NS | EnableGrp1NS
      // gicv3_rdist_enable(): find this CPU's redistributor, wake it.
      const want = compressedAffinity(c.mpidr);
      yield* c.assertEq((yield* c.read('GICR_TYPER')) >> 32n, want, 'redistributor 0 belongs to CPU0');
      const waker = yield* c.read('GICR_WAKER');
      yield* c.write('GICR_WAKER', waker & ~2n & 0xffffffffn);
      while (((yield* c.read('GICR_WAKER')) & 4n) !== 0n);
      // gicv3_cpuif_init(): private interrupts.
      yield* c.write('GICR_ICENABLER0', 0xffffffff);
      yield* waitRwp(c, true);
      yield* c.write('GICR_ICPENDR0', 0xffffffff);
      yield* c.write('GICR_IGROUPR0', IGROUPR_VAL);
      yield* c.write('GICR_IGRPMODR0', 0xffffffff);
      for (let i = 0; i < 8; i++) yield* c.write(`GICR_IPRIORITYR${i}`, DEF_PRI_X4);
      yield* c.write('GICR_ICFGR1', 0);
      const sre = yield* c.sysRead('ICC_SRE_EL1');
      if ((sre & 1n) === 0n) yield* c.sysWrite('ICC_SRE_EL1', sre | 1n);
      yield* c.sysWrite('ICC_PMR_EL1', 0xff);
      yield* c.sysWrite('ICC_IGRPEN1_EL1', 1);
      // IRQ_CONNECT + irq_enable(): priority byte, level config, route to this core, enable.
      c.onIrq(function* (h) {
        const iar = yield* h.sysRead('ICC_IAR1_EL1');
        if ((iar & 0xffffffn) === SPURIOUS) return;
        yield* h.assertEq(iar & 0xffffffn, DEVICE_SPI, 'ISR runs for the device SPI');
        handled++;
        yield* h.line(DEVICE_SPI, 0); // the ISR quiets the device
        yield* h.sysWrite('ICC_EOIR1_EL1', iar);
      });
      yield* c.write(`GICD_IPRIORITYR${DEVICE_SPI >> 2}.B${DEVICE_SPI & 3}`, 0x40);
      const cfgName = `GICD_ICFGR${DEVICE_SPI >> 4}`;
      const cfg = yield* c.read(cfgName);
      yield* c.write(cfgName, cfg & ~(3n << BigInt((DEVICE_SPI & 15) * 2)) & 0xffffffffn);
      yield* c.write(`GICD_IROUTER${DEVICE_SPI}`, compressedAffinity(c.mpidr) & 0xffffffn);
      yield* c.write(`GICD_ISENABLER${DEVICE_SPI >> 5}`, 1n << BigInt(DEVICE_SPI & 31));
      yield* c.unmask();
      c.scheduleLine(50000, DEVICE_SPI, 1);
      yield* waitUntil(c, () => handled > 0, 20000, 50);
      yield* c.assertEq(handled, 1, 'device interrupt handled once');
    };
  },
});
