// A deterministic synthetic GICv3 guest for the benchmark: a Linux-like set-up, then a steady
// state of about 60 % MMIO, 30 % system-register and 10 % line events with every vCPU's virtual
// timer armed and re-armed from its handler, so replay exercises the whole hot path (dispatch,
// register handlers, the interrupt state machine, timer PPIs firing between events).
// A fixed LCG drives every choice: the same arguments always give the same events.

import { sysregByName } from '../../engine/arch/sysregs';
import { EventKind, Frame, kvmMpidr, TraceEvent, TraceHeader } from '../../engine/trace/events';

const sys = (name: string): number => {
  const s = sysregByName(name);
  if (!s) throw new Error(`no sysreg ${name}`);
  return s.enc;
};
const ICC_SRE = sys('ICC_SRE_EL1');
const ICC_PMR = sys('ICC_PMR_EL1');
const ICC_BPR1 = sys('ICC_BPR1_EL1');
const ICC_CTLR = sys('ICC_CTLR_EL1');
const ICC_IGRPEN1 = sys('ICC_IGRPEN1_EL1');
const ICC_IAR1 = sys('ICC_IAR1_EL1');
const ICC_EOIR1 = sys('ICC_EOIR1_EL1');
const ICC_SGI1R = sys('ICC_SGI1R_EL1');
const CNTV_CTL = sys('CNTV_CTL_EL0');
const CNTV_CVAL = sys('CNTV_CVAL_EL0');
const CNTVCT = sys('CNTVCT_EL0');

export const SYNTH_CPUS = 4;
export const SYNTH_SPIS = 96;
/** Guest cycles per counter tick (2 GHz CPU, 62.5 MHz counter). */
const CYCLES_PER_TICK = 32n;
/** Virtual-timer period in counter ticks (~40 us); about 2 timer interrupts per 100 events. */
const TIMER_PERIOD = 2500n;
/** SPIs the synthetic devices raise. */
const DEVICE_SPIS = [33, 34, 40, 41, 48, 57, 64, 72];

export function synthGuestHeader(): TraceHeader {
  return {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: 0,
    writer: '',
    gic: {
      version: 3,
      cpus: Array.from({ length: SYNTH_CPUS }, (_, i) => ({ mpidr: kvmMpidr(i) })),
      spis: SYNTH_SPIS,
      its: false,
      frames: { dist: 0x08000000n, redist: [0x080a0000n] },
    },
    timer: { cntfrq: 62_500_000n, counterPerCycle: { num: 1n, den: CYCLES_PER_TICK }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: {
      kind: 'hand',
      tool: 'gicreplay bench (tools/bench/synth-guest.ts)',
      command: 'npm run bench',
      blindSpots: ['synthetic: a scripted mix, not a real guest; read values are not recorded'],
      cycles: 'synthetic: 100..699 cycles between events, 32 cycles per counter tick',
      details: {},
    },
  };
}

/** The events of the synthetic guest, `count` of them (the set-up counts towards `count`). */
export function* synthGuestEvents(count: number): Generator<TraceEvent> {
  let seed = 0x1234567;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let cycle = 1000n;
  let emitted = 0;
  const tick = () => {
    cycle += BigInt(100 + rnd(600));
  };
  const mmioW = (cpu: number, frame: Frame, index: number, offset: number, size: 1 | 2 | 4 | 8, value: bigint): TraceEvent => {
    tick();
    return { kind: EventKind.MmioWrite, cycle, cpu, frame, index, offset, size, value };
  };
  const mmioR = (cpu: number, frame: Frame, index: number, offset: number, size: 1 | 2 | 4 | 8): TraceEvent => {
    tick();
    return { kind: EventKind.MmioRead, cycle, cpu, frame, index, offset, size, observed: null };
  };
  const sysW = (cpu: number, enc: number, value: bigint): TraceEvent => {
    tick();
    return { kind: EventKind.SysregWrite, cycle, cpu, enc, value };
  };
  const sysR = (cpu: number, enc: number): TraceEvent => {
    tick();
    return { kind: EventKind.SysregRead, cycle, cpu, enc, observed: null };
  };
  const lineEv = (intid: number, level: 0 | 1): TraceEvent => {
    tick();
    return { kind: EventKind.Line, cycle, intid, cpu: null, level };
  };

  const setup: TraceEvent[] = [];
  // Distributor (Linux gic_dist_init): disable, configure every SPI, route, enable with ARE.
  setup.push(mmioW(0, Frame.Dist, 0, 0x0, 4, 0n), mmioR(0, Frame.Dist, 0, 0x0, 4), mmioR(0, Frame.Dist, 0, 0x4, 4));
  for (let i = 32; i < 32 + SYNTH_SPIS; i += 32) {
    setup.push(mmioW(0, Frame.Dist, 0, 0x80 + i / 8, 4, 0xffffffffn)); // IGROUPR: group 1
    setup.push(mmioW(0, Frame.Dist, 0, 0x180 + i / 8, 4, 0xffffffffn)); // ICENABLER
    setup.push(mmioW(0, Frame.Dist, 0, 0x380 + i / 8, 4, 0xffffffffn)); // ICACTIVER
  }
  for (let i = 32; i < 32 + SYNTH_SPIS; i += 16) setup.push(mmioW(0, Frame.Dist, 0, 0xc00 + i / 4, 4, 0n)); // ICFGR: level
  for (let i = 32; i < 32 + SYNTH_SPIS; i += 4) setup.push(mmioW(0, Frame.Dist, 0, 0x400 + i, 4, 0xa0a0a0a0n)); // IPRIORITYR
  setup.push(mmioW(0, Frame.Dist, 0, 0x0, 4, 0x12n), mmioR(0, Frame.Dist, 0, 0x0, 4)); // ARE | EnableGrp1
  for (let i = 32; i < 32 + SYNTH_SPIS; i++) setup.push(mmioW(0, Frame.Dist, 0, 0x6000 + i * 8, 8, BigInt(i % SYNTH_CPUS))); // IROUTER
  for (const spi of DEVICE_SPIS) setup.push(mmioW(0, Frame.Dist, 0, 0x100 + Math.floor(spi / 32) * 4, 4, 1n << BigInt(spi % 32)));
  // Each vCPU (gic_cpu_init, timer set-up): wake the redistributor, PPIs/SGIs, CPU interface, timer.
  const cval: bigint[] = [];
  for (let cpu = 0; cpu < SYNTH_CPUS; cpu++) {
    setup.push(mmioR(cpu, Frame.RedistRd, cpu, 0x8, 8), mmioW(cpu, Frame.RedistRd, cpu, 0x14, 4, 0n), mmioR(cpu, Frame.RedistRd, cpu, 0x14, 4));
    setup.push(mmioW(cpu, Frame.RedistSgi, cpu, 0x80, 4, 0xffffffffn)); // IGROUPR0
    setup.push(mmioW(cpu, Frame.RedistSgi, cpu, 0x180, 4, 0xffff0000n), mmioW(cpu, Frame.RedistSgi, cpu, 0x100, 4, 0x0000ffffn));
    for (let i = 0; i < 32; i += 4) setup.push(mmioW(cpu, Frame.RedistSgi, cpu, 0x400 + i, 4, 0xa0a0a0a0n));
    setup.push(sysW(cpu, ICC_SRE, 7n), sysW(cpu, ICC_PMR, 0xf0n), sysW(cpu, ICC_BPR1, 0n), sysW(cpu, ICC_CTLR, 0n), sysW(cpu, ICC_IGRPEN1, 1n));
    setup.push(mmioW(cpu, Frame.RedistSgi, cpu, 0x100, 4, (1n << 27n) | (1n << 30n))); // enable the timer PPIs
    cval.push(cycle / CYCLES_PER_TICK + TIMER_PERIOD + BigInt(rnd(500)));
    setup.push(sysW(cpu, CNTV_CVAL, cval[cpu]), sysW(cpu, CNTV_CTL, 1n));
  }
  for (const ev of setup) {
    if (emitted++ >= count) return;
    yield ev;
  }

  // Steady state. Units: one MMIO access; a device interrupt (line up, IAR, line down, EOI); an
  // IPI (SGI1R write, IAR and EOI on the target); a timer interrupt on a vCPU whose deadline has
  // passed (IAR, mask, new CVAL, unmask, EOI, counter read).
  let masked = -1;
  const unit: TraceEvent[] = [];
  while (emitted < count) {
    unit.length = 0;
    const now = cycle / CYCLES_PER_TICK;
    const due = cval.findIndex((c) => c <= now);
    if (due >= 0) {
      const cpu = due;
      cval[cpu] = now + TIMER_PERIOD + BigInt(rnd(500));
      unit.push(sysR(cpu, ICC_IAR1), sysW(cpu, CNTV_CTL, 3n), sysW(cpu, CNTV_CVAL, cval[cpu]), sysW(cpu, CNTV_CTL, 1n), sysW(cpu, ICC_EOIR1, 27n), sysR(cpu, CNTVCT));
    } else {
      const r = rnd(1000);
      if (r < 889) {
        const cpu = rnd(SYNTH_CPUS);
        const m = rnd(100);
        if (masked >= 0) {
          unit.push(mmioW(cpu, Frame.Dist, 0, 0x100 + Math.floor(masked / 32) * 4, 4, 1n << BigInt(masked % 32))); // unmask
          masked = -1;
        } else if (m < 20) {
          masked = DEVICE_SPIS[rnd(DEVICE_SPIS.length)];
          unit.push(mmioW(cpu, Frame.Dist, 0, 0x180 + Math.floor(masked / 32) * 4, 4, 1n << BigInt(masked % 32))); // mask
        } else if (m < 35) unit.push(mmioR(cpu, Frame.Dist, 0, 0x200 + 4 * (1 + rnd(3)), 4)); // ISPENDR
        else if (m < 45) unit.push(mmioR(cpu, Frame.Dist, 0, 0x300 + 4 * (1 + rnd(3)), 4)); // ISACTIVER
        else if (m < 55) unit.push(mmioW(cpu, Frame.Dist, 0, 0x400 + 32 + rnd(SYNTH_SPIS), 1, BigInt(0x80 + 0x10 * rnd(8)))); // IPRIORITYR byte
        else if (m < 65) unit.push(mmioR(cpu, Frame.Dist, 0, 0x0, 4)); // CTLR (RWP poll)
        else if (m < 75) unit.push(mmioR(cpu, Frame.RedistSgi, cpu, 0x200, 4)); // GICR_ISPENDR0
        else if (m < 85) unit.push(mmioR(cpu, Frame.RedistSgi, cpu, 0x100, 4)); // GICR_ISENABLER0
        else if (m < 92) unit.push(mmioR(cpu, Frame.RedistRd, cpu, 0x0, 4)); // GICR_CTLR
        else unit.push(mmioR(cpu, Frame.Dist, 0, 0x6000 + (32 + rnd(SYNTH_SPIS)) * 8, 8)); // IROUTER
      } else if (r < 963) {
        const spi = DEVICE_SPIS[rnd(DEVICE_SPIS.length)];
        const cpu = spi % SYNTH_CPUS;
        unit.push(lineEv(spi, 1), sysR(cpu, ICC_IAR1), lineEv(spi, 0), sysW(cpu, ICC_EOIR1, BigInt(spi)));
      } else {
        const from = rnd(SYNTH_CPUS);
        const to = (from + 1 + rnd(SYNTH_CPUS - 1)) % SYNTH_CPUS;
        const sgi = rnd(8);
        unit.push(sysW(from, ICC_SGI1R, (BigInt(sgi) << 24n) | (1n << BigInt(to))), sysR(to, ICC_IAR1), sysW(to, ICC_EOIR1, BigInt(sgi)));
      }
    }
    for (const ev of unit) {
      if (emitted++ >= count) return;
      yield ev;
    }
  }
}

export interface SynthMix {
  events: number;
  mmio: number;
  sysreg: number;
  line: number;
  timerWrites: number;
}

/** Count the mix of an event sequence (for the report). */
export function tallyMix(events: Iterable<TraceEvent>): SynthMix {
  const m: SynthMix = { events: 0, mmio: 0, sysreg: 0, line: 0, timerWrites: 0 };
  for (const ev of events) {
    m.events++;
    if (ev.kind === EventKind.MmioRead || ev.kind === EventKind.MmioWrite) m.mmio++;
    else if (ev.kind === EventKind.SysregRead || ev.kind === EventKind.SysregWrite) {
      m.sysreg++;
      if (ev.kind === EventKind.SysregWrite && (ev.enc === CNTV_CTL || ev.enc === CNTV_CVAL)) m.timerWrites++;
    } else if (ev.kind === EventKind.Line) m.line++;
  }
  return m;
}
