// The trace's text forms: a one-line-per-event human form (`trace dump`) and the JSON-lines form
// (`trace dump --json`, read back by `trace from-json`). FORMAT.md "JSON-lines form" is the contract.
// 64-bit quantities are "0x…" lower-case hex strings (JSON numbers lose precision above 2^53).

import { sysregByName, sysregEncoding, sysregName } from '../arch/sysregs';
import { FRAME_NAMES, USER_GROUP_NAMES } from './check';
import { EVENT_KIND_NAMES } from './codec';
import { EventKind, Frame, TraceEvent, TraceHeader, TraceTrailer, UserGroup } from './events';
import { EventNamer } from './names';
import { violation } from './violation';
import { errnoName } from '../util/errno';
import { hex } from '../util/hex';

const hexOrNull = (v: bigint | null): string | null => (v === null ? null : hex(v));

// ---- human form ------------------------------------------------------------------------------

/** One line per event: index, cycle, vCPU, kind, register, then the access. */
export function eventToText(ev: TraceEvent, index: number, namer: EventNamer): string {
  const head = `#${index} @${hex(ev.cycle)} ${ev.cpu === null ? 'cpu?' : `cpu${ev.cpu}`} ${EVENT_KIND_NAMES[ev.kind]}`;
  switch (ev.kind) {
    case EventKind.MmioRead:
      return `${head} ${namer.name(ev)} ${FRAME_NAMES[ev.frame]}${redistSuffix(ev.frame, ev.index)}+${hex(ev.offset)} size=${ev.size} observed=${ev.observed === null ? '?' : hex(ev.observed)}`;
    case EventKind.MmioWrite:
      return `${head} ${namer.name(ev)} ${FRAME_NAMES[ev.frame]}${redistSuffix(ev.frame, ev.index)}+${hex(ev.offset)} size=${ev.size} value=${hex(ev.value)}`;
    case EventKind.SysregRead:
      return `${head} ${sysregName(ev.enc)} observed=${ev.observed === null ? '?' : hex(ev.observed)}`;
    case EventKind.SysregWrite:
      return `${head} ${sysregName(ev.enc)} value=${hex(ev.value)}`;
    case EventKind.UserRead:
      return `${head} ${namer.name(ev)} ${USER_GROUP_NAMES[ev.group]}+${hex(ev.offset)} size=${ev.size} observed=${ev.observed === null ? '?' : hex(ev.observed)}${resultText(ev.result)}`;
    case EventKind.UserWrite:
      return `${head} ${namer.name(ev)} ${USER_GROUP_NAMES[ev.group]}+${hex(ev.offset)} size=${ev.size} value=${hex(ev.value)}${resultText(ev.result)}`;
    case EventKind.Line:
      return `${head} INTID${ev.intid} level=${ev.level}`;
    case EventKind.Marker:
      return `${head} ${JSON.stringify(ev.text)}`;
    case EventKind.MemWrite:
      return `${head} ${hex(ev.addr)}/${ev.data.length} ${bytesToHex(ev.data)}`;
    case EventKind.Msi:
      return `${head} doorbell=${hex(ev.address)} data=${hex(ev.data)} devid=${ev.devid === null ? '-' : hex(ev.devid)}`;
  }
}

/** Bytes as lower-case hex in address order (a mem-write's data in the text and JSON forms). */
export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A user access's recorded result (format 1.1): " result=0", " result=-EBUSY", or nothing when not recorded. */
function resultText(r: number | null | undefined): string {
  if (r === undefined) return '';
  return ` result=${r === null ? '?' : r === 0 ? '0' : errnoName(r)}`;
}

function redistSuffix(frame: Frame, index: number): string {
  return frame === Frame.RedistRd || frame === Frame.RedistSgi ? `[${index}]` : '';
}

// ---- JSON-lines form: writing ----------------------------------------------------------------

export function headerToJson(h: TraceHeader): string {
  const frames: Record<string, unknown> = { dist: hex(h.gic.frames.dist) };
  if (h.gic.frames.redist) frames.redist = h.gic.frames.redist.map(hex);
  if (h.gic.frames.cpuif !== undefined) frames.cpuif = hex(h.gic.frames.cpuif);
  if (h.gic.frames.its !== undefined) frames.its = hex(h.gic.frames.its);
  const details: Record<string, string> = {};
  for (const k of Object.keys(h.provenance.details).sort()) details[k] = h.provenance.details[k];
  return JSON.stringify({
    magic: h.magic,
    formatMajor: h.formatMajor,
    formatMinor: h.formatMinor,
    writer: h.writer,
    gic: { version: h.gic.version, cpus: h.gic.cpus.map((c) => ({ mpidr: hex(c.mpidr) })), spis: h.gic.spis, its: h.gic.its, frames, ...(h.gic.init !== undefined ? { init: h.gic.init } : {}) },
    timer: {
      cntfrq: hex(h.timer.cntfrq),
      counterPerCycle: { num: hex(h.timer.counterPerCycle.num), den: hex(h.timer.counterPerCycle.den) },
      virtualOffset: hex(h.timer.virtualOffset),
      physicalOffset: hex(h.timer.physicalOffset),
    },
    provenance: {
      kind: h.provenance.kind,
      tool: h.provenance.tool,
      command: h.provenance.command,
      blindSpots: h.provenance.blindSpots,
      cycles: h.provenance.cycles,
      details,
    },
  });
}

/** One event; `event` (its index) and `reg` (the decoded register name) are informative only. */
export function eventToJson(ev: TraceEvent, index: number, namer: EventNamer): string {
  const k = EVENT_KIND_NAMES[ev.kind];
  const c = hex(ev.cycle);
  switch (ev.kind) {
    case EventKind.MmioRead:
      return JSON.stringify({ event: index, kind: k, cycle: c, cpu: ev.cpu, frame: FRAME_NAMES[ev.frame], index: ev.index, offset: hex(ev.offset), size: ev.size, observed: hexOrNull(ev.observed), reg: namer.name(ev) });
    case EventKind.MmioWrite:
      return JSON.stringify({ event: index, kind: k, cycle: c, cpu: ev.cpu, frame: FRAME_NAMES[ev.frame], index: ev.index, offset: hex(ev.offset), size: ev.size, value: hex(ev.value), reg: namer.name(ev) });
    case EventKind.SysregRead:
      return JSON.stringify({ event: index, kind: k, cycle: c, cpu: ev.cpu, sysreg: sysregName(ev.enc), observed: hexOrNull(ev.observed) });
    case EventKind.SysregWrite:
      return JSON.stringify({ event: index, kind: k, cycle: c, cpu: ev.cpu, sysreg: sysregName(ev.enc), value: hex(ev.value) });
    case EventKind.UserRead:
      return JSON.stringify({ event: index, kind: k, cycle: c, group: USER_GROUP_NAMES[ev.group], cpu: ev.cpu, offset: hex(ev.offset), size: ev.size, observed: hexOrNull(ev.observed), ...resultJson(ev.result), reg: namer.name(ev) });
    case EventKind.UserWrite:
      return JSON.stringify({ event: index, kind: k, cycle: c, group: USER_GROUP_NAMES[ev.group], cpu: ev.cpu, offset: hex(ev.offset), size: ev.size, value: hex(ev.value), ...resultJson(ev.result), reg: namer.name(ev) });
    case EventKind.Line:
      return JSON.stringify({ event: index, kind: k, cycle: c, intid: ev.intid, cpu: ev.cpu, level: ev.level });
    case EventKind.Marker:
      return JSON.stringify({ event: index, kind: k, cycle: c, cpu: ev.cpu, text: ev.text });
    case EventKind.MemWrite:
      return JSON.stringify({ event: index, kind: k, cycle: c, cpu: ev.cpu, addr: hex(ev.addr), data: bytesToHex(ev.data) });
    case EventKind.Msi:
      return JSON.stringify({ event: index, kind: k, cycle: c, address: hex(ev.address), data: hex(ev.data), devid: ev.devid === null ? null : hex(ev.devid) });
  }
}

/** `result` (the errno magnitude, null = not seen) only when the event records one; `error` names it, informative. */
function resultJson(r: number | null | undefined): Record<string, unknown> {
  if (r === undefined) return {};
  return r === null || r === 0 ? { result: r } : { result: r, error: errnoName(r) };
}

export function trailerToJson(t: TraceTrailer): string {
  return JSON.stringify({ trailer: true, events: t.events, digest: t.digest });
}

// ---- JSON-lines form: reading (throws Violation; the caller adds file and line) ----------------

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) violation(`${what} is not a JSON object`, `a JSON object`);
  return v as Obj;
}

const MAX_U64 = 0xffffffffffffffffn;

/** A 64-bit quantity: "0x…" hex string, or a JSON integer up to 2^53 - 1 for hand-written files. */
export function jsonU64(v: unknown, name: string, max = MAX_U64): bigint {
  let r: bigint | undefined;
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(v)) r = BigInt(v);
  else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) r = BigInt(v);
  if (r === undefined) return violation(`${name} is ${JSON.stringify(v) ?? 'missing'}`, `${name} as a "0x…" hex string (or a non-negative integer below 2^53)`);
  if (r > max) return violation(`${name} ${JSON.stringify(v)} is too large`, `${name} at most 0x${max.toString(16)}`);
  return r;
}

function jsonU32(v: unknown, name: string): number {
  return Number(jsonU64(v, name, 0xffffffffn));
}

function jsonInt(v: unknown, name: string, max = 0xffffffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) return violation(`${name} is ${JSON.stringify(v) ?? 'missing'}`, `${name} as an integer from 0 to ${max}`);
  return v;
}

function jsonCpu(v: unknown, nullable: boolean): number | null {
  if (v === null && nullable) return null;
  return jsonInt(v, 'cpu');
}

function jsonStr(v: unknown, name: string): string {
  if (typeof v !== 'string') return violation(`${name} is ${JSON.stringify(v) ?? 'missing'}`, `${name} as a string`);
  return v;
}

function jsonSize(v: unknown): 1 | 2 | 4 | 8 {
  if (v === 1 || v === 2 || v === 4 || v === 8) return v;
  return violation(`size is ${JSON.stringify(v) ?? 'missing'}`, 'size 1, 2, 4 or 8');
}

function enumByName<T extends number>(names: Readonly<Record<T, string>>, v: unknown, what: string): T {
  for (const [k, n] of Object.entries(names) as [string, string][]) if (n === v) return Number(k) as T;
  return violation(`${what} is ${JSON.stringify(v) ?? 'missing'}`, `${what} one of ${Object.values(names).join(', ')}`);
}

/** Architecture name (ICC_IAR1_EL1) or the generic S<op0>_<op1>_C<n>_C<m>_<op2> spelling. */
export function sysregFromName(v: unknown): number {
  const name = jsonStr(v, 'sysreg');
  const known = sysregByName(name);
  if (known) return known.enc;
  const m = /^S([0-3])_([0-7])_C([0-9]|1[0-5])_C([0-9]|1[0-5])_([0-7])$/.exec(name);
  if (!m) return violation(`sysreg ${JSON.stringify(name)} is not a known register name`, 'an ICC_*/CNT* name or S<op0>_<op1>_C<n>_C<m>_<op2>');
  return sysregEncoding(+m[1], +m[2], +m[3], +m[4], +m[5]);
}

const KINDS_BY_NAME = new Map<string, EventKind>((Object.entries(EVENT_KIND_NAMES) as [string, string][]).map(([k, n]) => [n, Number(k) as EventKind]));

export function eventFromJson(v: unknown): TraceEvent {
  const o = obj(v, 'the event line');
  const kind = KINDS_BY_NAME.get(o.kind as string);
  if (kind === undefined) return violation(`unknown event kind ${JSON.stringify(o.kind) ?? '(missing)'}`, `kind one of ${[...KINDS_BY_NAME.keys()].join(', ')}`);
  const cycle = jsonU64(o.cycle, 'cycle');
  const obs = (): bigint | null => (o.observed === null ? null : jsonU64(o.observed, 'observed'));
  switch (kind) {
    case EventKind.MmioRead:
    case EventKind.MmioWrite: {
      const base = { cycle, cpu: jsonCpu(o.cpu, true), frame: enumByName<Frame>(FRAME_NAMES, o.frame, 'frame'), index: jsonInt(o.index, 'index'), offset: jsonU32(o.offset, 'offset'), size: jsonSize(o.size) };
      return kind === EventKind.MmioRead ? { kind, ...base, observed: obs() } : { kind, ...base, value: jsonU64(o.value, 'value') };
    }
    case EventKind.SysregRead:
      return { kind, cycle, cpu: jsonInt(o.cpu, 'cpu'), enc: sysregFromName(o.sysreg), observed: obs() };
    case EventKind.SysregWrite:
      return { kind, cycle, cpu: jsonInt(o.cpu, 'cpu'), enc: sysregFromName(o.sysreg), value: jsonU64(o.value, 'value') };
    case EventKind.UserRead:
    case EventKind.UserWrite: {
      const base = { cycle, group: enumByName<UserGroup>(USER_GROUP_NAMES, o.group, 'group'), cpu: jsonCpu(o.cpu, true), offset: jsonU32(o.offset, 'offset'), size: jsonSize(o.size) };
      const res = o.result === undefined ? {} : { result: o.result === null ? null : jsonInt(o.result, 'result', 4095) };
      return kind === EventKind.UserRead ? { kind, ...base, observed: obs(), ...res } : { kind, ...base, value: jsonU64(o.value, 'value'), ...res };
    }
    case EventKind.Line: {
      const level = o.level;
      if (level !== 0 && level !== 1) return violation(`level is ${JSON.stringify(level) ?? 'missing'}`, 'level 0 or 1');
      return { kind, cycle, intid: jsonInt(o.intid, 'intid', 1023), cpu: jsonCpu(o.cpu, true), level };
    }
    case EventKind.Marker:
      return { kind, cycle, cpu: jsonCpu(o.cpu, true), text: jsonStr(o.text, 'text') };
    case EventKind.MemWrite: {
      const d = o.data;
      if (typeof d !== 'string' || d.length < 2 || d.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(d)) return violation(`data is ${JSON.stringify(d) ?? 'missing'}`, 'data as an even-length hex string of at least one byte ("0a1b…", address order)');
      return { kind, cycle, cpu: jsonCpu(o.cpu, true), addr: jsonU64(o.addr, 'addr'), data: new Uint8Array(Buffer.from(d, 'hex')) };
    }
    case EventKind.Msi:
      return { kind, cycle, cpu: null, address: jsonU64(o.address, 'address'), data: jsonU32(o.data, 'data'), devid: o.devid === null ? null : jsonU32(o.devid, 'devid') };
  }
}

/** Header line -> in-memory header (the writer then applies the full schema check). */
export function headerFromJson(v: unknown): TraceHeader {
  const h = obj(v, 'the header line');
  if (h.magic !== 'gicreplay-trace') violation('the first line is not a trace header', 'a header object with "magic": "gicreplay-trace" on the first line');
  const gic = obj(h.gic, 'gic');
  const frames = obj(gic.frames, 'gic.frames');
  const timer = obj(h.timer, 'timer');
  const cpc = obj(timer.counterPerCycle, 'timer.counterPerCycle');
  const prov = obj(h.provenance, 'provenance');
  if (!Array.isArray(gic.cpus)) violation('gic.cpus is not an array', 'gic.cpus as an array of {"mpidr": "0x…"}');
  if (gic.version !== 2 && gic.version !== 3) violation(`gic.version is ${JSON.stringify(gic.version)}`, 'gic.version 2 or 3');
  if (typeof gic.its !== 'boolean') violation('gic.its is not a boolean', 'gic.its true or false');
  if (!Array.isArray(prov.blindSpots)) violation('provenance.blindSpots is not an array', 'an array of strings');
  const details = obj(prov.details, 'provenance.details');
  const out: TraceHeader = {
    magic: 'gicreplay-trace',
    formatMajor: jsonInt(h.formatMajor, 'formatMajor'),
    formatMinor: jsonInt(h.formatMinor, 'formatMinor'),
    writer: jsonStr(h.writer, 'writer'),
    gic: {
      version: gic.version,
      cpus: (gic.cpus as unknown[]).map((c, i) => ({ mpidr: jsonU64(obj(c, `gic.cpus[${i}]`).mpidr, `gic.cpus[${i}].mpidr`) })),
      spis: jsonInt(gic.spis, 'gic.spis'),
      its: gic.its,
      frames: { dist: jsonU64(frames.dist, 'gic.frames.dist') },
    },
    timer: {
      cntfrq: jsonU64(timer.cntfrq, 'timer.cntfrq'),
      counterPerCycle: { num: jsonU64(cpc.num, 'timer.counterPerCycle.num'), den: jsonU64(cpc.den, 'timer.counterPerCycle.den') },
      virtualOffset: jsonU64(timer.virtualOffset, 'timer.virtualOffset'),
      physicalOffset: jsonU64(timer.physicalOffset, 'timer.physicalOffset'),
    },
    provenance: {
      kind: jsonStr(prov.kind, 'provenance.kind') as TraceHeader['provenance']['kind'],
      tool: jsonStr(prov.tool, 'provenance.tool'),
      command: jsonStr(prov.command, 'provenance.command'),
      blindSpots: (prov.blindSpots as unknown[]).map((s, i) => jsonStr(s, `provenance.blindSpots[${i}]`)),
      cycles: jsonStr(prov.cycles, 'provenance.cycles'),
      details: Object.fromEntries(Object.keys(details).sort().map((k) => [k, jsonStr(details[k], `provenance.details.${k}`)])),
    },
  };
  if (frames.redist !== undefined) {
    if (!Array.isArray(frames.redist)) violation('gic.frames.redist is not an array', 'an array of "0x…" addresses');
    out.gic.frames.redist = frames.redist.map((a, i) => jsonU64(a, `gic.frames.redist[${i}]`));
  }
  if (frames.cpuif !== undefined) out.gic.frames.cpuif = jsonU64(frames.cpuif, 'gic.frames.cpuif');
  if (frames.its !== undefined) out.gic.frames.its = jsonU64(frames.its, 'gic.frames.its');
  if (gic.init !== undefined) {
    if (gic.init !== 'traced') violation(`gic.init is ${JSON.stringify(gic.init)}`, 'gic.init "traced", or no init key');
    out.gic.init = 'traced';
  }
  return out;
}

export function isTrailerJson(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Obj).trailer === true;
}

export function trailerFromJson(v: unknown): { events: number; digest: string } {
  const o = obj(v, 'the trailer line');
  return { events: jsonInt(o.events, 'events', Number.MAX_SAFE_INTEGER), digest: jsonStr(o.digest, 'digest') };
}
