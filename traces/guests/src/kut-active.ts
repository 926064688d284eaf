// KUT-ACTIVE: kvm-unit-tests arm/gic.c run_active_clear_test() with ipi_clear_active_handler(),
// the gicv2-active and gicv3-active tests (../shared/spec/test-guest-scenarios.md §2,
// "KUT-ACTIVE"). CPU0 sends itself SGI 1; the handler acknowledges it and deactivates it through
// the distributor (ICACTIVER0 = 0x2) without writing EOIR, so there is no priority drop. Group:
// [G~] on v3, [—] on v2.

import { defineGuest, GuestDefinition, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { sendSgiV2, sendSgiV3, SPURIOUS, waitUntil } from './lib/gic';
import { checkAcked, kutInitV2, kutInitV3, KutStats } from './lib/kut';

function kutActive(version: 2 | 3): GuestDefinition {
  return defineGuest({
    name: `kut-active-v${version}`,
    title: `kvm-unit-tests gicv${version}-active: self SGI deactivated through ICACTIVER0 instead of EOIR`,
    scenario: 'KUT-ACTIVE: kvm-unit-tests arm/gic.c run_active_clear_test / ipi_clear_active_handler',
    gic: { version, cpus: 1, spis: 256 },
    program() {
      const stats = new KutStats(1);
      return function* (c: Vcpu): Step {
        if (version === 3) yield* kutInitV3(c);
        else yield* kutInitV2(c);
        c.onIrq(function* (h) {
          const iar = version === 2 ? yield* h.read('GICC_IAR') : yield* h.sysRead('ICC_IAR1_EL1');
          const intid = iar & 0x3ffn;
          if (intid === SPURIOUS) {
            stats.spurious[h.id]++;
            return;
          }
          yield* h.write(version === 2 ? 'GICD_ICACTIVER0' : 'GICR_ICACTIVER0', 1n << intid);
          if (intid !== 1n) stats.badIrq[h.id] = Number(intid);
          else if (version === 2 && ((iar >> 10n) & 7n) !== 0n) stats.badSender[h.id] = Number((iar >> 10n) & 7n);
          else stats.acked[h.id]++;
        });
        yield* c.unmask();
        if (version === 3) yield* sendSgiV3(c, 1, [0]);
        else yield* sendSgiV2(c, 1, 2);
        yield* waitUntil(c, () => stats.acked[0] + (stats.badIrq[0] !== -1 ? 1 : 0) > 0, 100000, 50);
        yield* c.delay(100000);
        yield* checkAcked(c, stats, 'active', [0]);
        if (version === 3) yield* c.log(`ICC_AP1R0_EL1 = 0x${(yield* c.sysRead('ICC_AP1R0_EL1')).toString(16)} (no priority drop without EOIR)`);
      };
    },
  });
}

export const kutActiveV3 = kutActive(3);
export const kutActiveV2 = kutActive(2);
