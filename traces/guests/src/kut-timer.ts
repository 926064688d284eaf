// KUT-TIMER: kvm-unit-tests arm/timer.c, main() -> test_timer(&vtimer_info) and
// test_timer(&ptimer_info): test_timer_cval, test_timer_pending, test_timer_tval, with
// irq_handler() masking the timer (CTL = IMASK|ENABLE) before EOI
// (../shared/spec/test-guest-scenarios.md §2, "KUT-TIMER"). The 10 ms windows are scaled to
// 100 µs of guest time so the trace stays small. Group: [G~] (KUT-INIT-V3).

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { irqState, PTIMER_PPI, setBit, SPURIOUS, VTIMER_PPI } from './lib/gic';
import { kutInitV3 } from './lib/kut';

const ENABLE = 1n;
const IMASK = 2n;
const ISTATUS = 4n;
/** "10 ms" of the original, scaled: 100 µs = 6250 ticks at 62.5 MHz = 100000 guest cycles. */
const WINDOW_TICKS = 6250n;
const WINDOW_CYCLES = 100000;

interface TimerInfo {
  name: 'vtimer' | 'ptimer';
  irq: number;
  cnt: string;
  ctl: string;
  cval: string;
  tval: string;
  received: boolean;
}

function* testTimer(c: Vcpu, t: TimerInfo): Step {
  // test_timer_cval: interrupt within the window after CVAL = now + window.
  t.received = false;
  const now = yield* c.sysRead(t.cnt);
  yield* c.sysWrite(t.cval, now + WINDOW_TICKS);
  yield* c.sysWrite(t.ctl, ENABLE);
  for (let i = 0; i < 40 && !t.received; i++) yield* c.delay(WINDOW_CYCLES / 10);
  const after = yield* c.sysRead(t.cnt);
  yield* c.assert(t.received, `${t.name}-busy-loop: interrupt received`);
  yield* c.assert(after - now < 4n * WINDOW_TICKS, `${t.name}-busy-loop: latency within budget`);

  // test_timer_pending
  yield* setBit(c, 'ICENABLER', t.irq);
  t.received = false;
  yield* c.sysWrite(t.cval, (yield* c.sysRead(t.cnt)) + 1000n * WINDOW_TICKS);
  yield* c.sysWrite(t.ctl, ENABLE);
  yield* c.assert((yield* irqState(c, t.irq)) === 'inactive', `${t.name}-pending: not pending before the deadline`);
  yield* c.delay(WINDOW_CYCLES);
  yield* c.assert((yield* irqState(c, t.irq)) === 'inactive', `${t.name}-pending: still not pending`);
  yield* c.sysWrite(t.cval, (yield* c.sysRead(t.cnt)) - 1n);
  yield* c.assert((yield* irqState(c, t.irq)) === 'pending', `${t.name}-pending: pending once CVAL has passed`);
  yield* c.sysWrite(t.ctl, 0);
  yield* setBit(c, 'ISENABLER', t.irq);
  yield* c.delay(WINDOW_CYCLES);
  yield* c.assert(!t.received && (yield* irqState(c, t.irq)) === 'inactive', `${t.name}-pending: disabled timer raises nothing`);
  yield* c.sysWrite(t.ctl, ENABLE | IMASK);
  yield* c.sysWrite(t.cval, (yield* c.sysRead(t.cnt)) - 1n);
  yield* c.delay(WINDOW_CYCLES / 10);
  yield* c.assert(!t.received && (yield* irqState(c, t.irq)) === 'inactive', `${t.name}-pending: masked output is not pending`);
  const ctl = yield* c.sysRead(t.ctl);
  yield* c.assert((ctl & ISTATUS) !== 0n, `${t.name}-pending: ISTATUS set while masked`);
  yield* c.sysWrite(t.ctl, 0);

  // test_timer_tval: TVAL = window, WFI until the interrupt.
  t.received = false;
  yield* c.sysWrite(t.tval, WINDOW_TICKS);
  yield* c.sysWrite(t.ctl, ENABLE);
  for (let i = 0; i < 10 && !t.received; i++) yield* c.wfi();
  const tval = BigInt.asIntN(32, yield* c.sysRead(t.tval));
  yield* c.assert(t.received, `${t.name}-tval: interrupt received`);
  yield* c.assert(tval <= 0n, `${t.name}-tval: TVAL has counted down past 0`);
  yield* c.sysWrite(t.ctl, 0);
}

export const kutTimer = defineGuest({
  name: 'kut-timer-v3',
  title: 'kvm-unit-tests timer: vtimer and ptimer via CVAL, pending state, TVAL + WFI',
  scenario: 'KUT-TIMER: kvm-unit-tests arm/timer.c test_timer / test_timer_cval / test_timer_pending / test_timer_tval / irq_handler',
  gic: { version: 3, cpus: 1, spis: 256 },
  program() {
    const timers: TimerInfo[] = [
      { name: 'vtimer', irq: VTIMER_PPI, cnt: 'CNTVCT_EL0', ctl: 'CNTV_CTL_EL0', cval: 'CNTV_CVAL_EL0', tval: 'CNTV_TVAL_EL0', received: false },
      { name: 'ptimer', irq: PTIMER_PPI, cnt: 'CNTPCT_EL0', ctl: 'CNTP_CTL_EL0', cval: 'CNTP_CVAL_EL0', tval: 'CNTP_TVAL_EL0', received: false },
    ];
    return function* (c: Vcpu): Step {
      yield* kutInitV3(c);
      const freq = yield* c.sysRead('CNTFRQ_EL0');
      yield* c.log(`CNTFRQ_EL0: ${freq} Hz`);
      c.onIrq(function* (h) {
        const iar = yield* h.sysRead('ICC_IAR1_EL1');
        const intid = Number(iar & 0xffffffn);
        if (BigInt(intid) === SPURIOUS) return;
        const t = timers.find((x) => x.irq === intid);
        if (t) {
          yield* h.sysWrite(t.ctl, IMASK | ENABLE);
          t.received = true;
        } else yield* h.assert(false, `unexpected interrupt ${intid}`);
        yield* h.sysWrite('ICC_EOIR1_EL1', iar);
      });
      for (const t of timers) yield* setBit(c, 'ISENABLER', t.irq);
      yield* c.unmask();
      for (const t of timers) yield* testTimer(c, t);
    };
  },
});
