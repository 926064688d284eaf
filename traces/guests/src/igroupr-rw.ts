// Group-configuration guests (ours): write IGROUPR patterns and read them back, on GICv3 (GICD
// SPI banks, each vCPU's GICR_IGROUPR0, the RAZ/WI GICD_IGROUPR0) and on GICv2 (the banked
// GICD_IGROUPR0 per CPU and the SPI banks). The read-back style of kvm-unit-tests' gic-group0
// "writable IGROUPR" check (Andre-ARM/kvm-unit-tests e0899ba, ../shared/spec/test-guest-scenarios.md
// §3) and of the proposed selftests vgic_group_iidr.c / vgic_group_v2.c (§1), written from
// ../shared/spec/policies.md: at rev1 the writes are dropped and IGROUPR reads the reset value
// (v3 all ones, v2 all zeros). Also prints GICD_IIDR (and GICR_CTLR on v3). [G!] [IIDR]

import { defineGuest, GuestDefinition, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';

function* readBack(c: Vcpu, name: string, value: number, opts?: { rd: number }): Step {
  yield* c.write(name, value, opts);
  yield* c.assertEq(yield* c.read(name, opts), value, `${name}${opts ? `@rd${opts.rd}` : ''} reads back 0x${value.toString(16)}`);
}

function igrouprRw(version: 2 | 3): GuestDefinition {
  return defineGuest({
    name: `igroupr-rw-v${version}`,
    title: `GICv${version}: IGROUPR written with patterns and read back, per bank and per vCPU`,
    scenario: 'own group guest after gic-group0 "writable IGROUPR" (Andre-ARM/kvm-unit-tests e0899ba) and the proposed selftests vgic_group_iidr.c / vgic_group_v2.c',
    gic: { version, cpus: 2, spis: 64 },
    program() {
      let cpu1Done = false;
      return function* (c: Vcpu): Step {
        if (c.id === 1) {
          // Each vCPU owns its private bank: GICR_IGROUPR0 (v3) or the banked GICD_IGROUPR0 (v2).
          if (version === 3) yield* readBack(c, 'GICR_IGROUPR0', 0x0000ffff);
          else yield* readBack(c, 'GICD_IGROUPR0', 0xffff0000);
          cpu1Done = true;
          return;
        }
        const iidr = yield* c.read('GICD_IIDR');
        yield* c.log(`GICD_IIDR 0x${iidr.toString(16)} (revision ${(iidr >> 12n) & 0xfn})`);
        if (version === 3) {
          const ctlr = yield* c.read('GICR_CTLR');
          yield* c.log(`GICR_CTLR 0x${ctlr.toString(16)}`);
          // The distributor's private bank is RAZ/WI with ARE set, whatever the policy.
          yield* c.write('GICD_IGROUPR0', 0xffffffff);
          yield* c.assertEq(yield* c.read('GICD_IGROUPR0'), 0, 'GICD_IGROUPR0 is RAZ/WI (ARE=1)');
        }
        const reset = version === 3 ? 0xffffffff : 0;
        for (const n of [1, 2]) yield* c.assertEq(yield* c.read(`GICD_IGROUPR${n}`), reset, `GICD_IGROUPR${n} reset value`);
        for (const pattern of [0x0f0f0f0f, 0x12345678, 0x00000000, 0xffffffff]) {
          yield* readBack(c, 'GICD_IGROUPR1', pattern);
          yield* readBack(c, 'GICD_IGROUPR2', (~pattern & 0xffffffff) >>> 0);
        }
        if (version === 3) yield* readBack(c, 'GICR_IGROUPR0', 0xffff0000);
        else yield* readBack(c, 'GICD_IGROUPR0', 0x0000ffff);
        while (!cpu1Done) yield* c.delay(2000);
        // The other vCPU's private bank, seen from here.
        if (version === 3) yield* c.assertEq(yield* c.read('GICR_IGROUPR0', { rd: 1 }), 0x0000ffff, 'GICR_IGROUPR0@rd1 as vCPU1 wrote it');
        // Put everything back to the reset groups.
        for (const n of [1, 2]) yield* readBack(c, `GICD_IGROUPR${n}`, reset);
        if (version === 3) yield* readBack(c, 'GICR_IGROUPR0', reset);
        else yield* readBack(c, 'GICD_IGROUPR0', reset);
      };
    },
  });
}

export const igrouprRwV3 = igrouprRw(3);
export const igrouprRwV2 = igrouprRw(2);
