// Timer model factory. PLACEHOLDER: serves no register and drives no line until the timer model lands.

import { DepTracker } from '../model/deps';
import { TraceHeader } from '../trace/events';
import { TimerModel } from './types';

export function createTimer(header: TraceHeader, deps: DepTracker): TimerModel {
  void header;
  void deps;
  return {
    serves: () => false,
    read: () => {
      throw new Error('timer model not built');
    },
    write: () => {
      throw new Error('timer model not built');
    },
    nextChange: () => null,
    evaluate: () => [],
    drivesLine: () => false,
    lineLevel: () => 0,
  };
}
