// Register-level checks (RegisterChecker as the reader's `check` hook, used by `trace validate`):
// sizes and alignment KVM refuses for the register an access hits, and system registers gicreplay
// does not know.

import * as fs from 'fs';
import { InputError } from '../errors';
import { EventKind, Frame, UserGroup } from '../trace/events';
import { tempDir, writeRaw } from '../trace/testing/fixtures';
import { headerToWire } from '../trace/header';
import { readTrace } from '../trace/reader';
import { synthHeader } from '../trace/synth';
import { RegisterChecker } from './registers';

const dir = tempDir('gtr-regs-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const v3 = synthHeader(4, 3);
const v2 = synthHeader(2, 2);
let seq = 0;

function check(header: typeof v3, ev: unknown[]): InputError | null {
  const t = writeRaw(dir, `r${seq++}.gtr`, { header: headerToWire(header), events: [ev] });
  // Structurally every case here is fine: only the register tables object.
  expect(readTrace(t.file).events).toHaveLength(1);
  try {
    readTrace(t.file, { check: RegisterChecker.for(header.gic).check });
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const err = e as InputError;
    expect(err.location).toEqual({ file: t.file, byteOffset: t.eventOffsets[0], eventIndex: 0 });
    return err;
  }
}

test('GICv3: GICD_CTLR is 32-bit only; a byte access is refused', () => {
  expect(check(v3, [EventKind.MmioWrite, 1, 0, Frame.Dist, 0, 0x0, 1, 1])?.message).toMatch(/event 0: GICD_CTLR: GICD_CTLR allows 32-bit accesses only/);
  expect(check(v3, [EventKind.MmioWrite, 1, 0, Frame.Dist, 0, 0x0, 4, 1])).toBeNull();
});

test('GICv3: a misaligned GICD_IROUTER access is refused, the aligned 64-bit one accepted', () => {
  expect(check(v3, [EventKind.MmioRead, 1, 0, Frame.Dist, 0, 0x6102, 4, null])?.message).toMatch(/GICD_IROUTER32.*misaligned/);
  expect(check(v3, [EventKind.MmioWrite, 1, 0, Frame.Dist, 0, 0x6100, 8, 0x1_0000_0001n])).toBeNull();
});

test('GICv3: byte accesses to GICD_IPRIORITYR are allowed (the architecture makes them byte-accessible)', () => {
  expect(check(v3, [EventKind.MmioWrite, 1, 0, Frame.Dist, 0, 0x401, 1, 0xa0])).toBeNull();
});

test('GICv2: GICC_IAR is 32-bit only', () => {
  expect(check(v2, [EventKind.MmioRead, 1, 0, Frame.CpuIf, 0, 0xc, 2, null])?.message).toMatch(/GICC_IAR allows 32-bit accesses only/);
});

test('unknown system register encodings are refused, known ones accepted', () => {
  expect(check(v3, [EventKind.SysregWrite, 1, 0, 0x30cf7, 0])?.message).toMatch(/unknown system register S3_0_C12_C15_7 \(encoding 0x30cf7\)/);
  expect(check(v3, [EventKind.SysregWrite, 1, 0, 0x30cc1, 32])).toBeNull();
  expect(check(v3, [EventKind.UserRead, 1, UserGroup.CpuSysregs, 0, 0x30cf7, 8, null])?.message).toMatch(/unknown system register S3_0_C12_C15_7 in cpu-sysregs/);
});

test('RegisterChecker leaves markers and lines alone', () => {
  const c = RegisterChecker.for(v3.gic);
  expect(() => c.check({ kind: EventKind.Marker, cycle: 0n, cpu: null, text: 'x' })).not.toThrow();
  expect(() => c.check({ kind: EventKind.Line, cycle: 0n, intid: 40, cpu: null, level: 1 })).not.toThrow();
});
