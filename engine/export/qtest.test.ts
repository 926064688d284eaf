// export --format qtest, run against Debian's QEMU 7.2 through the qtest protocol (qtest-run.ts):
// MMIO-only witnesses on QEMU's GICv3 and GICv2 pass under rev3 (reads, and CPU 0's IRQ and FIQ
// inputs after every access, intercepted on the CPU), the registers QEMU's GIC answers
// otherwise than KVM's golden checked as the rules of engine/fidelity/qemu-rules.ts say (named on
// the access), an altered expectation fails naming the access, a policy QEMU does not behave as
// (rev1 drops the guest's IGROUPR write; QEMU keeps it) fails at that read, or at the FIQ it
// signals where QEMU signals an IRQ, and traces with
// anything but MMIO are refused naming the event. Never skipped: without QEMU these fail.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compilerFor } from '../backend/kvm/build';
import { InputError } from '../errors';
import { getPolicy } from '../policy/policy';
import { projectRoot } from '../util/project-root';
import { runCli } from '../../tools/cli/testing/run';
import { exportTrace } from '.';
import { parseQtest, runQtest } from './qtest-run';

jest.setTimeout(120_000);

const root = projectRoot();
const trace = (t: string): string => path.join(root, 'traces', t);
/** A TAP line without its number. */
const unnumbered = (l: string): string => l.replace(/^(not )?ok \d+ - /, '$1ok - ');
const IRQ_CHECK = /: CPU 0 IRQ \d FIQ \d$/;
const onQemu = (t: string, policy = 'rev3') => {
  const text = exportTrace(trace(t), getPolicy(policy), 'qtest', root).text;
  return { text, run: runQtest(parseQtest(text, t), t) };
};

describe('export --format qtest on QEMU 7.2', () => {
  test('a GICv3 and a GICv2 IGROUPR witness pass under rev3: the read-back QEMU shares with KVM is checked in full', async () => {
    for (const [t, gic] of [['witnesses/igroupr-guest-write-rev1-v3.gtr', 3], ['witnesses/igroupr-guest-write-rev1-v2.gtr', 2]] as const) {
      const { text, run } = onQemu(t);
      expect(text).toContain(`qtest_init(QEMU_ARGS)`);
      expect(text).toContain(`#define QEMU_ARGS "-machine virt,gic-version=${gic} -smp 1"`);
      expect(text).toContain('{ false, 4, 0x8000084ULL, 0xf0f0f0fULL, 0xffffffffULL, 0, 0, "event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4)" },');
      expect(text).toContain('qtest_irq_intercept_in(qts, "/machine/unattached/device[0]");');
      const r = await run;
      expect({ gic: r.gic, failed: r.failed, tap: r.tap }).toEqual({
        gic,
        failed: 0,
        tap: ['ok 1 - event 0: cpu0 write GICD_IGROUPR1 (0x8000084/4) = 0xf0f0f0f: CPU 0 IRQ 0 FIQ 0', 'ok 2 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4)', 'ok 3 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): CPU 0 IRQ 0 FIQ 0'],
      });
    }
  });

  test('where QEMU answers otherwise, the read is pinned by its rule (GICD_IIDR, GICR_CTLR, reset IGROUPR), and the rest pass in full', async () => {
    const { text, run } = onQemu('guests/igroupr-rw-v3.gtr');
    const r = await run;
    expect(r.failed).toBe(0);
    // 19 reads, and CPU 0's IRQ/FIQ after the 32 events where the golden records vCPU 0's state.
    expect(r.checks).toBe(51);
    expect(r.tap.filter((l) => IRQ_CHECK.test(l))).toHaveLength(32);
    const reads = r.tap.filter((l) => !IRQ_CHECK.test(l)).map(unnumbered);
    expect(reads[0]).toBe('ok - event 0: cpu0 read GICD_IIDR (0x8000008/4): QEMU\'s GIC answers 0x43b where KVM answers 0x4b00343b (rule iidr)');
    expect(reads[1]).toBe('ok - event 3: cpu0 read GICR_CTLR (0x80a0000/4): QEMU\'s GIC differs in bits 0x6 where KVM answers 0x6 (rule gicr-ctlr-ces-ir)');
    // GICD_IGROUPR1 before the guest writes it: QEMU's reset Group 0 (no kernel loaded), KVM's Group 1.
    expect(reads[4]).toBe('ok - event 10: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU\'s GIC answers 0x0 where KVM answers 0xffffffff (rule igroupr-reset-group0)');
    // After the write the same register is held to the golden in full.
    expect(reads[6]).toBe('ok - event 15: cpu0 read GICD_IGROUPR1 (0x8000084/4)');
    expect(text.match(/\(rule [a-z0-9-]+\)/g)).toEqual(['(rule iidr)', '(rule gicr-ctlr-ces-ir)', '(rule igroupr-reset-group0)', '(rule igroupr-reset-group0)']);
    // GICv2: a kvm-unit-tests guest's 78 writes and 2 reads on QEMU's GICv2; its SGI to itself
    // raises CPU 0's IRQ, and acknowledging it (GICC_IAR) drops it.
    const kut = await onQemu('guests/kut-active-v2.gtr').run;
    expect([kut.failed, kut.checks]).toEqual([0, 82]);
    expect(kut.tap.filter((l) => !IRQ_CHECK.test(l)).map(unnumbered)).toEqual(['ok - event 0: cpu0 read GICD_TYPER (0x8000004/4)', 'ok - event 78: cpu0 read GICC_IAR (0x801000c/4)']);
    expect(kut.tap.filter((l) => / IRQ 1 /.test(l)).map(unnumbered)).toEqual(['ok - event 77: cpu0 write GICD_SGIR (0x8000f00/4) = 0x2000001: CPU 0 IRQ 1 FIQ 0']);
    expect(kut.tap.map(unnumbered)).toContain('ok - event 78: cpu0 read GICC_IAR (0x801000c/4): CPU 0 IRQ 0 FIQ 0');
  });

  test('CPU 0\'s IRQ and FIQ: a Group 1 SPI made pending raises IRQ under rev3 as on QEMU; rev1, which drops the IGROUPR write and signals it as a Group 0 FIQ, fails there; an altered expectation fails naming the access', async () => {
    const t = 'witnesses/grp0-fiq-iidr-only-v2.gtr';
    const { text, run } = onQemu(t);
    const r = await run;
    expect([r.failed, r.checks]).toEqual([0, 6]);
    expect(r.tap[5]).toBe('ok 6 - event 5: cpu0 write GICD_ISPENDR1 (0x8000204/4) = 0x200: CPU 0 IRQ 1 FIQ 0');
    const rev1 = await onQemu(t, 'rev1').run;
    expect(rev1.tap.filter((l) => l.startsWith('not ok'))).toEqual(['not ok 6 - event 5: cpu0 write GICD_ISPENDR1 (0x8000204/4) = 0x200: CPU 0 IRQ 0 FIQ 1: QEMU\'s CPU 0 has IRQ 1 FIQ 0']);
    const altered = text.replace('0x200ULL, 0x0ULL, 0, 0, "event 4:', '0x200ULL, 0x0ULL, 1, 0, "event 4:');
    expect(altered).not.toBe(text);
    const a = await runQtest(parseQtest(altered, 'altered.c'), 'altered.c');
    expect(a.tap.filter((l) => l.startsWith('not ok'))).toEqual(['not ok 5 - event 4: cpu0 write GICD_IGROUPR1 (0x8000084/4) = 0x200: CPU 0 IRQ 1 FIQ 0: QEMU\'s CPU 0 has IRQ 0 FIQ 0']);
  });

  test('a GICv2 of more than one CPU is refused by run-qtest before QEMU crashes (no qtest accelerator: arm_gic.c asks current_cpu)', async () => {
    const { text } = onQemu('witnesses/igroupr-guest-write-rev1-v2.gtr');
    const two = text.replace('gicreplay-qtest gic=2 cpus=1', 'gicreplay-qtest gic=2 cpus=2');
    expect(two).not.toBe(text);
    await expect(runQtest(parseQtest(two, 'two.c'), 'two.c')).rejects.toThrow(/two\.c: a GICv2 of 2 CPUs cannot be run through the installed QEMU's qtest protocol.*build the file in QEMU's tree/);
  });

  test('an altered expectation fails naming the access; rev1 (which drops the guest write) fails at the read QEMU answers as rev3', async () => {
    const { text } = onQemu('witnesses/igroupr-guest-write-rev1-v3.gtr');
    const altered = text.replace('0xf0f0f0fULL, 0xffffffffULL', '0xf0f0f0eULL, 0xffffffffULL');
    expect(altered).not.toBe(text);
    const r = await runQtest(parseQtest(altered, 'altered.c'), 'altered.c');
    expect(r.tap.filter((l) => l.startsWith('not ok'))).toEqual(['not ok 2 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU answered 0xf0f0f0f, expected 0xf0f0f0e on the bits 0xffffffff']);
    const rev1 = await onQemu('witnesses/igroupr-guest-write-rev1-v3.gtr', 'rev1').run;
    expect(rev1.tap.filter((l) => l.startsWith('not ok'))).toEqual(['not ok 2 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU answered 0xf0f0f0f, expected 0xffffffff on the bits 0xffffffff']);
  });

  test('the exported files compile (-Wall -Wextra -Werror, -c) against declarations of libqtest and GLib (tools/qemu/qtest-stub: no QEMU tree here)', () => {
    for (const t of ['witnesses/igroupr-guest-write-rev1-v3.gtr', 'witnesses/igroupr-guest-write-rev1-v2.gtr', 'witnesses/grp0-fiq-iidr-only-v2.gtr', 'guests/igroupr-rw-v3.gtr', 'guests/kut-active-v2.gtr']) {
      const { text } = onQemu(t);
      const r = spawnSync(compilerFor(), ['-c', '-O2', '-Wall', '-Wextra', '-Werror', '-I', path.join(root, 'tools/qemu/qtest-stub'), '-x', 'c', '-o', '/dev/null', '-'], { input: text, encoding: 'utf8' });
      expect({ t, status: r.status, err: r.stderr }).toEqual({ t, status: 0, err: '' });
    }
  });

  test('traces qtest cannot perform are refused naming the file, the event and its kind', () => {
    const refused = (t: string): InputError => {
      try {
        exportTrace(trace(t), getPolicy('rev3'), 'qtest', root);
      } catch (e) {
        if (e instanceof InputError) return e;
        throw e;
      }
      throw new Error(`${t} was exported`);
    };
    expect(refused('witnesses/grp0-fiq-rev1-v3.gtr').message).toMatch(/grp0-fiq-rev1-v3\.gtr, event 2: --format qtest exports MMIO-only traces: event 2 is a system-register write/);
    expect(refused('witnesses/vmm-igroupr-rev1-v3.gtr').message).toMatch(/vmm-igroupr-rev1-v3\.gtr, event 0: .*event 0 is a VMM device-attribute write/);
    expect(refused('witnesses/grp0-fiq-rev1-v2.gtr').message).toMatch(/grp0-fiq-rev1-v2\.gtr, event 5: .*event 5 is an interrupt line change/);
    expect(refused('guests/igroupr-rw-v2.gtr').message).toMatch(/igroupr-rw-v2\.gtr, event 1: .*cpu1's access to a register banked per CPU/);
  });

  test('CLI: export --format qtest then run-qtest, exit 0; an altered file exit 1 naming the access; a sysreg trace exit 2', async () => {
    const out = path.join(os.tmpdir(), `gicreplay-qtest-${process.pid}.c`);
    try {
      const e = await runCli(['export', trace('witnesses/igroupr-guest-write-rev1-v2.gtr'), '--policy', 'rev3', '--format', 'qtest', '-o', out]);
      expect(e.code).toBe(0);
      expect(e.out).toContain(`run it on the installed QEMU: gicreplay run-qtest ${out}`);
      expect(await runCli(['run-qtest', out])).toMatchObject({ code: 0, out: expect.stringContaining('ok 1 of 1 qtests passed') });
      fs.writeFileSync(out, fs.readFileSync(out, 'utf8').replace('0xf0f0f0fULL, 0xffffffffULL', '0xf0f0f0eULL, 0xffffffffULL'));
      const f = await runCli(['run-qtest', out]);
      expect(f.code).toBe(1);
      expect(f.out).toContain('not ok 2 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU answered 0xf0f0f0f, expected 0xf0f0f0e');
      const s = await runCli(['export', trace('witnesses/grp0-fiq-rev1-v3.gtr'), '--policy', 'rev3', '--format', 'qtest', '-o', out]);
      expect(s.code).toBe(2);
      expect(s.err).toContain('event 2: --format qtest exports MMIO-only traces: event 2 is a system-register write');
    } finally {
      fs.rmSync(out, { force: true });
    }
  });
});
