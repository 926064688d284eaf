// The vGIC's init point and userspace results in replay (format 1.1), as KVM 6.1/6.12 answer:
// before KVM_DEV_ARM_VGIC_CTRL_INIT a GICv3 refuses every register attribute with -EBUSY (and
// KVM_IRQ_LINE too); a GICv2 initialises on its first register access; a refused write's errno is
// in the record and in the golden line (only when it is not 0). nested.test.ts asks the real
// kernel the same questions.

import { sysregByName } from '../arch/sysregs';
import { fieldFormatterFor, renderRecord } from '../golden/render';
import { getPolicy } from '../policy/policy';
import { CTRL_INIT, EventKind, Frame, kvmMpidr, TraceEvent, TraceHeader, UserGroup } from '../trace/events';
import { ReplayRecord } from './records';
import { replayEvents } from './replay';

function header(version: 2 | 3, init?: 'traced'): TraceHeader {
  return {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: init ? 1 : 0,
    writer: 'test',
    gic: { version, cpus: [{ mpidr: kvmMpidr(0) }], spis: 32, its: false, frames: version === 3 ? { dist: 0x08000000n, redist: [0x080a0000n] } : { dist: 0x08000000n, cpuif: 0x08010000n }, ...(init ? { init } : {}) },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 16n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: { kind: 'hand', tool: 'test', command: '', blindSpots: [], cycles: 'by hand', details: {} },
  };
}

const c = (i: number): bigint => BigInt(100 * (i + 1));
const iidrW = (v: bigint): Omit<TraceEvent, 'cycle'> => ({ kind: EventKind.UserWrite, group: UserGroup.DistRegs, cpu: null, offset: 8, size: 4, value: v }) as Omit<TraceEvent, 'cycle'>;
const iidrR: Omit<TraceEvent, 'cycle'> = { kind: EventKind.UserRead, group: UserGroup.DistRegs, cpu: null, offset: 8, size: 4, observed: null } as Omit<TraceEvent, 'cycle'>;
const ctrl: Omit<TraceEvent, 'cycle'> = { kind: EventKind.UserWrite, group: UserGroup.Ctrl, cpu: null, offset: CTRL_INIT, size: 4, value: 0n } as Omit<TraceEvent, 'cycle'>;
const pmrR: Omit<TraceEvent, 'cycle'> = { kind: EventKind.UserRead, group: UserGroup.CpuSysregs, cpu: 0, offset: sysregByName('ICC_PMR_EL1')!.enc, size: 8, observed: null } as Omit<TraceEvent, 'cycle'>;
const spi: Omit<TraceEvent, 'cycle'> = { kind: EventKind.Line, intid: 32, cpu: null, level: 1 } as Omit<TraceEvent, 'cycle'>;
const guestIidr: Omit<TraceEvent, 'cycle'> = { kind: EventKind.MmioRead, cpu: 0, frame: Frame.Dist, index: 0, offset: 8, size: 4, observed: null } as Omit<TraceEvent, 'cycle'>;

function replay(h: TraceHeader, evs: Omit<TraceEvent, 'cycle'>[], policy = 'mainline-rev3'): { recs: ReplayRecord[]; lines: string[] } {
  const events = evs.map((e, i) => ({ ...e, cycle: c(i) }) as TraceEvent);
  const recs: ReplayRecord[] = [];
  replayEvents(h, events, { policy: getPolicy(policy) }, (r) => recs.push(r));
  const f = fieldFormatterFor(h.gic);
  return { recs, lines: recs.map((r) => renderRecord(r, f)) };
}

test('GICv3 before CTRL_INIT on 6.1: register attributes and KVM_IRQ_LINE are -EBUSY and change nothing; after it, revision 2 can be selected', () => {
  const { recs, lines } = replay(header(3, 'traced'), [iidrW(0x4b00243bn), iidrR, pmrR, spi, ctrl, iidrR, iidrW(0x4b00243bn), iidrR], 'linux-6.1');
  expect(recs.filter((r) => r.op === 'read').map((r) => `${r.index} ${(r as { value: bigint }).value.toString(16)} ${(r as { result?: number }).result ?? 0}`)).toEqual(['1 0 16', '2 0 16', '5 4b00343b 0', '7 4b00243b 0']);
  expect(lines[0]).toBe('0 0x64 - write user GICD_IIDR/4 0x4b00243b -> "rejected (-EBUSY): the vGIC is not initialised (no KVM_DEV_ARM_VGIC_CTRL_INIT yet)" error -EBUSY');
  expect(lines[1]).toBe('1 0xc8 - read user GICD_IIDR/4 = 0x0 error -EBUSY {all fields 0}');
  expect(lines).toContain('3 0x190 - write line SPI32/0 0x1 -> "ignored: KVM_IRQ_LINE returns -EBUSY: the vGIC is not initialised (no KVM_DEV_ARM_VGIC_CTRL_INIT yet)"');
  // CTRL_INIT succeeds silently; a second one is a no-op in KVM too.
  expect(recs.some((r) => r.index === 4)).toBe(false);
  expect(replay(header(3, 'traced'), [ctrl, ctrl, iidrR]).recs.map((r) => r.op)).toEqual(['read']);
});

test('GICv3 before CTRL_INIT on mainline: GICD_IIDR and GICD_TYPER2 go through (reg_allowed_pre_init), the rest is -EBUSY; the revision chosen first stays', () => {
  const typer2R = { ...iidrR, offset: 0xc } as Omit<TraceEvent, 'cycle'>;
  const { recs, lines } = replay(header(3, 'traced'), [iidrW(0x4b00243bn), iidrR, typer2R, pmrR, spi, ctrl, iidrR, guestIidr]);
  expect(recs.filter((r) => r.op === 'read').map((r) => `${r.index} ${(r as { value: bigint }).value.toString(16)} ${(r as { result?: number }).result ?? 0}`)).toEqual(['1 4b00243b 0', '2 0 0', '3 0 16', '6 4b00243b 0', '7 4b00243b 0']);
  expect(recs.some((r) => r.index === 0)).toBe(false);
  expect(lines).toContain('4 0x1f4 - write line SPI32/0 0x1 -> "ignored: KVM_IRQ_LINE returns -EBUSY: the vGIC is not initialised (no KVM_DEV_ARM_VGIC_CTRL_INIT yet)"');
});

test('a 1.0 trace (no init point): the vGIC is initialised before the first event', () => {
  const { recs } = replay(header(3), [iidrW(0x4b00243bn), iidrR, guestIidr]);
  expect(recs.map((r) => (r.op === 'read' ? `${r.index} ${r.value.toString(16)} ${r.result ?? 0}` : r.op))).toEqual(['1 4b00243b 0', '2 4b00243b 0']);
});

test('GICv2: the first register access initialises the vGIC, so the same write works before CTRL_INIT', () => {
  const { recs } = replay(header(2, 'traced'), [iidrW(0x4b00243bn), ctrl, iidrR]);
  expect(recs.map((r) => (r.op === 'read' ? `${r.index} ${r.value.toString(16)} ${r.result ?? 0}` : `${r.op} ${r.index}`))).toEqual(['2 4b00243b 0']);
});

test("a refused write's errno is in the record and the golden line: a GICD_IIDR write that changes another field is -EINVAL", () => {
  const { recs, lines } = replay(header(3), [iidrW(0x4b00243cn)]);
  expect((recs[0] as { result?: number }).result).toBe(22);
  expect(lines[0]).toMatch(/^0 0x64 - write user GICD_IIDR\/4 0x4b00243c -> "rejected \(-EINVAL\): [^"]*" error -EINVAL$/);
});
