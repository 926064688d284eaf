// `gicreplay import ftrace` through the real CLI entry point: exit codes, messages, output.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../../tools/cli/testing/run';
import { readTrace } from '../../trace/reader';

const FIX = path.join(__dirname, 'fixtures');

const run = runCli;

describe('gicreplay import ftrace', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-cli-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('imports the GICv3 fixture: exit 0, counts printed, outside-GIC accesses counted', async () => {
    const out = path.join(dir, 'v3.gtr');
    const r = await run(['import', 'ftrace', path.join(FIX, 'virt-gicv3-2cpu-boot.trace.txt'), '--gic', '3', '-o', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${out}: 455 events (25 MMIO reads, 411 MMIO writes, 0 sysreg reads, 3 sysreg writes without value, 9 line changes, 0 VMM device-attribute calls, 10 markers), 2 vCPUs`);
    expect(r.out).toContain('ignored: 3 accesses outside the GIC frames');
    // The command is rebuilt from the options, so the trace does not depend on paths or argv.
    expect(readTrace(out).header.provenance.command).toBe('gicreplay import ftrace virt-gicv3-2cpu-boot.trace.txt --gic 3 --map virt');
  });

  test("--blind-spot adds this recording's own blind spots to the header, after the generic ones", async () => {
    const out = path.join(dir, 'bs.gtr');
    const r = await run(['import', 'ftrace', path.join(FIX, 'virt-gicv3-2cpu-boot.trace.txt'), '--gic', '3', '-o', out, '--blind-spot', "the VMM's UART reads 0"]);
    expect(r.code).toBe(0);
    const p = readTrace(out).header.provenance;
    expect(p.blindSpots[p.blindSpots.length - 1]).toBe("the VMM's UART reads 0");
    expect(p.details.guestBlindSpots).toBe("1 (the last blind spot is this recording's own)");
    expect(p.command).toBe("gicreplay import ftrace virt-gicv3-2cpu-boot.trace.txt --gic 3 --map virt --blind-spot 'the VMM'\\''s UART reads 0'");
    const empty = await run(['import', 'ftrace', path.join(FIX, 'virt-gicv3-2cpu-boot.trace.txt'), '--gic', '3', '-o', path.join(dir, 'bs2.gtr'), '--blind-spot', ' ']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('a blind spot must say something');
  });

  test('malformed line: exit 2, file and line in the message, no output file', async () => {
    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, '# tracer: nop\n       CPU 0/KVM-3091    [002] ...1.   812.406107: kvm_mmio: mmio write len 4 gpa 0x8000104 val 0x0\nnot a trace line\n');
    const r = await run(['import', 'ftrace', bad, '--gic', '3', '-o', path.join(dir, 'bad.gtr')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`gicreplay: ${bad}, line 3: not an ftrace line: "not a trace line"`);
    expect(fs.existsSync(path.join(dir, 'bad.gtr'))).toBe(false);
  });

  test('bad flags: exit 2', async () => {
    const f = path.join(FIX, 'virt-gicv2-2cpu-boot.report.txt');
    expect((await run(['import', 'ftrace', f, '--gic', '4'])).code).toBe(2);
    expect((await run(['import', 'ftrace', f, '--gic', '2', '--cntfrq', '1.5e6', '-o', path.join(dir, 'x.gtr')])).code).toBe(2);
    const r = await run(['import', 'ftrace', f, '--gic', '2', '--cpus', '1', '-o', path.join(dir, 'x.gtr')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('names vCPU 1');
  });
});
