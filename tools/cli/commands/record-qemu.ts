import type { Argv } from 'yargs';
import { formatImportSummary, recordQemu } from '../../../engine';
import { Output } from '../output';

export function recordQemuCommand(y: Argv): Argv {
  return y.command(
    'qemu',
    'Run a guest under qemu-system-aarch64 (TCG, deterministic flags) with GIC tracing and import the log',
    (c) =>
      c
        .option('gic', { type: 'number', demandOption: true, choices: [2, 3], describe: 'GIC version (-M virt,gic-version=N)' })
        .option('smp', { type: 'number', default: 1, describe: 'vCPU count' })
        .option('kernel', { type: 'string', describe: 'Linux Image to boot (e.g. Debian\'s vmlinuz-*-arm64)' })
        .option('initrd', { type: 'string', describe: 'initramfs for --kernel' })
        .option('virtio-blk', { type: 'string', describe: 'raw disk image attached read-only as virtio-blk-pci (its MSIs go through the ITS)' })
        .option('append', { type: 'string', describe: 'kernel command line (default: console=ttyAMA0 panic=-1)' })
        .option('guest', { type: 'string', describe: 'bare-metal ELF guest (make -C tools/qemu/guests)' })
        .option('o', { alias: 'output', type: 'string', describe: 'trace to write (default: qemu-gicN-smpM.gtr)' })
        .option('keep-log', { type: 'string', describe: 'also keep QEMU\'s raw trace log here' })
        .option('console', { type: 'boolean', default: false, describe: 'print the guest console' })
        .option('thread-ids', { type: 'boolean', default: false, describe: 'multi-threaded TCG with -msg timestamp=on: distributor accesses get their vCPU, runs are no longer reproducible' })
        .option('timeout', { type: 'number', describe: 'seconds before QEMU is stopped (default 60 for --guest, 300 for --kernel)' })
        .conflicts('kernel', 'guest'),
    (a) => {
      const out = (a.o as string | undefined) ?? `qemu-gic${a.gic}-smp${a.smp}.gtr`;
      const r = recordQemu({
        gic: a.gic as 2 | 3,
        smp: a.smp,
        kernel: a.kernel,
        initrd: a.initrd,
        virtioBlk: a['virtio-blk'],
        append: a.append,
        guest: a.guest,
        out,
        keepLog: a['keep-log'],
        timeoutSec: a.timeout,
        threadIds: a['thread-ids'],
      });
      const o = new Output();
      if (a.console) for (const l of r.console.replace(/\r/g, '').split('\n')) o.line(l);
      o.line(`${r.qemuVersion}: ${r.command.join(' ')}`);
      const result = /RESULT: (PASS|FAIL)/.exec(r.console);
      if (result) o.line(`guest result: ${result[1]}`);
      for (const l of formatImportSummary(out, r.stats, r.trailer)) o.line(l);
      o.flush();
      process.exitCode = 0;
    },
  );
}
