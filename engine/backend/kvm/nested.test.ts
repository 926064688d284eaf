// Real KVM: Debian's arm64 kernel at EL2 under qemu-system-aarch64, the runner as its /init.
// Facts from the kernel itself (not from the model): GICD_IIDR per revision, GICR_CTLR.{IR,CES},
// an SPI injected with KVM_IRQ_LINE acknowledged through ICC_IAR1_EL1, a GICv2 SGI with its
// source in GICC_IAR, what a VMM sees before and after CTRL_INIT; and how failures end: a bad
// frame address, a hung guest, a killed QEMU, a kernel without KVM. Boots are few and batched
// (one per GIC version for the facts); these tests never skip: without QEMU, the cross compiler
// or the kernel they fail with the install step (`bash tools/kvm/install.sh`).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReplayRecord } from '../../replay/records';
import { Frame, TraceEvent, TraceHeader, UserGroup } from '../../trace/events';
import { readTrace } from '../../trace/reader';
import { projectRoot } from '../../util/project-root';
import { KvmHostError, NestedHost } from './host';
import { buildTraceJob, TraceJob } from './job';
import { RunnerOutput, TraceAnswers } from './output';
import { ALL_COMPARABLE, emitKvmRecords } from './records';
import { ev, events, virtHeader, writeTestTrace } from './testing/testkit';

jest.setTimeout(180_000);

interface Case {
  header: TraceHeader;
  events: TraceEvent[];
  revision?: number;
  runTimeoutMs?: number;
  /** Extra job lines after the trace's own operations (runner test operations). */
  extra?: string[];
}

/** Run several cases in one boot; answers and records by case name. */
function runBatch(host: NestedHost, gic: 2 | 3, cases: Record<string, Case>): { out: RunnerOutput; answers: Record<string, TraceAnswers>; records: Record<string, ReplayRecord[]>; jobs: Record<string, TraceJob> } {
  const names = Object.keys(cases);
  const jobs: Record<string, TraceJob> = {};
  for (const n of names) {
    const c = cases[n];
    const j = buildTraceJob(n, c.header, c.events, { file: `${n}.gtr`, revision: c.revision, runTimeoutMs: c.runTimeoutMs });
    if (c.extra) j.lines.splice(j.lines.length - 1, 0, ...c.extra);
    jobs[n] = j;
  }
  const text = names.map((n) => `${jobs[n].lines.join('\n')}\n`).join('');
  const out = host.run({ gic, job: text, ops: text.split('\n').length }).output;
  const answers: Record<string, TraceAnswers> = {};
  const records: Record<string, ReplayRecord[]> = {};
  for (const n of names) {
    const a = out.traces.find((t) => t.id === n);
    if (!a) throw new Error(`no answers for ${n}`);
    answers[n] = a;
    records[n] = [];
    if (a.ready) emitKvmRecords(`${n}.gtr`, cases[n].header, cases[n].events, jobs[n].plans, a, ALL_COMPARABLE, (r) => records[n].push(r));
  }
  return { out, answers, records, jobs };
}

const reads = (recs: ReplayRecord[]): Record<number, string> => Object.fromEntries(recs.filter((r): r is ReplayRecord & { op: 'read' } => r.op === 'read').map((r) => [r.index, `${r.reg}=0x${r.value.toString(16)}${r.result ? ` errno ${r.result}` : ''}`]));
const outputs = (recs: ReplayRecord[]): string[] => recs.filter((r) => r.op === 'irq' || r.op === 'fiq').map((r) => `${r.index} cpu${(r as { cpu: number }).cpu} ${r.op} ${(r as { level: number }).level}`);

describe('real KVM, GICv3 (one boot)', () => {
  let r: ReturnType<typeof runBatch>;
  beforeAll(() => {
    const traced = virtHeader(3, 1);
    traced.gic.init = 'traced';
    traced.formatMinor = 1;
    const moved = virtHeader(3, 1);
    moved.gic.cpus[0].mpidr = 0x80000100n; // Aff1 = 1
    const msi = readTrace(path.join(projectRoot(), 'traces', 'guests', 'its-msi-v3.gtr'));
    r = runBatch(new NestedHost(), 3, {
      its: { header: msi.header, events: msi.events },
      facts: {
        header: virtHeader(3, 1),
        events: events(
          ev.mr(0, Frame.Dist, 0x8), //                          0 GICD_IIDR
          ev.mr(0, Frame.RedistRd, 0x0), //                      1 GICR_CTLR
          ev.mw(0, Frame.Dist, 0x0, 0x13n), //                   2 GICD_CTLR = 0x13
          ev.mr(0, Frame.Dist, 0x0), //                          3
          ev.sw(0, 'ICC_PMR_EL1', 0xffn), //                     4
          ev.sw(0, 'ICC_IGRPEN1_EL1', 1n), //                    5
          ev.mw(0, Frame.Dist, 0x104, 0x1n), //                  6 GICD_ISENABLER1: SPI 32
          ev.line(32, null, 1), //                               7 KVM_IRQ_LINE SPI 32
          ev.sr(0, 'ICC_IAR1_EL1'), //                           8
          ev.sr(0, 'ICC_EOIR1_EL1'), //                          9 reading a write-only register: UNDEF
          ev.ur(UserGroup.DistRegs, null, 0x8), //              10 GICD_IIDR as the VMM sees it
        ),
      },
      rev2: { header: virtHeader(3, 1), revision: 2, events: events(ev.mr(0, Frame.Dist, 0x8), ev.mr(0, Frame.RedistRd, 0x0)) },
      rev1: { header: virtHeader(3, 1), revision: 1, events: events(ev.mr(0, Frame.Dist, 0x8)) },
      preinit: {
        header: traced,
        events: events(
          ev.uw(UserGroup.DistRegs, null, 0x8, 0x4b00243bn), //  0 before CTRL_INIT
          ev.ur(UserGroup.DistRegs, null, 0x8), //              1
          ev.uw(UserGroup.Ctrl, null, 0, 0n), //                 2 KVM_DEV_ARM_VGIC_CTRL_INIT
          ev.ur(UserGroup.DistRegs, null, 0x8), //              3
          ev.mr(0, Frame.Dist, 0x8), //                          4
        ),
      },
      badframe: { header: virtHeader(3, 1, { dist: 0x08000100n }), events: events(ev.mr(0, Frame.Dist, 0x8)) },
      hang: { header: virtHeader(3, 1), runTimeoutMs: 2000, events: events(ev.mr(0, Frame.Dist, 0x8)), extra: ['spin 1 0'] },
      mpidr: { header: moved, events: events(ev.mr(0, Frame.RedistRd, 0x8, 8)) },
      after: { header: virtHeader(3, 1), events: events(ev.mr(0, Frame.Dist, 0x8)) },
    });
  });

  test('GICD_IIDR 0x4B00343B and GICR_CTLR.{IR,CES} = 0x6 by default; GICD_CTLR 0x13 reads 0x52', () => {
    expect(reads(r.records.facts)).toMatchObject({ 0: 'GICD_IIDR=0x4b00343b', 1: 'GICR_CTLR=0x6', 3: 'GICD_CTLR=0x52', 10: 'GICD_IIDR=0x4b00343b' });
  });

  test('an SPI injected with KVM_IRQ_LINE raises the vIRQ and is acknowledged through ICC_IAR1_EL1', () => {
    expect(reads(r.records.facts)[8]).toBe('ICC_IAR1_EL1=0x20');
    expect(outputs(r.records.facts)).toEqual(['7 cpu0 irq 1', '8 cpu0 irq 0']);
  });

  test('a guest read of a write-only ICC register takes an UNDEF, reported, and the trace goes on', () => {
    const undef = r.records.facts.find((x) => x.op === 'read' && x.index === 9) as ReplayRecord & { op: 'read' };
    expect(undef.note).toMatch(/^UNDEF, ESR_EL1 0x2000000/);
    expect(reads(r.records.facts)[10]).toBe('GICD_IIDR=0x4b00343b');
  });

  test('a userspace GICD_IIDR write after CTRL_INIT selects revision 2 (GICR_CTLR then reads 0); revision 1 is refused', () => {
    expect(r.answers.rev2.lines.find((l) => l.tag === 's0')?.args).toEqual(['0', '4b00343b', '0']);
    expect(reads(r.records.rev2)).toEqual({ 0: 'GICD_IIDR=0x4b00243b', 1: 'GICR_CTLR=0x0' });
    expect(r.answers.rev1.lines.find((l) => l.tag === 's0')?.args).toEqual(['0', '4b00343b', '22']);
  });

  test('before CTRL_INIT a GICv3 register access is -EBUSY and leaves the revision at 3', () => {
    const u = r.answers.preinit.lines.filter((l) => l.kind === 'u').map((l) => `${l.tag}:${l.args.join(' ')}`);
    expect(u).toEqual(['0:16', '1:16 0', '2:0', '3:0 4b00343b']);
    expect(reads(r.records.preinit)[4]).toBe('GICD_IIDR=0x4b00343b');
  });

  test('a frame address KVM refuses fails that trace at setup with the reason; a hung guest fails at the watchdog; the next trace still runs', () => {
    expect(r.answers.badframe.ready).toBe(false);
    expect(r.answers.badframe.failure?.message).toMatch(/distributor base 0x8000100 refused: Invalid argument \(errno 22\)/);
    expect(r.answers.hang.failure).toEqual({ tag: '1', message: expect.stringMatching(/^vcpu0 did not yield within 2000 ms \(guest hang; pc 0x[0-9a-f]+\)$/) });
    expect(reads(r.records.hang)).toEqual({ 0: 'GICD_IIDR=0x4b00343b' });
    expect(reads(r.records.after)).toEqual({ 0: 'GICD_IIDR=0x4b00343b' });
    expect(r.out.done).toBe(true);
  });

  test('the ITS runs on real memory: MAPC/MAPD/MAPTI from the queue the runner stored, MSIs delivered as LPIs 8192/8193 on their collections, blocked ones return 0', () => {
    const recs = r.records.its;
    expect(r.answers.its.failure).toBeUndefined();
    const rd = reads(recs);
    // its-msi-v3: CREADR past MAPTI event 1 (0x1a0); LPI 8192 on vCPU 0, 8193 on vCPU 1; after MOVI 8193 on vCPU 0
    expect([rd[67], rd[78], rd[82], rd[93], rd[111]]).toEqual(['GITS_CREADR=0x1a0', 'ICC_IAR1_EL1=0x2000', 'ICC_IAR1_EL1=0x2001', 'ICC_IAR1_EL1=0x2000', 'ICC_IAR1_EL1=0x2001']);
    const msis = recs.filter((x): x is ReplayRecord & { op: 'msi' } => x.op === 'msi').map((x) => `${x.index} ${x.result}`);
    // delivered, delivered, unmapped EventID, unmapped DeviceID, ..., after DISCARD, after the refused MAPTI
    expect(msis).toEqual(['77 1', '81 1', '86 0', '88 0', '98 1', '110 1', '119 0', '126 0']);
    expect(outputs(recs).slice(0, 3)).toEqual(['77 cpu0 irq 1', '78 cpu0 irq 0', '81 cpu1 irq 1']);
  });

  test("a vCPU gets the trace's MPIDR (KVM_SET_ONE_REG), and GICR_TYPER carries its affinity", () => {
    expect(r.answers.mpidr.mpidrs).toEqual([0x80000100n]);
    const typer = BigInt(reads(r.records.mpidr)[0].split('=')[1]);
    expect(typer >> 32n).toBe(0x100n);
  });
});

describe('real KVM, GICv2 (one boot)', () => {
  let r: ReturnType<typeof runBatch>;
  beforeAll(() => {
    r = runBatch(new NestedHost(), 2, {
      sgi: {
        header: virtHeader(2, 2),
        events: events(
          ev.mw(0, Frame.Dist, 0x0, 0x3n), //           0 GICD_CTLR = 3
          ev.mr(0, Frame.Dist, 0x0), //                 1
          ev.mw(0, Frame.CpuIf, 0x4, 0xffn), //          2 GICC_PMR
          ev.mw(0, Frame.CpuIf, 0x0, 0x1n), //           3 GICC_CTLR.EnableGrp0
          ev.mw(1, Frame.Dist, 0xf00, 0x10003n), //      4 GICD_SGIR from vCPU 1: SGI 3 to vCPU 0
          ev.mr(0, Frame.CpuIf, 0xc), //                 5 GICC_IAR
          ev.mw(0, Frame.CpuIf, 0x10, 0x403n), //        6 GICC_EOIR
          ev.mr(0, Frame.CpuIf, 0x4), //                 7 GICC_PMR as the guest reads it
          ev.ur(UserGroup.CpuRegs, 0, 0x4), //           8 ... and as the VMM does (KVM's GICH_VMCR form)
          ev.mr(0, Frame.Dist, 0x8), //                  9 GICD_IIDR
        ),
      },
    });
  });

  test('GICD_CTLR keeps one enable bit (3 reads 1); GICD_IIDR 0x4B00343B', () => {
    expect(reads(r.records.sgi)).toMatchObject({ 1: 'GICD_CTLR=0x1', 9: 'GICD_IIDR=0x4b00343b' });
  });

  test('an SGI from vCPU 1 reaches vCPU 0 with its source CPU in GICC_IAR[12:10]', () => {
    expect(reads(r.records.sgi)[5]).toBe('GICC_IAR=0x403');
    expect(outputs(r.records.sgi)).toEqual(['4 cpu0 irq 1', '5 cpu0 irq 0']);
  });

  test('the guest reads GICC_PMR 0xff back as 0xf8; userspace reads the 5-bit VMCR field 0x1f', () => {
    expect(reads(r.records.sgi)).toMatchObject({ 7: 'GICC_PMR=0xf8', 8: 'GICC_PMR=0x1f' });
  });
});

describe('real KVM through the CLI', () => {
  const cli = path.join(projectRoot(), 'bin', 'gicreplay');
  let dir: string;
  let trace: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-kvm-cli-'));
    trace = writeTestTrace(dir, 'spi.gtr', virtHeader(3, 2), events(ev.sw(0, 'ICC_PMR_EL1', 0xffn), ev.sw(0, 'ICC_IGRPEN1_EL1', 1n), ev.mw(0, Frame.Dist, 0x0, 0x12n), ev.mw(0, Frame.Dist, 0x104, 0x2n), ev.line(33, null, 1), ev.sr(0, 'ICC_IAR1_EL1'), ev.mr(1, Frame.RedistRd, 0x0)));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('two runs of the same trace give byte-identical records', () => {
    const run = () => spawnSync('node', [cli, 'replay', trace, '--backend', 'kvm', '--policy', 'rev3', '--json'], { encoding: 'utf8' });
    const a = run();
    const b = run();
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('"reg":"ICC_IAR1_EL1","size":8,"value":"0x21"');
    expect(b.stdout).toBe(a.stdout);
  });

  test('a policy the kernel cannot be put into is refused with exit 2 and the reason', () => {
    const r = spawnSync('node', [cli, 'replay', trace, '--backend', 'kvm', '--policy', 'rev1'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/this kernel cannot be put into policy rev1: KVM refuses the userspace GICD_IIDR write that selects revision 1 \(0x4b00143b: -EINVAL\)/);
  });
});

describe('a run that ends early is reported, never hung on', () => {
  test('QEMU killed mid-run: the error says so and shows the console', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-kvm-kill-'));
    const wrapper = path.join(dir, 'qemu');
    // Answers --version and -semihosting-config help itself; a real run is killed after 1 s.
    fs.writeFileSync(wrapper, '#!/bin/sh\ncase "$1" in --version|-semihosting-config) exec qemu-system-aarch64 "$@";; esac\nqemu-system-aarch64 "$@" & pid=$!\nsleep 1\nkill -9 $pid\nwait $pid\nexit $?\n', { mode: 0o755 });
    const host = new NestedHost({ qemu: wrapper });
    const job = buildTraceJob('k', virtHeader(3, 1), events(ev.mr(0, Frame.Dist, 0x8)), { file: 'k.gtr' });
    let err: unknown;
    try {
      host.run({ gic: 3, job: `${job.lines.join('\n')}\n`, ops: 10 });
    } catch (e) {
      err = e;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(KvmHostError);
    expect((err as Error).message).toMatch(/exited with status 137 before the KVM runner finished/);
    expect((err as Error).message).toMatch(/--- last console lines ---/);
  });

  test('a kernel without KVM (kvm-arm.mode=none): the error names the cause', () => {
    const host = new NestedHost({ append: 'kvm-arm.mode=none' });
    const job = buildTraceJob('k', virtHeader(3, 1), events(ev.mr(0, Frame.Dist, 0x8)), { file: 'k.gtr' });
    expect(() => host.run({ gic: 3, job: `${job.lines.join('\n')}\n`, ops: 10 })).toThrow(/the KVM runner found no KVM: cannot open \/dev\/kvm/);
  });
});
