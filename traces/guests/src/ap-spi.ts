// AP-SPI: the SPI part of the `irq` subtest in Andre Przywara's unmerged kvm-unit-tests series,
// Andre-ARM/kvm-unit-tests branch gic-group0, arm/gic.c spi_test_single() and spi_test_smp()
// (../shared/spec/test-guest-scenarios.md §3, "AP-SPI"), test SPI INTID 62. CPU0 drives; the
// others wait in WFI. single: target self, priority 0xA0 (read-modify-write), enable, ISPENDR ->
// exactly one IRQ on self; disabled + ISPENDR -> nothing; enable -> it fires once. smp: retarget
// to each other CPU (ITARGETSR byte on v2, IROUTER on v3), pend, check that CPU took it. Uses the
// mainline KUT-INIT (the branch's variant only adds the Group 0 enable bits). Group: [G~]/[—].

import { defineGuest, GuestDefinition, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { BootOrder } from './lib/boot';
import { compressedAffinity, mpidrOf, waitUntil } from './lib/gic';
import { checkAcked, kutHandler, kutInitV2, kutInitV3, KutStats } from './lib/kut';

const SPI = 62;
const WORD = SPI >> 5;
const BIT = 1n << BigInt(SPI & 31);

function* setTarget(c: Vcpu, cpu: number): Step {
  if (c.gicVersion === 3) {
    yield* c.write(`GICD_IROUTER${SPI}`, compressedAffinity(mpidrOf(c, cpu)) & 0xffffffn);
    return;
  }
  // gic_set_irq_target(): read-modify-write of the ITARGETSR byte.
  const name = `GICD_ITARGETSR${SPI >> 2}`;
  const shift = BigInt((SPI & 3) * 8);
  const v = yield* c.read(name);
  yield* c.write(name, (v & ~(0xffn << shift) & 0xffffffffn) | (BigInt(1 << cpu) << shift));
}

function* setPriority(c: Vcpu, prio: number): Step {
  const name = `GICD_IPRIORITYR${SPI >> 2}`;
  const shift = BigInt((SPI & 3) * 8);
  const v = yield* c.read(name);
  yield* c.write(name, (v & ~(0xffn << shift) & 0xffffffffn) | (BigInt(prio) << shift));
}

function apSpi(version: 2 | 3): GuestDefinition {
  return defineGuest({
    name: `ap-spi-v${version}`,
    title: `kvm-unit-tests gic-group0 gicv${version}-spi: SPI 62 pended by ISPENDR, enable gating, routed to every CPU`,
    scenario: 'AP-SPI: Andre-ARM/kvm-unit-tests gic-group0 arm/gic.c spi_test_single / spi_test_smp',
    gic: { version, cpus: 3, spis: 64 },
    program() {
      const boot = new BootOrder();
      const stats = new KutStats(3);
      return function* (c: Vcpu): Step {
        yield* boot.turn(c);
        if (version === 3) yield* kutInitV3(c);
        else yield* kutInitV2(c);
        c.onIrq(kutHandler(stats, SPI, null));
        yield* c.unmask();
        boot.done();
        if (c.id !== 0) {
          yield* c.idle();
          return;
        }
        yield* boot.all(c);
        const got = () => stats.acked.reduce((a, b) => a + b, 0) + stats.badIrq.filter((x) => x !== -1).length;
        // spi_test_single
        stats.reset();
        yield* setTarget(c, 0);
        yield* setPriority(c, 0xa0);
        yield* c.write(`GICD_ISENABLER${WORD}`, BIT);
        yield* c.write(`GICD_ISPENDR${WORD}`, BIT);
        yield* waitUntil(c, () => got() > 0, 10000, 50);
        yield* checkAcked(c, stats, 'single: pending SPI on self', [0]);
        yield* c.write(`GICD_ICPENDR${WORD}`, BIT);
        stats.reset();
        yield* c.write(`GICD_ICENABLER${WORD}`, BIT);
        yield* c.write(`GICD_ISPENDR${WORD}`, BIT);
        yield* c.delay(100000);
        yield* checkAcked(c, stats, 'single: disabled SPI stays pending', []);
        yield* c.write(`GICD_ISENABLER${WORD}`, BIT);
        yield* waitUntil(c, () => got() > 0, 10000, 50);
        yield* checkAcked(c, stats, 'single: enabling delivers it', [0]);
        // spi_test_smp
        for (let cpu = 1; cpu < c.cpuCount; cpu++) {
          stats.reset();
          yield* setTarget(c, cpu);
          yield* setPriority(c, 0xa0);
          yield* c.write(`GICD_ISENABLER${WORD}`, BIT);
          yield* c.write(`GICD_ISPENDR${WORD}`, BIT);
          yield* waitUntil(c, () => got() > 0, 10000, 50);
          yield* c.delay(20000);
          yield* checkAcked(c, stats, `smp: SPI routed to CPU${cpu}`, [cpu]);
          yield* c.write(`GICD_ICPENDR${WORD}`, BIT);
        }
      };
    },
  });
}

export const apSpiV3 = apSpi(3);
export const apSpiV2 = apSpi(2);
