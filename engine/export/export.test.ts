// Exported reproducers: the C compiles with the aarch64 cross compiler (-static, libc and UAPI
// headers only), and on the nested KVM host (Debian's arm64 kernel at EL2 under QEMU) a rev3
// reproducer passes, the same program with one expected value changed fails naming the access,
// and a policy the kernel cannot be put into is refused. The GICv3 programs run in one boot, the
// GICv2 ones in a second on a GICv2 host GIC (the program bails out with exit 2 if KVM offers no
// vGICv2, as on QEMU's GICv3, where KVM logs "disabling GICv2 emulation"). Never
// skipped: without the compiler, QEMU or the kernel these fail with the install step.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compilerFor } from '../backend/kvm/build';
import { NestedHost } from '../backend/kvm/host';
import { getPolicy } from '../policy/policy';
import { projectRoot } from '../util/project-root';
import { minimizeFile, writeMinimized } from '../minimize';
import { requireBuiltCli } from '../../tools/cli/testing/run';
import { cString } from './c';
import { exportTrace } from '.';
import { compileStatic, runRepros } from './run';

jest.setTimeout(300_000);

const root = projectRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-export-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const IGROUPR = path.join(root, 'traces/guests/igroupr-rw-v3.gtr');

/** The IGROUPR read-back witness: a GICD_IGROUPR1 write and its read (rev1 drops the write, rev3 keeps it). */
function witness(): string {
  const out = path.join(tmp, 'igroupr-readback.gtr');
  if (!fs.existsSync(out)) writeMinimized(out, minimizeFile(IGROUPR, { kind: 'policies', a: getPolicy('rev1'), b: getPolicy('rev3'), at: 15 }), [IGROUPR]);
  return out;
}

describe('export --format c', () => {
  it('checks every read value and IRQ/FIQ state of the golden, names each access, and compiles -static', () => {
    const r = exportTrace(IGROUPR, getPolicy('rev3'), 'c', root);
    expect(r.golden).toBe('golden/guests/igroupr-rw-v3/rev3.golden');
    // Every read the golden records is a value check.
    const golden = fs.readFileSync(path.join(root, r.golden!), 'utf8').split('\n---\n')[1];
    expect(r.plan.steps.filter((s) => s.read).length).toBe(golden.split('\n').filter((l) => / read /.test(l)).length);
    expect(r.plan.steps.filter((s) => s.read).length).toBe(19);
    expect(r.text).toContain('.what = "event 15: cpu0 read GICD_IGROUPR1 (0x8000084/4)", .check_value = 1, .want_value = 0xf0f0f0fULL');
    expect(r.text).toMatch(/^ \* gicreplay-repro gic=3 policy=rev3$/m);
    const bin = compileStatic(r.text, 'igroupr-rw-v3.c');
    expect(fs.statSync(bin).size).toBeGreaterThan(0);
    const file = spawnSync('file', [bin], { encoding: 'utf8' }).stdout;
    if (file) expect(file).toMatch(/ARM aarch64.*statically linked/);
  });

  it('a trace without a golden gets the model\'s replay, and says so', () => {
    const r = exportTrace(witness(), getPolicy('rev3'), 'c', root);
    expect(r.golden).toBeNull();
    expect(r.text).toContain("gicreplay's replay under rev3 (the trace has no golden for it)");
    expect(r.plan.checks).toBe(3);
  });

  it('C strings are escaped', () => {
    expect(cString('a "b" \\ ??= é\n')).toBe('"a \\"b\\" \\\\ \\?\\?= \\xc3""\\xa9""\\x0a"""');
  });
});

describe('export --format kvm-selftest', () => {
  /** The operation list (the steps[] initializer) of an exported file. */
  const stepsOf = (text: string): string => text.slice(text.indexOf('static const struct step steps[] = {'), text.indexOf('\n};\n', text.indexOf('static const struct step steps[]')));

  it('performs the same operation list and checks the same values as the C export, in the selftest library\'s style', () => {
    const c = exportTrace(IGROUPR, getPolicy('rev3'), 'c', root);
    const t = exportTrace(IGROUPR, getPolicy('rev3'), 'kvm-selftest', root);
    expect(t.golden).toBe(c.golden);
    expect(stepsOf(t.text)).toBe(stepsOf(c.text));
    expect(stepsOf(t.text).split('\n').filter((l) => /\.check_(value|errno|isr) = 1/.test(l)).length).toBeGreaterThan(0);
    expect(t.text).toContain('.what = "event 15: cpu0 read GICD_IGROUPR1 (0x8000084/4)", .check_value = 1, .want_value = 0xf0f0f0fULL');
    expect(t.text).toContain(`#define CHECKS ${c.plan.checks}`);
    expect(t.text).toMatch(/^ \* gicreplay-selftest gic=3 policy=rev3$/m);
    for (const api of ['vm_create_with_vcpus(NCPUS, guest_code, vcpus)', 'kvm_create_device(vm, GIC_VERSION == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3', 'kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS', '__kvm_device_attr_get(', 'GUEST_SYNC(2)', 'get_ucall(vcpu, &uc)', 'REPORT_GUEST_ASSERT(uc)', 'ksft_print_header()', 'ksft_set_plan(CHECKS)', 'ksft_test_result_pass(', 'ksft_finished()', '__TEST_REQUIRE(']) expect(t.text).toContain(api);
    // A mismatch is a TEST_ASSERT that names the access and what KVM answered.
    expect(t.text).toContain('TEST_ASSERT(got == s->want_value, "%s: = 0x%llx: KVM answered 0x%llx (policy %s)", s->what');
    // One guest MRS/MSR per system-register step, with the step's encoding in the instruction.
    const sys = t.plan.steps.filter((s) => s.op === 'sr' || s.op === 'sw').length;
    expect(t.text.split('\n').filter((l) => /^ {2}case \d+: asm volatile\("m(rs %0|sr) s\d_\d_c\d+_c\d+_\d/.test(l)).length).toBe(sys);
  });

  it('compiles (aarch64, -Wall -Wextra -Werror, no link) against the stub of the selftest library\'s headers in tools/kvm/selftest-stub: the library itself is not built here', () => {
    const dir = path.join(root, 'traces', 'witnesses');
    const files = [IGROUPR, path.join(root, 'traces/guests/its-msi-v3.gtr'), path.join(root, 'traces/guests/vmm-its-restore-v3.gtr'), ...fs.readdirSync(dir).filter((f) => f.endsWith('.gtr')).sort().map((f) => path.join(dir, f))];
    for (const f of files) {
      const policy = getPolicy(f.endsWith('-v2.gtr') ? 'mainline-rev3' : 'rev3');
      const src = path.join(tmp, `${path.basename(f, '.gtr')}-selftest.c`);
      fs.writeFileSync(src, exportTrace(f, policy, 'kvm-selftest', root).text);
      const r = spawnSync(compilerFor(), ['-c', '-O2', '-Wall', '-Wextra', '-Werror', '-I', path.join(root, 'tools/kvm/selftest-stub'), '-o', `${src}.o`, src], { encoding: 'utf8' });
      expect([path.basename(f), r.error?.message, r.status, r.stderr]).toEqual([path.basename(f), undefined, 0, '']);
    }
  });

});

describe('ITS traffic in either format', () => {
  const ITS_MSI = path.join(root, 'traces/guests/its-msi-v3.gtr');
  const ITS_RESTORE = path.join(root, 'traces/guests/vmm-its-restore-v3.gtr');
  const stepsOf = (text: string): string => text.slice(text.indexOf('static const struct step steps[] = {'), text.indexOf('\n};\n', text.indexOf('static const struct step steps[]')));

  it('gives the ITS its memslots, stores the trace\'s guest memory from the host, signals each MSI with its DeviceID and checks its return, every read and the IRQ/FIQ states after it', () => {
    const r = exportTrace(ITS_MSI, getPolicy('rev3'), 'c', root);
    expect(r.golden).toBe('golden/guests/its-msi-v3/rev3.golden');
    const body = fs.readFileSync(path.join(root, r.golden!), 'utf8').split('\n---\n')[1].split('\n');
    // Every read and every KVM_SIGNAL_MSI the golden records is checked.
    expect(r.plan.steps.filter((s) => s.read).length).toBe(body.filter((l) => /^\d+ 0x[0-9a-f]+ cpu\d+ read /.test(l)).length);
    expect(r.plan.steps.filter((s) => s.ret).map((s) => s.ret!.want)).toEqual(body.filter((l) => / - msi /.test(l)).map((l) => Number(/ -> (-?\d+)/.exec(l)![1])));
    expect(r.plan.steps.filter((s) => s.ret).length).toBe(8);
    // The trace's command queue and tables (at 1 GiB) as one memslot; the C program's own memory goes elsewhere.
    expect(r.text).toContain('static const struct memslot mems[] = {{0x40000000ULL, 0x210000ULL}};');
    expect(r.text).toContain('#define ITS_BASE 0x8080000ULL');
    // MAPC ICID 0 (opcode 0x09) at the queue's start, stored by the host before the guest writes GITS_CWRITER.
    expect(r.text).toContain('{.op = MEMW, .addr = 0x40000000ULL, .size = 32, .data = "\\x09\\x00');
    expect(r.text).toContain('{.op = MSI, .addr = 0x8090040ULL, .value = 0x0ULL, .enc = 0x1, .attr = 0x8ULL, .what = "event 77: KVM_SIGNAL_MSI doorbell 0x8090040 data 0x0 DeviceID 0x8", .check_ret = 1, .want_ret = 1},');
    // After the MSI, vCPU 0's IRQ is up (a fresh KVM_RUN).
    expect(r.plan.steps.filter((s) => s.event === 77 && s.isr).map((s) => [s.op, s.cpu, s.isr!.want.irq])).toEqual([['probe', 0, 1], ['probe', 1, 0]]);
    const t = exportTrace(ITS_MSI, getPolicy('rev3'), 'kvm-selftest', root);
    expect(stepsOf(t.text)).toBe(stepsOf(r.text));
    for (const api of ['vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, mems[m].base, 1 + m,', 'memcpy(addr_gpa2hva(vm, s->addr), s->data, s->size)', '__vm_ioctl(vm, KVM_SIGNAL_MSI, &msi)', 'its_fd = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS)']) expect(t.text).toContain(api);
  });

  it('performs the ITS device\'s attributes (save, restore, registers) on the ITS device and checks their errnos and values', () => {
    const r = exportTrace(ITS_RESTORE, getPolicy('rev3'), 'c', root);
    expect(r.golden).toBe('golden/guests/vmm-its-restore-v3/rev3.golden');
    const ops = r.plan.steps.map((s) => s.op);
    expect(['ic', 'ir', 'iw'].map((o) => ops.filter((x) => x === o).length)).toEqual([3, 8, 7]);
    expect(r.text).toContain('.what = "event 47: ITS KVM_DEV_ARM_VGIC_GRP_CTRL attr 1 (KVM_DEV_ARM_ITS_SAVE_TABLES)", .check_errno = 1, .want_errno = 0}');
    expect(r.text).toMatch(/\{\.op = ITS_UR, \.attr = 0x0ULL, \.what = "event \d+: KVM_GET_DEVICE_ATTR GITS_CTLR \(ITS, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, attr 0x0\)", \.check_value = 1, \.want_value = 0x[0-9a-f]+ULL, \.check_errno = 1, \.want_errno = 0\}/);
  });
});

describe('reproducers on real KVM (nested, one boot per GIC version)', () => {
  it('a rev3 reproducer passes; one altered expectation fails naming the access; a revision the kernel refuses bails out; the GICv2 witnesses pass on a GICv2 host', () => {
    const good = exportTrace(witness(), getPolicy('rev3'), 'c', root).text;
    const full = exportTrace(IGROUPR, getPolicy('rev3'), 'c', root).text;
    const bad = good.replace('.want_value = 0xf0f0f0fULL', '.want_value = 0xf0f0f0eULL');
    expect(bad).not.toBe(good);
    const rev1 = exportTrace(witness(), getPolicy('rev1'), 'c', root).text;
    // The suite's GICv3 witnesses (traces/witnesses/) under their rev3 goldens, in the same boot.
    const dir = path.join(root, 'traces', 'witnesses');
    const v3 = fs.readdirSync(dir).filter((f) => f.endsWith('-v3.gtr')).sort();
    expect(v3.length).toBeGreaterThanOrEqual(4);
    const witnesses = v3.map((f) => {
      const r = exportTrace(path.join(dir, f), getPolicy('rev3'), 'c', root);
      expect(r.golden).toBe(`golden/witnesses/${f.replace(/\.gtr$/, '')}/rev3.golden`);
      return { name: f, text: r.text };
    });
    // The GICv2 witnesses under mainline-rev3 (the kernel's own GICv2 behaviour), in a second boot
    // on a GICv2 host GIC (QEMU's virt with gic-version=2 and virtualization=on: its GICv2 has the
    // virtualization extensions, so Debian's KVM finds a GICH/GICV and offers a vGICv2).
    const v2 = fs.readdirSync(dir).filter((f) => f.endsWith('-v2.gtr')).sort();
    expect(v2.length).toBeGreaterThanOrEqual(4);
    const v2runs = v2.map((f) => {
      const r = exportTrace(path.join(dir, f), getPolicy('mainline-rev3'), 'c', root);
      expect(r.golden).toBe(`golden/witnesses/${f.replace(/\.gtr$/, '')}/mainline-rev3.golden`);
      return { name: f, text: r.text };
    });
    // ... and the VMM IGROUPR restore under rev3, which the real kernel does not follow: it drops a
    // VMM's GICv2 IGROUPR writes until GICD_IIDR is written (vgic_mmio_uaccess_write_v2_group).
    const vmmRev3 = exportTrace(path.join(dir, 'vmm-igroupr-mainline-v2.gtr'), getPolicy('rev3'), 'c', root);
    // ... and a GICv2 witness with its one read value altered, which must fail naming that access.
    const v2good = v2runs.find((r) => r.name === 'igroupr-guest-write-rev1-v2.gtr')!.text;
    const v2bad = v2good.replace('.want_value = 0xf0f0f0fULL', '.want_value = 0xf0f0f0eULL');
    expect(v2bad).not.toBe(v2good);
    // ITS traffic (guest memory, KVM_SIGNAL_MSI, the ITS device's attributes) under rev3, in the
    // GICv3 boot: two guests' traces, and the MSI guest with the return of its first MSI altered
    // and, separately, the IRQ state of the vCPU that MSI targets.
    const itsMsi = exportTrace(path.join(root, 'traces/guests/its-msi-v3.gtr'), getPolicy('rev3'), 'c', root);
    const itsRestore = exportTrace(path.join(root, 'traces/guests/vmm-its-restore-v3.gtr'), getPolicy('rev3'), 'c', root);
    const msiRet = itsMsi.text.replace('DeviceID 0x8", .check_ret = 1, .want_ret = 1}', 'DeviceID 0x8", .check_ret = 1, .want_ret = 0}');
    const msiIrq = itsMsi.text.replace(/^(.*"event 77: cpu0 pending IRQ\/FIQ \(fresh KVM_RUN\)".*)\.want_irq = 1/m, '$1.want_irq = 0');
    expect([msiRet, msiIrq].filter((t) => t !== itsMsi.text)).toHaveLength(2);
    const runs = runRepros([
      { name: 'witness-rev3', text: good },
      { name: 'igroupr-rw-v3-rev3', text: full },
      { name: 'witness-altered', text: bad },
      { name: 'witness-rev1', text: rev1 },
      { name: 'vmm-igroupr-v2-rev3', text: vmmRev3.text },
      { name: 'witness-v2-altered', text: v2bad },
      { name: 'its-msi-v3-rev3', text: itsMsi.text },
      { name: 'vmm-its-restore-v3-rev3', text: itsRestore.text },
      { name: 'its-msi-ret-altered', text: msiRet },
      { name: 'its-msi-irq-altered', text: msiIrq },
      ...witnesses,
      ...v2runs,
    ], new NestedHost());
    const [w, f, b, r1, vr, v2b, im, ir, imRet, imIrq] = runs;
    for (const [r, plan] of [[im, itsMsi.plan], [ir, itsRestore.plan]] as const) {
      expect([r.name, r.gic, r.exit, r.output.filter((l) => /^(not ok|Bail out)/.test(l))]).toEqual([r.name, 3, 0, []]);
      expect(r.output.filter((l) => /^ok \d+/.test(l))).toHaveLength(plan.checks);
    }
    expect(im.output).toContainEqual(expect.stringMatching(/^ok \d+ - event 77: KVM_SIGNAL_MSI doorbell 0x8090040 data 0x0 DeviceID 0x8: returns 1$/));
    expect(im.output).toContainEqual(expect.stringMatching(/^ok \d+ - event 78: cpu0 mrs ICC_IAR1_EL1: = 0x2000$/));
    expect([imRet.exit, imRet.output.filter((l) => /^(not ok|# {3}KVM)/.test(l))]).toEqual([1, [expect.stringMatching(/^not ok \d+ - event 77: KVM_SIGNAL_MSI doorbell 0x8090040 data 0x0 DeviceID 0x8: returns 0$/), expect.stringMatching(/^# {3}KVM answered 1 \(step \d+ of \d+, policy rev3\)$/)]]);
    expect([imIrq.exit, imIrq.output.filter((l) => /^(not ok|# {3}KVM)/.test(l))]).toEqual([1, [expect.stringMatching(/^not ok \d+ - event 77: cpu0 pending IRQ\/FIQ \(fresh KVM_RUN\): cpu0 IRQ 0 FIQ 0$/), expect.stringMatching(/^# {3}KVM answered IRQ 1 FIQ 0 \(step \d+ of \d+, policy rev3\)$/)]]);
    for (const r of runs.slice(10)) expect([r.name, r.exit, r.output.filter((l) => /^(not ok|Bail out)/.test(l))]).toEqual([r.name, 0, []]);
    expect(runs.slice(10).map((r) => r.gic)).toEqual([...witnesses.map(() => 3), ...v2runs.map(() => 2)]);
    expect([vr.gic, v2b.gic]).toEqual([2, 2]);
    expect(v2b.exit).toBe(1);
    expect(v2b.output.filter((l) => l.startsWith('not ok'))).toEqual(['not ok 2 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): = 0xf0f0f0e']);
    expect(v2b.output).toContainEqual(expect.stringMatching(/^# {3}KVM answered 0xf0f0f0f \(step \d+ of \d+, policy mainline-rev3\)$/));
    expect(vr.exit).toBe(1);
    const last = vmmRev3.plan.checks;
    expect(vr.output.filter((l) => l.startsWith('not ok'))).toEqual([expect.stringMatching(new RegExp(`^not ok ${last} - .*IRQ 1 FIQ 0$`))]);
    expect(vr.output).toContainEqual(expect.stringMatching(/^# {3}KVM answered IRQ 0 FIQ 1 \(step \d+ of \d+, policy rev3\)$/));
    expect([w.exit, w.output.filter((l) => l.startsWith('not ok'))]).toEqual([0, []]);
    expect(w.output).toContain('ok 2 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): = 0xf0f0f0f');
    expect(f.exit).toBe(0);
    expect(f.output.filter((l) => /^ok \d+/.test(l))).toHaveLength(66);
    expect(b.exit).toBe(1);
    expect(b.output).toContain('not ok 2 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): = 0xf0f0f0e');
    expect(b.output).toContain('#   KVM answered 0xf0f0f0f (step 3 of 3, policy rev3)');
    expect(b.output.some((l) => l.startsWith('ok 3'))).toBe(false);
    expect(r1.exit).toBe(2);
    expect(r1.output.join('\n')).toMatch(/Bail out! this kernel cannot be put into policy rev1: it refuses GICD_IIDR 0x[0-9a-f]+ \(revision 1\)/);
  });
});

describe('gicreplay export and run-repro on the command line', () => {
  beforeAll(requireBuiltCli);
  const cli = path.join(root, 'bin', 'gicreplay');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });

  it('export writes the program atomically and names the next command; bad input is exit 2', () => {
    const out = path.join(tmp, 'cli.c');
    const r = run(['export', 'traces/guests/igroupr-rw-v3.gtr', '--policy', 'rev3', '--format', 'c', '-o', out]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`gicreplay run-repro ${out}`);
    expect(fs.readFileSync(out, 'utf8')).toContain('int main(void)');
    expect(run(['export', 'traces/guests/igroupr-rw-v3.gtr', '--policy', 'nope', '-o', out]).status).toBe(2);
    const notC = path.join(tmp, 'x.c');
    fs.writeFileSync(notC, 'int main(void) { return 0; }\n');
    const st = path.join(tmp, 'cli-selftest.c');
    const sr = run(['export', 'traces/witnesses/grp0-fiq-rev1-v2.gtr', '--policy', 'mainline-rev3', '--format', 'kvm-selftest', '-o', st]);
    expect([sr.status, sr.stderr]).toEqual([0, '']);
    expect(sr.stdout).toContain(`cp ${st} tools/testing/selftests/kvm/arm64/ && make -C tools/testing/selftests/kvm`);
    expect(fs.readFileSync(st, 'utf8')).toMatch(/^ \* gicreplay-selftest gic=2 policy=mainline-rev3$/m);
    const itsOut = path.join(tmp, 'its.c');
    const its = run(['export', 'traces/guests/its-msi-v3.gtr', '--policy', 'rev3', '-o', itsOut]);
    expect([its.status, its.stderr]).toEqual([0, '']);
    expect(fs.readFileSync(itsOut, 'utf8')).toContain('ioctl(vm_fd, KVM_SIGNAL_MSI, &msi)');
    const nr = run(['run-repro', notC]);
    expect([nr.status, nr.stderr]).toEqual([2, expect.stringContaining('not a reproducer gicreplay exported')]);
  });
});
