// A candidate of the minimiser: a subset of the original trace's events (by original index) and
// a header shape (vCPUs, SPIs). Building one gives a trace that passes every check a trace file
// gets (the format's own rules and the register-level ones of `trace validate`), or null: the
// minimiser never tests, and never writes, a trace the reader would refuse.

import { RegisterChecker } from '../inspect/registers';
import { EventKind, Frame, TraceEvent, TraceHeader } from '../trace/events';
import { EventValidator } from '../trace/validate';

export interface Shape {
  cpus: number;
  spis: number;
}

export interface Candidate {
  /** Original event indices, ascending. */
  keep: readonly number[];
  shape: Shape;
}

export interface BuiltCandidate {
  header: TraceHeader;
  events: TraceEvent[];
  /** orig[i] = the original index of event i. */
  orig: number[];
}

export function shapeOf(h: TraceHeader): Shape {
  return { cpus: h.gic.cpus.length, spis: h.gic.spis };
}

/** The header with `shape`: the first `cpus` vCPUs (and their redistributors), `spis` SPIs. */
export function shapedHeader(h: TraceHeader, shape: Shape): TraceHeader {
  const frames = { ...h.gic.frames };
  if (frames.redist) frames.redist = frames.redist.slice(0, shape.cpus);
  return { ...h, gic: { ...h.gic, cpus: h.gic.cpus.slice(0, shape.cpus), spis: shape.spis, frames } };
}

/** Build the candidate's trace; null when the reader would refuse it (e.g. a vCPU beyond the shape). */
export function buildCandidate(header: TraceHeader, events: readonly TraceEvent[], c: Candidate): BuiltCandidate | null {
  const h = shapedHeader(header, c.shape);
  const evs = c.keep.map((i) => events[i]);
  try {
    const v = new EventValidator(h, 'candidate');
    const regs = RegisterChecker.for(h.gic);
    evs.forEach((ev, i) => {
      v.check(ev, i);
      regs.check(ev);
    });
  } catch {
    return null;
  }
  return { header: h, events: evs, orig: [...c.keep] };
}

/** The highest vCPU an event names (its cpu or redistributor), or -1. */
export function cpuUsed(ev: TraceEvent): number {
  let c = 'cpu' in ev && ev.cpu !== null ? ev.cpu : -1;
  if ((ev.kind === EventKind.MmioRead || ev.kind === EventKind.MmioWrite) && (ev.frame === Frame.RedistRd || ev.frame === Frame.RedistSgi)) c = Math.max(c, ev.index);
  return c;
}

/** SPIs a line event needs (INTID - 31 for an SPI), or 0. */
export function spisUsed(ev: TraceEvent): number {
  return ev.kind === EventKind.Line && ev.intid >= 32 ? ev.intid - 31 : 0;
}
