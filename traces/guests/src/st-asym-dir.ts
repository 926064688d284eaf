// ST-ASYM-DIR: Linux KVM selftests tools/testing/selftests/kvm/arm64/vgic_irq.c,
// test_vgic_two_cpus(guest_code_asym_dir) (../shared/spec/test-guest-scenarios.md §4,
// "ST-ASYM-DIR"). Both vCPUs: ST-INIT, EOImode = 1, PMR 0xF8. vCPU0 acknowledges SPI 32 and only
// drops its priority (EOIR); vCPU1 deactivates it with ICC_DIR_EL1 although it was acknowledged on
// vCPU0; vCPU0 then checks SPI 32 is no longer active. Group: [G~].

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { SPURIOUS } from './lib/gic';
import { stInitCpu, stInitDist, stIrqBit, stIrqEnable, stSetPriority } from './lib/selftest';

const SPI = 32;

export const stAsymDir = defineGuest({
  name: 'st-asym-dir',
  title: 'KVM selftests vgic_irq asym_dir: SPI acknowledged on vCPU0, deactivated by ICC_DIR_EL1 on vCPU1',
  scenario: 'ST-ASYM-DIR: tools/testing/selftests/kvm/arm64/vgic_irq.c test_vgic_two_cpus / guest_code_asym_dir',
  gic: { version: 3, cpus: 2, spis: 32 },
  program() {
    let distReady = false;
    let flag = false;
    return function* (c: Vcpu): Step {
      if (c.id === 0) {
        yield* stInitDist(c);
        distReady = true;
      } else {
        while (!distReady) yield* c.delay(5000);
      }
      yield* stInitCpu(c);
      yield* c.sysWrite('ICC_CTLR_EL1', 2); // EOImode = 1
      yield* c.sysWrite('ICC_PMR_EL1', 0xf8);
      if (c.id === 0) {
        // IRQs stay masked: the guest polls IAR itself.
        yield* stSetPriority(c, 16, 30); // as written upstream: PPI 16, unshifted 30
        yield* stIrqEnable(c, SPI);
        yield* c.write('GICD_ISPENDR1', 1n << BigInt(SPI % 32));
        let iar = SPURIOUS;
        for (let tries = 0; tries < 100 && iar === SPURIOUS; tries++) {
          yield* c.wfi();
          iar = (yield* c.sysRead('ICC_IAR1_EL1')) & 0xffffffn;
        }
        yield* c.assertEq(iar, SPI, 'vCPU0 acknowledges SPI 32');
        yield* c.sysWrite('ICC_EOIR1_EL1', SPI); // priority drop only
        flag = true;
        while (flag) yield* c.delay(2000);
        yield* c.assert(!(yield* stIrqBit(c, 'ISACTIVER', SPI)), 'SPI 32 not active after vCPU1 wrote ICC_DIR_EL1');
      } else {
        while (!flag) yield* c.delay(2000);
        yield* c.sysWrite('ICC_DIR_EL1', SPI);
        flag = false;
      }
    };
  },
});
