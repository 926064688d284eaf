// Event <-> positional msgpack array. The layout is the contract in FORMAT.md; keep both in step.
// Integers below 2^32 travel as numbers (msgpack picks the smallest encoding); larger ones as
// BigInt, which msgpackr writes as uint64. Never a float: msgpackr would write a JS number
// above 2^32 as float64.

import { EventKind, TraceEvent } from './events';

const TWO32 = 0x100000000n;

export function wireUint(v: bigint): number | bigint {
  return v < TWO32 ? Number(v) : v;
}

export function eventToWire(ev: TraceEvent): unknown[] {
  const c = wireUint(ev.cycle);
  switch (ev.kind) {
    case EventKind.MmioRead:
      return [ev.kind, c, ev.cpu, ev.frame, ev.index, ev.offset, ev.size, ev.observed === null ? null : wireUint(ev.observed)];
    case EventKind.MmioWrite:
      return [ev.kind, c, ev.cpu, ev.frame, ev.index, ev.offset, ev.size, wireUint(ev.value)];
    case EventKind.SysregRead:
      return [ev.kind, c, ev.cpu, ev.enc, ev.observed === null ? null : wireUint(ev.observed)];
    case EventKind.SysregWrite:
      return [ev.kind, c, ev.cpu, ev.enc, wireUint(ev.value)];
    case EventKind.UserRead:
      return [ev.kind, c, ev.group, ev.cpu, ev.offset, ev.size, ev.observed === null ? null : wireUint(ev.observed)];
    case EventKind.UserWrite:
      return [ev.kind, c, ev.group, ev.cpu, ev.offset, ev.size, wireUint(ev.value)];
    case EventKind.Line:
      return [ev.kind, c, ev.intid, ev.cpu, ev.level];
    case EventKind.Marker:
      return [ev.kind, c, ev.cpu, ev.text];
  }
}
