// `gicreplay export` and `gicreplay run-repro`: thin layers over engine/export.

import * as path from 'path';
import type { Argv } from 'yargs';
import { EXPORT_FORMATS, ExportFormat, exportTrace, findProjectRoot, parseQtest, readInputText, runQtest, runRepros, UsageError, writeOutputFile } from '../../../engine';
import { Output, summaryLines } from '../output';
import { backendOptions, kvmHostFrom } from './backend';
import { chosenPolicies, policyOptions } from '../policy-args';

export function exportCommand(y: Argv): Argv {
  return y
    .command(
      'export <trace>',
      'Write a trace as a standalone C program (or, --format kvm-selftest, a KVM selftest) for an arm64 Linux host with /dev/kvm that checks every read value, errno and IRQ/FIQ state the golden of --policy records (TAP, exit 1 at the first mismatch)',
      (c) =>
        policyOptions(c, { count: 'one' })
          .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
          .option('format', { type: 'string', choices: [...EXPORT_FORMATS], default: 'c', describe: 'c: a standalone C program (aarch64-linux-gnu-gcc -static; gicreplay run-repro runs it); kvm-selftest: a test for the kernel\'s tools/testing/selftests/kvm/arm64/ (its library, GUEST_SYNC, TEST_ASSERT, ksft TAP), the same operations and checks; qtest: for an MMIO-only trace, a test for QEMU\'s tests/qtest/ checking the reads and CPU 0\'s IRQ/FIQ on QEMU\'s virt GIC (gicreplay run-qtest runs it)' })
          .option('o', { alias: 'output', type: 'string', demandOption: true, describe: 'where to write it (atomically; - for standard output)' }),
      (a) => {
        const root = findProjectRoot(process.cwd());
        // --policy: whose golden the program checks (the kernel is put in its revision through GICD_IIDR).
        const sel = chosenPolicies(a, root, { count: 'one', command: 'export' });
        const policy = sel.chosen[0];
        const r = exportTrace(a.trace as string, policy, a.format as ExportFormat, root, sel.files);
        const out = a.o as string;
        writeOutputFile(out, r.text, { what: 'reproducer', inputs: [a.trace as string], inPlace: true });
        const next: Record<ExportFormat, string> = {
          'kvm-selftest': `build it in a kernel tree (add its name to TEST_GEN_PROGS_arm64 in tools/testing/selftests/kvm/Makefile.kvm): cp ${out} tools/testing/selftests/kvm/arm64/ && make -C tools/testing/selftests/kvm`,
          c: `run it: gicreplay run-repro ${out}   (or on an arm64 host: aarch64-linux-gnu-gcc -static -O2 -o repro ${out} && ./repro)`,
          qtest: `run it on the installed QEMU: gicreplay run-qtest ${out}   (or in QEMU's tree: copy it to tests/qtest/ and add it to qtests_aarch64 in tests/qtest/meson.build)`,
        };
        summaryLines(out, [`wrote ${out}: ${r.operations ?? r.plan.steps.length} operations, ${r.checks ?? r.plan.checks} checks of ${r.golden ?? `the model's replay under ${policy.id} (no golden)`}`, next[a.format as ExportFormat]]);
      },
    )
    .command(
      'run-qtest <files..>',
      'Run exported qtests (export --format qtest) against the installed qemu-system-aarch64 through the qtest protocol, without QEMU\'s tree: TAP per check (each read, and CPU 0\'s IRQ/FIQ after each access); exit 1 when any differs',
      (c) =>
        c
          .positional('files', { type: 'string', array: true, demandOption: true, describe: 'C files written by `gicreplay export --format qtest`' })
          .option('qemu', { type: 'string', default: 'qemu-system-aarch64', describe: 'the QEMU binary' })
          .option('verbose', { type: 'boolean', default: false, describe: 'print every TAP line, not only failures' }),
      async (a) => {
        const files = a.files as string[];
        const out = new Output();
        let failed = 0;
        for (const f of files) {
          const r = await runQtest(parseQtest(readInputText(f, 'qtest', 64 << 20), f), f, a.qemu as string);
          if (r.failed) failed++;
          out.line(`${r.failed ? 'FAIL' : 'PASS'} ${f} (GICv${r.gic}): ${r.checks - r.failed} of ${r.checks} checks as expected (reads, CPU 0's IRQ/FIQ)`);
          for (const l of a.verbose ? r.tap : r.tap.filter((x) => x.startsWith('not ok'))) out.line(`  ${l}`);
        }
        out.line(`${failed ? 'FAIL' : 'ok'} ${files.length - failed} of ${files.length} qtests passed on ${a.qemu as string}`);
        out.flush();
        process.exitCode = failed ? 1 : 0;
      },
    )
    .command(
      'run-repro <files..>',
      'Compile exported C reproducers and run them on real KVM (/dev/kvm on an arm64 host, else all of one GIC version in one boot of the nested host); exit 1 when any fails',
      (c) =>
        backendOptions(c, 'kvm')
          .positional('files', { type: 'string', array: true, demandOption: true, describe: 'C files written by `gicreplay export --format c`' })
          .option('verbose', { type: 'boolean', default: false, describe: 'print every TAP line, not only failures' }),
      (a) => {
        const host = kvmHostFrom(a);
        if (!host) throw new UsageError('run-repro runs on real KVM: --backend kvm or kvm:IMAGE');
        const files = a.files as string[];
        const runs = runRepros(files.map((f) => ({ name: path.basename(f), text: readInputText(f, 'reproducer', 64 << 20) })), host);
        const out = new Output();
        let failed = 0;
        runs.forEach((r, i) => {
          const pass = r.exit === 0;
          if (!pass) failed++;
          const checks = r.output.filter((l) => /^(not )?ok \d+/.test(l)).length;
          out.line(`${pass ? 'PASS' : 'FAIL'} ${files[i]} (GICv${r.gic}): ${r.exit === null ? 'killed' : `exit ${r.exit}`}, ${checks} checks`);
          const shown = a.verbose ? r.output : r.output.filter((l) => /^(not ok|# {3}|Bail out!)/.test(l));
          for (const l of shown) out.line(`  ${l}`);
        });
        out.line(`${failed ? 'FAIL' : 'ok'} ${runs.length - failed} of ${runs.length} reproducers passed on ${host.describe().replace(/, results via .*$/, '')}`);
        out.flush();
        process.exitCode = failed ? 1 : 0;
      },
    );
}
