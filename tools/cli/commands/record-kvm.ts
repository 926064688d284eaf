import type { Argv } from 'yargs';
import { NestedHost, NativeHost, readBlindSpots, recordKvm } from '../../../engine';
import { Output } from '../output';

// `gicreplay record kvm`: thin layer over engine/backend/kvm/record.ts.
export function recordKvmCommand(y: Argv): Argv {
  return y.command(
    'kvm',
    'Run a bare-metal guest on real KVM (a minimal VMM with QEMU virt\'s layout) and import the host\'s ftrace',
    (c) =>
      c
        .option('gic', { type: 'number', demandOption: true, choices: [2, 3], describe: 'GIC version of the VM (and of the nested host)' })
        .option('smp', { type: 'number', default: 1, describe: 'vCPU count' })
        .option('guest', { type: 'string', demandOption: true, describe: 'bare-metal AArch64 ELF guest (make -C tools/qemu/guests)' })
        .option('kernel', { type: 'string', describe: 'nested host: the arm64 kernel Image KVM runs in (default: the newest in the cache)' })
        .option('kvm-host', { type: 'string', choices: ['nested', 'native'], default: 'nested', describe: 'where KVM runs' })
        .option('kvm-append', { type: 'string', describe: 'nested host: extra kernel command-line words (e.g. kvm-arm.vgic_v3_common_trap=1)' })
        .option('o', { alias: 'output', type: 'string', describe: 'trace to write (default: kvm-gicN-smpM.gtr)' })
        .option('keep-ftrace', { type: 'string', describe: 'where to keep the host\'s raw ftrace text (default: the trace\'s name with .ftrace.txt)' })
        .option('console', { type: 'boolean', default: false, describe: 'print the guest console' })
        .option('ram-mib', { type: 'number', describe: 'guest RAM at 0x40000000 in MiB (default 64; 128 for the Linux guest of tools/kvm/linux-guest)' })
        .option('timeout', { type: 'number', default: 60, describe: 'seconds the guest may run before it is stopped' })
        .option('blind-spots', { type: 'string', describe: 'file of this guest\'s own blind spots for the trace header, one per line (e.g. tools/kvm/linux-guest/blind-spots.txt)' }),
    (a) => {
      const out = (a.o as string | undefined) ?? `kvm-gic${a.gic}-smp${a.smp}.gtr`;
      const host = a['kvm-host'] === 'native' ? new NativeHost() : new NestedHost({ kernel: a.kernel, append: a['kvm-append'] });
      const r = recordKvm({ gic: a.gic as 2 | 3, smp: a.smp, guest: a.guest, out, keepFtrace: a['keep-ftrace'], timeoutMs: Math.round(a.timeout * 1000), ramMiB: a['ram-mib'], blindSpots: a['blind-spots'] === undefined ? undefined : readBlindSpots(a['blind-spots']), host });
      const o = new Output();
      if (a.console) for (const l of r.console.split('\n')) o.line(l);
      o.line(r.hostDescription);
      const result = /RESULT: (PASS|FAIL)/.exec(r.console);
      o.line(`guest ended: ${r.ended}${result ? `, result: ${result[1]}` : ''}`);
      const c = r.import.stats.counts;
      o.line(`wrote ${out}: ${r.import.trailer.events} events (${c.mmioReads} MMIO reads, ${c.mmioWrites} MMIO writes, ${c.sysregWritesWithoutValue} SGI writes without value, ${c.lines} line changes, ${c.userAccesses} VMM device-attribute calls, ${c.markers} markers) from ${r.import.stats.eventLines} ftrace event lines`);
      if (r.ftraceFile) o.line(`host ftrace text: ${r.ftraceFile}`);
      if (r.import.stats.lostEvents.length) o.line(`warning: the ring buffer lost events ${r.import.stats.lostEvents.length} time(s)`);
      o.flush();
      process.exitCode = 0;
    },
  );
}
