// Format 1.2: what a VM with an ITS needs in a trace — guest memory the ITS reads (mem-write,
// the format's only msgpack bin field), KVM_SIGNAL_MSI (msi), the ITS_REGS group, the ITS
// device's control attributes (its-ctrl) and the vGIC's SAVE_PENDING_TABLES. Older traces stay
// what they were; an older minor cannot carry the new kinds, groups or attributes; a reader
// refuses an event kind it does not know, in any minor.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { CTRL_SAVE_PENDING_TABLES, EventKind, minorFor, TraceEvent, TraceHeader, UserGroup } from './events';
import { headerToWire } from './header';
import { readTrace } from './reader';
import { eventFromJson, eventToJson, eventToText } from './text';
import { FALLBACK_NAMER } from './names';
import { buildRaw, tempDir } from './testing/fixtures';
import { synthHeader } from './synth';
import { writeTrace } from './writer';

const dir = tempDir('gtr-minor2-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function itsHeader(minor = 2, its = true): TraceHeader {
  const h = synthHeader(2, 3);
  return { ...h, formatMinor: minor, gic: { ...h.gic, its, frames: { dist: 0x08000000n, redist: [0x080a0000n], ...(its ? { its: 0x08080000n } : {}) } } };
}

const cmd = new Uint8Array(32).map((_, i) => (i === 0 ? 0x09 : i === 23 ? 0x80 : 0)); // MAPC ICID 0 -> vCPU 0, V=1
const memWrite = (cycle: bigint, data: Uint8Array = cmd, cpu: number | null = 0): TraceEvent => ({ kind: EventKind.MemWrite, cycle, cpu, addr: 0x40000000n, data });
const msi = (cycle: bigint, devid: number | null = 0x10): TraceEvent => ({ kind: EventKind.Msi, cycle, cpu: null, address: 0x08090040n, data: 3, devid });
const itsReg = (cycle: bigint): TraceEvent => ({ kind: EventKind.UserRead, cycle, group: UserGroup.ItsRegs, cpu: null, offset: 0x8, size: 8, observed: 0x1ef71n });
const itsCtrl = (cycle: bigint, attr: number): TraceEvent => ({ kind: EventKind.UserWrite, cycle, group: UserGroup.ItsCtrl, cpu: null, offset: attr, size: 4, value: 0n });
const savePending = (cycle: bigint): TraceEvent => ({ kind: EventKind.UserWrite, cycle, group: UserGroup.Ctrl, cpu: null, offset: CTRL_SAVE_PENDING_TABLES, size: 4, value: 0n });

test('a trace with an ITS but without 1.2 features keeps its minor (a QEMU bare-metal GICv3 recording stays 1.0); one with ITS commands is 1.2', () => {
  const src = path.join(__dirname, '..', '..', 'traces', 'qemu', 'gic3-baremetal-smp2.gtr');
  const t = readTrace(src);
  expect(t.header.gic.its).toBe(true);
  expect(minorFor(t.header, t.events)).toBe(t.header.formatMinor);
  expect(t.header.formatMinor).toBeLessThan(2);
  const linux = readTrace(path.join(__dirname, '..', '..', 'traces', 'qemu', 'gic3-linux-smp2.gtr'));
  expect([linux.header.formatMinor, minorFor(linux.header, linux.events)]).toEqual([2, 2]);
});

test('mem-write, msi, its-regs, its-ctrl and SAVE_PENDING_TABLES round-trip through writer and reader; the header says 1.2', () => {
  const big = new Uint8Array(0x12000).map((_, i) => i & 0xff); // a whole property table: bin32
  const evs = [memWrite(1n), memWrite(2n, big, null), msi(3n), msi(4n, null), itsReg(5n), itsCtrl(6n, 1), itsCtrl(7n, 2), itsCtrl(8n, 4), savePending(9n)];
  for (const e of evs) expect(minorFor(itsHeader(0), [e])).toBe(2);
  const f = path.join(dir, 'v12.gtr');
  writeTrace(f, itsHeader(), evs);
  const r = readTrace(f);
  expect(r.header.formatMinor).toBe(2);
  expect(r.events.map((e) => (e.kind === EventKind.MemWrite ? { ...e, data: Array.from(e.data) } : e))).toEqual(evs.map((e) => (e.kind === EventKind.MemWrite ? { ...e, data: Array.from(e.data) } : e)));
  // A bin of 32 bytes is c4 20 + the bytes: the event bytes hold the command exactly once.
  const bytes = fs.readFileSync(f);
  expect(bytes.indexOf(Buffer.concat([Buffer.from([0xc4, 0x20]), Buffer.from(cmd)]))).toBeGreaterThan(0);
});

test('the JSON-lines form carries data as hex and round-trips; the text form names the attributes', () => {
  const namer = FALLBACK_NAMER;
  const j = JSON.parse(eventToJson(memWrite(1n), 0, namer));
  expect(j).toEqual({ event: 0, kind: 'mem-write', cycle: '0x1', cpu: 0, addr: '0x40000000', data: Buffer.from(cmd).toString('hex') });
  const back = eventFromJson(j);
  expect(back.kind === EventKind.MemWrite && Array.from(back.data)).toEqual(Array.from(cmd));
  expect(JSON.parse(eventToJson(msi(2n), 1, namer))).toEqual({ event: 1, kind: 'msi', cycle: '0x2', address: '0x8090040', data: '0x3', devid: '0x10' });
  expect(eventFromJson(JSON.parse(eventToJson(msi(2n, null), 1, namer)))).toEqual(msi(2n, null));
  expect(eventToText(itsCtrl(3n, 1), 2, namer)).toMatch(/ITS KVM_DEV_ARM_ITS_SAVE_TABLES its-ctrl\+0x1/);
  expect(eventToText(savePending(3n), 2, namer)).toMatch(/KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES ctrl\+0x3/);
  expect(eventToText(memWrite(4n), 3, namer)).toBe(`#3 @0x4 cpu0 mem-write 0x40000000/32 ${Buffer.from(cmd).toString('hex')}`);
  expect(() => eventFromJson({ ...j, data: 'abc' })).toThrow(expect.objectContaining({ expected: expect.stringMatching(/even-length hex string/) }));
});

describe('what an older minor, a trace without an ITS or a bad field cannot carry', () => {
  let n = 0;
  const read = (header: TraceHeader, events: unknown[]): InputError => {
    const f = path.join(dir, `bad-${n++}.gtr`);
    // headerToWire refuses a minor newer than ours; a newer writer's header is the same map with its minor.
    const wire = { ...headerToWire({ ...header, formatMinor: Math.min(header.formatMinor, 2) }), formatMinor: header.formatMinor };
    fs.writeFileSync(f, buildRaw({ header: wire, events: events as unknown[][] }).bytes);
    try {
      readTrace(f);
    } catch (e) {
      return e as InputError;
    }
    throw new Error('the trace was accepted');
  };

  test('mem-write and msi events in a 1.1 trace', () => {
    expect(read(itsHeader(1), [[9, 1, 0, 0x40000000, Buffer.from(cmd)]]).message).toMatch(/mem-write event \(kind 9\) in a format 1\.1 trace/);
    expect(read(itsHeader(1), [[10, 1, 0x08090040, 3, 16]]).message).toMatch(/msi event \(kind 10\) in a format 1\.1 trace/);
  });

  test('its-regs and its-ctrl groups, and SAVE_PENDING_TABLES, in a 1.1 trace', () => {
    expect(read(itsHeader(1), [[5, 1, 4, null, 8, 8, null]]).message).toMatch(/4 its-regs and 6 its-ctrl need format 1\.2/);
    expect(read(itsHeader(1), [[6, 1, 6, null, 1, 4, 0]]).message).toMatch(/need format 1\.2/);
    expect(read(itsHeader(1), [[6, 1, 5, null, 3, 4, 0]]).message).toMatch(/ctrl attribute 3.*needs format 1\.2/);
  });

  test('an event kind this reader does not know is refused, also in a newer minor (never skipped)', () => {
    expect(read(itsHeader(2), [[11, 1, 0]]).message).toMatch(/unknown event kind integer 11 \(expected an event kind from 1 \(mmio-read\) to 10 \(msi\)\)/);
    const e = read(itsHeader(3), [[11, 1, 0]]);
    expect(e.message).toMatch(/unknown event kind integer 11 \(the trace is format 1\.3, newer than this gicreplay's 1\.2: update gicreplay\)/);
    expect(e.location?.eventIndex).toBe(0);
  });

  test('guest memory, MSIs and ITS attributes need an ITS', () => {
    expect(read(itsHeader(2, false), [[9, 1, 0, 0x40000000, Buffer.from(cmd)]]).message).toMatch(/mem-write event in a trace without an ITS/);
    expect(read(itsHeader(2, false), [[10, 1, 0x08090040, 3, 16]]).message).toMatch(/msi event in a trace without an ITS/);
    expect(read(itsHeader(2, false), [[5, 1, 4, null, 8, 8, null]]).message).toMatch(/its-regs access in a trace without an ITS/);
    expect(read(itsHeader(2, false), [[6, 1, 6, null, 1, 4, 0]]).message).toMatch(/its-ctrl write in a trace without an ITS/);
  });

  test('mem-write data must be bin of 1 .. 1 MiB; the range must fit in 64 bits; the writer refuses the same', () => {
    expect(read(itsHeader(), [[9, 1, 0, 0x40000000, '0900']]).message).toMatch(/field 4 \(data\).*msgpack bin of 1 to 1048576 bytes/);
    expect(read(itsHeader(), [[9, 1, 0, 0x40000000, Buffer.alloc(0)]]).message).toMatch(/msgpack bin/);
    expect(read(itsHeader(), [[9, 1, 0, 0xfffffffffffffff0n, Buffer.from(cmd)]]).message).toMatch(/runs past 2\^64/);
    expect(() => writeTrace(path.join(dir, 'w.gtr'), itsHeader(), [memWrite(1n, new Uint8Array(0))])).toThrow(/msgpack bin/);
  });

  test('its-regs: no vCPU, 4 or 8 bytes; its-ctrl: a known attribute, written, no data', () => {
    expect(read(itsHeader(), [[5, 1, 4, 0, 8, 8, null]]).message).toMatch(/its-regs access names vCPU 0/);
    expect(read(itsHeader(), [[5, 1, 4, null, 8, 2, null]]).message).toMatch(/its-regs access of 2 bytes/);
    expect(read(itsHeader(), [[6, 1, 6, null, 3, 4, 0]]).message).toMatch(/its-ctrl attribute 3/);
    expect(read(itsHeader(), [[5, 1, 6, null, 1, 4, null]]).message).toMatch(/user-read of the its-ctrl group/);
    expect(read(itsHeader(), [[6, 1, 6, null, 1, 4, 1]]).message).toMatch(/its-ctrl write of size 4, value 0x1/);
  });

  test('msi: data is a u32, devid a u32 or nil', () => {
    expect(read(itsHeader(), [[10, 1, 0x08090040, 0x100000000n, 16]]).message).toMatch(/field 3 \(data\)/);
    expect(read(itsHeader(), [[10, 1, 0x08090040, 3, 'x']]).message).toMatch(/field 4 \(devid\)/);
  });
});
