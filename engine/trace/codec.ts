// Event <-> positional msgpack array. The layout is the contract in FORMAT.md; keep both in step.
// Integers below 2^32 travel as numbers (msgpack picks the smallest encoding); larger ones as
// BigInt, which msgpackr writes as uint64. Never a float: msgpackr would write a JS number
// above 2^32 as float64.

import { AccessSize, EventKind, Frame, MAX_MEM_WRITE_BYTES, MINOR_INIT_AND_RESULTS, MINOR_ITS, TRACE_FORMAT_MINOR as TRACE_FORMAT_MINOR_READ, TraceEvent, UserGroup } from './events';
import { describeValue, violation } from './violation';

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
    case EventKind.UserRead: {
      const a: unknown[] = [ev.kind, c, ev.group, ev.cpu, ev.offset, ev.size, ev.observed === null ? null : wireUint(ev.observed)];
      if (ev.result !== undefined && ev.result !== null) a.push(ev.result);
      return a;
    }
    case EventKind.UserWrite: {
      const a: unknown[] = [ev.kind, c, ev.group, ev.cpu, ev.offset, ev.size, wireUint(ev.value)];
      if (ev.result !== undefined && ev.result !== null) a.push(ev.result);
      return a;
    }
    case EventKind.Line:
      return [ev.kind, c, ev.intid, ev.cpu, ev.level];
    case EventKind.Marker:
      return [ev.kind, c, ev.cpu, ev.text];
    case EventKind.MemWrite:
      return [ev.kind, c, ev.cpu, wireUint(ev.addr), ev.data];
    case EventKind.Msi:
      return [ev.kind, c, wireUint(ev.address), ev.data, ev.devid];
  }
}

// ---- wire -> event, with the per-field type rules of FORMAT.md "Events" -----------------------

/** Positional field names per kind (index 0 is the kind, 1 the cycle). Also the v1.0 field counts. */
export const EVENT_FIELDS: Readonly<Record<EventKind, readonly string[]>> = {
  [EventKind.MmioRead]: ['kind', 'cycle', 'cpu', 'frame', 'index', 'offset', 'size', 'observed'],
  [EventKind.MmioWrite]: ['kind', 'cycle', 'cpu', 'frame', 'index', 'offset', 'size', 'value'],
  [EventKind.SysregRead]: ['kind', 'cycle', 'cpu', 'enc', 'observed'],
  [EventKind.SysregWrite]: ['kind', 'cycle', 'cpu', 'enc', 'value'],
  [EventKind.UserRead]: ['kind', 'cycle', 'group', 'cpu', 'offset', 'size', 'observed'],
  [EventKind.UserWrite]: ['kind', 'cycle', 'group', 'cpu', 'offset', 'size', 'value'],
  [EventKind.Line]: ['kind', 'cycle', 'intid', 'cpu', 'level'],
  [EventKind.Marker]: ['kind', 'cycle', 'cpu', 'text'],
  [EventKind.MemWrite]: ['kind', 'cycle', 'cpu', 'addr', 'data'],
  [EventKind.Msi]: ['kind', 'cycle', 'address', 'data', 'devid'],
};

/** The format minor that introduced each event kind (a reader of an older minor refuses the kind). */
export const KIND_MINOR: Readonly<Record<EventKind, number>> = {
  [EventKind.MmioRead]: 0,
  [EventKind.MmioWrite]: 0,
  [EventKind.SysregRead]: 0,
  [EventKind.SysregWrite]: 0,
  [EventKind.UserRead]: 0,
  [EventKind.UserWrite]: 0,
  [EventKind.Line]: 0,
  [EventKind.Marker]: 0,
  [EventKind.MemWrite]: MINOR_ITS,
  [EventKind.Msi]: MINOR_ITS,
};
const LAST_KIND = EventKind.Msi;

function bad(a: unknown[], i: number, expected: string): never {
  const kind = a[0] as EventKind;
  const fields = EVENT_FIELDS[kind];
  const name = fields?.[i] ?? (fields ? OPTIONAL_FROM_MINOR[kind]?.[i - fields.length]?.name : undefined) ?? `field ${i}`;
  return violation(`field ${i} (${name}) is ${describeValue(a[i])}`, expected);
}

function u32(a: unknown[], i: number): number {
  const v = a[i];
  if (typeof v === 'number') {
    if (v >= 0 && v <= 0xffffffff && Number.isInteger(v)) return v;
  } else if (typeof v === 'bigint' && v >= 0n && v <= 0xffffffffn) {
    return Number(v);
  }
  return bad(a, i, 'an unsigned integer below 2^32');
}

function u32OrNil(a: unknown[], i: number): number | null {
  return a[i] === null ? null : u32(a, i);
}

function u64(a: unknown[], i: number): bigint {
  const v = a[i];
  if (typeof v === 'number') {
    if (v >= 0 && v <= 0xffffffff && Number.isInteger(v)) return BigInt(v);
  } else if (typeof v === 'bigint' && v >= 0n) {
    return v;
  }
  return bad(a, i, 'an unsigned 64-bit integer (msgpack int; uint64 at or above 2^32)');
}

function u64OrNil(a: unknown[], i: number): bigint | null {
  return a[i] === null ? null : u64(a, i);
}

function size(a: unknown[], i: number): AccessSize {
  const v = a[i];
  if (v === 1 || v === 2 || v === 4 || v === 8) return v;
  return bad(a, i, 'an access size of 1, 2, 4 or 8 bytes');
}

function frame(a: unknown[], i: number): Frame {
  const v = a[i];
  if (v === 0 || v === 1 || v === 2 || v === 3 || v === 4) return v;
  return bad(a, i, 'a Frame: 0 dist, 1 redist-rd, 2 redist-sgi, 3 cpuif, 4 its');
}

function group(a: unknown[], i: number, minor: number): UserGroup {
  const v = a[i];
  if (v === 0 || v === 1 || v === 2 || v === 3) return v;
  if (v === UserGroup.Ctrl && minor >= MINOR_INIT_AND_RESULTS) return UserGroup.Ctrl;
  if ((v === UserGroup.ItsRegs || v === UserGroup.ItsCtrl) && minor >= MINOR_ITS) return v;
  if (minor >= MINOR_ITS) return bad(a, i, 'a UserGroup: 0 dist-regs, 1 redist-regs, 2 cpu-regs, 3 cpu-sysregs, 4 its-regs, 5 ctrl, 6 its-ctrl');
  if (minor >= MINOR_INIT_AND_RESULTS) return bad(a, i, 'a UserGroup: 0 dist-regs, 1 redist-regs, 2 cpu-regs, 3 cpu-sysregs, 5 ctrl (4 its-regs and 6 its-ctrl need format 1.2)');
  return bad(a, i, 'a UserGroup: 0 dist-regs, 1 redist-regs, 2 cpu-regs, 3 cpu-sysregs (5 ctrl needs format 1.1; 4 its-regs and 6 its-ctrl format 1.2)');
}

/** A mem-write's bytes: msgpack bin (the only bin field in the format), 1 .. MAX_MEM_WRITE_BYTES long. */
function bytes(a: unknown[], i: number): Uint8Array {
  const v = a[i];
  if (v instanceof Uint8Array && v.length >= 1 && v.length <= MAX_MEM_WRITE_BYTES) return v;
  return bad(a, i, `msgpack bin of 1 to ${MAX_MEM_WRITE_BYTES} bytes`);
}

/** The trailing result of a user event (format minor 1): an errno magnitude, nil = not seen, absent = not recorded. */
function result(a: unknown[], i: number): { result?: number | null } {
  if (a.length <= i) return {};
  if (a[i] === null) return { result: null };
  const v = a[i];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4095) return { result: v };
  return bad(a, i, 'an errno magnitude (0 = success, 16 = EBUSY, 22 = EINVAL, …) or nil');
}

/** Trailing elements a minor added, per kind: user events may end with their result from format 1.1 on. */
const OPTIONAL_FROM_MINOR: Partial<Record<EventKind, readonly { minor: number; name: string }[]>> = {
  [EventKind.UserRead]: [{ minor: MINOR_INIT_AND_RESULTS, name: 'result' }],
  [EventKind.UserWrite]: [{ minor: MINOR_INIT_AND_RESULTS, name: 'result' }],
};

/**
 * Decode one event array of a trace of format minor `minor`. A newer minor than ours lets trailing
 * fields a later minor added pass; otherwise the field count must be one the minor allows.
 * Throws Violation.
 */
export function decodeEvent(a: unknown[], minor: number): TraceEvent {
  const lenient = minor > TRACE_FORMAT_MINOR_READ;
  const kind = a[0];
  if (typeof kind !== 'number' || !(kind >= 1 && kind <= LAST_KIND) || !Number.isInteger(kind)) {
    // A kind a later minor may define: refused, never skipped (its meaning is unknown here).
    const newer = lenient ? ` (the trace is format 1.${minor}, newer than this gicreplay's 1.${TRACE_FORMAT_MINOR_READ}: update gicreplay)` : '';
    return violation(`unknown event kind ${a.length ? describeValue(kind) : '(empty array)'}${newer}`, `an event kind from 1 (mmio-read) to ${LAST_KIND} (${EVENT_KIND_NAMES[LAST_KIND]})`);
  }
  if (KIND_MINOR[kind as EventKind] > minor) {
    return violation(`${EVENT_KIND_NAMES[kind as EventKind]} event (kind ${kind}) in a format 1.${minor} trace`, `a trace of format 1.${KIND_MINOR[kind as EventKind]} or later for ${EVENT_KIND_NAMES[kind as EventKind]} events`);
  }
  const want = EVENT_FIELDS[kind as EventKind].length;
  const optional = (OPTIONAL_FROM_MINOR[kind as EventKind] ?? []).filter((o) => o.minor <= minor);
  if ((a.length < want || a.length > want + optional.length) && !(lenient && a.length > want)) {
    const missing = a.length < want ? `; missing ${EVENT_FIELDS[kind as EventKind].slice(a.length).join(', ')}` : '';
    const allowed = optional.length ? `${want} fields [${EVENT_FIELDS[kind as EventKind].join(', ')}] and optionally ${optional.map((o) => o.name).join(', ')}` : `exactly ${want} fields [${EVENT_FIELDS[kind as EventKind].join(', ')}]`;
    const later = !optional.length && OPTIONAL_FROM_MINOR[kind as EventKind] && a.length > want ? ` (a trailing ${OPTIONAL_FROM_MINOR[kind as EventKind]![0].name} needs format 1.${OPTIONAL_FROM_MINOR[kind as EventKind]![0].minor})` : '';
    return violation(`${EVENT_KIND_NAMES[kind as EventKind]} event has ${a.length} fields${missing}${later}`, allowed);
  }
  const cycle = u64(a, 1);
  switch (kind as EventKind) {
    case EventKind.MmioRead:
      return { kind: EventKind.MmioRead, cycle, cpu: u32OrNil(a, 2), frame: frame(a, 3), index: u32(a, 4), offset: u32(a, 5), size: size(a, 6), observed: u64OrNil(a, 7) };
    case EventKind.MmioWrite:
      return { kind: EventKind.MmioWrite, cycle, cpu: u32OrNil(a, 2), frame: frame(a, 3), index: u32(a, 4), offset: u32(a, 5), size: size(a, 6), value: u64(a, 7) };
    case EventKind.SysregRead:
      return { kind: EventKind.SysregRead, cycle, cpu: u32(a, 2), enc: u32(a, 3), observed: u64OrNil(a, 4) };
    case EventKind.SysregWrite:
      return { kind: EventKind.SysregWrite, cycle, cpu: u32(a, 2), enc: u32(a, 3), value: u64(a, 4) };
    case EventKind.UserRead:
      return { kind: EventKind.UserRead, cycle, group: group(a, 2, minor), cpu: u32OrNil(a, 3), offset: u32(a, 4), size: size(a, 5), observed: u64OrNil(a, 6), ...result(a, 7) };
    case EventKind.UserWrite:
      return { kind: EventKind.UserWrite, cycle, group: group(a, 2, minor), cpu: u32OrNil(a, 3), offset: u32(a, 4), size: size(a, 5), value: u64(a, 6), ...result(a, 7) };
    case EventKind.Line: {
      const level = a[4];
      if (level !== 0 && level !== 1) return bad(a, 4, 'a line level of 0 or 1');
      return { kind: EventKind.Line, cycle, intid: u32(a, 2), cpu: u32OrNil(a, 3), level };
    }
    case EventKind.Marker: {
      const text = a[3];
      if (typeof text !== 'string') return bad(a, 3, 'a string');
      return { kind: EventKind.Marker, cycle, cpu: u32OrNil(a, 2), text };
    }
    case EventKind.MemWrite:
      return { kind: EventKind.MemWrite, cycle, cpu: u32OrNil(a, 2), addr: u64(a, 3), data: bytes(a, 4) };
    case EventKind.Msi:
      return { kind: EventKind.Msi, cycle, cpu: null, address: u64(a, 2), data: u32(a, 3), devid: u32OrNil(a, 4) };
  }
}

/** Stable names of the event kinds, used by the text and JSON forms. */
export const EVENT_KIND_NAMES: Readonly<Record<EventKind, string>> = {
  [EventKind.MmioRead]: 'mmio-read',
  [EventKind.MmioWrite]: 'mmio-write',
  [EventKind.SysregRead]: 'sysreg-read',
  [EventKind.SysregWrite]: 'sysreg-write',
  [EventKind.UserRead]: 'user-read',
  [EventKind.UserWrite]: 'user-write',
  [EventKind.Line]: 'line',
  [EventKind.Marker]: 'marker',
  [EventKind.MemWrite]: 'mem-write',
  [EventKind.Msi]: 'msi',
};
