// The KVM backend's pieces without a kernel: job generation, the answer parser, records from
// answers, comparability, the fidelity rules and baseline, the initramfs writer, and the errors
// a missing tool gives. The real-KVM tests are in nested.test.ts.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../../errors';
import { ReplayRecord } from '../../replay/records';
import { EventKind, Frame, UserGroup } from '../../trace/events';
import { compareWithBaseline, baselineOf } from './baseline';
import { buildRunner, defaultKernel, requireKernel } from './build';
import { kvmComparableLine } from './check';
import { kvmComparability, timerComparability } from './comparable';
import { itsMemoryRegions } from './its-memory';
import { cpioNewc } from './cpio';
import { agreesWith, compareTrace, FidelityReport, modelPolicyOn } from './fidelity';
import { cpuifTrapsOn, kernelPolicyId, KvmHost, NestedHost, releaseOfImage } from './host';
import { buildTraceJob, kvmSysregAttr, redistRegions, vgicMpidr } from './job';
import { parseRunnerOutput } from './output';
import { ALL_COMPARABLE, emitKvmRecords } from './records';
import { ev, events, virtHeader } from './testing/testkit';
import { BUILTIN_POLICY_IDS, getPolicy, policyForTrace, TRACE_TRAPS_DETAIL } from '../../policy/policy';

const ops = (lines: string[]): string[] => lines.slice(lines.indexOf('go') + 1, -1);

describe('job', () => {
  test('the VM shape comes from the header: frames, MPIDRs, NR_IRQS, contiguous redistributors as one region', () => {
    const h = virtHeader(3, 2, { its: true });
    const j = buildTraceJob('t0', h, [], { file: 'x.gtr', revision: 2 });
    expect(j.lines.slice(0, j.lines.indexOf('go') + 1)).toEqual([
      'trace t0', 'gic 3', 'cpus 2', 'nr-irqs 96', 'mpidr 0 0x80000000', 'mpidr 1 0x80000001', 'dist 0x8000000', 'redist 0x80a0000 2', 'its 0x8080000', 'init-now', 'timeout-ms 10000', 'go',
    ]);
    // The revision is selected right after CTRL_INIT, before the first event.
    expect(ops(j.lines)).toEqual(['iidr s0 2']);
    expect(redistRegions([0x10000n, 0x30000n, 0x100000n])).toEqual([{ base: 0x10000n, count: 2 }, { base: 0x100000n, count: 1 }]);
  });

  test('guest accesses become addresses, user accesses device attributes, lines KVM_IRQ_LINE or the timer', () => {
    const h = virtHeader(3, 2);
    const j = buildTraceJob('t0', h, events(
      ev.mr(null, Frame.Dist, 0x8),                               // 0: GICD_IIDR on vCPU 0 (no CPU recorded)
      ev.mw(1, Frame.RedistSgi, 0x100, 0x1n, 4, 1),               // 1: GICR_ISENABLER0 of redistributor 1, from vCPU 1
      ev.sw(0, 'ICC_SGI1R_EL1', 0x10002n),                        // 2: an SGI: every other vCPU is probed
      ev.sw(0, 'ICC_EOIR1_EL1', 0x20n),                           // 3: a deactivation: every vCPU, the writer too, afresh
      ev.line(40, null, 1),                                       // 4: SPI 40
      ev.line(27, 1, 1),                                          // 5: vtimer PPI, timer not programmed: driven through the timer
      ev.sw(1, 'CNTV_CTL_EL0', 1n),                               // 6: the guest programs its timer
      ev.line(27, 1, 0),                                          // 7: ... so this line is a check, not an input
      ev.uw(UserGroup.RedistRegs, 1, 0x10080, 0xffffffffn),      // 8: GICR_IGROUPR0 of vCPU 1
      ev.ur(UserGroup.CpuSysregs, 1, 0x30460, 8),                 // 9: ICC_PMR_EL1 of vCPU 1
      ev.uw(UserGroup.DistRegs, null, 0x6140, 0n, 8),             // 10: 64-bit DIST_REGS access: KVM has none
      ev.mark('hello'),                                           // 11
    ), { file: 'x.gtr' });
    expect(ops(j.lines)).toEqual([
      'mr 0 0 0x8000008 4',
      'mw 1 1 0x80d0100 4 0x1', 'p 1 0',
      'sw 2 0 0x30cb5 0x10002', 'p 2 1',
      'sw 3 0 0x30cc1 0x20', 'p 3 0', 'p 3 1',
      'irq 4 0x1000028 1', 'p 4 0', 'p 4 1',
      'tl 5 1 v 1',
      'sw 6 1 0x33e31 0x1',
      `uw 8 5 0x${((vgicMpidr(0x80000001n) << 32n) | 0x10080n).toString(16)} 0xffffffff`, 'p 8 0', 'p 8 1',
      `ur 9 6 0x${((1n << 32n) | BigInt(kvmSysregAttr(0x30460))).toString(16)}`,
    ]);
    expect(j.plans[7].skip?.kind).toBe('timer-check');
    expect(j.plans[10].skip?.kind).toBe('inexpressible');
    expect(j.plans[11].ops).toBe(0);
    // ICC_PMR_EL1 (3,0,4,6,0) in KVM's packing: op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2
    expect(kvmSysregAttr(0x30460)).toBe((3 << 14) | (4 << 7) | (6 << 3));
  });

  test('an ITS trace: memslots over the tables its registers and MAPDs name, guest memory stored in job order, MSIs and the ITS attributes', () => {
    const h = virtHeader(3, 2, { its: true });
    const cmd = (bytes: Record<number, number>): Uint8Array => new Uint8Array(32).map((_, i) => bytes[i] ?? 0);
    // MAPD DeviceID 8, 2 EventID bits, ITT at 0x40208000, valid
    const mapd = cmd({ 0: 0x08, 4: 0x08, 8: 0x01, 17: 0x80, 18: 0x20, 19: 0x40, 23: 0x80 });
    const evs = events(
      ev.mw(0, Frame.Its, 0x100, 0xb907000040010600n, 8),         // 0: GITS_BASER0: devices, 64K pages, 1 page at 0x40010000
      ev.mw(0, Frame.Its, 0x80, 0xb80000004000040fn, 8),          // 1: GITS_CBASER: 16 x 4K at 0x40000000
      ev.mw(0, Frame.RedistRd, 0x70, 0x4003078fn, 8),             // 2: GICR_PROPBASER: 16 ID bits at 0x40030000
      ev.mw(0, Frame.RedistRd, 0x78, 0x1_0010_0780n, 8),          // 3: GICR_PENDBASER at 0x100100000 (another gigabyte)
      { kind: EventKind.MemWrite, cpu: 0, addr: 0x40000000n, data: mapd }, // 4
      ev.mw(0, Frame.Its, 0x88, 0x20n, 8),                        // 5: GITS_CWRITER
      { kind: EventKind.Msi, cpu: null, address: 0x08090040n, data: 1, devid: 8 }, // 6
      { kind: EventKind.Msi, cpu: null, address: 0x08090040n, data: 1, devid: null }, // 7
      ev.ur(UserGroup.ItsRegs, null, 0x0, 4),                     // 8: GITS_CTLR (KVM passes a u64)
      ev.uw(UserGroup.ItsRegs, null, 0x80, 0x1n, 8),              // 9
      ev.uw(UserGroup.ItsCtrl, null, 1, 0n),                      // 10: KVM_DEV_ARM_ITS_SAVE_TABLES
    );
    const j = buildTraceJob('t0', h, evs, { file: 'x.gtr' });
    const head = j.lines.slice(0, j.lines.indexOf('go'));
    // 0x40000000..0x40040000 (queue, device table, property table) and the ITT at 0x40200000 are one slot (2 MiB gap rule); the pending table is another.
    expect(head.filter((l) => l.startsWith('mem '))).toEqual(['mem 0x40000000 0x210000', 'mem 0x100100000 0x10000']);
    expect(ops(j.lines)).toEqual([
      'mw 0 0 0x8080100 8 0xb907000040010600', 'p 0 1',
      'mw 1 0 0x8080080 8 0xb80000004000040f', 'p 1 1',
      'mw 2 0 0x80a0070 8 0x4003078f', 'p 2 1',
      'mw 3 0 0x80a0078 8 0x100100780', 'p 3 1',
      `gm 4 0x40000000 ${Buffer.from(mapd).toString('hex')}`,
      'mw 5 0 0x8080088 8 0x20', 'p 5 1',
      'msi 6 0x8090040 0x1 0x8', 'p 6 0', 'p 6 1',
      'msi 7 0x8090040 0x1 -', 'p 7 0', 'p 7 1',
      'ir 8 0x0',
      'iw 9 0x80 0x1', 'p 9 0', 'p 9 1',
      'ic 10 1', 'p 10 0', 'p 10 1',
    ]);
    // The GIC's own frames are never memory, however a table register points at them.
    expect(itsMemoryRegions(events(ev.mw(0, Frame.Its, 0x80, 0xb8000000080000ffn, 8)), [{ base: 0x8080000n, size: 0x20000n }])).toEqual([
      { base: 0x8000000n, size: 0x80000n }, { base: 0x80a0000n, size: 0x60000n },
    ]);
    // A trace without ITS memory gets no memslot (its job is what it always was).
    expect(buildTraceJob('t0', h, events(ev.mr(0, Frame.Its, 0x0)), { file: 'x.gtr' }).lines.some((l) => l.startsWith('mem '))).toBe(false);
  });

  test('a GICv2 trace has a CPU interface and no redistributors; a PPI line names its vCPU', () => {
    const j = buildTraceJob('t1', virtHeader(2, 2), events(ev.line(23, 1, 1), ev.uw(UserGroup.CpuRegs, 1, 0x4, 0xf0n)), { file: 'x.gtr' });
    expect(j.lines).toContain('cpuif 0x8010000');
    expect(ops(j.lines)).toEqual(['irq 0 0x2010017 1', 'p 0 1', 'uw 1 2 0x100000004 0xf0', 'p 1 0', 'p 1 1']);
  });

  test('a GICv3 header without a redistributor per vCPU cannot be placed', () => {
    const h = virtHeader(3, 2);
    h.gic.frames.redist = [0x080a0000n];
    expect(() => buildTraceJob('t', h, [], { file: 'x.gtr' })).toThrow(/lists 1 redistributor bases for 2 vCPUs/);
  });
});

describe('answers', () => {
  const body = ['H api 12', 'T t0', '- ok 1', '- mpidr 0 80000000', '0 r 4b00343b 0', '1 u 16', 'E ok'];
  const crc = (lines: string[]): string => {
    let c = 0xffffffff;
    for (const b of Buffer.from(lines.map((l) => `${l}\n`).join(''))) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
  };

  test('framed console output survives kernel messages between the lines', () => {
    const framed = body.map((l, i) => `@@${i} ${l}`);
    const text = [framed[0], '[    1.0] kvm [1]: some message', ...framed.slice(1), `@@${body.length} D ${body.length} ${crc(body)}`, '[    2.0] reboot: Power down'].join('\r\n');
    const o = parseRunnerOutput(text, true);
    expect(o.done).toBe(true);
    expect(o.corrupt).toBeUndefined();
    expect(o.traces[0]).toMatchObject({ id: 't0', ready: true, complete: true, mpidrs: [0x80000000n] });
    expect(o.traces[0].lines).toEqual([{ tag: '0', kind: 'r', args: ['4b00343b', '0'], rest: '4b00343b 0' }, { tag: '1', kind: 'u', args: ['16'], rest: '16' }]);
  });

  test('a lost or damaged line is caught, not read as an answer', () => {
    const framed = body.map((l, i) => `@@${i} ${l}`);
    const lost = parseRunnerOutput([...framed.slice(0, 3), ...framed.slice(4), `@@${body.length} D ${body.length} ${crc(body)}`].join('\n'), true);
    expect(lost.corrupt).toMatch(/@@4 where @@3 was expected/);
    const damaged = parseRunnerOutput([...body.slice(0, 4), '0 r 4b00243b 0', ...body.slice(5), `D ${body.length} ${crc(body)}`].join('\n'), false);
    expect(damaged.corrupt).toMatch(/CRC-32/);
    expect(parseRunnerOutput(body.join('\n'), false).done).toBe(false);
  });
});

describe('records from answers', () => {
  test('values, an UNDEF, an errno and IRQ changes land where the model would put them', () => {
    const h = virtHeader(3, 2);
    const evs = events(ev.sr(0, 'ICC_IAR1_EL1'), ev.sr(0, 'ICC_EOIR1_EL1'), ev.uw(UserGroup.DistRegs, null, 0x8, 0x4b00143bn), ev.line(33, null, 1), ev.mark('m'));
    const job = buildTraceJob('t', h, evs, { file: 'x.gtr' });
    const answers = parseRunnerOutput(['T t', '- ok 2', '0 r 3ff 0', '1 x 2000000 0 0', '2 u 22', '2 p 0 0', '2 p 1 0', '3 l 0', '3 p 0 2', '3 p 1 0', 'E ok'].join('\n'), false).traces[0];
    const recs: ReplayRecord[] = [];
    emitKvmRecords('x.gtr', h, evs, job.plans, answers, ALL_COMPARABLE, (r) => recs.push(r));
    expect(recs).toEqual([
      { op: 'read', index: 0, cycle: 100n, cpu: 0, src: 'guest', via: 'sysreg', reg: 'ICC_IAR1_EL1', offset: null, size: 8, value: 0x3ffn, recorded: null, note: undefined, notComparable: undefined },
      { op: 'read', index: 1, cycle: 200n, cpu: 0, src: 'guest', via: 'sysreg', reg: 'ICC_EOIR1_EL1', offset: null, size: 8, value: 0n, recorded: null, note: 'UNDEF, ESR_EL1 0x2000000', notComparable: undefined },
      { op: 'write', index: 2, cycle: 300n, cpu: null, src: 'user', via: 'user', reg: 'GICD_IIDR', offset: 8, size: 4, value: 0x4b00143bn, effect: 'KVM_SET_DEVICE_ATTR returned -EINVAL', result: 22 },
      { op: 'irq', cpu: 0, level: 1, cycle: 400n, index: 3, notComparable: undefined },
      { op: 'marker', index: 4, cycle: 500n, cpu: null, text: 'm' },
    ]);
  });
});

describe('comparability', () => {
  test('a vCPU that runs its own timer: its flow and outputs are not comparable from then on; counters never are', () => {
    const h = virtHeader(3, 2);
    const evs = events(
      ev.sr(0, 'CNTVCT_EL0'),                        // 0
      ev.sr(0, 'ICC_IAR1_EL1'),                      // 1: before the timer is armed
      ev.sw(0, 'CNTV_CVAL_EL0', 0x1000n),            // 2
      ev.sw(0, 'CNTV_CTL_EL0', 1n),                  // 3: armed
      ev.sr(0, 'ICC_IAR1_EL1'),                      // 4
      ev.sr(1, 'ICC_IAR1_EL1'),                      // 5: the other vCPU is unaffected
      ev.sr(0, 'ICC_PMR_EL1'),                       // 6: configuration, not flow
      ev.mr(0, Frame.Dist, 0x204),                   // 7: GICD_ISPENDR1: an SPI's state
      ev.sr(0, 'CNTV_CTL_EL0'),                      // 8: ISTATUS
      ev.sr(0, 'CNTFRQ_EL0'),                        // 9
    );
    const c = timerComparability(h, evs);
    expect([0, 1, 4, 5, 6, 7, 8, 9].map((i) => c.read(i) !== undefined)).toEqual([true, false, true, false, false, true, true, true]);
    expect([c.output(2, 0), c.output(3, 0), c.output(3, 1)].map((x) => x !== undefined)).toEqual([false, true, false]);
  });

  test('an ITS trace is compared everywhere but where a host timer decides: its memory, MSIs and attributes are replayed', () => {
    const h = virtHeader(3, 2, { its: true });
    const c = kvmComparability(h, events({ kind: EventKind.Msi, cpu: null, address: 0x08090040n, data: 0, devid: 1 }, ev.sr(0, 'ICC_IAR1_EL1'), ev.uw(UserGroup.ItsCtrl, null, 1, 0n), ev.mr(0, Frame.Its, 0x90, 8)));
    expect([0, 1, 2, 3].map((i) => c.read(i))).toEqual([undefined, undefined, undefined, undefined]);
    expect([c.output(0, 0), c.output(1, 1)]).toEqual([undefined, undefined]);
  });

  test('the KVM check compares reads, errors, outputs and markers, not the model\'s write explanations', () => {
    const c = { read: (i: number) => (i === 3 ? 'timer' : undefined), output: () => undefined };
    expect(kvmComparableLine('2 0x1 cpu0 read mmio GICD_IIDR/4 = 0x4b00343b', c)).not.toBeNull();
    expect(kvmComparableLine('3 0x1 cpu0 read sysreg CNTVCT_EL0/8 = 0x5', c)).toBeNull();
    expect(kvmComparableLine('4 0x1 cpu0 write mmio GICD_CTLR/4 0x13 -> "stored 0x52"', c)).toBeNull();
    expect(kvmComparableLine('5 0x1 - write user GICD_IIDR/4 0x4b00143b -> "rejected" error -EINVAL', c)).toBe('5 0x1 - write user GICD_IIDR/4 0x4b00143b -> error -EINVAL');
    expect(kvmComparableLine('- 0x9 cpu0 irq 1', c)).toBeNull();
    // An MSI's return and a table attribute's result are KVM's to say; the text after them is not.
    expect(kvmComparableLine('6 0x1 - msi MSI_DeviceID_0x8_EventID_0x0 -> 1 "delivered (returns 1): LPI 8192"', c)).toBe('6 0x1 - msi MSI_DeviceID_0x8_EventID_0x0 -> 1');
    expect(kvmComparableLine('7 0x1 - ctrl KVM_DEV_ARM_ITS_SAVE_TABLES -> 0 "2 device(s) saved"', c)).toBe('7 0x1 - ctrl KVM_DEV_ARM_ITS_SAVE_TABLES -> 0');
  });
});

describe('records from ITS answers', () => {
  test("a stored mem-write has no record; an MSI's return and a table attribute's -errno land as the model's msi and ctrl records", () => {
    const h = virtHeader(3, 1, { its: true });
    const evs = events({ kind: EventKind.MemWrite, cpu: 0, addr: 0x40000000n, data: new Uint8Array(32) }, { kind: EventKind.Msi, cpu: null, address: 0x08090040n, data: 0, devid: 8 }, ev.uw(UserGroup.ItsCtrl, null, 2, 0n), ev.uw(UserGroup.Ctrl, null, 3, 0n));
    const job = buildTraceJob('t', h, evs, { file: 'x.gtr' });
    const answers = parseRunnerOutput(['T t', '- ok 1', '0 g', '1 M 1', '1 p 0 2', '2 u 22', '2 p 0 2', '3 u 0', '3 p 0 2', 'E ok'].join('\n'), false).traces[0];
    const recs: ReplayRecord[] = [];
    emitKvmRecords('x.gtr', h, evs, job.plans, answers, ALL_COMPARABLE, (r) => recs.push(r));
    expect(recs).toEqual([
      { op: 'msi', index: 1, cycle: 200n, reg: 'MSI DeviceID 0x8 EventID 0x0', result: 1, effect: 'KVM_SIGNAL_MSI returned 1' },
      { op: 'irq', cpu: 0, level: 1, cycle: 200n, index: 1, notComparable: undefined },
      { op: 'ctrl', index: 2, cycle: 300n, reg: 'KVM_DEV_ARM_ITS_RESTORE_TABLES', result: -22, effect: 'KVM_SET_DEVICE_ATTR returned -EINVAL' },
      { op: 'ctrl', index: 3, cycle: 400n, reg: 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', result: 0, effect: 'KVM_SET_DEVICE_ATTR returned 0' },
    ]);
    // fidelity compares both: a different MSI return and a different table-attribute errno are differences
    const model: ReplayRecord[] = [
      { op: 'msi', index: 1, cycle: 200n, reg: 'MSI DeviceID 0x8 EventID 0x0', result: 0, effect: 'blocked (returns 0)' },
      { op: 'irq', cpu: 0, level: 1, cycle: 200n, index: 1 },
      { op: 'ctrl', index: 2, cycle: 300n, reg: 'KVM_DEV_ARM_ITS_RESTORE_TABLES', result: 0, effect: 'restored' },
      { op: 'ctrl', index: 3, cycle: 400n, reg: 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES', result: 0 },
    ];
    const t = compareTrace('x.gtr', h, evs, model, recs, K61);
    expect(t.compared.errnos).toBe(3);
    expect(t.differences.map((d) => [d.index, d.what, d.reg, d.model, d.kvm])).toEqual([
      [1, 'errno', 'MSI DeviceID 0x8 EventID 0x0', '0', '1'],
      [2, 'errno', 'KVM_DEV_ARM_ITS_RESTORE_TABLES', '0', '-EINVAL'],
    ]);
  });
});

const K61 = { modelKernel: getPolicy('linux-6.1').kernel, kvmKernel: getPolicy('linux-6.1').kernel, host: getPolicy('linux-6.1').host };

describe('fidelity rules and baseline', () => {
  const h2 = virtHeader(2, 1);
  const evs = events(ev.mr(0, Frame.CpuIf, 0xfc), ev.mw(0, Frame.CpuIf, 0x10, 0x1bn), ev.mr(0, Frame.CpuIf, 0xc), ev.mr(0, Frame.Dist, 0x8));
  const read = (index: number, reg: string, value: bigint): ReplayRecord => ({ op: 'read', index, cycle: BigInt(100 * (index + 1)), cpu: 0, src: 'guest', via: 'mmio', reg, offset: 0, size: 4, value, recorded: null });
  const model: ReplayRecord[] = [read(0, 'GICC_IIDR', 0x0202143bn), { op: 'write', index: 1, cycle: 200n, cpu: 0, src: 'guest', via: 'mmio', reg: 'GICC_EOIR', offset: 0x10, size: 4, value: 0x1bn, effect: 'ignored: no active priority to drop' }, read(2, 'GICC_IAR', 0x3ffn), read(3, 'GICD_IIDR', 0x4b00343bn)];
  const kvm: ReplayRecord[] = [read(0, 'GICC_IIDR', 0x0002043bn), read(2, 'GICC_IAR', 0x1bn), read(3, 'GICD_IIDR', 0x4b00243bn)];

  test('host facts and their cascades are explained by rule; anything else is unexplained', () => {
    const t = compareTrace('x.gtr', h2, evs, model, kvm, K61);
    expect(t.differences.map((d) => [d.index, d.reg, d.class, d.rule])).toEqual([
      [0, 'GICC_IIDR', 'host', 'gicv-iidr'],
      [2, 'GICC_IAR', 'host', 'gicv-eoi-without-priority (cascade from event 1)'],
      [3, 'GICD_IIDR', 'unexplained', undefined],
    ]);
    expect(t.differences[0].fields).toEqual(['Revision 1 -> 0', 'ProductID 0x20 -> 0']);
  });

  // kernel.dirDeactivatesOtherVcpus: mainline's vgic_v3_deactivate (trapped ICC_DIR_EL1) finds an
  // SPI active on another vCPU; 6.1/6.12's ICV_DIR_EL1 reaches only the writer's list registers.
  test('dir-other-vcpu explains an SPI left active only when the model deactivates across vCPUs and the kernel does not', () => {
    const h3 = virtHeader(3, 2);
    const e3 = events(ev.sw(1, 'ICC_DIR_EL1', 40n), ev.mr(0, Frame.Dist, 0x304));
    const m3: ReplayRecord[] = [{ op: 'write', index: 0, cycle: 100n, cpu: 1, src: 'guest', via: 'sysreg', reg: 'ICC_DIR_EL1', offset: 0, size: 8, value: 40n, effect: '' }, read(1, 'GICD_ISACTIVER1', 0n)];
    const k3: ReplayRecord[] = [read(1, 'GICD_ISACTIVER1', 0x100n)];
    const classOf = (kernels: typeof K61) => compareTrace('d.gtr', h3, e3, m3, k3, kernels).differences.map((d) => [d.reg, d.class, d.rule]);
    const mainline = getPolicy('mainline-rev3').kernel;
    expect(classOf({ ...K61, modelKernel: mainline })).toEqual([['GICD_ISACTIVER1', 'kernel-version', 'dir-other-vcpu']]);
    // Under linux-6.1 the model leaves the SPI active too: the difference is something else.
    expect(classOf(K61)).toEqual([['GICD_ISACTIVER1', 'unexplained', undefined]]);
    expect(classOf({ ...K61, modelKernel: mainline, kvmKernel: mainline })).toEqual([['GICD_ISACTIVER1', 'unexplained', undefined]]);
  });

  // vgic-v2.c vgic_v2_reset zeroes the VMCR and leaves the binary points to the host GIC;
  // vgic-mmio-v2.c vgic_mmio_read_vcpuif returns the VMCR saved from it to userspace.
  test('gicv-bpr-below-minimum: a GICC_BPR/ABPR the model raised to its minimum where the host kept 0 is host, any other value is not', () => {
    const hb = virtHeader(2, 1);
    const eb = events(ev.mr(0, Frame.CpuIf, 0x8), ev.ur(UserGroup.CpuRegs, 0, 0x1c), ev.mr(0, Frame.CpuIf, 0x8), ev.mr(0, Frame.CpuIf, 0x1c));
    const user = (index: number, reg: string, value: bigint): ReplayRecord => ({ op: 'read', index, cycle: BigInt(100 * (index + 1)), cpu: 0, src: 'user', via: 'user', reg, offset: 0x1c, size: 4, value, recorded: null });
    // #3: QEMU clamps a guest GICC_ABPR write to its physical minimum 1 (arm_gic.c gic_cpu_write).
    const mb: ReplayRecord[] = [read(0, 'GICC_BPR', 2n), user(1, 'GICC_ABPR', 3n), read(2, 'GICC_BPR', 4n), read(3, 'GICC_ABPR', 3n)];
    const kb: ReplayRecord[] = [read(0, 'GICC_BPR', 0n), user(1, 'GICC_ABPR', 0n), read(2, 'GICC_BPR', 0n), read(3, 'GICC_ABPR', 1n)];
    expect(compareTrace('b.gtr', hb, eb, mb, kb, K61).differences.map((d) => [d.reg, d.class, d.rule])).toEqual([
      ['GICC_BPR', 'host', 'gicv-bpr-below-minimum'],
      ['GICC_ABPR', 'host', 'gicv-bpr-below-minimum'],
      ['GICC_BPR', 'unexplained', undefined],
      ['GICC_ABPR', 'host', 'gicv-bpr-below-minimum'],
    ]);
    // The minimum follows the host's preemption bits: with 7 of them it is 0, so 2 is not it.
    const pre7 = { ...K61, host: { ...K61.host, preBits: 7 } };
    expect(compareTrace('b.gtr', hb, eb, mb, kb, pre7).differences.map((d) => d.class)).toEqual(['unexplained', 'unexplained', 'unexplained', 'unexplained']);
  });

  // vgic-sys-reg-v3.c access_gic_pmr (6.1) / set_gic_pmr: a userspace PMR write goes into the VMCR with all 8 bits.
  test('vmcr-pmr-unmasked: a PMR read showing the 8 bits userspace wrote, masked in the model, is host; after a guest write it is not', () => {
    const h3 = virtHeader(3, 1);
    const ENC_PMR = 0x30460;
    const e3 = events(ev.uw(UserGroup.CpuSysregs, 0, ENC_PMR, 0xffn, 8), ev.sr(0, 'ICC_PMR_EL1'), ev.sw(0, 'ICC_PMR_EL1', 0xc3n), ev.sr(0, 'ICC_PMR_EL1'));
    const pmr = (index: number, value: bigint): ReplayRecord => ({ op: 'read', index, cycle: BigInt(100 * (index + 1)), cpu: 0, src: 'guest', via: 'sysreg', reg: 'ICC_PMR_EL1', offset: null, size: 8, value, recorded: null });
    const t = compareTrace('p.gtr', h3, e3, [pmr(1, 0xf8n), pmr(3, 0xc0n)], [pmr(1, 0xffn), pmr(3, 0xc3n)], K61);
    expect(t.differences.map((d) => [d.index, d.class, d.rule])).toEqual([[1, 'host', 'vmcr-pmr-unmasked'], [3, 'unexplained', undefined]]);
    // With the common ICC registers trapped, hyp's __vgic_v3_write_pmr puts the guest's byte into ICH_VMCR_EL2 too.
    const trapped = compareTrace('p.gtr', h3, e3, [pmr(1, 0xf8n), pmr(3, 0xc0n)], [pmr(1, 0xffn), pmr(3, 0xc3n)], { ...K61, pmrThroughVmcr: true });
    expect(trapped.differences.map((d) => [d.index, d.class, d.rule])).toEqual([[1, 'host', 'vmcr-pmr-unmasked'], [3, 'host', 'vmcr-pmr-unmasked']]);
  });

  // QEMU 7.2's ich_vmcr_write keeps all 8 VPMR bits, and its virtual interface masks with them.
  test('vmcr-pmr-unmasked (effect): what the model gives with host.vmcrPmr all-bits is host, anything else stays unexplained', () => {
    const h3 = virtHeader(3, 1);
    const e3 = events(ev.uw(UserGroup.CpuSysregs, 0, 0x30460, 0xffn, 8), ev.sr(0, 'ICC_IAR1_EL1'), ev.sr(0, 'ICC_RPR_EL1'));
    const iar = (value: bigint): ReplayRecord => ({ op: 'read', index: 1, cycle: 200n, cpu: 0, src: 'guest', via: 'sysreg', reg: 'ICC_IAR1_EL1', offset: null, size: 8, value, recorded: null });
    const rpr = (value: bigint): ReplayRecord => ({ op: 'read', index: 2, cycle: 300n, cpu: 0, src: 'guest', via: 'sysreg', reg: 'ICC_RPR_EL1', offset: null, size: 8, value, recorded: null });
    // The QEMU-host replay acknowledged INTID 3 (a 0xF8 interrupt under PMR 0xFF) and runs at 0xF8.
    const onQemu = agreesWith([iar(3n), rpr(0xf8n)], e3, 1);
    const t = compareTrace('p.gtr', h3, e3, [iar(1023n), rpr(0xffn)], [iar(3n), rpr(0xf0n)], { ...K61, qemuVmcrAgrees: () => onQemu });
    expect(t.differences.map((d) => [d.index, d.class, d.rule])).toEqual([[1, 'host', 'vmcr-pmr-unmasked (effect)'], [2, 'unexplained', undefined]]);
    expect(compareTrace('p.gtr', h3, e3, [iar(1023n), rpr(0xffn)], [iar(3n), rpr(0xf0n)], K61).differences.map((d) => d.class)).toEqual(['unexplained', 'unexplained']);
  });

  test("a nested host's ICC traps are the kvm-arm.vgic_v3_*_trap words on its command line, and the model runs with them", () => {
    expect(cpuifTrapsOn('kvm-arm.vgic_v3_common_trap=1 kvm-arm.vgic_v3_group0_trap=y')).toEqual(['group0', 'common']);
    expect(cpuifTrapsOn('kvm-arm.vgic_v3_group1_trap=1')).toEqual(['group1']);
    expect(cpuifTrapsOn('kvm-arm.vgic_v3_common_trap=0 xkvm-arm.vgic_v3_group0_trap=1')).toEqual([]);
    expect(cpuifTrapsOn(undefined)).toEqual([]);
    const host: KvmHost = { kind: 'nested', describe: () => 'h', release: () => null, cpuifTraps: () => cpuifTrapsOn('kvm-arm.vgic_v3_group1_trap=1'), run: () => { throw new Error('not run'); } };
    expect(modelPolicyOn(host, getPolicy('linux-6.1')).host.cpuifTraps).toEqual(['group1']);
    // The host under test decides, over a trace's own naming: untrapped is named too.
    const untrapped = modelPolicyOn({ ...host, cpuifTraps: () => [] }, getPolicy('linux-6.1'));
    expect(policyForTrace(untrapped, { [TRACE_TRAPS_DETAIL]: 'group0' }).host.cpuifTraps).toEqual([]);
  });

  test('the baseline fails on a new unexplained difference, reports explained and vanished ones', () => {
    const report: FidelityReport = { host: 'h', policy: 'p', traces: [compareTrace('x.gtr', h2, evs, model, kvm, K61)] };
    const base = baselineOf(report, 'k');
    expect(compareWithBaseline(report, base)).toEqual({ newUnexplained: [], newExplained: [], gone: [], unchecked: [] });
    const fewer = { ...base, differences: { 'x.gtr': base.differences['x.gtr'].slice(0, 1), 'y.gtr': ['#1 cpu0 read R model=0x0 kvm=0x1 [host: r]'] } };
    const cmp = compareWithBaseline(report, fewer);
    expect(cmp.newUnexplained.map((d) => d.index)).toEqual([3]);
    expect(cmp.newExplained.map((d) => d.index)).toEqual([2]);
    expect(cmp.unchecked).toEqual(['y.gtr']);
    const more = { ...base, differences: { 'x.gtr': [...base.differences['x.gtr'], '#9 cpu0 read X model=0x0 kvm=0x1 [unexplained]'] } };
    expect(compareWithBaseline(report, more).gone).toEqual([{ trace: 'x.gtr', line: '#9 cpu0 read X model=0x0 kvm=0x1 [unexplained]' }]);
  });
});

describe('initramfs', () => {
  test('newc entries: header, name and data each padded to 4 bytes, a trailer, deterministic bytes', () => {
    const a = cpioNewc([{ name: 'dev', mode: 0o040755 }, { name: 'init', mode: 0o100755, data: Buffer.from('abcde') }]);
    expect(a.equals(cpioNewc([{ name: 'dev', mode: 0o040755 }, { name: 'init', mode: 0o100755, data: Buffer.from('abcde') }]))).toBe(true);
    const seen: { name: string; mode: number; data: string }[] = [];
    let p = 0;
    for (;;) {
      expect(a.toString('ascii', p, p + 6)).toBe('070701');
      const field = (k: number): number => parseInt(a.toString('ascii', p + 6 + 8 * k, p + 14 + 8 * k), 16);
      const size = field(6);
      const nameLen = field(11);
      const name = a.toString('utf8', p + 110, p + 110 + nameLen - 1);
      const dataAt = p + 110 + nameLen + ((4 - ((110 + nameLen) % 4)) % 4);
      expect(dataAt % 4).toBe(0);
      if (name === 'TRAILER!!!') break;
      seen.push({ name, mode: field(1), data: a.toString('utf8', dataAt, dataAt + size) });
      p = dataAt + size + ((4 - (size % 4)) % 4);
    }
    expect(seen).toEqual([{ name: 'dev', mode: 0o040755, data: '' }, { name: 'init', mode: 0o100755, data: 'abcde' }]);
  });
});

describe('a missing tool is an error that names the install step', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  test('no cross compiler', () => {
    process.env.GICREPLAY_KVM_CC = '/nonexistent/aarch64-linux-gnu-gcc';
    expect(() => buildRunner()).toThrow(UsageError);
    expect(() => buildRunner()).toThrow(/not installed: run `bash tools\/kvm\/install.sh`/);
  });

  test('no QEMU', () => {
    expect(() => new NestedHost({ qemu: '/nonexistent/qemu-system-aarch64', kernel: __filename })).toThrow(/needs \/nonexistent\/qemu-system-aarch64, which is not installed: run `bash tools\/kvm\/install.sh`/);
  });

  test('no kernel, or a file that is not an arm64 Image', () => {
    process.env.GICREPLAY_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-nokernel-'));
    expect(() => defaultKernel()).toThrow(/no arm64 kernel Image .* run `bash tools\/kvm\/install.sh`/);
    expect(() => requireKernel(__filename)).toThrow(/is not an uncompressed arm64 kernel Image/);
    expect(() => requireKernel('/nonexistent/Image')).toThrow(/does not exist/);
  });
});

describe('the kernel under test names its policy', () => {
  test.each([
    ['vmlinuz-6.1.0-57-arm64', '6.1.0-57-arm64', 'linux-6.1'],
    ['/boot/vmlinuz-6.12.117+deb12-arm64', '6.12.117+deb12-arm64', 'linux-6.12'],
    ['Image-6.19.0-rc2', '6.19.0-rc2', 'mainline-rev3'],
    ['my-kernel', null, 'mainline-rev3'],
  ])('%s: release %s, policy %s', (image, release, policy) => {
    expect(releaseOfImage(image)).toBe(release);
    expect(kernelPolicyId(releaseOfImage(image), BUILTIN_POLICY_IDS)).toBe(policy);
  });
});
