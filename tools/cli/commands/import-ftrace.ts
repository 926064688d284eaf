import type { Argv } from 'yargs';
import { DEFAULT_VCPU_COMM, defaultFtraceOutput, importFtrace, TRACE_CLOCKS, UsageError } from '../../../engine';
import { summaryLines } from '../output';

// `gicreplay import ftrace FILE`: thin layer over engine/sources/ftrace/importer.ts.
export function importFtraceCommand(y: Argv): Argv {
  return y.command(
    'ftrace <file>',
    'Import a KVM/arm64 host ftrace text file (tracefs trace / trace_pipe, or trace-cmd report)',
    (c) =>
      c
        .positional('file', { type: 'string', demandOption: true, describe: 'ftrace text recorded with the kvm events' })
        .option('o', { alias: 'output', type: 'string', describe: 'trace to write (default: FILE with .gtr)' })
        .option('gic', { type: 'number', demandOption: true, choices: [2, 3], describe: 'GIC version the VM had' })
        .option('map', { type: 'string', default: 'virt', describe: 'guest memory map: virt (QEMU virt) or a JSON file (engine/sources/ftrace/README.md)' })
        .option('cpus', { type: 'number', describe: 'vCPUs (default: from the vCPU threads and fields in the trace)' })
        .option('spis', { type: 'number', describe: 'SPIs, KVM nr_spis (default: the map\'s; 256 on virt)' })
        .option('its', { type: 'boolean', describe: 'GICv3 on virt: the VM has an ITS (default yes; --no-its for none)' })
        .option('vcpu-comm', { type: 'string', default: DEFAULT_VCPU_COMM, describe: 'regex over thread names; group 1 = vCPU index' })
        .option('tgid', { type: 'number', describe: 'keep only this thread group (needs options/record-tgid)' })
        .option('clock', { type: 'string', default: 'local', choices: [...TRACE_CLOCKS], describe: 'trace_clock used when recording (the text does not say)' })
        .option('cntfrq', { type: 'string', describe: 'guest CNTFRQ_EL0 in Hz, for the header (default 1000000000)' })
        .option('detail', { type: 'string', array: true, describe: 'extra provenance fact KEY=VALUE for the header (repeatable), e.g. constructed=path/to/generator' })
        .option('blind-spot', { type: 'string', array: true, describe: 'what this recording\'s guest or VMM hides beyond any host trace, for the header\'s blind spots (repeatable)' }),
    (a) => {
      const file = a.file as string;
      let cntfrq: bigint | undefined;
      if (a.cntfrq !== undefined) {
        if (!/^[1-9]\d*$/.test(a.cntfrq)) throw new UsageError(`--cntfrq ${a.cntfrq}: give a positive integer in Hz`);
        cntfrq = BigInt(a.cntfrq);
      }
      const details: Record<string, string> = {};
      for (const d of (a.detail as string[] | undefined) ?? []) {
        const m = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/.exec(d);
        if (!m) throw new UsageError(`--detail ${d}: give KEY=VALUE`);
        details[m[1]] = m[2];
      }
      const out = a.o ?? defaultFtraceOutput(file);
      const r = importFtrace({
        file,
        out,
        gic: a.gic as 2 | 3,
        map: a.map,
        cpus: a.cpus,
        spis: a.spis,
        its: a.its,
        vcpuComm: a['vcpu-comm'],
        tgid: a.tgid,
        clock: a.clock,
        cntfrq,
        details,
        blindSpots: (a['blind-spot'] as string[] | undefined) ?? [],
      });
      const c = r.stats.counts;
      const lines = [
        `${out}: ${r.trailer.events} events (${c.mmioReads} MMIO reads, ${c.mmioWrites} MMIO writes, ${c.sysregReads} sysreg reads, ${c.sysregWritesWithoutValue} sysreg writes without value, ${c.lines} line changes, ${c.userAccesses} VMM device-attribute calls, ${c.markers} markers), ${r.header.gic.cpus.length} vCPU${r.header.gic.cpus.length === 1 ? '' : 's'}`,
        `ignored: ${c.outsideGic} accesses outside the GIC frames, ${Object.values(r.stats.otherEvents).reduce((x, y) => x + y, 0)} other events, ${Object.values(c.otherSysregs).reduce((x, y) => x + y, 0)} non-GIC sysreg accesses, ${c.announcements} line announcements folded, ${c.sameLevel} same-level PPI updates, ${c.rejectedLines} rejected line updates`,
      ];
      if (r.stats.lostEvents.length) lines.push(`warning: the ring buffer lost events ${r.stats.lostEvents.length} time(s); the trace is incomplete there`);
      if (c.mmioUnknownVcpu) lines.push(`warning: ${c.mmioUnknownVcpu} GIC accesses from threads --vcpu-comm does not match (vCPU unknown)`);
      summaryLines(out, lines);
      process.exitCode = 0;
    },
  );
}
