// ST-ARCH-TIMER: Linux KVM selftests tools/testing/selftests/kvm/arm64/arch_timer.c, guest_code()
// / guest_run_stage() / guest_irq_handler() (../shared/spec/test-guest-scenarios.md §4,
// "ST-ARCH-TIMER"). Each vCPU runs the stages vtimer-CVAL, vtimer-TVAL, ptimer-CVAL, ptimer-TVAL,
// nr_iter times each: program the timer one period ahead, udelay(period + margin), assert exactly
// one more interrupt arrived. The handler masks the timer and checks CNT >= CVAL and ISTATUS.
// Scaled: 2 vCPUs, 3 iterations, 1 ms period (the test defaults are 4 vCPUs, 5 iterations, 10 ms).
// Group: [G~] (ST-INIT).

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { PTIMER_PPI, SPURIOUS, VTIMER_PPI } from './lib/gic';
import { stInitCpu, stInitDist, stIrqEnable } from './lib/selftest';

const ENABLE = 1n;
const IMASK = 2n;
const ISTATUS = 4n;
const NR_ITER = 3;
/** 1 ms at 62.5 MHz. */
const PERIOD_TICKS = 62500n;
const PERIOD_CYCLES = 1000000;
const MARGIN_CYCLES = 100000;

interface Stage {
  name: string;
  timer: 'v' | 'p';
  mode: 'cval' | 'tval';
}

const STAGES: Stage[] = [
  { name: 'GUEST_STAGE_VTIMER_CVAL', timer: 'v', mode: 'cval' },
  { name: 'GUEST_STAGE_VTIMER_TVAL', timer: 'v', mode: 'tval' },
  { name: 'GUEST_STAGE_PTIMER_CVAL', timer: 'p', mode: 'cval' },
  { name: 'GUEST_STAGE_PTIMER_TVAL', timer: 'p', mode: 'tval' },
];

const reg = (t: 'v' | 'p', r: string) => `CNT${t.toUpperCase()}_${r}_EL0`;
const cnt = (t: 'v' | 'p') => `CNT${t.toUpperCase()}CT_EL0`;

export const stArchTimer = defineGuest({
  name: 'st-arch-timer',
  title: 'KVM selftests arch_timer: vtimer/ptimer via CVAL and TVAL, one interrupt per period',
  scenario: 'ST-ARCH-TIMER: tools/testing/selftests/kvm/arm64/arch_timer.c guest_code / guest_run_stage / guest_irq_handler',
  gic: { version: 3, cpus: 2, spis: 32 },
  program() {
    let distReady = false;
    const irqs = [0, 0];
    const stageOf: Stage[] = [STAGES[0], STAGES[0]];
    return function* (c: Vcpu): Step {
      if (c.id === 0) {
        yield* stInitDist(c);
        distReady = true;
      } else while (!distReady) yield* c.delay(5000);
      yield* stInitCpu(c);
      yield* c.sysWrite('CNTV_CTL_EL0', IMASK);
      yield* c.sysWrite('CNTP_CTL_EL0', IMASK);
      yield* stIrqEnable(c, VTIMER_PPI);
      yield* stIrqEnable(c, PTIMER_PPI);
      c.onIrq(function* (h) {
        const intid = Number((yield* h.sysRead('ICC_IAR1_EL1')) & 0xffffffn);
        if (BigInt(intid) === SPURIOUS) return;
        const s = stageOf[h.id];
        const ctl = yield* h.sysRead(reg(s.timer, 'CTL'));
        const xcnt = yield* h.sysRead(cnt(s.timer));
        const cval = yield* h.sysRead(reg(s.timer, 'CVAL'));
        if ((ctl & ENABLE) === 0n || (ctl & IMASK) !== 0n) {
          yield* h.sysWrite('ICC_EOIR1_EL1', intid);
          return;
        }
        yield* h.sysWrite(reg(s.timer, 'CTL'), IMASK);
        yield* h.assertEq(intid, s.timer === 'v' ? VTIMER_PPI : PTIMER_PPI, `${s.name}: INTID is the timer's PPI`);
        yield* h.assert(xcnt >= cval, `${s.name}: counter has reached CVAL`);
        yield* h.assert((ctl & ISTATUS) !== 0n, `${s.name}: ISTATUS set`);
        irqs[h.id]++;
        yield* h.sysWrite('ICC_EOIR1_EL1', intid);
      });
      yield* c.unmask();
      for (const s of STAGES) {
        stageOf[c.id] = s;
        for (let i = 0; i < NR_ITER; i++) {
          const before = irqs[c.id];
          if (s.mode === 'cval') {
            const now = yield* c.sysRead(cnt(s.timer));
            yield* c.sysWrite(reg(s.timer, 'CVAL'), now + PERIOD_TICKS);
          } else {
            yield* c.sysWrite(reg(s.timer, 'TVAL'), PERIOD_TICKS);
          }
          yield* c.sysWrite(reg(s.timer, 'CTL'), ENABLE);
          yield* c.delay(PERIOD_CYCLES + MARGIN_CYCLES);
          yield* c.assertEq(irqs[c.id], before + 1, `${s.name} iteration ${i}: exactly one interrupt`);
        }
      }
    };
  },
});
