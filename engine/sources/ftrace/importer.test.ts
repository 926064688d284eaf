import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../../errors';
import { EventKind, Frame, TraceEvent } from '../../trace/events';
import { readTrace } from '../../trace/reader';
import { convertFtrace, FtraceImportOptions, importFtrace } from './importer';

/** One tracefs line: `usec` is microseconds since 100 s. */
function L(comm: string, pid: number, hostCpu: number, usec: number, event: string, text: string): string {
  const us = 100_000_000 + usec;
  const ts = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
  return `${comm.padStart(16)}-${String(pid).padEnd(7)} [${String(hostCpu).padStart(3, '0')}] ...1. ${ts.padStart(12)}: ${event}: ${text}`;
}
const C0 = (usec: number, event: string, text: string) => L('CPU 0/KVM', 1000, 2, usec, event, text);
const C1 = (usec: number, event: string, text: string) => L('CPU 1/KVM', 1001, 5, usec, event, text);
const mmioW = (gpa: number, val: number, len = 4) => `mmio write len ${len} gpa 0x${gpa.toString(16)} val 0x${val.toString(16)}`;
const mmioU = (gpa: number, len = 4) => `mmio unsatisfied-read len ${len} gpa 0x${gpa.toString(16)} val 0x0`;
const mmioR = (gpa: number, val: number | bigint, len = 4) => `mmio read len ${len} gpa 0x${gpa.toString(16)} val 0x${val.toString(16)}`;

function convert(lines: string[], opts: Partial<FtraceImportOptions> = {}) {
  return convertFtrace({ file: 'test.trace', text: lines.join('\n') + '\n', gic: 3, map: 'virt', ...opts });
}
const kinds = (evs: TraceEvent[]) => evs.map((e) => EventKind[e.kind]);
const inputError = (f: () => unknown): InputError => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
};

describe('kvm_mmio accesses', () => {
  test('a read is its unsatisfied-read line completed by the read line; a write is kept as is', () => {
    const r = convert([
      C0(0, 'kvm_mmio', mmioU(0x08000008)),
      C0(1, 'kvm_mmio', mmioR(0x08000008, 0x4b00343b)),
      C0(5, 'kvm_mmio', mmioW(0x08000084, 0xffffffff)),
    ]);
    expect(r.events).toEqual([
      { kind: EventKind.MmioRead, cycle: 0n, cpu: 0, frame: Frame.Dist, index: 0, offset: 8, size: 4, observed: 0x4b00343bn },
      { kind: EventKind.MmioWrite, cycle: 5000n, cpu: 0, frame: Frame.Dist, index: 0, offset: 0x84, size: 4, value: 0xffffffffn },
    ]);
  });

  test('redistributor frames: RD_base and SGI_base of the target redistributor, 64-bit reads exact', () => {
    const r = convert([
      C0(0, 'kvm_mmio', mmioU(0x080c0008, 8)),
      C0(1, 'kvm_mmio', mmioR(0x080c0008, 0x0000000100000111n, 8)),
      C1(2, 'kvm_mmio', mmioW(0x080c0000 + 0x10080, 0xffffffff)),
    ]);
    expect(r.events[0]).toMatchObject({ kind: EventKind.MmioRead, cpu: 0, frame: Frame.RedistRd, index: 1, offset: 8, size: 8, observed: 0x100000111n });
    expect(r.events[1]).toMatchObject({ kind: EventKind.MmioWrite, cpu: 1, frame: Frame.RedistSgi, index: 1, offset: 0x80 });
  });

  test('accesses outside the GIC frames are ignored and counted, reads once', () => {
    const r = convert([
      C0(0, 'kvm_mmio', mmioW(0x09000000, 0x42)), // PL011
      C0(1, 'kvm_mmio', mmioU(0x09000018)),
      C0(2, 'kvm_userspace_exit', 'reason KVM_EXIT_MMIO (6)'),
      C0(9, 'kvm_mmio', mmioR(0x09000018, 0x90)),
      C0(10, 'kvm_mmio', mmioW(0x080a0000 + 2 * 0x20000, 0)), // redistributor slot 2: the VM has 2 vCPUs
      C0(11, 'kvm_mmio', mmioW(0x08000000, 0)),
    ], { cpus: 2 });
    expect(r.stats.counts.outsideGic).toBe(3);
    expect(r.events).toHaveLength(1);
    expect(r.header.provenance.details.ignoredOutsideGic).toBe('3');
  });

  test('GICv2: only the first 4 KiB of the distributor is KVM\'s', () => {
    const r = convert([C0(0, 'kvm_mmio', mmioW(0x08000f00, 0x00020001)), C0(1, 'kvm_mmio', mmioW(0x08001000, 0))], { gic: 2 });
    expect(r.events).toEqual([{ kind: EventKind.MmioWrite, cycle: 0n, cpu: 0, frame: Frame.Dist, index: 0, offset: 0xf00, size: 4, value: 0x20001n }]);
    expect(r.stats.counts.outsideGic).toBe(1);
    expect(r.header.gic.frames).toEqual({ dist: 0x08000000n, cpuif: 0x08010000n });
  });

  test('a userspace-answered read completes across the vCPU-load lines of the next KVM_RUN', () => {
    const r = convert([
      C0(0, 'kvm_mmio', mmioU(0x08000000)),
      C0(1, 'kvm_timer_update_irq', 'VCPU: 0, IRQ 27, level 0'),
      C0(2, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 27, level: 0'),
      C0(3, 'kvm_mmio', mmioR(0x08000000, 0x52)),
    ]);
    expect(kinds(r.events)).toEqual(['MmioRead', 'Line']);
    expect(r.events[0]).toMatchObject({ cycle: 0n, observed: 0x52n });
  });

  test('read lines without their unsatisfied-read, and unsatisfied reads never answered, are kept and counted', () => {
    const r = convert([C0(0, 'kvm_mmio', mmioR(0x08000004, 0x7a0008)), C0(1, 'kvm_mmio', mmioU(0x08000008)), C0(2, 'kvm_mmio', mmioW(0x08000000, 0))]);
    expect(r.events.map((e) => (e.kind === EventKind.MmioRead ? e.observed : null))).toEqual([0x7a0008n, null, null]);
    expect(r.stats.counts.unpairedReads).toBe(1);
    expect(r.stats.counts.unansweredReads).toBe(1);
  });
});

describe('vCPU attribution', () => {
  test('by thread name, by pid when the comm cache printed <...>, never by host CPU', () => {
    const r = convert([
      L('<...>', 1001, 2, 0, 'kvm_mmio', mmioW(0x08000000, 0)),
      L('CPU 1/KVM', 1001, 7, 1, 'kvm_entry', 'PC: 0x0'),
      L('CPU 0/KVM', 1000, 7, 2, 'kvm_mmio', mmioW(0x08000000, 1)),
    ]);
    expect(r.events.map((e) => (e as { cpu: number | null }).cpu)).toEqual([1, 0]);
    expect(r.header.provenance.details.vcpuThreads).toBe('0:1000 1:1001');
  });

  test('another VMM\'s thread names through --vcpu-comm', () => {
    const r = convert([L('kvm-vcpu-3', 77, 0, 0, 'kvm_mmio', mmioW(0x08000000, 0))], { vcpuComm: '^kvm-vcpu-(\\d+)$' });
    expect(r.events[0]).toMatchObject({ cpu: 3 });
    expect(r.header.gic.cpus).toHaveLength(4);
  });

  test('MMIO from a thread that is no vCPU: cpu unknown, counted, and a header blind spot', () => {
    const r = convert([C0(0, 'kvm_entry', 'PC: 0x0'), L('qemu-system-aar', 900, 1, 1, 'kvm_mmio', mmioW(0x08000000, 0))]);
    expect(r.events[0]).toMatchObject({ cpu: null });
    expect(r.stats.counts.mmioUnknownVcpu).toBe(1);
    expect(r.header.provenance.blindSpots.some((s) => s.includes('vCPU is unknown'))).toBe(true);
  });

  test('PPI lines take the tracepoint\'s vCPU field, whatever thread logged them', () => {
    const r = convert([C0(0, 'kvm_entry', 'PC: 0x0'), L('<idle>', 0, 4, 1, 'vgic_update_irq_pending', 'VCPU: 1, IRQ 27, level: 1')]);
    expect(r.events).toEqual([{ kind: EventKind.Line, cycle: 1000n, intid: 27, cpu: 1, level: 1 }]);
    expect(r.header.gic.cpus).toHaveLength(2);
  });

  test('two threads claiming one vCPU (two VMs) are refused; --tgid picks one VM', () => {
    const lines = [
      L('CPU 0/KVM', 1000, 2, 0, 'kvm_mmio', mmioW(0x08000000, 0)),
      L('CPU 0/KVM', 2000, 3, 1, 'kvm_mmio', mmioW(0x08000000, 1)),
    ];
    expect(inputError(() => convert(lines)).message).toMatch(/test\.trace, line 2: threads 1000 \(line 1\) and 2000 both claim vCPU 0/);
    const withTgid = lines.map((l, i) => l.replace(/ \[00/, ` (${i === 0 ? ' 999' : '1999'}) [00`));
    const r = convert(withTgid, { tgid: 1999 });
    expect(r.events).toEqual([{ kind: EventKind.MmioWrite, cycle: 0n, cpu: 0, frame: Frame.Dist, index: 0, offset: 0, size: 4, value: 1n }]);
    expect(r.stats.otherTgid).toBe(1);
  });

  test('without --cpus, a redistributor the guest touches counts as a vCPU even if its thread never shows', () => {
    const r = convert([C0(0, 'kvm_mmio', mmioU(0x080a0000 + 3 * 0x20000 + 8, 8)), C0(1, 'kvm_mmio', mmioR(0x080a0000 + 3 * 0x20000 + 8, 0x0000000300000311n, 8))]);
    expect(r.header.gic.cpus).toHaveLength(4);
    expect(r.events[0]).toMatchObject({ frame: Frame.RedistRd, index: 3, cpu: 0, observed: 0x300000311n });
  });

  test('--cpus smaller than the trace needs is an input error', () => {
    expect(inputError(() => convert([C1(0, 'kvm_mmio', mmioW(0x08000000, 0))], { cpus: 1 })).message).toMatch(/names vCPU 1.*--cpus is 1/);
  });
});

describe('system registers', () => {
  test('SGI generation writes become Markers naming the register; no value is invented', () => {
    const r = convert([C0(0, 'kvm_sys_access', 'PC: ffff800080031a44 SYS_ICC_SGI1R_EL1 (3,0,12,11,5) write')]);
    expect(r.events).toEqual([{ kind: EventKind.Marker, cycle: 0n, cpu: 0, text: 'ftrace: ICC_SGI1R_EL1 write (3,0,12,11,5) at PC 0xffff800080031a44; value not traced, not replayed' }]);
    expect(r.stats.counts.sysregWritesWithoutValue).toBe(1);
  });

  test('trapped GIC reads become SysregRead without a value; registers that are no GIC/timer are counted', () => {
    const r = convert([
      C0(0, 'kvm_sys_access', 'PC: ffff800080012340 SYS_ICC_SRE_EL1 (3,0,12,12,5) read'),
      C0(1, 'kvm_sys_access', 'PC: ffff800080012344 SYS_PMCR_EL0 (3,3,9,12,0) write'),
    ]);
    expect(r.events).toEqual([{ kind: EventKind.SysregRead, cycle: 0n, cpu: 0, enc: 0x30cc5, observed: null }]);
    expect(r.stats.counts.otherSysregs).toEqual({ SYS_PMCR_EL0: 1 });
  });

  test('a kvm_sys_access on a thread that is no vCPU is an input error naming the line', () => {
    const e = inputError(() => convert([C0(0, 'kvm_entry', 'PC: 0x0'), L('worker', 5, 1, 1, 'kvm_sys_access', 'PC: 0 SYS_ICC_SGI1R_EL1 (3,0,12,11,5) write')]));
    expect(e.message).toMatch(/^test\.trace, line 2: kvm_sys_access on thread worker-5/);
  });
});

describe('interrupt lines', () => {
  test('kvm_timer_update_irq / kvm_irq_line followed by vgic_update_irq_pending count once', () => {
    const r = convert([
      C0(0, 'kvm_timer_update_irq', 'VCPU: 0, IRQ 27, level 1'),
      C0(1, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 27, level: 1'),
      L('qemu-system-aar', 900, 1, 2, 'kvm_irq_line', 'Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 33, level: 1'),
      L('qemu-system-aar', 900, 1, 3, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 33, level: 1'),
    ]);
    expect(r.events).toEqual([
      { kind: EventKind.Line, cycle: 1000n, intid: 27, cpu: 0, level: 1 },
      { kind: EventKind.Line, cycle: 3000n, intid: 33, cpu: null, level: 1 },
    ]);
    expect(r.stats.counts.announcements).toBe(2);
  });

  test('without vgic_update_irq_pending in the trace, kvm_timer_update_irq, kvm_irq_line and kvm_set_irq are the inputs', () => {
    const r = convert([
      C0(0, 'kvm_timer_update_irq', 'VCPU: 0, IRQ 27, level 1'),
      L('qemu-system-aar', 900, 1, 2, 'kvm_irq_line', 'Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 40, level: 1'),
      L('qemu-system-aar', 900, 1, 3, 'kvm_irq_line', 'Inject VGIC PPI interrupt (2), vcpu->idx: 0, num: 23, level: 1'),
      L('qemu-system-aar', 900, 1, 4, 'kvm_irq_line', 'Inject CPU interrupt (0), vcpu->idx: 0, num: 0, level: 1'),
      L('kworker/u8:1', 77, 0, 5, 'kvm_set_irq', 'gsi 2 level 1 source 0'),
    ]);
    expect(r.events).toEqual([
      { kind: EventKind.Line, cycle: 0n, intid: 27, cpu: 0, level: 1 },
      { kind: EventKind.Line, cycle: 2000n, intid: 40, cpu: null, level: 1 },
      { kind: EventKind.Line, cycle: 3000n, intid: 23, cpu: 0, level: 1 },
      { kind: EventKind.Line, cycle: 5000n, intid: 34, cpu: null, level: 1 },
    ]);
    expect(r.stats.counts.rejectedLines).toBe(1);
  });

  test('same-level PPI updates (every vCPU load) are dropped; SPI repeats are kept (an edge SPI re-pends)', () => {
    const r = convert([
      C0(0, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 27, level: 0'),
      C0(1, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 27, level: 0'),
      C0(2, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 27, level: 1'),
      L('vhost-900', 901, 3, 3, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 48, level: 1'),
      L('vhost-900', 901, 3, 4, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 48, level: 1'),
    ]);
    expect(r.events.map((e) => (e.kind === EventKind.Line ? `${e.intid}:${e.level}` : '?'))).toEqual(['27:0', '27:1', '48:1', '48:1']);
    expect(r.stats.counts.sameLevel).toBe(1);
  });

  test('SGI/LPI INTIDs and INTIDs past nr_spis are no vGIC line inputs', () => {
    const r = convert([C0(0, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 3, level: 1'), C0(1, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 288, level: 1'), C0(2, 'vgic_update_irq_pending', 'VCPU: 0, IRQ 8192, level: 1')]);
    expect(r.events).toEqual([]);
    expect(r.stats.counts.rejectedLines).toBe(3);
  });
});

describe('timer state lines', () => {
  test('a Marker when a timer\'s CTL/CVAL changes; repeats (every KVM_RUN) are only counted', () => {
    const r = convert([
      C0(0, 'kvm_timer_restore_state', 'CTL: 0x000001 CVAL:     0x2d3a8f1c20 arch_timer_ctx_index: 1'),
      C0(1, 'kvm_timer_save_state', '   CTL: 0x000001 CVAL:     0x2d3a8f1c20 arch_timer_ctx_index: 1'),
      C0(2, 'kvm_timer_restore_state', 'CTL: 0x000001 CVAL:     0x2d3a8f1c20 arch_timer_ctx_index: 1'),
      C0(3, 'kvm_timer_save_state', '   CTL: 0x000005 CVAL:     0x2d3a8f1c20 arch_timer_ctx_index: 1'),
      C0(4, 'kvm_timer_restore_state', 'CTL: 0x000001 CVAL:     0x2d3a900000 arch_timer_ctx_index: 0'),
    ]);
    expect(r.events.map((e) => (e.kind === EventKind.Marker ? e.text : '?'))).toEqual([
      'ftrace: vCPU load: vtimer CTL=0x1 CVAL=0x2d3a8f1c20',
      'ftrace: vCPU put: vtimer CTL=0x5 CVAL=0x2d3a8f1c20',
      'ftrace: vCPU load: ptimer CTL=0x1 CVAL=0x2d3a900000',
    ]);
    expect(r.stats.counts.timerStatesUnchanged).toBe(2);
  });
});

describe('merge order and cycles', () => {
  const cpuA = [L('CPU 0/KVM', 1000, 1, 0, 'kvm_mmio', mmioW(0x08000080 + 4, 1)), L('CPU 0/KVM', 1000, 1, 10, 'kvm_mmio', mmioW(0x08000080 + 8, 2))];
  const cpuB = [L('CPU 1/KVM', 1001, 4, 5, 'kvm_mmio', mmioW(0x08000080 + 12, 3)), L('CPU 1/KVM', 1001, 4, 10, 'kvm_mmio', mmioW(0x08000080 + 16, 4))];

  test('per-CPU streams concatenated in any order merge to the same events', () => {
    const ab = convert([...cpuA, ...cpuB]);
    const ba = convert([...cpuB, ...cpuA]);
    expect(ba.events).toEqual(ab.events);
    // by time; the tie at 10 µs goes to the lower host CPU
    expect(ab.events.map((e) => (e.kind === EventKind.MmioWrite ? e.value : -1n))).toEqual([1n, 3n, 2n, 4n]);
    expect(ab.events.map((e) => e.cycle)).toEqual([0n, 5000n, 10000n, 10000n]);
  });

  test('equal timestamps on one host CPU keep file order', () => {
    const r = convert([L('CPU 0/KVM', 1000, 1, 0, 'kvm_mmio', mmioW(0x08000090, 9)), L('CPU 1/KVM', 1001, 1, 0, 'kvm_mmio', mmioW(0x08000090, 8))]);
    expect(r.events.map((e) => (e.kind === EventKind.MmioWrite ? e.value : -1n))).toEqual([9n, 8n]);
  });

  test('the header keeps the clock, the origin and the conversion', () => {
    const r = convert(cpuA, { clock: 'global', cntfrq: 25_000_000n });
    expect(r.header.provenance.details.clock).toBe('global');
    expect(r.header.provenance.details.clockOrigin).toBe('100.000000000 s');
    expect(r.header.provenance.cycles).toMatch(/"global" in nanoseconds.*exact integer arithmetic/);
    expect(r.header.timer).toEqual({ cntfrq: 25_000_000n, counterPerCycle: { num: 1n, den: 40n }, virtualOffset: 0n, physicalOffset: 0n });
  });

  test('ring-buffer overruns leave a Marker and a blind spot', () => {
    const r = convert([cpuA[0], 'CPU:1 [LOST 17 EVENTS]', cpuA[1]]);
    expect(r.events[1]).toEqual({ kind: EventKind.Marker, cycle: 10000n, cpu: null, text: 'ftrace: host CPU 1 lost 17 events before line 3; the trace is incomplete here' });
    expect(r.header.provenance.blindSpots.some((s) => s.includes('overflowed'))).toBe(true);
  });
});

describe('malformed input is an InputError with file and line', () => {
  const cases: [string, string[], RegExp][] = [
    ['a line of no known shape', [C0(0, 'kvm_entry', 'PC: 0x0'), 'garbage here'], /^test\.trace, line 2: not an ftrace line: "garbage here" \(expected `<comm>-<pid>/],
    ['a kvm_mmio line with broken text', [C0(0, 'kvm_mmio', 'mmio write len four gpa 0x8000000 val 0x0')], /^test\.trace, line 1: kvm_mmio text .* does not match its format \(expected kvm_mmio: mmio <unsatisfied-read\|read\|write> len %u/],
    ['a kvm_mmio length KVM never decodes', [C0(0, 'kvm_mmio', mmioW(0x08000000, 0, 3))], /^test\.trace, line 1: kvm_mmio len 3 \(expected len 1, 2, 4 or 8\)/],
    ['a value wider than the access', [C0(0, 'kvm_mmio', mmioW(0x08000000, 0x1ff, 1))], /^test\.trace, line 1: kvm_mmio val 0x1ff is wider than len 1/],
    ['a vgic_update_irq_pending line with broken text', [C0(0, 'vgic_update_irq_pending', 'VCPU 0 IRQ 27')], /^test\.trace, line 1: vgic_update_irq_pending text/],
    ['mixed clock formats', [C0(0, 'kvm_entry', 'PC: 0x0'), '       CPU 0/KVM-1000    [002] ...1. 123456: kvm_entry: PC: 0x0'], /^test\.trace, line 2: timestamp 123456 is not in the clock format of line 1/],
  ];
  test.each(cases)('%s', (_name, lines, re) => {
    expect(inputError(() => convert(lines)).message).toMatch(re);
  });

  test('a trace without any event the importer reads', () => {
    expect(inputError(() => convert(['# tracer: nop', C0(0, 'kvm_entry', 'PC: 0x0')])).message).toMatch(/test\.trace: no KVM event this importer reads/);
  });
});

describe('memory maps from JSON', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-ftrace-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const mapFile = (o: unknown) => {
    const f = path.join(tmp, `map-${Math.abs(JSON.stringify(o).length)}-${fs.readdirSync(tmp).length}.json`);
    fs.writeFileSync(f, JSON.stringify(o));
    return f;
  };

  test('two redistributor regions: indices continue across regions', () => {
    const f = mapFile({ schema: 1, name: 'kvmtool-like', dist: '0x3fff0000', redist: [{ base: '0x3ffd0000', count: 1 }, { base: '0x40000000000', count: 1 }], spis: 64 });
    const r = convert([C0(0, 'kvm_mmio', mmioW(0x3fff0100 + 4, 1)), C1(1, 'kvm_mmio', mmioW(0x40000010100, 0x2))], { map: f });
    expect(r.events[0]).toMatchObject({ frame: Frame.Dist, offset: 0x104 });
    expect(r.events[1]).toMatchObject({ frame: Frame.RedistSgi, index: 1, offset: 0x100, cpu: 1 });
    expect(r.header.gic.frames.redist).toEqual([0x3ffd0000n, 0x40000000000n]);
    expect(r.header.gic.spis).toBe(64);
    expect(r.header.gic.its).toBe(false);
  });

  test('bad maps are input errors naming the file and the key', () => {
    expect(inputError(() => convert([C0(0, 'kvm_entry', 'x')], { map: mapFile({ schema: 1, dist: 12.5, redist: [] }) })).message).toMatch(/map-.*\.json: memory map: "dist" is 12.5/);
    expect(inputError(() => convert([C0(0, 'kvm_entry', 'x')], { map: mapFile({ schema: 1, dist: '0x0' }) })).message).toMatch(/a GICv3 map needs "redist"/);
    expect(inputError(() => convert([C0(0, 'kvm_entry', 'x')], { map: mapFile({ schema: 2, dist: '0x0' }) })).message).toMatch(/schema is 2/);
    expect(inputError(() => convert([C0(0, 'kvm_entry', 'x')], { map: mapFile({ schema: 1, dist: '0x0', redist: [{ base: '0x1', count: 1 }], gicd: 1 }) })).message).toMatch(/unknown key "gicd"/);
  });
});

describe('writing', () => {
  test('the written trace reads back with the same events, and two imports are byte-identical', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-ftrace-'));
    try {
      const text = [C0(0, 'kvm_mmio', mmioU(0x08000008)), C0(1, 'kvm_mmio', mmioR(0x08000008, 0x4b00343b)), C0(2, 'kvm_sys_access', 'PC: 1 SYS_ICC_SGI1R_EL1 (3,0,12,11,5) write')].join('\n');
      const a = path.join(tmp, 'a.gtr');
      const b = path.join(tmp, 'b.gtr');
      const opts = { file: 'x.trace', text, gic: 3 as const, map: 'virt', command: 'fixed' };
      const r = importFtrace({ ...opts, out: a });
      importFtrace({ ...opts, out: b });
      expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
      const back = readTrace(a);
      expect(back.events).toEqual(r.events);
      expect(back.header.provenance.kind).toBe('kvm-ftrace');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
