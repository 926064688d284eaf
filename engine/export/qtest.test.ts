// export --format qtest, run against Debian's QEMU 7.2 through the qtest protocol (qtest-run.ts):
// MMIO-only witnesses on QEMU's GICv3 and GICv2 pass under rev3, the registers QEMU's GIC answers
// otherwise than KVM's golden checked as the rules of engine/fidelity/qemu-rules.ts say (named on
// the access), an altered expectation fails naming the access, a policy QEMU does not behave as
// (rev1 drops the guest's IGROUPR write; QEMU keeps it) fails at that read, and traces with
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
      expect(text).toContain('{ false, 4, 0x8000084ULL, 0xf0f0f0fULL, 0xffffffffULL, "event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4)" },');
      const r = await run;
      expect({ gic: r.gic, failed: r.failed, tap: r.tap }).toEqual({ gic, failed: 0, tap: ['ok 1 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4)'] });
    }
  });

  test('where QEMU answers otherwise, the read is pinned by its rule (GICD_IIDR, GICR_CTLR, reset IGROUPR), and the rest pass in full', async () => {
    const { text, run } = onQemu('guests/igroupr-rw-v3.gtr');
    const r = await run;
    expect(r.failed).toBe(0);
    expect(r.checks).toBe(19);
    expect(r.tap[0]).toBe('ok 1 - event 0: cpu0 read GICD_IIDR (0x8000008/4): QEMU\'s GIC answers 0x43b where KVM answers 0x4b00343b (rule iidr)');
    expect(r.tap[1]).toBe('ok 2 - event 3: cpu0 read GICR_CTLR (0x80a0000/4): QEMU\'s GIC differs in bits 0x6 where KVM answers 0x6 (rule gicr-ctlr-ces-ir)');
    // GICD_IGROUPR1 before the guest writes it: QEMU's reset Group 0 (no kernel loaded), KVM's Group 1.
    expect(r.tap[4]).toBe('ok 5 - event 10: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU\'s GIC answers 0x0 where KVM answers 0xffffffff (rule igroupr-reset-group0)');
    // After the write the same register is held to the golden in full.
    expect(r.tap[6]).toBe('ok 7 - event 15: cpu0 read GICD_IGROUPR1 (0x8000084/4)');
    expect(text.match(/\(rule [a-z0-9-]+\)/g)).toEqual(['(rule iidr)', '(rule gicr-ctlr-ces-ir)', '(rule igroupr-reset-group0)', '(rule igroupr-reset-group0)']);
    // GICv2: a kvm-unit-tests guest's 78 writes and 2 reads on QEMU's GICv2.
    expect((await onQemu('guests/kut-active-v2.gtr').run).tap).toEqual(['ok 1 - event 0: cpu0 read GICD_TYPER (0x8000004/4)', 'ok 2 - event 78: cpu0 read GICC_IAR (0x801000c/4)']);
  });

  test('an altered expectation fails naming the access; rev1 (which drops the guest write) fails at the read QEMU answers as rev3', async () => {
    const { text } = onQemu('witnesses/igroupr-guest-write-rev1-v3.gtr');
    const altered = text.replace('0xf0f0f0fULL, 0xffffffffULL', '0xf0f0f0eULL, 0xffffffffULL');
    expect(altered).not.toBe(text);
    const r = await runQtest(parseQtest(altered, 'altered.c'), 'altered.c');
    expect(r.tap).toEqual(['not ok 1 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU answered 0xf0f0f0f, expected 0xf0f0f0e on the bits 0xffffffff']);
    const rev1 = await onQemu('witnesses/igroupr-guest-write-rev1-v3.gtr', 'rev1').run;
    expect(rev1.tap).toEqual(['not ok 1 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU answered 0xf0f0f0f, expected 0xffffffff on the bits 0xffffffff']);
  });

  test('the exported files compile (-Wall -Wextra -Werror, -c) against declarations of libqtest and GLib (tools/qemu/qtest-stub: no QEMU tree here)', () => {
    for (const t of ['witnesses/igroupr-guest-write-rev1-v3.gtr', 'witnesses/igroupr-guest-write-rev1-v2.gtr', 'guests/igroupr-rw-v3.gtr', 'guests/kut-active-v2.gtr']) {
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
      expect(f.out).toContain('not ok 1 - event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4): QEMU answered 0xf0f0f0f, expected 0xf0f0f0e');
      const s = await runCli(['export', trace('witnesses/grp0-fiq-rev1-v3.gtr'), '--policy', 'rev3', '--format', 'qtest', '-o', out]);
      expect(s.code).toBe(2);
      expect(s.err).toContain('event 2: --format qtest exports MMIO-only traces: event 2 is a system-register write');
    } finally {
      fs.rmSync(out, { force: true });
    }
  });
});
