// Timer model factory: the per-vCPU EL1 virtual and physical generic timers (generic-timer.ts).

import { DepTracker } from '../model/deps';
import { TraceHeader } from '../trace/events';
import { GenericTimers } from './generic-timer';
import { TimerModel } from './types';

export { GenericTimers } from './generic-timer';
export { PTIMER_PPI, VTIMER_PPI, TIMER_REGS } from './registers';

export function createTimer(header: TraceHeader, deps: DepTracker): TimerModel {
  return new GenericTimers(header, deps);
}
