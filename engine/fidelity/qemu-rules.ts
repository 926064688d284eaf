// Known reasons a read recorded under QEMU 7.2 (TCG GIC) differs from what KVM's vGIC (the model)
// returns. One row per reason; FIDELITY.md explains each. A difference no row explains is a bug in
// the model or the importer until shown otherwise.
//
// kind:
//   qemu-vs-kvm  QEMU's GIC and KVM's vGIC really differ (IDs, layouts, reset values, policies)
//   blind-spot   the log lacks a fact the model needs (which CPU wrote GICD_SGIR, which register
//                an SGI came from), so the model had to assume something

import { GicVersion } from '../trace/events';

export interface Difference {
  /** Event index in the trace. */
  index: number;
  cpu: number | null;
  reg: string;
  recorded: bigint;
  model: bigint;
}

/** What the report can ask the model about its state right after the read. */
export interface ModelProbe {
  pending(cpu: number, intid: number): boolean | null;
  priority(cpu: number, intid: number): number | null;
  /** The trace so far wrote a banked GICv2 distributor register with no CPU (applied to vCPU 0). */
  bankedWriteWithoutCpu: boolean;
}

export interface FidelityRule {
  id: string;
  kind: 'qemu-vs-kvm' | 'blind-spot';
  gic: GicVersion[];
  title: string;
  /** Why, with the QEMU and KVM sources. */
  reason: string;
  matches(d: Difference, gic: GicVersion, probe: ModelProbe): boolean;
  /** INTIDs whose state differs between QEMU and the model after this difference (on d.cpu). */
  taints?(d: Difference, gic: GicVersion): number[];
  /** Tried only after the narrow rules and the consequence check, because it explains a whole area. */
  broad?: boolean;
  /**
   * A difference that holds for every read of these MMIO registers on QEMU's GIC, whatever the
   * guest did (or, `untilWritten`, until the guest first writes it): the bits in which QEMU's
   * answer may differ from KVM's (`differs`), or QEMU's whole answer (`qemu`). The qtest export
   * (engine/export/qtest.ts) checks such reads as this says; engine/export/qtest.test.ts runs it
   * on QEMU 7.2.
   */
  pin?: { regs: RegExp; at(gic: GicVersion): QemuPin; /** Only until the register is first written (a reset value). */ untilWritten?: boolean };
}

export type QemuPin = { differs: bigint } | { qemu: bigint };

const ack = (gic: GicVersion, v: bigint): number => Number(gic === 3 ? v & 0xffffffn : v & 0x3ffn);
/** 1020..1023: special INTIDs (spurious, 1022 for the other group), never a real interrupt. */
const special = (intid: number): boolean => intid >= 1020 && intid <= 1023;
const isAckReg = (reg: string): boolean => /^(ICC_(IAR|HPPIR)[01]_EL1|GICC_A?(IAR|HPPIR))$/.test(reg);
const only = (d: Difference, mask: bigint): boolean => ((d.recorded ^ d.model) & ~mask) === 0n;

/** GICv2 registers banked per CPU: a read with no CPU shows vCPU 0's copy. */
const V2_BANKED = /^GICD_(IGROUPR0|ISENABLER0|ICENABLER0|ISPENDR0|ICPENDR0|ISACTIVER0|ICACTIVER0|IPRIORITYR[0-7]|ITARGETSR[0-7]|ICFGR[01]|SPENDSGIR[0-3]|CPENDSGIR[0-3])$/;

export const FIDELITY_RULES: readonly FidelityRule[] = [
  {
    id: 'iidr',
    kind: 'qemu-vs-kvm',
    gic: [2, 3],
    title: 'IIDR: QEMU 0x43B (Arm, product 0) vs KVM 0x4B00x43B (ProductID "K", IIDR revision)',
    reason: 'QEMU arm_gicv3_dist.c/arm_gicv3_redist.c/arm_gic.c return 0x43b; KVM vgic_mmio_read_v3_misc / vgic_mmio_read_v3r_iidr / vgic-mmio-v2.c put PRODUCT_ID_KVM (0x4B) in [31:24] and the revision in [15:12]',
    pin: { regs: /^(GICD_IIDR|GICR_IIDR)$/, at: () => ({ qemu: 0x43bn }) },
    matches: (d) => /^(GICD_IIDR|GICR_IIDR)$/.test(d.reg) && d.recorded === 0x43bn,
  },
  {
    id: 'gicc-iidr',
    kind: 'qemu-vs-kvm',
    gic: [2],
    title: 'GICC_IIDR: QEMU 0x0002043B vs the host GICV_IIDR under KVM',
    reason: 'QEMU arm_gic.c gic_cpu_read 0xfc: (revision << 16) | 0x43b; under KVM the guest reads the hardware GICV_IIDR (policy host.gicvIidr, GIC-400 0x0202143B)',
    pin: { regs: /^GICC_IIDR$/, at: () => ({ qemu: 0x2043bn }) },
    matches: (d) => d.reg === 'GICC_IIDR' && d.recorded === 0x2043bn,
  },
  {
    id: 'icpidr2',
    kind: 'qemu-vs-kvm',
    gic: [2],
    title: 'GICD_ICPIDR2: QEMU 0x2B vs KVM 0',
    reason: 'QEMU arm_gic.c returns the GIC-400 ID bytes; KVM vgic-mmio-v2.c has no ID registers in the GICv2 distributor table (RAZ)',
    pin: { regs: /^GICD_ICPIDR2$/, at: () => ({ qemu: 0x2bn }) },
    matches: (d) => d.reg === 'GICD_ICPIDR2' && d.recorded === 0x2bn && d.model === 0n,
  },
  {
    id: 'typer',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'GICD_TYPER: QEMU sets No1N and A3V and advertises one SPI block too few (ITLinesNumber 7 for 288 lines)',
    reason: 'QEMU 7.2 arm_gicv3_dist.c GICD_TYPER: No1N=1, A3V=1, ITLinesNumber off by one (224 SPIs for virt\'s 256); KVM vgic_mmio_read_v3_misc: ITLinesNumber = nr_spis/32, neither No1N nor A3V',
    // The whole ITLinesNumber: QEMU's virt has 256 interrupt lines whatever the trace's header says.
    pin: { regs: /^GICD_TYPER$/, at: () => ({ differs: 0x300001fn }) },
    matches: (d) => d.reg === 'GICD_TYPER' && only(d, 0x300001fn) && (d.recorded & 0x1fn) + 1n === (d.model & 0x1fn),
  },
  {
    id: 'gicd-ctlr-grp0',
    kind: 'qemu-vs-kvm',
    gic: [2, 3],
    title: 'GICD_CTLR: QEMU stores EnableGrp0 and EnableGrp1 separately; KVM keeps one enable',
    reason: 'QEMU (v3: 0x53 after writing 0x13; v2: 3) keeps both group enables; KVM vgic_mmio_write_v3_misc keeps only EnableGrp1NS (0x52), vgic-mmio-v2.c only bit 0',
    pin: { regs: /^GICD_CTLR$/, at: (gic) => ({ differs: gic === 3 ? 0x1n : 0x2n }) },
    matches: (d, gic) => d.reg === 'GICD_CTLR' && d.recorded !== d.model && only(d, gic === 3 ? 0x1n : 0x2n),
  },
  {
    id: 'gicr-typer-commonlpiaff',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'GICR_TYPER: QEMU sets CommonLPIAff = 1',
    reason: 'QEMU arm_gicv3_common.c builds gicr_typer with CommonLPIAff=01 (all redistributors share the LPI tables); KVM vgic_mmio_read_v3r_typer leaves [25:24] 0',
    pin: { regs: /^GICR_TYPER$/, at: () => ({ differs: 1n << 24n }) },
    matches: (d) => d.reg === 'GICR_TYPER' && (d.recorded ^ d.model) === 1n << 24n,
  },
  {
    id: 'gicr-waker',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'GICR_WAKER: QEMU models ProcessorSleep/ChildrenAsleep (reset 0x6); KVM is RAZ/WI',
    reason: 'QEMU arm_gicv3_redist.c keeps gicr_waker; KVM vgic_v3_rd_registers maps GICR_WAKER to vgic_mmio_read_raz/write_wi',
    pin: { regs: /^GICR_WAKER$/, at: () => ({ differs: 0xffffffffn }) },
    matches: (d) => d.reg === 'GICR_WAKER' && d.model === 0n,
  },
  {
    id: 'gicr-ctlr-ces-ir',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'GICR_CTLR: KVM at revision 3 advertises IR and CES (0x6); QEMU only CES (0x2)',
    reason: 'KVM vgic_mmio_read_v3r_ctlr: GICR_CTLR_IR | GICR_CTLR_CES when the IIDR revision is 3 (policy gicrCtlrIrCes); QEMU 7.2 sets CES only',
    pin: { regs: /^GICR_CTLR$/, at: () => ({ differs: 0x6n }) },
    matches: (d) => d.reg === 'GICR_CTLR' && only(d, 0x6n),
  },
  {
    id: 'gits-iidr',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'GITS_IIDR: QEMU 0x43B vs KVM 0x4B00043B (ProductID "K", ITS ABI revision 0)',
    reason: 'QEMU arm_gicv3_its.c returns 0x43b; KVM vgic_mmio_read_its_iidr: PRODUCT_ID_KVM in [31:24], the save/restore ABI revision in [15:12]',
    matches: (d) => d.reg === 'GITS_IIDR' && d.recorded === 0x43bn && d.model === 0x4b00043bn,
  },
  {
    id: 'gits-typer',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'GITS_TYPER: QEMU 12-byte ITT entries with 16-bit collection IDs (CIL, CIDbits 15); KVM 8-byte entries, CIL 0',
    reason: 'QEMU arm_gicv3_its.c: ITT_ENTRY_SIZE 0xC, CIL=1, CIDbits=ICID_ID_BITS-1; KVM vgic_mmio_read_its_typer: ITT entry size from its ABI (8), no CIL (16-bit ICIDs implied), PLPIS, 16 EventID and DeviceID bits',
    matches: (d) => d.reg === 'GITS_TYPER' && d.recorded === 0x1f0001efb1n && d.model === 0x1ef71n,
  },
  {
    id: 'gits-baser',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'GITS_BASER0/1: KVM owns Type, Entry_Size and Page_Size and sanitises shareability and cacheability; QEMU keeps what the guest wrote there',
    reason: 'KVM vgic_mmio_write_its_baser: GITS_BASER_RO_MASK fields (Type, Entry_Size) are its own, vgic_sanitise_its_baser forces 64 KiB pages, inner nC/nCnB -> RaWb and OuterShareable -> InnerShareable, the initial value is INITIAL_BASER_VALUE; QEMU arm_gicv3_its.c keeps the written cacheability, shareability and page size',
    matches: (d) => /^GITS_BASER[01]$/.test(d.reg) && only(d, (7n << 59n) | (7n << 56n) | (7n << 53n) | (0x1fn << 48n) | (3n << 10n) | (3n << 8n)),
  },
  {
    id: 'igroupr-reset-group0',
    kind: 'qemu-vs-kvm',
    gic: [2, 3],
    title: 'IGROUPR at reset: QEMU resets every interrupt to Group 0 unless it loads a kernel itself; KVM puts them in Group 1 (GICv3)',
    reason: 'QEMU arm_gicv3_common.c / arm_gic.c reset: Group 1 only with irq_reset_nonsecure (set by arm/boot.c when QEMU boots a kernel in Non-secure state), else Group 0 "like the hardware" (a qtest, or firmware boot); KVM vgic_init (kvm_vgic_dist_init / vgic_allocate_private_irqs) sets irq->group = 1 for a vGICv3',
    pin: { regs: /^(GICD_IGROUPR\d+|GICR_IGROUPR0)$/, at: () => ({ qemu: 0n }), untilWritten: true },
    matches: (d) => /^(GICD_IGROUPR\d+|GICR_IGROUPR0)$/.test(d.reg) && d.recorded === 0n && d.model !== 0n,
  },
  {
    id: 'tie-break',
    kind: 'qemu-vs-kvm',
    gic: [2, 3],
    title: 'Equal-priority pending interrupts: QEMU takes the lowest INTID, KVM the first queued',
    reason: 'QEMU gicv3_redist_update / gic_update scan INTIDs upwards and keep the first of the best priority; KVM vgic_sort_ap_list orders equal priorities by queue order (vgic_irq_cmp), so IAR/HPPIR may name another of two equally urgent interrupts; the recorded one is still pending in the model at the same priority',
    matches: (d, gic, probe) => {
      if (!isAckReg(d.reg) || d.cpu === null) return false;
      const r = ack(gic, d.recorded);
      const m = ack(gic, d.model);
      if (r === m || special(r) || special(m)) return false;
      const pr = probe.priority(d.cpu, r);
      return probe.pending(d.cpu, r) === true && pr !== null && pr === probe.priority(d.cpu, m);
    },
    taints: (d, gic) => [ack(gic, d.recorded), ack(gic, d.model)],
  },
  {
    id: 'apr-layout',
    kind: 'qemu-vs-kvm',
    gic: [2],
    title: 'GICC_APRn layout: QEMU 7 preemption bits (priority p -> APR[p>>6] bit (p>>1)&31); KVM 5 (APR0 bit p>>3)',
    reason: 'QEMU arm_gic.c gic_activate_irq uses GIC_MIN_BPR 0 preemption levels; under KVM the guest reads GICV_APR of a 5-bit-priority GIC (policy host.preBits)',
    pin: { regs: /^GICC_APR[0-3]$/, at: () => ({ differs: 0xffffffffn }) },
    matches: (d) => /^GICC_APR[0-3]$/.test(d.reg),
  },
  {
    id: 'gicc-alias-raz',
    kind: 'qemu-vs-kvm',
    gic: [2],
    title: 'GICC_AIAR/GICC_AHPPIR: QEMU without Security Extensions reads 0; KVM serves the Group-1 aliases',
    reason: 'QEMU arm_gic.c: the aliased registers need gic_has_groups && secure access, else RAZ; the hardware GICV behind KVM implements them. The model acknowledged the interrupt, QEMU did not',
    pin: { regs: /^GICC_A(IAR|HPPIR)$/, at: () => ({ qemu: 0n }) },
    matches: (d) => /^GICC_A(IAR|HPPIR)$/.test(d.reg) && d.recorded === 0n,
    taints: (d) => [Number(d.model & 0x3ffn)],
  },
  {
    id: 'cpu-on-resets-cpuif',
    kind: 'qemu-vs-kvm',
    gic: [3],
    title: 'After PSCI CPU_ON QEMU has reset the CPU interface (ICC_PMR 0); KVM keeps the vCPU\'s VMCR',
    reason: 'QEMU resets the CPU (and its GICv3 CPU interface) on CPU_ON; KVM kvm_reset_vcpu resets core and system registers, the timer and the PMU, but not the vGIC CPU interface state (inferred from arch/arm64/kvm/reset.c)',
    matches: (d) => d.reg === 'ICC_PMR_EL1' && d.recorded === 0n,
  },
  {
    id: 'sgi-source-unknown',
    kind: 'blind-spot',
    gic: [2],
    title: 'GICv2 SGI source CPU: the log does not say which CPU wrote GICD_SGIR',
    reason: 'gic_dist_write has no CPU; without -msg timestamp=on thread IDs the importer leaves the write\'s cpu unknown, the model takes vCPU 0 as the source, and IAR/HPPIR CPUID [12:10] differ',
    matches: (d) => /^GICC_A?(IAR|HPPIR)$/.test(d.reg) && (d.recorded & 0x3ffn) === (d.model & 0x3ffn) && (d.model & 0x3ffn) < 16n && (d.model & 0x1c00n) === 0n,
    // the guest EOIs the recorded CPUID, which does not match the model's active SGI: it stays active
    taints: (d) => [Number(d.model & 0x3ffn)],
  },
  {
    id: 'banked-write-unknown-cpu',
    kind: 'blind-spot',
    gic: [2],
    title: 'Banked GICD register written by an unknown CPU: the model configured vCPU 0\'s SGIs/PPIs instead',
    reason: 'gic_dist_write has no CPU; without thread IDs a secondary CPU\'s writes to its own banked ISENABLER0/ICENABLER0/IPRIORITYR0-7/... land on vCPU 0 in the replay: that CPU\'s PPIs (timer 27) and SGIs stay unconfigured, and vCPU 0\'s get the secondary\'s settings (e.g. a re-onlined CPU1 disabling its PPIs disables vCPU 0\'s timer), so IAR reads 0x1b under QEMU and 1023 in the model',
    broad: true,
    matches: (d, _gic, probe) => probe.bankedWriteWithoutCpu && d.cpu !== null && /^GICC_A?(IAR|HPPIR)$/.test(d.reg) && ((d.recorded & 0x3ffn) < 32n || (d.model & 0x3ffn) < 32n),
  },
  {
    id: 'banked-unknown-cpu',
    kind: 'blind-spot',
    gic: [2],
    title: 'Banked GICD register read by an unknown CPU: the model shows vCPU 0\'s copy',
    reason: 'gic_dist_read has no CPU; without thread IDs a banked register (ITARGETSR0-7, IPRIORITYR0-7, ...) read by another CPU is replayed against vCPU 0',
    matches: (d) => d.cpu === null && V2_BANKED.test(d.reg),
  },
];

/** The marker the importer writes for an SGI QEMU did not pend everywhere (importer.ts sgiMarker). */
export const SGI_MARKER = /^qemu: SGI (\d+) pended on (\S+) of targets (\S+) /;

export const SGI_GROUP_RULE: FidelityRule = {
  id: 'sgi-group-filter',
  kind: 'qemu-vs-kvm',
  gic: [3],
  title: 'ICC_SGI1R naming a Group-0 SGI: QEMU does not pend it, KVM does',
  reason: 'QEMU gicv3_redist_send_sgi drops an SGI whose group differs from the register\'s (ICC_SGI1R: Group 1); KVM vgic_v3_dispatch_sgi lets ICC_SGI1R pend either group (allow_group1). The importer marks such SGIs ("qemu: SGI n pended on ..."); reads of that SGI on those vCPUs then differ',
  matches: () => false,
};

/** The rule that pins a read of MMIO register `reg` on QEMU's GIC (`written`: the trace wrote it before), if one does. */
export function qemuPinFor(reg: string, gic: GicVersion, written: boolean): { rule: FidelityRule; pin: QemuPin } | null {
  const rule = FIDELITY_RULES.find((r) => r.pin && r.gic.includes(gic) && r.pin.regs.test(reg) && !(written && r.pin.untilWritten));
  return rule ? { rule, pin: rule.pin!.at(gic) } : null;
}
