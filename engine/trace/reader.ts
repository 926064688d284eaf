// Trace reader. PLACEHOLDER (whole-file) implementation: the trace-format work replaces its
// internals with a bounded-memory streaming reader and full validation; keep this API.

import * as fs from 'fs';
import { Unpackr } from 'msgpackr';
import { InputError } from '../errors';
import { EventKind, TraceEvent, TraceHeader, TraceTrailer } from './events';

export interface ReadOptions {
  /** Replay the valid prefix of a trace without a trailer instead of failing. */
  allowTruncated?: boolean;
}

export interface TraceReader {
  readonly file: string;
  readonly header: TraceHeader;
  /** Next event, or null at the end. Throws InputError on bad input. */
  next(): TraceEvent | null;
  /** Index the next event will have. */
  readonly nextIndex: number;
  /** Set after next() returned null: the trailer, or null when the trace was truncated (allowTruncated). */
  readonly trailer: TraceTrailer | null;
  /** Why the trace ended early, when allowTruncated let it. */
  readonly truncation: string | null;
  close(): void;
}

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

export function wireToEvent(a: unknown[]): TraceEvent {
  const kind = a[0] as EventKind;
  const cycle = big(a[1]);
  switch (kind) {
    case EventKind.MmioRead:
      return { kind, cycle, cpu: a[2] as number | null, frame: a[3] as number, index: a[4] as number, offset: a[5] as number, size: a[6] as 1, observed: a[7] === null ? null : big(a[7]) };
    case EventKind.MmioWrite:
      return { kind, cycle, cpu: a[2] as number | null, frame: a[3] as number, index: a[4] as number, offset: a[5] as number, size: a[6] as 1, value: big(a[7]) };
    case EventKind.SysregRead:
      return { kind, cycle, cpu: a[2] as number, enc: a[3] as number, observed: a[4] === null ? null : big(a[4]) };
    case EventKind.SysregWrite:
      return { kind, cycle, cpu: a[2] as number, enc: a[3] as number, value: big(a[4]) };
    case EventKind.UserRead:
      return { kind, cycle, group: a[2] as number, cpu: a[3] as number | null, offset: a[4] as number, size: a[5] as 1, observed: a[6] === null ? null : big(a[6]) };
    case EventKind.UserWrite:
      return { kind, cycle, group: a[2] as number, cpu: a[3] as number | null, offset: a[4] as number, size: a[5] as 1, value: big(a[6]) };
    case EventKind.Line:
      return { kind, cycle, intid: a[2] as number, cpu: a[3] as number | null, level: a[4] as 0 | 1 };
    case EventKind.Marker:
      return { kind, cycle, cpu: a[2] as number | null, text: a[3] as string };
    default:
      throw new Error(`unknown event kind ${String(kind)}`);
  }
}

export function openTrace(file: string, opts: ReadOptions = {}): TraceReader {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read trace: ${(e as Error).message}`, { file });
  }
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
  const values: unknown[] = [];
  try {
    unpackr.unpackMultiple(buf, (v: unknown) => {
      values.push(v);
    });
  } catch (e) {
    if (!opts.allowTruncated) throw new InputError(`corrupt msgpack: ${(e as Error).message}`, { file });
  }
  const h = values[0] as Record<string, unknown> | undefined;
  if (!h || h.magic !== 'gicreplay-trace') throw new InputError('not a gicreplay trace', { file, byteOffset: 0 }, 'a header map with magic "gicreplay-trace"');
  const header = headerFromWire(h);
  let i = 1;
  let trailer: TraceTrailer | null = null;
  let truncation: string | null = null;
  const reader: TraceReader = {
    file,
    header,
    get nextIndex() {
      return i - 1;
    },
    get trailer() {
      return trailer;
    },
    get truncation() {
      return truncation;
    },
    next(): TraceEvent | null {
      if (i >= values.length) {
        if (!trailer) {
          truncation = 'the file ends without a trailer';
          if (!opts.allowTruncated) throw new InputError('trace is truncated: no trailer', { file, eventIndex: i - 1 }, 'a trailer map after the last event');
        }
        return null;
      }
      const v = values[i++];
      if (Array.isArray(v)) return wireToEvent(v);
      const t = v as Record<string, unknown>;
      trailer = { events: Number(t.events), digest: String(t.digest) };
      i = values.length;
      return null;
    },
    close() {},
  };
  return reader;
}

export function headerFromWire(h: Record<string, unknown>): TraceHeader {
  const gic = h.gic as Record<string, unknown>;
  const timer = h.timer as Record<string, unknown>;
  const frames = gic.frames as Record<string, unknown>;
  const cpt = timer.counterPerCycle as Record<string, unknown>;
  return {
    magic: 'gicreplay-trace',
    formatMajor: h.formatMajor as number,
    formatMinor: h.formatMinor as number,
    writer: h.writer as string,
    gic: {
      version: gic.version as 2 | 3,
      cpus: (gic.cpus as Record<string, unknown>[]).map((c) => ({ mpidr: big(c.mpidr) })),
      spis: gic.spis as number,
      its: gic.its as boolean,
      frames: {
        dist: big(frames.dist),
        redist: frames.redist ? (frames.redist as unknown[]).map(big) : undefined,
        cpuif: frames.cpuif !== undefined ? big(frames.cpuif) : undefined,
        its: frames.its !== undefined ? big(frames.its) : undefined,
      },
    },
    timer: {
      cntfrq: big(timer.cntfrq),
      counterPerCycle: { num: big(cpt.num), den: big(cpt.den) },
      virtualOffset: big(timer.virtualOffset),
      physicalOffset: big(timer.physicalOffset),
    },
    provenance: h.provenance as TraceHeader['provenance'],
  };
}

/** Convenience for tests and small traces: the whole trace in memory. */
export function readTrace(file: string, opts: ReadOptions = {}): { header: TraceHeader; events: TraceEvent[]; trailer: TraceTrailer | null } {
  const r = openTrace(file, opts);
  const events: TraceEvent[] = [];
  for (let e = r.next(); e; e = r.next()) events.push(e);
  r.close();
  return { header: r.header, events, trailer: r.trailer };
}
