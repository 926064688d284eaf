// Group-configuration guest (ours), GICv2: SPI 40 moved to Group 1 (IRQ), SPI 41 left in Group 0
// and signalled as FIQ (GICC_CTLR.FIQEn); with AckCtl = 1 GICC_IAR acknowledges the Group 1
// interrupt too; with AckCtl = 0 it returns 1022 for it (the "1022 rule",
// ../shared/spec/vgic-v2.md §5.4) until AckCtl is set again. After kvm-unit-tests' gic-group0
// helpers gicv2_enable_fiq / gicv2_enable_group1 (Andre-ARM/kvm-unit-tests gic-group0,
// ../shared/spec/test-guest-scenarios.md §3) and ../shared/spec/policies.md: under rev1 the
// IGROUPR write is dropped, so both SPIs stay Group 0 and arrive as FIQ. [G!]

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { waitUntil } from './lib/gic';
import { kutInitV2 } from './lib/kut';

const G1_SPI = 40;
const G0_SPI = 41;
const EN_GRP0 = 1n;
const EN_GRP1 = 2n;
const ACKCTL = 4n;
const FIQEN = 8n;

export const grp1AckctlV2 = defineGuest({
  name: 'grp1-ackctl-v2',
  title: 'GICv2: Group 1 SPI as IRQ and Group 0 SPI as FIQ (FIQEn), GICC_IAR with and without AckCtl',
  scenario: 'own group guest after gic-group0 gicv2_enable_fiq / gicv2_enable_group1 (Andre-ARM/kvm-unit-tests gic-group0 lib/arm/gic-v2.c)',
  gic: { version: 2, cpus: 1, spis: 64 },
  program() {
    const fiqs: number[] = [];
    const irqs: number[] = [];
    let spurious1022 = 0;
    return function* (c: Vcpu): Step {
      yield* kutInitV2(c);
      const g = yield* c.read('GICD_IGROUPR1');
      yield* c.write('GICD_IGROUPR1', g | (1n << BigInt(G1_SPI % 32)));
      yield* c.assert((((yield* c.read('GICD_IGROUPR1')) >> BigInt(G1_SPI % 32)) & 1n) === 1n, 'SPI 40 reads back as Group 1');
      for (const spi of [G1_SPI, G0_SPI]) {
        yield* c.write(`GICD_ITARGETSR${spi >> 2}.B${spi & 3}`, 1);
        yield* c.write(`GICD_ISENABLER${spi >> 5}`, 1n << BigInt(spi & 31));
      }
      const ctlr = yield* c.read('GICC_CTLR');
      yield* c.write('GICC_CTLR', ctlr | EN_GRP0 | EN_GRP1 | ACKCTL | FIQEN);
      const handler = (log: number[]) =>
        function* (h: Vcpu): Step {
          const iar = yield* h.read('GICC_IAR');
          const intid = Number(iar & 0x3ffn);
          if (intid === 1022) {
            // Group 1 pending but AckCtl = 0: turn AckCtl on and acknowledge it.
            spurious1022++;
            yield* h.write('GICC_CTLR', (yield* h.read('GICC_CTLR')) | ACKCTL);
            return;
          }
          if (intid >= 1020) return;
          log.push(intid);
          yield* h.write('GICC_EOIR', iar);
        };
      c.onFiq(handler(fiqs));
      c.onIrq(handler(irqs));
      yield* c.unmask({ irq: true, fiq: true });

      for (const spi of [G0_SPI, G1_SPI]) {
        yield* c.line(spi, 1);
        yield* c.line(spi, 0);
      }
      yield* waitUntil(c, () => fiqs.length + irqs.length >= 2, 5000, 20);
      yield* c.assert(fiqs.join(',') === `${G0_SPI}`, `Group 0 SPI 41 taken as FIQ (fiq: ${fiqs.join(',')})`);
      yield* c.assert(irqs.join(',') === `${G1_SPI}`, `Group 1 SPI 40 taken as IRQ and acknowledged with AckCtl=1 (irq: ${irqs.join(',')})`);

      // AckCtl = 0: GICC_IAR reads 1022 for the Group 1 interrupt.
      fiqs.length = 0;
      irqs.length = 0;
      yield* c.write('GICC_CTLR', EN_GRP0 | EN_GRP1 | FIQEN);
      yield* c.line(G1_SPI, 1);
      yield* c.line(G1_SPI, 0);
      yield* waitUntil(c, () => irqs.length > 0, 5000, 20);
      yield* c.assertEq(spurious1022, 1, 'GICC_IAR returned 1022 once while AckCtl was 0');
      yield* c.assert(irqs.join(',') === `${G1_SPI}` && fiqs.length === 0, `SPI 40 acknowledged after AckCtl was set (irq: ${irqs.join(',')})`);
      yield* c.mask({ irq: true, fiq: true });
    };
  },
});
