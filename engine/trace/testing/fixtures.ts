// Test fixtures: build trace files byte by byte (valid or deliberately broken) without the writer's
// checks, so reader tests can present exactly the bad input they are about.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MsgpackEncoder } from '../encode';
import { sysregEncoding } from '../../arch/sysregs';
import { EventKind, Frame, TraceEvent, TraceHeader, UserGroup } from '../events';
import { headerToWire } from '../header';
import { synthHeader } from '../synth';

export function tempDir(prefix = 'gtr-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function encodeValue(v: unknown): Buffer {
  const e = new MsgpackEncoder(64);
  e.value(v);
  return Buffer.from(e.bytes());
}

export function encodeEvent(ev: TraceEvent): Buffer {
  const e = new MsgpackEncoder(64);
  e.event(ev);
  return Buffer.from(e.bytes());
}

export interface RawTrace {
  /** Header value (a wire map), or raw bytes used as they are. */
  header?: unknown;
  /** Event values (wire arrays, TraceEvents) or raw byte chunks. */
  events: (unknown[] | TraceEvent | Buffer)[];
  /** 'auto' = correct trailer, null = none, a value = that trailer map, a Buffer = raw bytes. */
  trailer?: 'auto' | null | Record<string, unknown> | Buffer;
  /** Raw bytes appended after everything. */
  tail?: Buffer;
}

/** The parts of a built trace, with the byte offset where each event starts. */
export interface BuiltTrace {
  bytes: Buffer;
  eventOffsets: number[];
  trailerOffset: number;
  digest: string;
}

export function buildRaw(t: RawTrace): BuiltTrace {
  const parts: Buffer[] = [];
  const header = t.header === undefined ? headerToWire(synthHeader(4, 3)) : t.header;
  parts.push(Buffer.isBuffer(header) ? header : encodeValue(header));
  let off = parts[0].length;
  const eventOffsets: number[] = [];
  const hash = createHash('sha256');
  for (const ev of t.events) {
    const b = Buffer.isBuffer(ev) ? ev : Array.isArray(ev) ? encodeValue(ev) : encodeEvent(ev);
    eventOffsets.push(off);
    hash.update(b);
    parts.push(b);
    off += b.length;
  }
  const digest = hash.digest('hex');
  const trailerOffset = off;
  const tr = t.trailer === undefined ? 'auto' : t.trailer;
  if (tr === 'auto') parts.push(encodeValue({ trailer: true, events: t.events.length, digest }));
  else if (Buffer.isBuffer(tr)) parts.push(tr);
  else if (tr !== null) parts.push(encodeValue(tr));
  if (t.tail) parts.push(t.tail);
  return { bytes: Buffer.concat(parts), eventOffsets, trailerOffset, digest };
}

export function writeRaw(dir: string, name: string, t: RawTrace): BuiltTrace & { file: string } {
  const b = buildRaw(t);
  const file = path.join(dir, name);
  fs.writeFileSync(file, b.bytes);
  return { ...b, file };
}

export const ICC_IAR1 = sysregEncoding(3, 0, 12, 12, 0);
export const ICC_SGI1R = sysregEncoding(3, 0, 12, 11, 5);

/** One event of every kind for a 4-vCPU GICv3 trace, with 64-bit values and cycles above 2^53. */
export function everyKindV3(): TraceEvent[] {
  const big = (1n << 60n) + 1n;
  return [
    { kind: EventKind.MmioWrite, cycle: 0n, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x0, size: 4, value: 0x12n },
    { kind: EventKind.MmioRead, cycle: 10n, cpu: null, frame: Frame.Dist, index: 0, offset: 0x8, size: 4, observed: 0x4200043bn },
    { kind: EventKind.MmioWrite, cycle: 20n, cpu: 1, frame: Frame.Dist, index: 0, offset: 0x6100, size: 8, value: 0xff00000001n },
    { kind: EventKind.MmioRead, cycle: 30n, cpu: 2, frame: Frame.RedistRd, index: 3, offset: 0x14, size: 4, observed: null },
    { kind: EventKind.MmioWrite, cycle: 40n, cpu: 3, frame: Frame.RedistSgi, index: 3, offset: 0x100, size: 4, value: 0xffffffffn },
    { kind: EventKind.MmioRead, cycle: 41n, cpu: 3, frame: Frame.RedistRd, index: 1, offset: 0x8, size: 8, observed: 0xffffffffffffffffn },
    { kind: EventKind.SysregWrite, cycle: 50n, cpu: 0, enc: ICC_SGI1R, value: 0x00ff000000010001n },
    { kind: EventKind.SysregRead, cycle: 60n, cpu: 1, enc: ICC_IAR1, observed: 1023n },
    { kind: EventKind.SysregRead, cycle: 61n, cpu: 1, enc: sysregEncoding(3, 0, 12, 15, 7), observed: null },
    { kind: EventKind.UserWrite, cycle: 70n, group: UserGroup.DistRegs, cpu: null, offset: 0x8, size: 4, value: 0x0302043bn },
    { kind: EventKind.UserRead, cycle: 80n, group: UserGroup.RedistRegs, cpu: 2, offset: 0x10080, size: 4, observed: 0x1n },
    { kind: EventKind.UserRead, cycle: 90n, group: UserGroup.CpuSysregs, cpu: 0, offset: ICC_IAR1, size: 8, observed: null },
    { kind: EventKind.Line, cycle: 100n, intid: 27, cpu: 1, level: 1 },
    { kind: EventKind.Line, cycle: 100n, intid: 95, cpu: null, level: 0 },
    { kind: EventKind.Marker, cycle: big, cpu: null, text: 'boot: GICv3 ✓ «test passed»' },
    { kind: EventKind.Marker, cycle: big, cpu: 2, text: '' },
    { kind: EventKind.SysregRead, cycle: 0xffffffffffffffffn, cpu: 0, enc: sysregEncoding(3, 3, 14, 0, 2), observed: 0xfedcba9876543210n },
  ];
}

export function headerV2(cpus = 2): TraceHeader {
  return synthHeader(cpus, 2);
}

export function everyKindV2(): TraceEvent[] {
  return [
    { kind: EventKind.MmioWrite, cycle: 5n, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x0, size: 4, value: 1n },
    { kind: EventKind.MmioRead, cycle: 6n, cpu: 1, frame: Frame.Dist, index: 0, offset: 0x800, size: 1, observed: 0x2n },
    { kind: EventKind.MmioWrite, cycle: 7n, cpu: 1, frame: Frame.CpuIf, index: 0, offset: 0x4, size: 4, value: 0xf0n },
    { kind: EventKind.MmioRead, cycle: 8n, cpu: 1, frame: Frame.CpuIf, index: 0, offset: 0xc, size: 4, observed: 0x3ffn },
    { kind: EventKind.UserWrite, cycle: 9n, group: UserGroup.CpuRegs, cpu: 1, offset: 0x4, size: 4, value: 0xf8n },
    { kind: EventKind.UserRead, cycle: 9n, group: UserGroup.DistRegs, cpu: 0, offset: 0x100, size: 4, observed: 0xffffn },
    { kind: EventKind.Line, cycle: 10n, intid: 40, cpu: null, level: 1 },
    { kind: EventKind.Marker, cycle: 11n, cpu: 0, text: 'PASS: gicv2 ipi' },
  ];
}
