// Deterministic synthetic traces for tests and measurements (memory, decode speed). A fixed
// xorshift sequence, never Math.random: the same arguments always give the same bytes.

import { EventKind, Frame, kvmMpidr, TraceEvent, TraceHeader } from './events';
import { sysregEncoding } from '../arch/sysregs';
import { writeTrace } from './writer';

export function synthHeader(cpus = 4, version: 2 | 3 = 3): TraceHeader {
  return {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: 0,
    writer: 'gicreplay synth',
    gic: {
      version,
      cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })),
      spis: 64,
      its: false,
      frames: version === 3 ? { dist: 0x08000000n, redist: [0x080a0000n] } : { dist: 0x08000000n, cpuif: 0x08010000n },
    },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 16n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: {
      kind: 'hand',
      tool: 'gicreplay synth',
      command: `synth ${cpus} cpus GICv${version}`,
      blindSpots: ['synthetic: no guest behind these accesses'],
      cycles: 'synthetic, strictly increasing by 1..64',
      details: {},
    },
  };
}

const IAR1 = sysregEncoding(3, 0, 12, 12, 0);
const EOIR1 = sysregEncoding(3, 0, 12, 12, 1);
const CNTVCT = sysregEncoding(3, 3, 14, 0, 2);

/** `count` GICv3 events: distributor and redistributor MMIO, ICC and counter sysregs, lines, markers. */
export function* synthEvents(count: number, cpus = 4, startCycle = 1000n): Generator<TraceEvent> {
  let x = 0x2545f491;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  let cycle = startCycle;
  for (let i = 0; i < count; i++) {
    const r = rnd();
    cycle += BigInt(1 + (r & 63));
    const cpu = (r >>> 6) % cpus;
    switch ((r >>> 10) % 8) {
      case 0:
        yield { kind: EventKind.MmioRead, cycle, cpu, frame: Frame.Dist, index: 0, offset: 0x100 + 4 * ((r >>> 14) & 7), size: 4, observed: BigInt(rnd()) };
        break;
      case 1:
        yield { kind: EventKind.MmioWrite, cycle, cpu, frame: Frame.Dist, index: 0, offset: 0x400 + 4 * ((r >>> 14) & 15), size: 4, value: BigInt(rnd()) };
        break;
      case 2:
        // GICD_IROUTER<n>: 64-bit, values above 2^32 (Aff3 lives in bits 39:32).
        yield { kind: EventKind.MmioWrite, cycle, cpu, frame: Frame.Dist, index: 0, offset: 0x6100 + 8 * ((r >>> 14) & 31), size: 8, value: (BigInt(rnd() & 0xff) << 32n) | BigInt(cpu) };
        break;
      case 3:
        yield { kind: EventKind.MmioRead, cycle, cpu, frame: Frame.RedistRd, index: cpu, offset: 0x14, size: 4, observed: null };
        break;
      case 4:
        yield { kind: EventKind.SysregRead, cycle, cpu, enc: IAR1, observed: BigInt(32 + (rnd() & 31)) };
        break;
      case 5:
        yield { kind: EventKind.SysregWrite, cycle, cpu, enc: EOIR1, value: BigInt(32 + (rnd() & 31)) };
        break;
      case 6:
        yield { kind: EventKind.SysregRead, cycle, cpu, enc: CNTVCT, observed: (cycle * 0x10001n) & 0xffffffffffffffffn };
        break;
      default:
        if ((r >>> 20) & 1) yield { kind: EventKind.Line, cycle, intid: 32 + ((r >>> 14) & 63), cpu: null, level: ((r >>> 21) & 1) as 0 | 1 };
        else yield { kind: EventKind.Marker, cycle, cpu, text: `checkpoint ${i}` };
        break;
    }
  }
}

/** Write a synthetic GICv3 trace of `count` events to `file`. */
export function writeSynthTrace(file: string, count: number, cpus = 4, startCycle = 1000n): void {
  writeTrace(file, synthHeader(cpus, 3), synthEvents(count, cpus, startCycle));
}
