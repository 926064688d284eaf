// Fidelity report: every read difference between QEMU's recorded value and the model's (rev3) on
// the imported QEMU traces must be explained; a planted difference must not be.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { builtinPolicies } from '../policy/policy';
import { EventKind, TraceEvent } from '../trace/events';
import { openTrace } from '../trace/reader';
import { writeTrace } from '../trace/writer';
import { projectRoot } from '../util/project-root';
import { fidelityReport } from './qemu';
import { FIDELITY_RULES, ModelProbe } from './qemu-rules';

const rev3 = builtinPolicies().find((p) => p.id === 'rev3')!;
const dir = path.join(projectRoot(), 'traces', 'qemu');
const traces = fs.readdirSync(dir).filter((f) => f.endsWith('.gtr')).sort();

describe('fidelity of the imported QEMU traces under rev3', () => {
  test('the twelve shared traces, the two live guest traces, the GICv2 Linux thread-ID run and the Linux virtio-blk MSI run are all there', () => {
    expect(traces).toHaveLength(16);
    expect(traces).toContain('gic3-linux-virtio-blk-smp2.gtr');
  });

  test.each(traces)('%s: no unexplained read difference', (name) => {
    const r = fidelityReport(path.join(dir, name), rev3, name);
    expect(r.comparedReads).toBeGreaterThan(0);
    expect(r.unexplained.map((u) => `#${u.index} ${u.reg} QEMU 0x${u.recorded.toString(16)} model 0x${u.model.toString(16)}`)).toEqual([]);
  });

  test('the known GICv3 differences appear where Appendix A says (bare-metal trace)', () => {
    const r = fidelityReport(path.join(dir, 'gic3-baremetal-smp2.gtr'), rev3);
    const by = Object.fromEntries(r.byRule);
    expect(by).toMatchObject({ iidr: 2, typer: 1, 'gicd-ctlr-grp0': 2, 'gicr-typer-commonlpiaff': 2, 'gicr-waker': 2, 'gicr-ctlr-ces-ir': 2, 'sgi-group-filter': 3 });
    expect(r.explained.find((e) => e.reg === 'GICD_IIDR')).toMatchObject({ recorded: 0x43bn, model: 0x4b00343bn });
  });

  test('a planted wrong recorded value is unexplained', () => {
    const src = openTrace(path.join(dir, 'gic3-baremetal-smp2.gtr'));
    const events: TraceEvent[] = [];
    for (let e = src.next(); e; e = src.next()) events.push(e);
    src.close();
    // event 0 is the GICD_PIDR2 read (0x3b under both); claim QEMU returned 0x3c
    expect(events[0]).toMatchObject({ kind: EventKind.MmioRead, offset: 0xffe8, observed: 0x3bn });
    events[0] = { ...events[0], observed: 0x3cn } as TraceEvent;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fidelity-'));
    const f = path.join(tmp, 'planted.gtr');
    writeTrace(f, src.header, events);
    const r = fidelityReport(f, rev3);
    expect(r.unexplained).toEqual([{ index: 0, cpu: null, reg: 'GICD_PIDR2', recorded: 0x3cn, model: 0x3bn }]);
    fs.rmSync(tmp, { recursive: true });
  });
});

describe('fidelity rules are narrow', () => {
  const probe: ModelProbe = { pending: () => true, priority: () => 0xa0, bankedWriteWithoutCpu: false };
  const rule = (id: string) => FIDELITY_RULES.find((r) => r.id === id)!;
  const d = (reg: string, recorded: bigint, model: bigint, cpu: number | null = 0) => ({ index: 0, cpu, reg, recorded, model });

  test.each([
    ['typer', d('GICD_TYPER', 0x037a0007n, 0x007a0008n), d('GICD_TYPER', 0x037a0006n, 0x007a0008n)],
    ['gicd-ctlr-grp0', d('GICD_CTLR', 0x53n, 0x52n), d('GICD_CTLR', 0x51n, 0x52n)],
    ['gicr-typer-commonlpiaff', d('GICR_TYPER', 0x101000111n, 0x100000111n), d('GICR_TYPER', 0x101000101n, 0x100000111n)],
    ['gicr-ctlr-ces-ir', d('GICR_CTLR', 0x3n, 0x7n), d('GICR_CTLR', 0x2n, 0x7n)],
    ['iidr', d('GICD_IIDR', 0x43bn, 0x4b00343bn), d('GICD_IIDR', 0x143bn, 0x4b00343bn)],
    ['tie-break', d('ICC_IAR1_EL1', 0x1n, 0x1bn), d('ICC_IAR1_EL1', 0x1n, 0x3ffn)],
    ['sgi-source-unknown', d('GICC_IAR', 0x401n, 0x1n), d('GICC_IAR', 0x401n, 0x2n)],
  ] as const)('%s: matches its case and not a near miss', (id, yes, no) => {
    expect(rule(id).matches(yes, id.startsWith('sgi-source') ? 2 : 3, probe)).toBe(true);
    expect(rule(id).matches(no, id.startsWith('sgi-source') ? 2 : 3, probe)).toBe(false);
  });

  test('tie-break needs the recorded INTID still pending at the same priority in the model', () => {
    const x = d('ICC_IAR1_EL1', 0x1n, 0x1bn);
    expect(rule('tie-break').matches(x, 3, { ...probe, pending: () => false })).toBe(false);
    expect(rule('tie-break').matches(x, 3, { ...probe, priority: (_c, i) => (i === 1 ? 0x80 : 0xa0) })).toBe(false);
  });
});
