// KUT-PL031: kvm-unit-tests arm/pl031.c, check_rtc_irq() (../shared/spec/test-guest-scenarios.md
// §2, "KUT-PL031"): a device SPI line. QEMU virt's PL031 RTC is SPI 2 (INTID 34). The RTC match
// fires while the RTC's own interrupt mask is off (line stays low: GIC not pending); unmasking at
// the RTC raises the line (pending in GICD_ISPENDR); enabling the SPI delivers it; the handler
// acknowledges, clears the RTC (line low) and EOIs; afterwards the SPI is no longer pending.
// The PL031 register accesses themselves go to QEMU, not the GIC, and are not recorded: the
// guest's write to the RTC's IMSC/ICR shows up as the VMM driving the line. Group: [G~].

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { irqState, setBit, SPURIOUS } from './lib/gic';
import { kutInitV3 } from './lib/kut';

const RTC_IRQ = 32 + 2;

export const kutPl031 = defineGuest({
  name: 'kut-pl031-v3',
  title: 'kvm-unit-tests pl031: RTC SPI pending only when unmasked at the device, delivered once enabled',
  scenario: 'KUT-PL031: kvm-unit-tests arm/pl031.c check_rtc_irq / irq_handler',
  gic: { version: 3, cpus: 1, spis: 256 },
  program() {
    let triggered = 0;
    let rtcLine: 0 | 1 = 0;
    return function* (c: Vcpu): Step {
      yield* kutInitV3(c);
      c.onIrq(function* (h) {
        const iar = yield* h.sysRead('ICC_IAR1_EL1');
        const intid = Number(iar & 0xffffffn);
        if (BigInt(intid) === SPURIOUS) return;
        yield* h.assertEq(intid, RTC_IRQ, 'interrupt is the RTC SPI');
        yield* h.assert(rtcLine === 1, 'RTC raw interrupt status set in the handler');
        // writel(1, &pl031->icr): the RTC drops its line.
        rtcLine = 0;
        yield* h.line(RTC_IRQ, 0);
        triggered++;
        yield* h.sysWrite('ICC_EOIR1_EL1', iar);
      });
      yield* c.unmask();
      // RTC match in 1 "second" (scaled to 1 ms) with the RTC interrupt masked: no line.
      yield* c.delay(1000000);
      yield* c.assert((yield* irqState(c, RTC_IRQ)) === 'inactive', 'no pending SPI while the RTC masks its interrupt');
      // Unmask at the RTC (IMSC = 1): the matched RTC raises its line.
      rtcLine = 1;
      yield* c.line(RTC_IRQ, 1);
      yield* c.assert((yield* irqState(c, RTC_IRQ)) === 'pending', 'SPI pending once the RTC unmasks');
      yield* setBit(c, 'ISENABLER', RTC_IRQ);
      for (let i = 0; i < 100 && !triggered; i++) yield* c.delay(10000);
      yield* c.assertEq(triggered, 1, 'IRQ triggered exactly once');
      yield* c.assert((yield* irqState(c, RTC_IRQ)) === 'inactive', 'SPI no longer pending after the handler');
    };
  },
});
