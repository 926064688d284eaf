// Library side of `gicreplay trace info | dump | from-json | validate`. Each streams the trace
// (bounded memory) and hands output lines to a callback, so the CLI stays a thin layer.

import { InputError } from '../errors';
import { EVENT_KIND_NAMES, KIND_MINOR } from '../trace/codec';
import { EventKind, TraceHeader, TraceTrailer } from '../trace/events';
import { LineReader } from '../trace/lines';
import { openTrace } from '../trace/reader';
import { eventFromJson, eventToJson, eventToText, headerFromJson, headerToJson, isTrailerJson, trailerFromJson, trailerToJson } from '../trace/text';
import { Violation } from '../trace/violation';
import { TraceWriter } from '../trace/writer';
import { RegisterChecker, RegisterNamer } from './registers';
import { hex } from '../util/hex';
import { checkOutputTarget } from '../util/output-file';
import { printable } from '../util/printable';

export interface TraceInfo {
  file: string;
  header: TraceHeader;
  events: number;
  /** Events per kind name, every kind listed (0 when absent), in kind order. */
  counts: Record<string, number>;
  firstCycle: bigint | null;
  lastCycle: bigint | null;
  trailer: TraceTrailer | null;
  truncation: string | null;
}

export function traceInfo(file: string, opts: { allowTruncated?: boolean } = {}): TraceInfo {
  // Counting is lighter than the hop from a read-ahead thread: read here.
  const r = openTrace(file, { allowTruncated: opts.allowTruncated, readAhead: false });
  const perKind = new Array<number>(EventKind.Msi + 1).fill(0);
  let first: bigint | null = null;
  let last: bigint | null = null;
  let n = 0;
  try {
    for (let ev = r.next(); ev; ev = r.next()) {
      if (first === null) first = ev.cycle;
      last = ev.cycle;
      perKind[ev.kind]++;
      n++;
    }
  } finally {
    r.close();
  }
  const counts: Record<string, number> = {};
  // Kinds a later minor added are listed only for traces of that minor (a 1.1 trace's counts stay as they were).
  for (let k = EventKind.MmioRead; k <= EventKind.Msi; k++) if (KIND_MINOR[k as EventKind] <= r.header.formatMinor) counts[EVENT_KIND_NAMES[k as EventKind]] = perKind[k];
  return { file, header: r.header, events: n, counts, firstCycle: first, lastCycle: last, trailer: r.trailer, truncation: r.truncation };
}


/** The info lines; every string from the header is shown with its control characters escaped. */
export function formatInfo(i: TraceInfo): string[] {
  const h = i.header;
  const g = h.gic;
  const p = printable;
  const out = [
    `trace:      ${p(i.file)}`,
    `format:     ${h.formatMajor}.${h.formatMinor} (written by ${p(h.writer)})`,
    `gic:        GICv${g.version}, ${g.cpus.length} vCPU${g.cpus.length === 1 ? '' : 's'} (MPIDR ${g.cpus.map((c) => hex(c.mpidr)).join(' ')}), ${g.spis} SPIs, ${g.its ? 'ITS' : 'no ITS'}`,
    `frames:     dist ${hex(g.frames.dist)}${g.frames.redist ? `, redist ${g.frames.redist.map(hex).join(' ')}` : ''}${g.frames.cpuif !== undefined ? `, cpuif ${hex(g.frames.cpuif)}` : ''}${g.frames.its !== undefined ? `, its ${hex(g.frames.its)}` : ''}`,
    `timer:      CNTFRQ ${h.timer.cntfrq} Hz, counter = cycle * ${h.timer.counterPerCycle.num} / ${h.timer.counterPerCycle.den}, virtual offset ${hex(h.timer.virtualOffset)}, physical offset ${hex(h.timer.physicalOffset)}`,
    `source:     ${h.provenance.kind}: ${p(h.provenance.tool)}`,
    `command:    ${p(h.provenance.command)}`,
    `cycles:     ${p(h.provenance.cycles)}`,
  ];
  for (const b of h.provenance.blindSpots) out.push(`blind spot: ${p(b)}`);
  for (const k of Object.keys(h.provenance.details).sort()) out.push(`detail:     ${p(k)} = ${p(h.provenance.details[k])}`);
  out.push(`events:     ${i.events}`);
  for (const [k, n] of Object.entries(i.counts)) out.push(`  ${k.padEnd(13)} ${n}`);
  out.push(i.firstCycle === null ? 'cycle span: (no events)' : `cycle span: ${i.firstCycle} .. ${i.lastCycle} (${hex(i.firstCycle)} .. ${hex(i.lastCycle!)}, ${i.lastCycle! - i.firstCycle} cycles)`);
  out.push(i.trailer ? `trailer:    ${i.trailer.events} events, sha256 ${i.trailer.digest}` : `trailer:    none (truncated: ${i.truncation})`);
  return out;
}

export interface DumpOptions {
  json?: boolean;
  allowTruncated?: boolean;
}

/** Stream a trace as text lines. JSON form: header line, one line per event, trailer line (if any). */
export function dumpTrace(file: string, opts: DumpOptions, line: (s: string) => void): { events: number; truncation: string | null } {
  const r = openTrace(file, { allowTruncated: opts.allowTruncated });
  try {
    const namer = RegisterNamer.for(r.header.gic);
    if (opts.json) line(headerToJson(r.header));
    let i = 0;
    for (let ev = r.next(); ev; ev = r.next(), i++) line(opts.json ? eventToJson(ev, i, namer) : eventToText(ev, i, namer));
    if (opts.json && r.trailer) line(trailerToJson(r.trailer));
    return { events: i, truncation: r.truncation };
  } finally {
    r.close();
  }
}

/**
 * Build a trace from the JSON-lines form (`dump --json`): header line, event lines, optional
 * trailer line, whose count and digest must then match what was written. Blank lines are skipped.
 */
export function traceFromJson(input: string, output: string): TraceTrailer {
  checkOutputTarget(output, { what: 'trace', inputs: [input], inPlace: true });
  const lines = new LineReader(input);
  let writer: TraceWriter | null = null;
  try {
    const parse = (text: string): unknown => {
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new InputError(`not JSON: ${(e as Error).message}`, { file: input, line: lines.lineNo }, 'one JSON object per line');
      }
    };
    const at = (e: unknown, eventIndex?: number): never => {
      if (e instanceof Violation) throw new InputError(e.what, { file: input, line: lines.lineNo, ...(eventIndex !== undefined ? { eventIndex } : {}) }, e.expected);
      if (e instanceof InputError && e.location?.file === output) {
        // The writer's checks name the output file; the mistake is on this input line.
        throw new InputError(e.message.replace(`${output}, `, ''), { file: input, line: lines.lineNo, eventIndex: e.location.eventIndex }, e.expected);
      }
      throw e;
    };
    let text = lines.next();
    while (text !== null && text.trim() === '') text = lines.next();
    if (text === null) throw new InputError('empty file', { file: input, line: 1 }, 'a header object on the first line');
    let header: TraceHeader;
    try {
      header = headerFromJson(parse(text));
      writer = TraceWriter.create(output, header, { inputs: [input] });
    } catch (e) {
      return at(e);
    }
    let claimed: { events: number; digest: string } | null = null;
    for (text = lines.next(); text !== null; text = lines.next()) {
      if (text.trim() === '') continue;
      if (claimed) throw new InputError('a line follows the trailer', { file: input, line: lines.lineNo }, 'the trailer as the last line');
      const v = parse(text);
      try {
        if (isTrailerJson(v)) claimed = trailerFromJson(v);
        else writer.write(eventFromJson(v));
      } catch (e) {
        at(e, writer.events);
      }
    }
    const n = writer.events;
    if (claimed && claimed.events !== n) {
      throw new InputError(`trailer line says ${claimed.events} events, the file has ${n}`, { file: input, line: lines.lineNo }, `"events": ${n}, or no trailer line`);
    }
    const trailer = writer.finish((t) => {
      if (claimed && claimed.digest !== t.digest) {
        throw new InputError(`trailer line digest ${claimed.digest} does not match the events (${t.digest})`, { file: input, line: lines.lineNo }, 'the digest of exactly these events, or no trailer line');
      }
    });
    writer = null;
    return trailer;
  } finally {
    writer?.abort();
    lines.close();
  }
}

export interface ValidateResult {
  events: number;
  trailer: TraceTrailer | null;
}

/** Every check the reader does, plus the register-level checks (sizes, alignment, known registers). Throws InputError. */
export function validateTrace(file: string, opts: { allowTruncated?: boolean } = {}): ValidateResult {
  const first = openTrace(file, { allowTruncated: opts.allowTruncated, readAhead: false });
  const gic = first.header.gic;
  first.close();
  const r = openTrace(file, { allowTruncated: opts.allowTruncated, check: RegisterChecker.for(gic).check });
  let n = 0;
  try {
    while (r.next()) n++;
  } finally {
    r.close();
  }
  return { events: n, trailer: r.trailer };
}
