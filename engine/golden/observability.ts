// Bridge to the sources' observability rules (engine/replay/observability.ts): a
// difference in a register the trace's source could not observe is marked, because there the
// golden holds the model's word alone, with no recording to back it.

import { sourceCanObserve } from '../replay/observability';
import { TraceHeader } from '../trace/events';
import { ParsedLine } from './render';

export function unobservableFor(header: TraceHeader): (p: ParsedLine) => boolean {
  return (p) => {
    if (p.op !== 'read' || !p.reg) return false;
    const via = p.via === 'sysreg' || p.via === 'user' ? p.via : 'mmio';
    return !sourceCanObserve(header, { reg: p.reg, via });
  };
}
