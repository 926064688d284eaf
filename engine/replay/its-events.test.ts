// Format 1.2 events through replay: guest memory (mem-write) is what the vITS reads its commands
// and property bytes from, KVM_SIGNAL_MSI (msi) injects, the ITS device's control attributes
// (its-ctrl) save and restore the tables. The LPI is then delivered, acknowledged and ended
// through the CPU interface, as KVM would (vgic_its_process_commands, vgic_its_inject_msi).

import { sysregByName } from '../arch/sysregs';
import { encodeCommand } from '../gic/its/commands';
import { CMD } from '../gic/its/abi';
import { getPolicy } from '../policy/policy';
import { synthHeader } from '../trace/synth';
import { EventKind, Frame, TraceEvent, TraceHeader, UserGroup } from '../trace/events';
import { ReplayRecord } from './records';
import { replayEvents } from './replay';

const ITS = 0x08080000n;
const CMDQ = 0x40000000n;
const PROP = 0x40030000n;

function header(): TraceHeader {
  const h = synthHeader(1, 3);
  return { ...h, formatMinor: 2, gic: { ...h.gic, its: true, frames: { dist: 0x08000000n, redist: [0x080a0000n], its: ITS } } };
}

/** Events for a one-vCPU guest that brings the ITS up as Linux does and maps DeviceID 0x10 EventID 3 to LPI 8195. */
function bringUp(): TraceEvent[] {
  let cycle = 0n;
  const next = (): bigint => (cycle += 16n);
  const ev: TraceEvent[] = [];
  const mw = (frame: Frame, offset: number, size: 4 | 8, value: bigint): void => {
    ev.push({ kind: EventKind.MmioWrite, cycle: next(), cpu: 0, frame, index: 0, offset, size, value });
  };
  const sw = (name: string, value: bigint): void => {
    ev.push({ kind: EventKind.SysregWrite, cycle: next(), cpu: 0, enc: sysregByName(name)!.enc, value });
  };
  mw(Frame.Dist, 0x0, 4, 0x12n);
  sw('ICC_PMR_EL1', 0xf0n);
  sw('ICC_IGRPEN1_EL1', 1n);
  // LPI 8195: priority 0xa0, enabled (property byte 0xa1).
  ev.push({ kind: EventKind.MemWrite, cycle: next(), cpu: 0, addr: PROP + 3n, data: new Uint8Array([0xa1]) });
  mw(Frame.Its, 0x100, 8, 0x40010000n | (1n << 63n) | 0x400n); // GITS_BASER0
  mw(Frame.Its, 0x108, 8, 0x40020000n | (1n << 63n) | 0x400n); // GITS_BASER1
  mw(Frame.Its, 0x80, 8, CMDQ | (1n << 63n) | 0x400n | 15n); // GITS_CBASER
  mw(Frame.RedistRd, 0x70, 8, PROP | 0x400n | 15n); // GICR_PROPBASER
  mw(Frame.RedistRd, 0x78, 8, 0x40100000n | 0x400n); // GICR_PENDBASER
  mw(Frame.RedistRd, 0x0, 4, 1n); // GICR_CTLR.EnableLPIs
  mw(Frame.Its, 0x0, 4, 1n); // GITS_CTLR.Enabled
  const cmds = [
    encodeCommand(CMD.MAPC, { icid: 0, target: 0, valid: true }),
    encodeCommand(CMD.MAPD, { deviceId: 0x10, size: 8, ittAddr: 0x40200000n, valid: true }),
    encodeCommand(CMD.MAPTI, { deviceId: 0x10, eventId: 3, physicalId: 8195, icid: 0 }),
    encodeCommand(CMD.SYNC, { target: 0 }),
  ];
  cmds.forEach((c, i) => {
    const data = new Uint8Array(32);
    const dv = new DataView(data.buffer);
    c.forEach((w, j) => dv.setBigUint64(8 * j, w, true));
    ev.push({ kind: EventKind.MemWrite, cycle: next(), cpu: 0, addr: CMDQ + BigInt(32 * i), data });
  });
  mw(Frame.Its, 0x88, 8, BigInt(32 * cmds.length)); // GITS_CWRITER
  return ev;
}

function run(events: TraceEvent[], policy = 'rev3'): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  replayEvents(header(), events, { policy: getPolicy(policy) }, (r) => out.push(r));
  return out;
}

test('commands the trace carries run at the CWRITER write; an MSI is delivered, acknowledged and ended as LPI 8195', () => {
  const ev = bringUp();
  const cycle = ev[ev.length - 1].cycle;
  ev.push({ kind: EventKind.Msi, cycle: cycle + 16n, cpu: null, address: ITS + 0x10040n, data: 3, devid: 0x10 });
  ev.push({ kind: EventKind.SysregRead, cycle: cycle + 32n, cpu: 0, enc: sysregByName('ICC_IAR1_EL1')!.enc, observed: null });
  ev.push({ kind: EventKind.SysregWrite, cycle: cycle + 48n, cpu: 0, enc: sysregByName('ICC_EOIR1_EL1')!.enc, value: 8195n });
  const recs = run(ev);
  const cmds = recs.filter((r) => r.op === 'its-cmd').map((r) => (r.op === 'its-cmd' ? `${r.command.split(' ')[0]} ${r.result}` : ''));
  expect(cmds).toHaveLength(4);
  for (const c of cmds) expect(c).toMatch(/ ok/);
  const msi = recs.find((r) => r.op === 'msi');
  expect(msi).toMatchObject({ op: 'msi', result: 1 });
  const iar = recs.find((r) => r.op === 'read' && r.reg === 'ICC_IAR1_EL1');
  expect(iar).toMatchObject({ value: 8195n });
  // The vCPU's IRQ goes up at the MSI and down at the acknowledge.
  const irq = recs.filter((r) => r.op === 'irq').map((r) => (r.op === 'irq' ? r.level : -1));
  expect(irq).toEqual([1, 0]);
});

test('without the mem-write events the same commands read as zeroes and the MSI finds no mapping', () => {
  const ev = bringUp().filter((e) => e.kind !== EventKind.MemWrite);
  const last = ev[ev.length - 1].cycle;
  ev.push({ kind: EventKind.Msi, cycle: last + 16n, cpu: null, address: ITS + 0x10040n, data: 3, devid: 0x10 });
  const recs = run(ev);
  expect(recs.find((r) => r.op === 'msi')).toMatchObject({ result: 0 });
});

test('its-ctrl SAVE_TABLES writes the tables to guest memory; RESET then RESTORE_TABLES brings the mapping back', () => {
  const ev = bringUp();
  let cycle = ev[ev.length - 1].cycle;
  const ctrl = (attr: number): TraceEvent => ({ kind: EventKind.UserWrite, cycle: (cycle += 16n), group: UserGroup.ItsCtrl, cpu: null, offset: attr, size: 4, value: 0n });
  const itsRegs = (offset: number, value: bigint, size: 4 | 8 = 8): TraceEvent => ({ kind: EventKind.UserWrite, cycle: (cycle += 16n), group: UserGroup.ItsRegs, cpu: null, offset, size, value });
  ev.push(ctrl(1)); // KVM_DEV_ARM_ITS_SAVE_TABLES
  ev.push(ctrl(4)); // KVM_DEV_ARM_ITS_CTRL_RESET
  // A VMM restores the registers, then the tables, then enables the ITS (QEMU's kvm_arm_its_post_load order).
  ev.push(itsRegs(0x100, 0x40010000n | (1n << 63n) | 0x400n));
  ev.push(itsRegs(0x108, 0x40020000n | (1n << 63n) | 0x400n));
  ev.push(ctrl(2)); // KVM_DEV_ARM_ITS_RESTORE_TABLES
  ev.push(itsRegs(0x80, CMDQ | (1n << 63n) | 0x400n | 15n));
  ev.push(itsRegs(0x0, 1n, 4));
  ev.push({ kind: EventKind.Msi, cycle: (cycle += 16n), cpu: null, address: ITS + 0x10040n, data: 3, devid: 0x10 });
  const recs = run(ev);
  const ctrls = recs.filter((r) => r.op === 'ctrl');
  expect(ctrls.map((r) => (r.op === 'ctrl' ? [r.reg, r.result] : []))).toEqual([
    ['KVM_DEV_ARM_ITS_SAVE_TABLES', 0],
    ['KVM_DEV_ARM_ITS_CTRL_RESET', 0],
    ['KVM_DEV_ARM_ITS_RESTORE_TABLES', 0],
  ]);
  // The save wrote the collection entry, the device entry and the ITT entry: each a mem-write record.
  expect(recs.filter((r) => r.op === 'mem-write').length).toBeGreaterThanOrEqual(3);
  expect(recs.filter((r) => r.op === 'msi').map((r) => (r.op === 'msi' ? r.result : NaN))).toEqual([1]);
});
