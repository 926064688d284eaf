// ST-VGIC-IRQ: Linux KVM selftests tools/testing/selftests/kvm/arm64/vgic_irq.c, test_vgic()
// with guest_code() and guest_irq_generic_handler(), run for the four combinations of
// level/edge x EOI split (../shared/spec/test-guest-scenarios.md §4, "ST-VGIC-IRQ"). 1 vCPU,
// nr_irqs 64. Per injection method: test_injection (batches SGI 0, SGIs 0-15, PPI 16, SPI 32,
// SPI 63, all SPIs: each handled exactly once, IAR empty after), test_preemption (the older
// version's 4 SGIs/PPIs/SPIs, descending priorities, EOI in reverse order); then
// test_restore_active. Scaled down from the original: two host injection methods per trigger
// mode (KVM_IRQ_LINE and the userspace ISPENDR write; irqfd and LEVEL_INFO inject the same way as
// far as the GIC sees). Group: everything stays Group 1 [G~].

import { defineGuest, GuestDefinition, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { SPURIOUS } from './lib/gic';
import { hostSetBit, stInitCpu, stInitDist, stIrqBit, stIrqEnable, stSetConfig, stSetPriority } from './lib/selftest';

const NR_IRQS = 64;
const DEFAULT_PRIO = 0xf0;

type Kind = 'sgi' | 'ppi' | 'spi';
interface Method {
  name: string;
  kinds: Kind[];
  inject(c: Vcpu, intid: number): Step;
}

const kindOf = (intid: number): Kind => (intid < 16 ? 'sgi' : intid < 32 ? 'ppi' : 'spi');

function methods(level: boolean): Method[] {
  const ispendr: Method = {
    name: 'KVM_WRITE_ISPENDR',
    kinds: level ? ['ppi', 'spi'] : ['sgi', 'spi'],
    *inject(c, intid) {
      yield* hostSetBit(c, 'ISPENDR', intid);
    },
  };
  if (level) {
    return [
      {
        name: 'KVM_SET_IRQ_LINE_HIGH',
        kinds: ['ppi', 'spi'],
        *inject(c, intid) {
          yield* c.line(intid, 1);
        },
      },
      ispendr,
    ];
  }
  return [
    {
      name: 'KVM_INJECT_EDGE_IRQ_LINE',
      kinds: ['spi'],
      *inject(c, intid) {
        yield* c.line(intid, 1);
        yield* c.line(intid, 0);
      },
    },
    ispendr,
  ];
}

const range = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i);

function stVgicIrq(level: boolean, split: boolean): GuestDefinition {
  const mode = `${level ? 'level' : 'edge'}${split ? '-split' : ''}`;
  return defineGuest({
    name: `st-vgic-irq-${mode}`,
    title: `KVM selftests vgic_irq, ${level ? 'level' : 'edge'}-triggered, eoi_split=${split ? 1 : 0}`,
    scenario: 'ST-VGIC-IRQ: tools/testing/selftests/kvm/arm64/vgic_irq.c test_vgic / guest_code / guest_irq_generic_handler',
    gic: { version: 3, cpus: 1, spis: NR_IRQS - 32 },
    program() {
      const handled = new Array<number>(NR_IRQS).fill(0);
      return function* (c: Vcpu): Step {
        // guest_code(): set up the GIC.
        yield* stInitDist(c);
        yield* stInitCpu(c);
        for (let i = 32; i < NR_IRQS; i++) yield* stSetConfig(c, i, !level);
        for (let i = 0; i < NR_IRQS; i++) yield* stIrqEnable(c, i);
        yield* c.sysWrite('ICC_CTLR_EL1', split ? 2 : 0);
        for (let i = 0; i < NR_IRQS; i++) yield* stSetPriority(c, i, DEFAULT_PRIO);
        yield* c.sysWrite('ICC_PMR_EL1', 0xf8);

        // guest_irq_generic_handler()
        c.onIrq(function* (h) {
          const intid = Number((yield* h.sysRead('ICC_IAR1_EL1')) & 0xffffffn);
          if (BigInt(intid) === SPURIOUS) return;
          yield* h.assert(yield* stIrqBit(h, 'ISACTIVER', intid), `INTID ${intid} active after ack`);
          if (!level) yield* h.assert(!(yield* stIrqBit(h, 'ISPENDR', intid)), `edge INTID ${intid} not pending after ack`);
          if (level && intid >= 16) yield* h.line(intid, 0); // GUEST_SYNC(SET_IRQ_LINE, intid, 0)
          handled[intid]++;
          yield* h.sysWrite('ICC_EOIR1_EL1', intid);
          yield* h.assertEq(yield* h.sysRead('ICC_AP1R0_EL1'), 0, `AP1R0 clear after EOIR of ${intid}`);
          if (split) yield* h.sysWrite('ICC_DIR_EL1', intid);
          const act = yield* stIrqBit(h, 'ISACTIVER', intid);
          const pend = yield* stIrqBit(h, 'ISPENDR', intid);
          yield* h.assert(!act && !pend, `INTID ${intid} inactive after deactivation`);
        });
        yield* c.unmask();

        for (const m of methods(level)) {
          yield* c.log(`method ${m.name}`);
          // test_injection
          const batches = [range(0, 1), range(0, 16), range(16, 1), range(32, 1), range(NR_IRQS - 1, 1), range(32, NR_IRQS - 32)];
          for (const batch of batches) {
            if (!m.kinds.includes(kindOf(batch[0]))) continue;
            for (const i of batch) yield* stSetPriority(c, i, (i % 31) << 3);
            handled.fill(0);
            yield* c.mask();
            for (const i of batch) yield* m.inject(c, i);
            while (handled.reduce((a, b) => a + b, 0) < batch.length) {
              yield* c.wfi();
              yield* c.unmask();
              yield* c.mask();
            }
            yield* c.assert(batch.every((i) => handled[i] === 1), `${m.name}: INTIDs ${batch[0]}..${batch[batch.length - 1]} each handled exactly once`);
            yield* c.assertEq((yield* c.sysRead('ICC_IAR1_EL1')) & 0xffffffn, SPURIOUS, `${m.name}: IAR empty after batch`);
            yield* c.unmask();
            for (const i of batch) yield* stSetPriority(c, i, DEFAULT_PRIO);
          }
          // test_preemption (4 SGIs, 4 PPIs, 4 SPIs where the method can inject them)
          for (const first of [0, 16, 32]) {
            if (!m.kinds.includes(kindOf(first))) continue;
            yield* preemption(c, m, range(first, 4), level, split);
          }
        }
        yield* restoreActive(c, split);
      };
    },
  });
}

/** test_preemption: later INTIDs have higher priority and preempt the earlier, still-active ones. */
function* preemption(c: Vcpu, m: Method, ids: number[], level: boolean, split: boolean): Step {
  for (let k = 0; k < ids.length; k++) yield* stSetPriority(c, ids[k], (ids.length - 1 - k) * 8);
  yield* c.mask();
  for (const i of ids) {
    yield* m.inject(c, i);
    let iar = SPURIOUS;
    for (let tries = 0; tries < 100 && iar === SPURIOUS; tries++) {
      yield* c.wfi();
      iar = (yield* c.sysRead('ICC_IAR1_EL1')) & 0xffffffn;
    }
    yield* c.assertEq(iar, i, `${m.name}: preempting INTID ${i} acknowledged`);
    if (level && i >= 16) yield* c.line(i, 0);
  }
  for (const i of [...ids].reverse()) yield* c.sysWrite('ICC_EOIR1_EL1', i);
  if (split) for (const i of ids) yield* c.sysWrite('ICC_DIR_EL1', i);
  yield* c.unmask();
  for (const i of ids) yield* c.assert(!(yield* stIrqBit(c, 'ISACTIVER', i)), `${m.name}: INTID ${i} not active after preemption test`);
  yield* c.assertEq(yield* c.sysRead('ICC_AP1R0_EL1'), 0, `${m.name}: AP1R0 clear after preemption test`);
  yield* c.assertEq((yield* c.sysRead('ICC_IAR1_EL1')) & 0xffffffn, SPURIOUS, `${m.name}: IAR empty after preemption test`);
  for (const i of ids) yield* stSetPriority(c, i, DEFAULT_PRIO);
}

/** test_restore_active: the host restores active state (userspace ISACTIVER) and the guest its APRs. */
function* restoreActive(c: Vcpu, split: boolean): Step {
  yield* c.log('method KVM_WRITE_ISACTIVER');
  for (const first of [0, 16, 32]) {
    const ids = range(first, 4);
    for (let k = 0; k < ids.length; k++) yield* stSetPriority(c, ids[k], (ids.length - 1 - k) * 8);
    yield* c.mask();
    for (let k = 0; k < ids.length; k++) {
      yield* hostSetBit(c, 'ISACTIVER', ids[k]);
      const ap = yield* c.sysRead('ICC_AP1R0_EL1');
      yield* c.sysWrite('ICC_AP1R0_EL1', ap | (1n << BigInt(k)));
    }
    for (const i of [...ids].reverse()) yield* c.sysWrite('ICC_EOIR1_EL1', i);
    if (split) for (const i of ids) yield* c.sysWrite('ICC_DIR_EL1', i);
    yield* c.unmask();
    for (const i of ids) yield* c.assert(!(yield* stIrqBit(c, 'ISACTIVER', i)), `restore-active: INTID ${i} not active after EOI`);
    yield* c.assertEq(yield* c.sysRead('ICC_AP1R0_EL1'), 0, `restore-active: AP1R0 clear`);
    yield* c.assertEq((yield* c.sysRead('ICC_IAR1_EL1')) & 0xffffffn, SPURIOUS, `restore-active: IAR empty`);
    for (const i of ids) yield* stSetPriority(c, i, DEFAULT_PRIO);
  }
}

export const stVgicIrqEdge = stVgicIrq(false, false);
export const stVgicIrqEdgeSplit = stVgicIrq(false, true);
export const stVgicIrqLevel = stVgicIrq(true, false);
export const stVgicIrqLevelSplit = stVgicIrq(true, true);
