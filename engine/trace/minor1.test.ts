// Format 1.1: the vGIC's init point (gic.init "traced", the ctrl user group) and each user
// access's result (a trailing errno element). A 1.0 trace stays 1.0 byte for byte; a 1.0 trace
// cannot carry the new elements; a 1.1 trace round-trips through the writer, reader and JSON form.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { CTRL_INIT, EventKind, Frame, minorFor, TraceEvent, TraceHeader, UserGroup } from './events';
import { headerToWire } from './header';
import { readTrace } from './reader';
import { eventFromJson, eventToJson, eventToText, headerFromJson, headerToJson } from './text';
import { FALLBACK_NAMER } from './names';
import { buildRaw, tempDir } from './testing/fixtures';
import { synthHeader } from './synth';
import { writeTrace } from './writer';

const dir = tempDir('gtr-minor1-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function header11(version: 2 | 3 = 3): TraceHeader {
  const h = synthHeader(1, version);
  if (version === 3) h.gic.frames.redist = [0x080a0000n];
  return { ...h, formatMinor: 1, gic: { ...h.gic, init: 'traced' } };
}

const ctrlInit = (cycle: bigint): TraceEvent => ({ kind: EventKind.UserWrite, cycle, group: UserGroup.Ctrl, cpu: null, offset: CTRL_INIT, size: 4, value: 0n, result: 0 });
const iidrWrite = (cycle: bigint, result?: number | null): TraceEvent => ({ kind: EventKind.UserWrite, cycle, group: UserGroup.DistRegs, cpu: null, offset: 8, size: 4, value: 0x4b00243bn, ...(result === undefined ? {} : { result }) });

test('a trace without 1.1 features is written as 1.0, byte for byte what it was', () => {
  const src = path.join(__dirname, '..', '..', 'traces', 'guests', 'vmm-restore-v3.gtr');
  const t = readTrace(src);
  expect(t.header.formatMinor).toBe(0);
  expect(minorFor(t.header, t.events)).toBe(0);
  const out = path.join(dir, 'copy.gtr');
  writeTrace(out, t.header, t.events);
  expect(fs.readFileSync(out).equals(fs.readFileSync(src))).toBe(true);
});

test('the init point and results round-trip through writer and reader; the header says 1.1', () => {
  const h = header11();
  const evs: TraceEvent[] = [iidrWrite(10n, 16), { kind: EventKind.UserRead, cycle: 20n, group: UserGroup.DistRegs, cpu: null, offset: 8, size: 4, observed: 0n, result: 16 }, ctrlInit(30n), iidrWrite(40n, null), iidrWrite(50n)];
  expect(minorFor(h, evs)).toBe(1);
  const f = path.join(dir, 'v11.gtr');
  writeTrace(f, h, evs);
  const r = readTrace(f);
  expect(r.header.formatMinor).toBe(1);
  expect(r.header.gic.init).toBe('traced');
  // null ("not seen") is written as no element at all, so it reads back as absent.
  expect(r.events).toEqual([evs[0], evs[1], evs[2], iidrWrite(40n), iidrWrite(50n)]);
});

test('JSON-lines and the text form carry the result and the init point', () => {
  const namer = FALLBACK_NAMER;
  const j = JSON.parse(eventToJson(iidrWrite(1n, 16), 0, namer));
  expect(j).toMatchObject({ kind: 'user-write', group: 'dist-regs', result: 16, error: '-EBUSY' });
  expect(eventFromJson(j)).toEqual(iidrWrite(1n, 16));
  expect(JSON.parse(eventToJson(ctrlInit(2n), 1, namer))).toMatchObject({ group: 'ctrl', offset: '0x0', result: 0, reg: 'KVM_DEV_ARM_VGIC_CTRL_INIT' });
  expect(eventToText(iidrWrite(1n, 16), 0, namer)).toMatch(/ result=-EBUSY$/);
  expect(eventToText(iidrWrite(1n), 0, namer)).not.toMatch(/result/);
  const hj = JSON.parse(headerToJson(header11()));
  expect(hj.gic.init).toBe('traced');
  expect(headerFromJson(hj).gic.init).toBe('traced');
});

describe('a 1.0 trace cannot carry 1.1 elements; 1.1 rules are enforced', () => {
  let n = 0;
  const read = (header: unknown, events: unknown[]): InputError => {
    const f = path.join(dir, `bad-${n++}.gtr`);
    fs.writeFileSync(f, buildRaw({ header, events: events as unknown[][] }).bytes);
    try {
      readTrace(f);
    } catch (e) {
      return e as InputError;
    }
    throw new Error('the trace was accepted');
  };
  const h10 = headerToWire({ ...synthHeader(1, 3), gic: { ...synthHeader(1, 3).gic, frames: { dist: 0x08000000n, redist: [0x080a0000n] } } });
  const h11 = headerToWire(header11());

  test('a trailing result in a 1.0 trace', () => {
    expect(read(h10, [[6, 1, 0, null, 8, 4, 0, 16]]).message).toMatch(/user-write event has 8 fields \(a trailing result needs format 1\.1\)/);
  });

  test('the ctrl group in a 1.0 trace', () => {
    expect(read(h10, [[6, 1, 5, null, 0, 4, 0]]).message).toMatch(/5 ctrl needs format 1\.1/);
  });

  test('gic.init in a 1.0 header', () => {
    expect(read({ ...h10, gic: { ...(h10.gic as object), init: 'traced' } }, []).message).toMatch(/header\.gic.*init/);
  });

  test('a GICv3 guest access before CTRL_INIT when the trace holds the init point', () => {
    const e = read(h11, [[1, 1, 0, Frame.Dist, 0, 8, 4, null]]);
    expect(e.message).toMatch(/a guest access before the vGIC is initialised/);
    expect(e.location?.eventIndex).toBe(0);
  });

  test('a ctrl read, another attribute, a vCPU or a value', () => {
    expect(read(h11, [[5, 1, 5, null, 0, 4, null]]).message).toMatch(/user-read of the ctrl group/);
    expect(read(h11, [[6, 1, 5, null, 3, 4, 0]]).message).toMatch(/ctrl attribute 3/);
    expect(read(h11, [[6, 1, 5, 0, 0, 4, 0]]).message).toMatch(/ctrl write names vCPU 0/);
    expect(read(h11, [[6, 1, 5, null, 0, 4, 1]]).message).toMatch(/ctrl write of size 4, value 0x1/);
  });

  test('a result that is not an errno magnitude', () => {
    expect(read(h11, [[6, 1, 0, null, 8, 4, 0, 'EBUSY']]).message).toMatch(/field 7 \(result\).*errno magnitude/);
  });

  test('the writer refuses a result in a 1.0 header', () => {
    expect(() => writeTrace(path.join(dir, 'w.gtr'), { ...header11(), formatMinor: 0, gic: { ...header11().gic, init: undefined } }, [iidrWrite(1n, 16)])).toThrow(/needs format 1\.1/);
  });

  test('with the init point, a GICv2 guest may run first (KVM initialises a GICv2 on first use)', () => {
    const f = path.join(dir, 'v2.gtr');
    writeTrace(f, header11(2), [{ kind: EventKind.MmioRead, cycle: 1n, cpu: 0, frame: Frame.Dist, index: 0, offset: 8, size: 4, observed: null }, ctrlInit(2n)]);
    expect(readTrace(f).events).toHaveLength(2);
  });
});
