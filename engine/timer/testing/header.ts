// A minimal trace header for timer and replay tests (not used at run time).

import { kvmMpidr, TimerConfig, TRACE_FORMAT_MAJOR, TRACE_FORMAT_MINOR, TRACE_MAGIC, TraceHeader } from '../../trace/events';

export function timerTestHeader(timer: Partial<TimerConfig> = {}, cpus = 2, version: 2 | 3 = 3): TraceHeader {
  return {
    magic: TRACE_MAGIC,
    formatMajor: TRACE_FORMAT_MAJOR,
    formatMinor: TRACE_FORMAT_MINOR,
    writer: 'test',
    gic: {
      version,
      cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })),
      spis: 64,
      its: false,
      frames: version === 3 ? { dist: 0x8000000n, redist: [0x80a0000n] } : { dist: 0x8000000n, cpuif: 0x8010000n },
    },
    timer: {
      cntfrq: 62_500_000n,
      counterPerCycle: { num: 1n, den: 1n },
      virtualOffset: 0n,
      physicalOffset: 0n,
      ...timer,
    },
    provenance: { kind: 'hand', tool: 'test', command: 'test', blindSpots: [], cycles: 'test', details: {} },
  };
}
