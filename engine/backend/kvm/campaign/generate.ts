// Seeded random access streams for the differential campaign: well-formed traces (every event
// passes the trace validator) that reach every register class of GICv2 and GICv3. The stream is
// closed-loop against the model: a Replayer runs alongside, so an acknowledge (IAR) is followed by
// the EOI / DIR of the INTID the model handed out, in the EOI mode the guest last programmed.
// What the campaign learns is whether KVM hands out the same one.
//
// Deliberately left out (their answers follow the host's time, comparable.ts): the generic
// timers (no CNT* accesses; PPIs 26..30 are never driven as lines, KVM owns the timer ones).
// ICC_SRE_EL1 is read, never written (SRE is RAO/WI for a KVM GICv3 guest, and a write could
// only make the stream less useful).

import { sysregByName } from '../../../arch/sysregs';
import { Policy } from '../../../policy/policy';
import { ReplayRecord } from '../../../replay/records';
import { Replayer } from '../../../replay/replay';
import { AccessSize, CTRL_INIT, EventKind, Frame, kvmMpidr, TraceEvent, TraceHeader, UserGroup } from '../../../trace/events';
import { EventValidator } from '../../../trace/validate';

/** xorshift128+, seeded through splitmix64: the same seed always gives the same stream. */
export class Prng {
  private a: bigint;
  private b: bigint;
  constructor(seed: number) {
    let s = BigInt(seed >>> 0) | (BigInt(Math.floor(seed / 2 ** 32) >>> 0) << 32n);
    const next = (): bigint => {
      s = (s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
      let z = s;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
      return z ^ (z >> 31n);
    };
    this.a = next();
    this.b = next() | 1n;
  }
  /** 32 random bits. */
  u32(): number {
    let x = this.a;
    const y = this.b;
    this.a = y;
    x = (x ^ (x << 23n)) & 0xffffffffffffffffn;
    this.b = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return Number(((this.b + y) >> 16n) & 0xffffffffn);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.u32() < p * 0x100000000;
  }
}

const enc = (name: string): number => sysregByName(name)!.enc;

/** Register offsets by frame: one row per register the stream may touch. */
interface Reg {
  off: number;
  /** Number of consecutive 32-bit registers (a banked array), 1 for a single register. */
  n?: number;
  size?: AccessSize;
  /** Bytes are accessible (IPRIORITYR, ITARGETSR). */
  bytes?: boolean;
  ro?: boolean;
  wo?: boolean;
}

function distRegs(v: 2 | 3, spis: number): Reg[] {
  const words = (32 + spis) / 32;
  const rows: Reg[] = [
    { off: 0x0 },
    { off: 0x4, ro: true },
    { off: 0x8, ro: true },
    { off: 0x80, n: words },
    { off: 0x100, n: words },
    { off: 0x180, n: words },
    { off: 0x200, n: words },
    { off: 0x280, n: words },
    { off: 0x300, n: words },
    { off: 0x380, n: words },
    { off: 0x400, n: (32 + spis) / 4, bytes: true },
    { off: 0xc00, n: words * 2 },
  ];
  if (v === 3) rows.push({ off: 0xd00, n: words }, { off: 0x6100, n: spis, size: 8 }, { off: 0xffe8, ro: true });
  else rows.push({ off: 0x800, n: (32 + spis) / 4, bytes: true }, { off: 0xf00, wo: true }, { off: 0xf10, n: 4, bytes: true }, { off: 0xf20, n: 4, bytes: true }, { off: 0xfe8, ro: true });
  return v === 3 ? rows.map((r) => (r.off >= 0x80 && r.off < 0x400 ? { ...r, off: r.off + 4, n: (r.n ?? 1) - 1 } : r)) : rows;
}

const REDIST_RD: Reg[] = [{ off: 0x0 }, { off: 0x4, ro: true }, { off: 0x8, size: 8, ro: true }, { off: 0x14 }, { off: 0xffe8, ro: true }];
const REDIST_SGI: Reg[] = [
  { off: 0x80 },
  { off: 0x100 },
  { off: 0x180 },
  { off: 0x200 },
  { off: 0x280 },
  { off: 0x300 },
  { off: 0x380 },
  { off: 0x400, n: 8, bytes: true },
  { off: 0xc00, n: 2 },
  { off: 0xd00 },
];
const GICC: Reg[] = [
  { off: 0x0 },
  { off: 0x4 },
  { off: 0x8 },
  { off: 0x14, ro: true },
  { off: 0x18, ro: true },
  { off: 0x1c },
  { off: 0x28, ro: true },
  { off: 0xd0 },
  { off: 0xfc, ro: true },
];
/** GICv2 CPU_REGS attributes KVM's vgic_v2_cpu_regs has (GICC_CTLR, PMR, BPR, ABPR, APR0, IIDR). */
const V2_USER_CPU: Reg[] = [{ off: 0x0 }, { off: 0x4 }, { off: 0x8 }, { off: 0x1c }, { off: 0xd0 }, { off: 0xfc, ro: true }];
const ICC_RW = ['ICC_PMR_EL1', 'ICC_BPR0_EL1', 'ICC_BPR1_EL1', 'ICC_IGRPEN0_EL1', 'ICC_IGRPEN1_EL1', 'ICC_AP0R0_EL1', 'ICC_AP1R0_EL1'];
const ICC_RO = ['ICC_RPR_EL1', 'ICC_HPPIR0_EL1', 'ICC_HPPIR1_EL1', 'ICC_SRE_EL1', 'ICC_CTLR_EL1'];
const USER_SYSREGS = ['ICC_PMR_EL1', 'ICC_BPR0_EL1', 'ICC_BPR1_EL1', 'ICC_CTLR_EL1', 'ICC_SRE_EL1', 'ICC_IGRPEN0_EL1', 'ICC_IGRPEN1_EL1', 'ICC_AP0R0_EL1', 'ICC_AP1R0_EL1'];
/** PPIs a VMM may drive with KVM_IRQ_LINE: not the timers' (26..30) nor the maintenance interrupt (25). */
const LINE_PPIS = [16, 17, 18, 19, 20, 21, 22, 23, 24, 31];
const PRIVATE_NOT_TIMER = [...Array.from({ length: 16 }, (_, i) => i), ...LINE_PPIS, 25];

/** A TraceEvent before its cycle is known (Omit distributed over the union). */
type Uncycled = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, 'cycle'> : never) : never;

/**
 * The timer PPIs 26..30 are KVM's (hardware-mapped to the host's timer interrupts on a VHE host):
 * their pending and active bits are the host GIC's, set and cleared as the host takes its own
 * timer interrupts, at no instruction the trace can name. The streams leave those bits alone in
 * the pending and active registers of the private interrupts; the timers are outside the
 * campaign (comparable.ts has the rules for traces that program them).
 */
const TIMER_PPI_MASK = 0x7c000000n;

/** Is this the private word of I[SC]PENDR / I[SC]ACTIVER (GICR SGI frame, or GICv2's banked word 0)? */
function hostOwnedWord(frame: Frame, off: number): boolean {
  return (frame === Frame.RedistSgi || frame === Frame.Dist) && off >= 0x200 && off < 0x400 && off % 0x80 === 0;
}

export interface StreamOptions {
  seed: number;
  version: 2 | 3;
  events: number;
  policy: Policy;
}

export interface Stream {
  name: string;
  header: TraceHeader;
  events: TraceEvent[];
}

function header(version: 2 | 3, cpus: number, spis: number, traced: boolean, seed: number): TraceHeader {
  const frames: TraceHeader['gic']['frames'] =
    version === 3 ? { dist: 0x08000000n, redist: Array.from({ length: cpus }, (_, i) => 0x080a0000n + BigInt(i) * 0x20000n) } : { dist: 0x08000000n, cpuif: 0x08010000n };
  return {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: traced ? 1 : 0,
    writer: 'gicreplay campaign',
    gic: { version, cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })), spis, its: false, frames, ...(traced ? { init: 'traced' as const } : {}) },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 16n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: {
      kind: 'hand',
      tool: 'gicreplay fidelity campaign',
      command: `campaign stream seed ${seed} GICv${version}`,
      blindSpots: ['synthetic: a random guest and VMM, closed-loop against the model (acknowledged INTIDs are EOId)'],
      cycles: 'event number × 100',
      details: {},
    },
  };
}

/** One stream. Deterministic in its options. */
export function generateStream(o: StreamOptions): Stream {
  const r = new Prng(o.seed);
  const v = o.version;
  const cpus = r.chance(0.15) ? 1 : 2 + r.int(3);
  const spis = r.pick([32, 64]);
  const traced = r.chance(0.3);
  const h = header(v, cpus, spis, traced, o.seed);
  const name = `v${v}-seed${o.seed}`;
  const validator = new EventValidator(h, name);
  let last: ReplayRecord | undefined;
  const rep = new Replayer(h, { policy: o.policy }, (rec) => {
    if (rec.op === 'read') last = rec;
  });
  const events: TraceEvent[] = [];
  let cycle = 0n;
  const push = (e: Uncycled): ReplayRecord | undefined => {
    cycle += 100n;
    const ev = { ...e, cycle } as TraceEvent;
    validator.check(ev, events.length);
    last = undefined;
    rep.apply(ev, events.length);
    events.push(ev);
    return last;
  };
  const dist = distRegs(v, spis);
  /** Per vCPU: acknowledged INTIDs (raw IAR values) not yet EOId, and whether they were EOId awaiting DIR. */
  const active: { iar: bigint; grp: 0 | 1 }[][] = Array.from({ length: cpus }, () => []);
  const awaitingDir: bigint[][] = Array.from({ length: cpus }, () => []);
  const eoiMode = new Array<boolean>(cpus).fill(false);
  const cpuOf = (): number => r.int(cpus);
  const offsetIn = (reg: Reg): { off: number; size: AccessSize } => {
    const i = r.int(reg.n ?? 1);
    const size = reg.size ?? 4;
    if (reg.bytes && r.chance(0.3)) return { off: reg.off + i * 4 + r.int(4), size: 1 };
    return { off: reg.off + i * size, size };
  };
  const value = (size: AccessSize): bigint => {
    const k = r.int(4);
    const w = k === 0 ? 0n : k === 1 ? 0xffffffffn : BigInt((r.u32() & r.u32()) >>> 0) | BigInt((r.u32() & 0x01010101) >>> 0);
    if (size === 8) return (BigInt(r.u32() & 0xff) << 32n) | BigInt(r.int(cpus));
    return size === 1 ? w & 0xffn : w;
  };
  const priority = (): bigint => BigInt(r.pick([0x00, 0x10, 0x40, 0x80, 0xa0, 0xf0, 0xf8, r.u32() & 0xff]));

  /** The one-off VMM accesses before CTRL_INIT on a traced header. */
  const preInit = (): void => {
    for (let k = 0, m = 1 + r.int(6); k < m; k++) userAccess();
    push({ kind: EventKind.UserWrite, group: UserGroup.Ctrl, cpu: null, offset: CTRL_INIT, size: 4, value: 0n });
  };

  const userAccess = (): void => {
    const write = r.chance(0.4);
    let group: UserGroup;
    let cpu: number | null = null;
    let reg: Reg;
    let off: number;
    if (v === 3) {
      const k = r.int(3);
      if (k === 0) {
        group = UserGroup.DistRegs;
        reg = r.pick(dist.filter((x) => !x.wo && (x.size ?? 4) === 4));
      } else if (k === 1) {
        group = UserGroup.RedistRegs;
        cpu = cpuOf();
        const sgi = r.chance(0.7);
        reg = r.pick((sgi ? REDIST_SGI : REDIST_RD).filter((x) => (x.size ?? 4) === 4));
        if (sgi) reg = { ...reg, off: reg.off + 0x10000 };
      } else {
        group = UserGroup.CpuSysregs;
        cpu = cpuOf();
        const name = r.pick(USER_SYSREGS);
        const val = name === 'ICC_CTLR_EL1' ? (r.chance(0.5) ? 0n : 2n) : name === 'ICC_SRE_EL1' ? 7n : value(4) & 0xffn;
        if (write) push({ kind: EventKind.UserWrite, group, cpu, offset: enc(name), size: 8, value: val });
        else push({ kind: EventKind.UserRead, group, cpu, offset: enc(name), size: 8, observed: null });
        return;
      }
    } else {
      if (r.chance(0.6)) {
        group = UserGroup.DistRegs;
        reg = r.pick(dist.filter((x) => !x.wo));
      } else {
        group = UserGroup.CpuRegs;
        reg = r.pick(V2_USER_CPU);
      }
      cpu = cpuOf();
    }
    const a = offsetIn(reg);
    off = a.off;
    const size: AccessSize = a.size === 1 ? 4 : a.size;
    off &= ~3;
    let val = value(4);
    if ((group === UserGroup.RedistRegs && hostOwnedWord(Frame.RedistSgi, off - 0x10000)) || (group === UserGroup.DistRegs && v === 2 && hostOwnedWord(Frame.Dist, off))) val &= ~TIMER_PPI_MASK;
    if (write && !reg.ro) push({ kind: EventKind.UserWrite, group, cpu, offset: off, size, value: val });
    else push({ kind: EventKind.UserRead, group, cpu, offset: off, size, observed: null });
  };

  const mmio = (frame: Frame, index: number, cpu: number, regs: readonly Reg[], writeP = 0.5): void => {
    const reg = r.pick(regs);
    const { off, size } = offsetIn(reg);
    const write = reg.wo || (!reg.ro && r.chance(writeP));
    if (write) {
      let val = value(size);
      if (hostOwnedWord(frame, off)) val &= ~TIMER_PPI_MASK;
      if (frame === Frame.Dist && off === 0) val = BigInt(r.int(4)) | (v === 3 ? 0x10n : 0n);
      if (frame === Frame.Dist && v === 2 && off === 0xf00) val = sgir(cpu);
      if (frame === Frame.CpuIf && off === 0) {
        val = BigInt((r.u32() & 0x21f) >>> 0);
        eoiMode[cpu] = (val & 0x200n) !== 0n;
      }
      if (frame === Frame.CpuIf && off === 0x4) val = priority();
      push({ kind: EventKind.MmioWrite, cpu, frame, index, offset: off, size, value: val });
    } else push({ kind: EventKind.MmioRead, cpu, frame, index, offset: off, size, observed: null });
  };

  const sgir = (cpu: number): bigint => {
    const filter = BigInt(r.pick([0, 0, 1, 2]));
    const targets = BigInt(r.int(1 << cpus) || 1 << cpu);
    return (filter << 24n) | (targets << 16n) | (r.chance(0.2) ? 0x8000n : 0n) | BigInt(r.int(16));
  };

  const sgi1r = (): bigint => {
    const irm = r.chance(0.2) ? 1n << 40n : 0n;
    return irm | (BigInt(r.int(16)) << 24n) | BigInt(r.int(1 << cpus) || 1);
  };

  /** Make things pending and deliverable: the setup a flow needs. */
  const enableSome = (cpu: number): void => {
    const intid = r.chance(0.5) ? 32 + r.int(spis) : r.pick(PRIVATE_NOT_TIMER);
    const word = Math.floor(intid / 32);
    const bit = BigInt(1 << (intid % 32)) & 0xffffffffn;
    const priv = intid < 32;
    const frame = priv && v === 3 ? Frame.RedistSgi : Frame.Dist;
    const index = priv && v === 3 ? cpu : 0;
    const off = (base: number): number => base + (priv && v === 3 ? 0 : word * 4);
    push({ kind: EventKind.MmioWrite, cpu, frame, index, offset: off(0x100), size: 4, value: bit });
    push({ kind: EventKind.MmioWrite, cpu, frame, index, offset: (priv && v === 3 ? 0x400 : 0x400) + intid, size: 1, value: priority() });
    if (r.chance(0.5)) push({ kind: EventKind.MmioWrite, cpu, frame, index, offset: off(0x80), size: 4, value: r.chance(0.7) ? 0xffffffffn : 0n });
    if (intid >= 32 && v === 2) push({ kind: EventKind.MmioWrite, cpu, frame: Frame.Dist, index: 0, offset: 0x800 + intid, size: 1, value: BigInt(r.int(1 << cpus) || 1) });
    if (intid >= 32 && v === 3 && r.chance(0.5)) push({ kind: EventKind.MmioWrite, cpu, frame: Frame.Dist, index: 0, offset: 0x6100 + (intid - 32) * 8, size: 8, value: r.chance(0.2) ? 1n << 31n : BigInt(r.int(cpus)) });
    if (r.chance(0.5)) {
      if (intid >= 32) push({ kind: EventKind.Line, intid, cpu: null, level: 1 });
      else if (LINE_PPIS.includes(intid)) push({ kind: EventKind.Line, intid, cpu, level: 1 });
      else push({ kind: EventKind.MmioWrite, cpu, frame, index, offset: off(0x200), size: 4, value: bit });
    } else push({ kind: EventKind.MmioWrite, cpu, frame, index, offset: off(0x200), size: 4, value: bit });
  };

  const ack = (cpu: number): void => {
    let iar: bigint;
    let grp: 0 | 1;
    if (v === 3) {
      grp = r.chance(0.3) ? 0 : 1;
      const rec = push({ kind: EventKind.SysregRead, cpu, enc: enc(grp ? 'ICC_IAR1_EL1' : 'ICC_IAR0_EL1'), observed: null });
      iar = rec && rec.op === 'read' ? rec.value : 1023n;
    } else {
      grp = r.chance(0.2) ? 1 : 0;
      const rec = push({ kind: EventKind.MmioRead, cpu, frame: Frame.CpuIf, index: 0, offset: grp ? 0x20 : 0xc, size: 4, observed: null });
      iar = rec && rec.op === 'read' ? rec.value : 1023n;
    }
    if ((iar & 0x3ffn) < 1020n) active[cpu].push({ iar, grp });
  };

  const eoi = (cpu: number): void => {
    const a = active[cpu];
    if (!a.length) return;
    // EOIs mostly in order (the architecture's rule); sometimes an older one first.
    const k = r.chance(0.85) ? a.length - 1 : r.int(a.length);
    const [x] = a.splice(k, 1);
    if (v === 3) push({ kind: EventKind.SysregWrite, cpu, enc: enc(x.grp ? 'ICC_EOIR1_EL1' : 'ICC_EOIR0_EL1'), value: x.iar & 0xffffffn });
    else push({ kind: EventKind.MmioWrite, cpu, frame: Frame.CpuIf, index: 0, offset: x.grp ? 0x24 : 0x10, size: 4, value: x.iar });
    if (eoiMode[cpu]) awaitingDir[cpu].push(x.iar);
  };

  const dir = (cpu: number): void => {
    const d = awaitingDir[cpu];
    if (!d.length) return;
    const [x] = d.splice(r.int(d.length), 1);
    if (v === 3) push({ kind: EventKind.SysregWrite, cpu, enc: enc('ICC_DIR_EL1'), value: x & 0xffffffn });
    else push({ kind: EventKind.MmioWrite, cpu, frame: Frame.CpuIf, index: 0, offset: 0x1000, size: 4, value: x });
  };

  const sysreg = (cpu: number): void => {
    if (r.chance(0.5)) {
      push({ kind: EventKind.SysregRead, cpu, enc: enc(r.pick([...ICC_RW, ...ICC_RO])), observed: null });
      return;
    }
    const name = r.pick([...ICC_RW, 'ICC_CTLR_EL1', 'ICC_SGI1R_EL1', 'ICC_SGI0R_EL1', 'ICC_ASGI1R_EL1']);
    let val: bigint;
    if (name === 'ICC_CTLR_EL1') {
      val = BigInt(r.int(4));
      eoiMode[cpu] = (val & 2n) !== 0n;
    } else if (name.startsWith('ICC_IGRPEN')) val = r.chance(0.8) ? 1n : 0n;
    else if (name === 'ICC_PMR_EL1') val = priority();
    else if (name.startsWith('ICC_BPR')) val = BigInt(r.int(8));
    else if (name.includes('SGI')) val = sgi1r();
    else val = value(4);
    push({ kind: EventKind.SysregWrite, cpu, enc: enc(name), value: val });
  };

  // Start from a useful state most of the time: distributor and CPU interfaces enabled.
  if (traced) preInit();
  if (r.chance(0.8)) {
    push({ kind: EventKind.MmioWrite, cpu: 0, frame: Frame.Dist, index: 0, offset: 0, size: 4, value: v === 3 ? 0x13n : 3n });
    for (let c = 0; c < cpus; c++) {
      if (v === 3) {
        push({ kind: EventKind.SysregWrite, cpu: c, enc: enc('ICC_PMR_EL1'), value: 0xffn });
        push({ kind: EventKind.SysregWrite, cpu: c, enc: enc('ICC_IGRPEN1_EL1'), value: 1n });
        push({ kind: EventKind.SysregWrite, cpu: c, enc: enc('ICC_IGRPEN0_EL1'), value: 1n });
      } else {
        push({ kind: EventKind.MmioWrite, cpu: c, frame: Frame.CpuIf, index: 0, offset: 0x4, size: 4, value: 0xffn });
        const ctl = BigInt(r.pick([0x3, 0x7, 0xb, 0x203]));
        eoiMode[c] = (ctl & 0x200n) !== 0n;
        push({ kind: EventKind.MmioWrite, cpu: c, frame: Frame.CpuIf, index: 0, offset: 0x0, size: 4, value: ctl });
      }
    }
  }
  while (events.length < o.events) {
    const cpu = cpuOf();
    const k = r.int(100);
    if (k < 14) enableSome(cpu);
    else if (k < 30) ack(cpu);
    else if (k < 42) eoi(cpu);
    else if (k < 47) dir(cpu);
    else if (k < 60) mmio(Frame.Dist, 0, cpu, dist);
    else if (k < 72) {
      if (v === 3) mmio(r.chance(0.6) ? Frame.RedistSgi : Frame.RedistRd, r.int(cpus), cpu, r.chance(0.6) ? REDIST_SGI : REDIST_RD);
      else mmio(Frame.CpuIf, 0, cpu, GICC);
    } else if (k < 84) {
      if (v === 3) sysreg(cpu);
      else mmio(Frame.CpuIf, 0, cpu, GICC, 0.4);
    } else if (k < 90) userAccess();
    else if (k < 94) {
      const spi = r.chance(0.7);
      push(spi ? { kind: EventKind.Line, intid: 32 + r.int(spis), cpu: null, level: r.chance(0.5) ? 1 : 0 } : { kind: EventKind.Line, intid: r.pick(LINE_PPIS), cpu, level: r.chance(0.5) ? 1 : 0 });
    } else if (k < 97) {
      if (v === 3) push({ kind: EventKind.SysregWrite, cpu, enc: enc('ICC_SGI1R_EL1'), value: sgi1r() });
      else push({ kind: EventKind.MmioWrite, cpu, frame: Frame.Dist, index: 0, offset: 0xf00, size: 4, value: sgir(cpu) });
    } else {
      // HPPIR / RPR: what the CPU interface thinks is next.
      if (v === 3) push({ kind: EventKind.SysregRead, cpu, enc: enc(r.pick(['ICC_HPPIR1_EL1', 'ICC_HPPIR0_EL1', 'ICC_RPR_EL1'])), observed: null });
      else push({ kind: EventKind.MmioRead, cpu, frame: Frame.CpuIf, index: 0, offset: r.pick([0x18, 0x14, 0x28]), size: 4, observed: null });
    }
  }
  return { name, header: h, events };
}
