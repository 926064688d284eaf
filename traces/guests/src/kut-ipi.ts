// KUT-IPI: kvm-unit-tests arm/gic.c ipi_test() -> ipi_send() / irq_recv(), the gicv2-ipi and
// gicv3-ipi tests (../shared/spec/test-guest-scenarios.md §2, "KUT-IPI"). CPU1 sends SGI 1 to
// itself, to a target list (every other CPU starting at this_cpu & 1: CPUs 0 and 2), then to all
// other CPUs; check_acked() after each. Receivers sit in WFI. Group: v3 writes IGROUPR = ~0 (the
// reset value) [G~]; v2 never touches IGROUPR and relies on reset Group 0 [—].

import { defineGuest, GuestDefinition, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { BootOrder } from './lib/boot';
import { broadcastSgiV3, sendSgiV2, sendSgiV3, waitUntil } from './lib/gic';
import { checkAcked, kutHandler, kutInitV2, kutInitV3, KutStats } from './lib/kut';

const IPI_SENDER = 1;
const IPI_IRQ = 1;
/** KUT waits up to 5 s in 100 ms steps; scaled to guest cycles: 100 µs steps. */
const POLL = 100000;

function kutIpi(version: 2 | 3): GuestDefinition {
  return defineGuest({
    name: `kut-ipi-v${version}`,
    title: `kvm-unit-tests gicv${version}-ipi: SGI 1 to self, to a target list and to all others`,
    scenario: 'KUT-IPI: kvm-unit-tests arm/gic.c ipi_test / ipi_send / irq_recv / check_acked',
    gic: { version, cpus: 4, spis: 256 },
    program() {
      const boot = new BootOrder();
      const stats = new KutStats(4);
      return function* (c: Vcpu): Step {
        yield* boot.turn(c);
        if (version === 3) yield* kutInitV3(c);
        else yield* kutInitV2(c);
        c.onIrq(kutHandler(stats, IPI_IRQ, version === 2 ? IPI_SENDER : null));
        yield* c.unmask();
        boot.done();
        if (c.id !== IPI_SENDER) {
          yield* c.idle();
          return;
        }
        yield* boot.all(c);
        const total = () => stats.acked.reduce((a, b) => a + b, 0) + stats.badIrq.filter((x) => x !== -1).length;
        const run = function* (name: string, mask: number[], send: () => Step): Step {
          stats.reset();
          yield* c.log(`${name}: send SGI ${IPI_IRQ} to CPUs ${mask.join(',')}`);
          yield* send();
          yield* waitUntil(c, () => total() >= mask.length, POLL, 50);
          yield* c.delay(POLL); // late interrupts
          yield* checkAcked(c, stats, name, mask);
        };
        yield* run('self', [IPI_SENDER], function* () {
          if (version === 3) yield* sendSgiV3(c, IPI_IRQ, [IPI_SENDER]);
          else yield* sendSgiV2(c, IPI_IRQ, 2);
        });
        const list = [0, 1, 2, 3].filter((x) => x % 2 !== (IPI_SENDER & 1));
        yield* run('target-list', list, function* () {
          if (version === 3) yield* sendSgiV3(c, IPI_IRQ, list);
          else yield* sendSgiV2(c, IPI_IRQ, 0, list.reduce((m, x) => m | (1 << x), 0));
        });
        yield* run('broadcast', [0, 2, 3], function* () {
          if (version === 3) yield* broadcastSgiV3(c, IPI_IRQ);
          else yield* sendSgiV2(c, IPI_IRQ, 1);
        });
      };
    },
  });
}

export const kutIpiV3 = kutIpi(3);
export const kutIpiV2 = kutIpi(2);
