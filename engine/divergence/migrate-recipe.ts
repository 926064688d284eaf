// How a VMM saves a guest's vGIC through KVM's device attributes and restores it into a new VM:
// the save reads and the restore writes, in the VMM's order, per GIC version. The restore is a
// list of trace events (user writes, the CTRL_INIT control write, line levels), so the saved
// state is itself a trace segment (`migrate --save`).
//
// QEMU's order is that of hw/intc/arm_gicv3_kvm.c (kvm_arm_gicv3_get / kvm_arm_gicv3_put) and
// hw/intc/arm_gic_kvm.c (kvm_arm_gic_get / kvm_arm_gic_put). Every access is 32 bits wide, as
// KVM_{GET,SET}_DEVICE_ATTR carry a u32 for the distributor and redistributor groups; 64-bit
// registers (GICD_IROUTER, GICR_PROPBASER/PENDBASER) move as two halves, low half first.

import { sysregEncoding } from '../arch/sysregs';
import { CTRL_INIT, EventKind, TraceEvent, TraceHeader, UserGroup } from '../trace/events';

export const VMM_RECIPES = ['qemu', 'qemu-iidr', 'none'] as const;
export type VmmRecipeId = (typeof VMM_RECIPES)[number];

/** One save read: a KVM_GET_DEVICE_ATTR. */
export interface SaveRead {
  group: UserGroup;
  cpu: number | null;
  offset: number;
}

/** What the source answered to the save reads, by saveKey. */
export type SavedValues = ReadonlyMap<string, bigint>;

export const saveKey = (group: UserGroup, cpu: number | null, offset: number): string => `${group}|${cpu ?? '-'}|${offset}`;

export interface Recipe {
  id: VmmRecipeId;
  /** The recipe, step by step, for the report (one line each). */
  description: string[];
  /** The reads, in the VMM's save order (what it has read decides what it reads next: GICD_TYPER the SPI count, ICC_CTLR_EL1 the APRs). */
  save(header: TraceHeader, read: (r: SaveRead) => bigint): void;
  /** The restore, in the VMM's order; `levels` are the input lines high at the migration point. */
  restore(header: TraceHeader, saved: SavedValues, levels: readonly LineLevel[], cycle: bigint): TraceEvent[];
}

export interface LineLevel {
  intid: number;
  /** vCPU of a PPI, null for an SPI. */
  cpu: number | null;
}

const SGI_BASE = 0x10000;
const ALL = 0xffffffffn;

const ICC = {
  SRE: sysregEncoding(3, 0, 12, 12, 5),
  CTLR: sysregEncoding(3, 0, 12, 12, 4),
  IGRPEN0: sysregEncoding(3, 0, 12, 12, 6),
  IGRPEN1: sysregEncoding(3, 0, 12, 12, 7),
  PMR: sysregEncoding(3, 0, 4, 6, 0),
  BPR0: sysregEncoding(3, 0, 12, 8, 3),
  BPR1: sysregEncoding(3, 0, 12, 12, 3),
  AP0R: (n: number) => sysregEncoding(3, 0, 12, 8, 4 + n),
  AP1R: (n: number) => sysregEncoding(3, 0, 12, 9, n),
};

/** GICD_TYPER.ITLinesNumber → the INTIDs the VMM walks (QEMU's num_irq, capped at 1020). */
function numIrq(typer: bigint): number {
  return Math.min(1020, (Number(typer & 0x1fn) + 1) * 32);
}

/** Builds the restore events in order. */
class Emit {
  readonly events: TraceEvent[] = [];
  constructor(private readonly cycle: bigint) {}
  write(group: UserGroup, cpu: number | null, offset: number, value: bigint): void {
    this.events.push({ kind: EventKind.UserWrite, cycle: this.cycle, group, cpu, offset, size: 4, value: value & ALL });
  }
  ctrlInit(): void {
    this.events.push({ kind: EventKind.UserWrite, cycle: this.cycle, group: UserGroup.Ctrl, cpu: null, offset: CTRL_INIT, size: 4, value: 0n });
  }
  line(l: LineLevel): void {
    this.events.push({ kind: EventKind.Line, cycle: this.cycle, intid: l.intid, cpu: l.cpu, level: 1 });
  }
}

/** The saved value of an attribute; a read the source refused counts as 0 (the VMM's buffer stays zeroed). */
function get(saved: SavedValues, group: UserGroup, cpu: number | null, offset: number): bigint {
  return saved.get(saveKey(group, cpu, offset)) ?? 0n;
}

/** QEMU's ICC_CTLR_EL1.PRIbits walk: AP{0,1}R<n> registers it saves/restores (highest first on restore). */
function aprIndices(ctlr: bigint): number[] {
  const priBits = Number((ctlr >> 8n) & 7n) + 1;
  if (priBits >= 7) return [3, 2, 1, 0];
  if (priBits === 6) return [1, 0];
  return [0];
}

const D = UserGroup.DistRegs;
const R = UserGroup.RedistRegs;
const S = UserGroup.CpuSysregs;
const C = UserGroup.CpuRegs;

// ---- GICv3: arm_gicv3_kvm.c ----

function saveV3(header: TraceHeader, read: (r: SaveRead) => bigint): void {
  const cpus = header.gic.cpus.length;
  const typer = read({ group: D, cpu: null, offset: 0x4 });
  const n = numIrq(typer);
  const rtyperLo = read({ group: R, cpu: 0, offset: 0x8 });
  read({ group: R, cpu: 0, offset: 0xc });
  read({ group: D, cpu: null, offset: 0x0 });
  for (let c = 0; c < cpus; c++) {
    for (const off of [0x0, 0x10, 0x14, SGI_BASE + 0x80, SGI_BASE + 0x100, SGI_BASE + 0xc04, SGI_BASE + 0x200, SGI_BASE + 0x300]) read({ group: R, cpu: c, offset: off });
    for (let i = 0; i < 32; i += 4) read({ group: R, cpu: c, offset: SGI_BASE + 0x400 + i });
  }
  if (rtyperLo & 1n) {
    for (let c = 0; c < cpus; c++) for (const off of [0x70, 0x74, 0x78, 0x7c]) read({ group: R, cpu: c, offset: off });
  }
  read({ group: D, cpu: null, offset: 0x10 });
  for (const base of [0x80, 0x100, 0x200, 0x300]) for (let irq = 32; irq < n; irq += 32) read({ group: D, cpu: null, offset: base + irq / 8 });
  for (let irq = 32; irq < n; irq += 16) read({ group: D, cpu: null, offset: 0xc00 + irq / 4 });
  for (let irq = 32; irq < n; irq += 4) read({ group: D, cpu: null, offset: 0x400 + irq });
  for (let irq = 32; irq < n; irq++) {
    read({ group: D, cpu: null, offset: 0x6000 + 8 * irq });
    read({ group: D, cpu: null, offset: 0x6000 + 8 * irq + 4 });
  }
  for (let c = 0; c < cpus; c++) {
    let ctlr = 0n;
    for (const enc of [ICC.SRE, ICC.CTLR, ICC.IGRPEN0, ICC.IGRPEN1, ICC.PMR, ICC.BPR0, ICC.BPR1]) {
      const v = read({ group: S, cpu: c, offset: enc });
      if (enc === ICC.CTLR) ctlr = v;
    }
    for (const i of aprIndices(ctlr)) read({ group: S, cpu: c, offset: ICC.AP0R(i) });
    for (const i of aprIndices(ctlr)) read({ group: S, cpu: c, offset: ICC.AP1R(i) });
  }
}

function restoreV3(header: TraceHeader, saved: SavedValues, levels: readonly LineLevel[], e: Emit, writeIidr: boolean): void {
  const cpus = header.gic.cpus.length;
  const n = numIrq(get(saved, D, null, 0x4));
  if (writeIidr) e.write(D, null, 0x8, get(saved, D, null, 0x8));
  e.write(D, null, 0x0, get(saved, D, null, 0x0));
  if (get(saved, R, 0, 0x8) & 1n) {
    // Base addresses before a GICR_CTLR write can enable LPIs.
    for (let c = 0; c < cpus; c++) for (const off of [0x70, 0x74, 0x78, 0x7c]) e.write(R, c, off, get(saved, R, c, off));
  }
  for (let c = 0; c < cpus; c++) {
    const g = (off: number) => get(saved, R, c, off);
    e.write(R, c, 0x0, g(0x0));
    e.write(R, c, 0x10, g(0x10));
    e.write(R, c, 0x14, g(0x14));
    e.write(R, c, SGI_BASE + 0x80, g(SGI_BASE + 0x80));
    e.write(R, c, SGI_BASE + 0x180, ALL);
    e.write(R, c, SGI_BASE + 0x100, g(SGI_BASE + 0x100));
    // QEMU keeps only the edge bits of ICFGR1 (half_shuffle32 of its edge_trigger bitmap).
    e.write(R, c, SGI_BASE + 0xc04, g(SGI_BASE + 0xc04) & 0xaaaaaaaan);
    for (const l of levels) if (l.cpu === c && l.intid < 32) e.line(l);
    e.write(R, c, SGI_BASE + 0x280, ALL);
    e.write(R, c, SGI_BASE + 0x200, g(SGI_BASE + 0x200));
    e.write(R, c, SGI_BASE + 0x380, ALL);
    e.write(R, c, SGI_BASE + 0x300, g(SGI_BASE + 0x300));
    for (let i = 0; i < 32; i += 4) e.write(R, c, SGI_BASE + 0x400 + i, g(SGI_BASE + 0x400 + i));
  }
  const gd = (off: number) => get(saved, D, null, off);
  e.write(D, null, 0x10, gd(0x10));
  // kvm_dist_putbmp: QEMU writes 0 (not ~0) to the clear register before each set register.
  for (let irq = 32; irq < n; irq += 32) {
    e.write(D, null, 0x180 + irq / 8, 0n);
    e.write(D, null, 0x100 + irq / 8, gd(0x100 + irq / 8));
  }
  for (let irq = 32; irq < n; irq += 32) e.write(D, null, 0x80 + irq / 8, gd(0x80 + irq / 8));
  for (let irq = 32; irq < n; irq++) {
    e.write(D, null, 0x6000 + 8 * irq, gd(0x6000 + 8 * irq));
    e.write(D, null, 0x6000 + 8 * irq + 4, gd(0x6000 + 8 * irq + 4));
  }
  for (let irq = 32; irq < n; irq += 16) e.write(D, null, 0xc00 + irq / 4, gd(0xc00 + irq / 4) & 0xaaaaaaaan);
  for (const l of levels) if (l.cpu === null) e.line(l);
  for (let irq = 32; irq < n; irq += 32) {
    e.write(D, null, 0x280 + irq / 8, 0n);
    e.write(D, null, 0x200 + irq / 8, gd(0x200 + irq / 8));
  }
  for (let irq = 32; irq < n; irq += 32) {
    e.write(D, null, 0x380 + irq / 8, 0n);
    e.write(D, null, 0x300 + irq / 8, gd(0x300 + irq / 8));
  }
  for (let irq = 32; irq < n; irq += 4) e.write(D, null, 0x400 + irq, gd(0x400 + irq));
  for (let c = 0; c < cpus; c++) {
    const g = (enc: number) => get(saved, S, c, enc);
    for (const enc of [ICC.SRE, ICC.CTLR, ICC.IGRPEN0, ICC.IGRPEN1, ICC.PMR, ICC.BPR0, ICC.BPR1]) e.write(S, c, enc, g(enc));
    const aprs = aprIndices(g(ICC.CTLR));
    for (const i of aprs) e.write(S, c, ICC.AP0R(i), g(ICC.AP0R(i)));
    for (const i of aprs) e.write(S, c, ICC.AP1R(i), g(ICC.AP1R(i)));
  }
}

const V3_STEPS = [
  'save (kvm_arm_gicv3_get): GICD_TYPER, GICR_TYPER; GICD_CTLR; per vCPU GICR_CTLR, GICR_STATUSR, GICR_WAKER, GICR_IGROUPR0, GICR_ISENABLER0, GICR_ICFGR1, line levels, GICR_ISPENDR0, GICR_ISACTIVER0, GICR_IPRIORITYR0-7; with GICR_TYPER.PLPIS per vCPU GICR_PROPBASER, GICR_PENDBASER; GICD_STATUSR, GICD_IGROUPR, GICD_ISENABLER, line levels, GICD_ISPENDR, GICD_ISACTIVER, GICD_ICFGR, GICD_IPRIORITYR, GICD_IROUTER (SPIs only); per vCPU ICC_SRE_EL1, ICC_CTLR_EL1, ICC_IGRPEN0_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1, ICC_BPR0_EL1, ICC_BPR1_EL1, ICC_AP0R<n>_EL1, ICC_AP1R<n>_EL1 (n by ICC_CTLR_EL1.PRIbits)',
  'restore (kvm_arm_gicv3_put): GICD_CTLR; with PLPIS per vCPU GICR_PROPBASER, GICR_PENDBASER; per vCPU GICR_CTLR, GICR_STATUSR, GICR_WAKER, GICR_IGROUPR0, GICR_ICENABLER0 = ~0, GICR_ISENABLER0, GICR_ICFGR1 (edge bits), PPI line levels, GICR_ICPENDR0 = ~0, GICR_ISPENDR0, GICR_ICACTIVER0 = ~0, GICR_ISACTIVER0, GICR_IPRIORITYR0-7; GICD_STATUSR; GICD_ICENABLER = 0 then GICD_ISENABLER; GICD_IGROUPR; GICD_IROUTER; GICD_ICFGR (edge bits); SPI line levels; GICD_ICPENDR = 0 then GICD_ISPENDR; GICD_ICACTIVER = 0 then GICD_ISACTIVER; GICD_IPRIORITYR; per vCPU the ICC_* registers in save order',
];

// ---- GICv2: arm_gic_kvm.c ----

/** QEMU's for_each_irq_reg walk of one per-IRQ register: (offset, vCPU) in order; banked registers (INTIDs < 32) once per vCPU. */
function v2Walk(base: number, bits: number, n: number, cpus: number): Array<{ offset: number; cpu: number }> {
  const perReg = 32 / bits;
  const out: Array<{ offset: number; cpu: number }> = [];
  for (let i = 0; i < n / perReg; i++) {
    const irq = i * perReg;
    for (let c = 0; c === 0 || (c < cpus && irq < 32); c++) out.push({ offset: base + 4 * i, cpu: c });
  }
  return out;
}

const V2_GICC = [0x00, 0x04, 0x08, 0x1c, 0xd0, 0xd4, 0xd8, 0xdc];
/** What QEMU keeps of each GICC register (priority_mask & 0xff, bpr & 7, abpr & 7). */
const V2_GICC_MASK: Record<number, bigint> = { 0x04: 0xffn, 0x08: 7n, 0x1c: 7n };

function saveV2(header: TraceHeader, read: (r: SaveRead) => bigint): void {
  const cpus = header.gic.cpus.length;
  read({ group: D, cpu: 0, offset: 0x0 });
  const n = numIrq(read({ group: D, cpu: 0, offset: 0x4 }));
  read({ group: D, cpu: 0, offset: 0x8 });
  for (const [base, bits] of [[0x80, 1], [0x100, 1], [0x200, 1], [0x300, 1], [0xc00, 2], [0x400, 8], [0x800, 8]] as const) {
    for (const w of v2Walk(base, bits, n, cpus)) read({ group: D, cpu: w.cpu, offset: w.offset });
  }
  for (const w of v2Walk(0xf10, 8, 16, cpus)) read({ group: D, cpu: w.cpu, offset: w.offset });
  for (let c = 0; c < cpus; c++) for (const off of V2_GICC) read({ group: C, cpu: c, offset: off });
}

function restoreV2(header: TraceHeader, saved: SavedValues, levels: readonly LineLevel[], e: Emit, writeIidr: boolean): void {
  const cpus = header.gic.cpus.length;
  const g = (cpu: number, off: number) => get(saved, D, cpu, off);
  const n = numIrq(g(0, 0x4));
  if (writeIidr) e.write(D, 0, 0x8, g(0, 0x8));
  e.write(D, 0, 0x0, g(0, 0x0));
  const put = (base: number, bits: number, from: number, mask = ALL) => {
    for (const w of v2Walk(base, bits, n, cpus)) e.write(D, w.cpu, w.offset, g(w.cpu, w.offset - base + from) & mask);
  };
  const clear = (base: number, bits: number, count = n) => {
    for (const w of v2Walk(base, bits, count, cpus)) e.write(D, w.cpu, w.offset, ALL);
  };
  clear(0x180, 1);
  put(0x100, 1, 0x100);
  put(0x80, 1, 0x80);
  put(0x800, 8, 0x800);
  put(0xc00, 2, 0xc00, 0xaaaaaaaan);
  // QEMU's GICv2 code leaves line levels as a TODO; the VMM's devices re-drive theirs here.
  for (const l of levels) e.line(l);
  clear(0x280, 1);
  put(0x200, 1, 0x200);
  clear(0x380, 1);
  put(0x300, 1, 0x300);
  put(0x400, 8, 0x400);
  clear(0xf10, 8, 16);
  for (const w of v2Walk(0xf20, 8, 16, cpus)) e.write(D, w.cpu, w.offset, g(w.cpu, w.offset - 0xf20 + 0xf10));
  for (let c = 0; c < cpus; c++) {
    for (const off of V2_GICC) e.write(C, c, off, get(saved, C, c, off) & (V2_GICC_MASK[off] ?? ALL));
  }
}

const V2_STEPS = [
  'save (kvm_arm_gic_get): GICD_CTLR, GICD_TYPER, GICD_IIDR (read, never written back); GICD_IGROUPR, GICD_ISENABLER, GICD_ISPENDR, GICD_ISACTIVER, GICD_ICFGR, GICD_IPRIORITYR, GICD_ITARGETSR (banked words once per vCPU); GICD_CPENDSGIR (SGI sources); per vCPU GICC_CTLR, GICC_PMR, GICC_BPR, GICC_ABPR, GICC_APR0-3',
  'restore (kvm_arm_gic_put): GICD_CTLR; GICD_ICENABLER = ~0 then GICD_ISENABLER; GICD_IGROUPR; GICD_ITARGETSR; GICD_ICFGR (edge bits); line levels (re-driven by the VMM\'s devices: QEMU\'s GICv2 code has no level restore); GICD_ICPENDR = ~0 then GICD_ISPENDR; GICD_ICACTIVER = ~0 then GICD_ISACTIVER; GICD_IPRIORITYR; GICD_CPENDSGIR = ~0 then GICD_SPENDSGIR; per vCPU GICC_CTLR, GICC_PMR, GICC_BPR, GICC_ABPR, GICC_APR0-3',
];

const COMMON_STEPS = [
  'a fresh destination vGIC is initialised with KVM_DEV_ARM_VGIC_CTRL_INIT first when the trace traces its init (QEMU does it at realize, before any restore)',
  'input lines high at the migration point are re-driven (KVM_IRQ_LINE) where QEMU restores them with KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, which a trace cannot carry; timer PPIs are driven by the destination\'s timers',
  'vCPU timers move with the vCPU (KVM_{GET,SET}_ONE_REG), unchanged',
];

const NOT_MIGRATED_ITS = 'the vITS is not migrated (its registers and tables, KVM_DEV_ARM_ITS_SAVE_TABLES / RESTORE_TABLES, are not modelled by this recipe): the destination ITS starts from reset';

export function recipeFor(id: VmmRecipeId, version: 2 | 3, its: boolean): Recipe {
  const steps = version === 3 ? V3_STEPS : V2_STEPS;
  const extra = its && version === 3 ? [NOT_MIGRATED_ITS] : [];
  if (id === 'none') {
    return {
      id,
      description: ['none: the VMM saves and restores no vGIC state; the destination\'s vGIC starts from reset (after CTRL_INIT when the trace traces its init)', COMMON_STEPS[2]],
      save: () => undefined,
      restore: (header, _saved, _levels, cycle) => {
        const e = new Emit(cycle);
        if (header.gic.init === 'traced') e.ctrlInit();
        return e.events;
      },
    };
  }
  const iidr = id === 'qemu-iidr';
  const head = iidr
    ? `qemu-iidr: QEMU's order, plus a first GICD_IIDR write of the saved value (a VMM that keeps the guest's revision, as the IIDR knob intends; QEMU itself never writes GICD_IIDR)`
    : `qemu: QEMU's order (hw/intc/arm_gic${version === 3 ? 'v3' : ''}_kvm.c); QEMU never writes GICD_IIDR, so the destination keeps its own revision`;
  return {
    id,
    description: [head, ...steps, ...COMMON_STEPS, ...extra],
    save: (header, read) => {
      // QEMU's GICv3 save never reads GICD_IIDR (its GICv2 save does); a recipe that writes it back reads it first.
      if (iidr && version === 3) read({ group: D, cpu: null, offset: 0x8 });
      (version === 3 ? saveV3 : saveV2)(header, read);
    },
    restore: (header, saved, levels, cycle) => {
      const e = new Emit(cycle);
      if (header.gic.init === 'traced') e.ctrlInit();
      if (version === 3) restoreV3(header, saved, levels, e, iidr);
      else restoreV2(header, saved, levels, e, iidr);
      return e.events;
    },
  };
}
