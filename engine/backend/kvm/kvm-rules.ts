// Why a real-KVM answer may differ from the model's, by rule (never by hand per occurrence).
// One row per reason, matched on the difference, the trace and the model's records. A difference
// no row explains is `unexplained`: a model bug until shown otherwise.
//
// class:
//   host            the value comes from the host's GIC, not from KVM: a GICv2 guest's GICC
//                   accesses reach the host's GICV frame (here QEMU 7.2's emulated GICv2 with the
//                   virtualization extensions), answered by its hardware, not by KVM's code
//   kernel-version  the model follows a KVM change the kernel under test does not have
//   unmodelled      the model does not emulate the register and replays the recorded value
//   unexplained     no rule explains it
//
// A host rule can start a cascade: once the host's CPU interface and the model disagree about a
// vCPU's active interrupts, the open-loop replay makes the guest acknowledge and EOI what the
// recording saw, so that vCPU's interrupt flow (its IAR/HPPIR/RPR/APR reads and IRQ/FIQ
// outputs) keeps differing. Such differences carry the rule and "(cascade from event N)".

import { ReplayRecord } from '../../replay/records';
import { registerIntids } from '../../arch/intids';
import { sysregByName } from '../../arch/sysregs';
import { HostParams, KernelSwitches, Policy } from '../../policy/policy';
import { EventKind, Frame, TraceEvent, TraceHeader, UserGroup } from '../../trace/events';
import { GICV_COMPUTED, GicvAnswer, qemuGicvAnswers } from './qemu-gicv';

export type DifferenceClass = 'host' | 'kernel-version' | 'unmodelled' | 'unexplained';

export interface RuleInput {
  index: number;
  cpu: number | null;
  what: 'read' | 'errno' | 'irq' | 'fiq';
  reg: string;
  model: string;
  kvm: string;
}

export interface KvmRule {
  id: string;
  class: Exclude<DifferenceClass, 'unexplained'>;
  /** Why, with the sources. */
  reason: string;
}

export const KVM_RULES: readonly KvmRule[] = [
  {
    id: 'unmodelled',
    class: 'unmodelled',
    reason: 'the model flags the register as not emulated (engine/gic/MODEL.md) and replays the value the recording saw; real KVM answers from its own code',
  },
  {
    id: 'gicv-iidr',
    class: 'host',
    reason: "a GICv2 guest's GICC_IIDR read reaches the host's GICV frame (vgic_v2_map_resources maps it into the guest): the value is the host GIC's (QEMU 7.2's GICV: 0x0002043B); the model answers policy.host.gicvIidr (a GIC-400's 0x0202143B)",
  },
  {
    id: 'gicv-aliases',
    class: 'host',
    reason: "QEMU 7.2's GICv2 without Security Extensions has no aliased CPU interface registers (arm_gic.c gic_cpu_read: GICC_AIAR/AHPPIR/ABPR read 0 when !gic_has_groups), and its GICV behaves the same; the model (and a GIC-400) implement them",
  },
  {
    id: 'gicv-eoi-without-priority',
    class: 'host',
    reason: "a GICC_EOIR write when no priority is active is UNPREDICTABLE (GICv2 architecture); QEMU's GICV (arm_gic.c gic_complete_irq) still deactivates the named interrupt's list register, the model drops nothing and deactivates nothing",
  },
  {
    id: 'gicv-eoi-source',
    class: 'host',
    reason: "QEMU's GICV matches a GICC_EOIR with a list register by the interrupt ID alone (arm_gic.c gic_virq_is_valid compares GICH_LR_VIRT_ID), so an EOI naming an SGI from another source CPU deactivates the active one; the model, like a GIC-400, matches the source too and deactivates nothing",
  },
  {
    id: 'gicv-bpr-below-minimum',
    class: 'host',
    reason: "KVM keeps a GICv2 vCPU's binary points in its saved GICH_VMCR and leaves them to the host GIC: vgic_v2_reset (vgic-v2.c) zeroes the VMCR \"so the GIC will restore the binary points to their reset values\", a userspace GICC_BPR/ABPR write stores the value as is (vgic_mmio_write_vcpuif), and guest reads hit the host's GICV while userspace reads return the VMCR saved from it (vgic_mmio_read_vcpuif). A GIC-400 raises a binary point below its minimum to the minimum (7 - preemption bits: 2, ABPR 3), which the model follows; QEMU 7.2's GICV keeps the 0 written to GICH_VMCR, and clamps a guest GICC_ABPR write to its physical minimum 1 (arm_gic.c gic_cpu_write: GIC_MIN_ABPR, not GIC_VIRT_MIN_ABPR)",
  },
  {
    id: 'gicv-pending',
    class: 'host',
    reason: "QEMU 7.2's GICV picks and reports the pending list register by rules of its own (arm_gic.c): gic_get_best_virq takes the highest-priority LR in the pending state whatever its group, and gic_update_internal checks only that either group is enabled in GICV_CTLR (the architecture ignores an interrupt of a disabled group, as the model does); it sets current_pending, which GICC_HPPIR returns, only for a priority below PMR; gic_acknowledge_irq returns 1022 for a Group 1 interrupt with AckCtl=0 before it checks the running priority; and GICC_HPPIR returns GICH_LR_VIRT_ID alone, without the SGI source CPU in bits [12:10] that the architecture and the model give. Real KVM's GICC_HPPIR or GICC_IAR value is the one these rules compute from the model's list registers and CPU interface at that read (engine/backend/kvm/qemu-gicv.ts); where QEMU acknowledged an interrupt the model did not, that vCPU's interrupt flow and the interrupt state cascade from there",
  },
  {
    id: 'vmcr-pmr-unmasked',
    class: 'host',
    reason: "a userspace ICC_PMR_EL1 write is stored with all 8 bits in the vCPU's ICH_VMCR_EL2.VPMR (vgic-sys-reg-v3.c access_gic_pmr / set_gic_pmr: vmcr.pmr = val & ICC_PMR_EL1_MASK), and so is the guest's own when KVM traps the common ICC registers (kvm-arm.vgic_v3_common_trap=1: hyp/vgic-v3-sr.c __vgic_v3_write_pmr writes the byte into ICH_VMCR_EL2); the host GIC decides what reads back: hardware with the host's priority bits (policy host.priBits, 5) reads the unimplemented low bits as 0, which the model follows; QEMU 7.2's emulated ICH_VMCR_EL2 keeps all 8 bits, so the guest's ICV_PMR_EL1 and later userspace reads show them. Its effects: QEMU's virtual interface and KVM's trapped __vgic_v3_read_iar compare the candidate's priority with all 8 bits (a 0xF8 interrupt passes a PMR of 0xFF, which hardware holds as 0xF8 and masks it), so IRQ/FIQ, IAR and what is active afterwards follow; \"(effect)\" marks a difference the model reproduces exactly when replayed with host.vmcrPmr all-bits",
  },
  {
    id: 'dir-other-vcpu',
    class: 'kernel-version',
    reason: "the model's policy deactivates an SPI active on another vCPU through ICC_DIR_EL1 (kernel.dirDeactivatesOtherVcpus, as upstream KVM's vgic_v3_deactivate does: trapped DIR, a 2025 change) and the kernel under test does not (6.1, 6.12: the guest's ICV_DIR_EL1 reaches only its own list registers), so the SPI stays active; applies only when both hold",
  },
];

const byId = new Map(KVM_RULES.map((r) => [r.id, r]));

const V2_FLOW_READ = /^GICC_(A?IAR|A?HPPIR|RPR|APR\d|NSAPR\d)$/;
const V3_FLOW_READ = /^ICC_(IAR[01]|HPPIR[01]|RPR|AP[01]R\d)_EL1$/;
const STATE_READ = /^(GIC[DR]_I[SC](PEND|ACTIVE)R|GICD_[SC]PENDSGIR)\d+$/;
const DIR = sysregByName('ICC_DIR_EL1')!.enc;
const PMR = sysregByName('ICC_PMR_EL1')!.enc;

/** The model raised a binary point to its minimum where the host kept a lower one (rule gicv-bpr-below-minimum). */
const isBprBelowMinimum = (d: RuleInput, host: HostParams): boolean => {
  if (d.what !== 'read' || !/^GICC_A?BPR$/.test(d.reg)) return false;
  const min = 7 - host.preBits + (d.reg === 'GICC_ABPR' ? 1 : 0);
  return Number(d.model) === min && Number(d.kvm) < min;
};

const isAliasRead = (d: RuleInput): boolean => d.what === 'read' && /^GICC_A(IAR|HPPIR|BPR)$/.test(d.reg) && d.kvm === '0x0';

export interface Classified {
  class: DifferenceClass;
  rule?: string;
}

/** What the rules need of the model's policy and of the kernel under test (its own built-in policy's switches). */
export interface RuleContext {
  modelKernel: KernelSwitches;
  kvmKernel: KernelSwitches;
  /** The model's host parameters (its GICV's minimum binary points come from preBits). */
  host: HostParams;
  /** KVM traps the guest's ICC_PMR_EL1 (common trap) and writes it into ICH_VMCR_EL2 (host.cpuifTraps); absent: untrapped. */
  pmrThroughVmcr?: boolean;
  /** The model's policy, to replay the model where a rule computes what the host's GICV answers (gicv-pending); absent: no such rule. */
  policy?: Policy;
  /**
   * On a host with QEMU's GICv3: a replay of the model with host.vmcrPmr all-bits (its
   * ICH_VMCR_EL2 keeps the 8 PMR bits), asked once per trace and only when a difference is left:
   * whether it gives KVM's value. Absent: the host GIC is hardware.
   */
  qemuVmcrAgrees?: () => (d: RuleInput) => boolean;
}

/** A classifier for one trace's differences (all of them, so that a cascade's start is known before its effects). */
export function classifier(h: TraceHeader, events: readonly TraceEvent[], model: readonly ReplayRecord[], diffs: readonly RuleInput[], ctx: RuleContext): (d: RuleInput) => Classified {
  const v2 = h.gic.version === 2;
  /** vCPU -> [event, rule] where a host rule made its CPU interface diverge. */
  const cascade = new Map<number, { from: number; rule: string }>();
  if (v2) {
    for (const r of model) {
      if (r.op !== 'write' || r.src !== 'guest' || !/^GICC_A?EOIR$/.test(r.reg)) continue;
      const rule = r.effect.startsWith('ignored: no active priority to drop') ? 'gicv-eoi-without-priority' : /is not active on this vCPU/.test(r.effect) && (r.value & 0x1c00n) !== 0n ? 'gicv-eoi-source' : undefined;
      const c = r.cpu ?? 0;
      if (rule && !cascade.has(c)) cascade.set(c, { from: r.index, rule });
    }
  }
  /** A GICv2 guest's GICC access: the nested host's GICV frame answers it, not KVM. */
  const onGicvFrame = (d: RuleInput): boolean => {
    const ev = events[d.index];
    return v2 && ev?.kind === EventKind.MmioRead && ev.frame === Frame.CpuIf;
  };
  const gicvRead = (d: RuleInput): boolean => d.what === 'read' && onGicvFrame(d) && GICV_COMPUTED.test(d.reg);
  const gicv: Map<number, GicvAnswer> = ctx.policy ? qemuGicvAnswers(h, events, ctx.policy, diffs.filter(gicvRead)) : new Map();
  /** Real KVM's value is what QEMU's GICV computes from the model's state (rule gicv-pending). */
  const isGicvPending = (d: RuleInput): boolean => gicvRead(d) && gicv.get(d.index)?.value === Number(d.kvm);
  const startCascade = (c: number, from: number, rule: string): void => {
    if (!cascade.has(c) || cascade.get(c)!.from > from) cascade.set(c, { from, rule });
  };
  for (const d of diffs) {
    if (onGicvFrame(d) && isAliasRead(d)) startCascade(d.cpu ?? 0, d.index, 'gicv-aliases');
    // An IAR that acknowledged something else on the host: what is active and pending differs from here on.
    if (d.reg === 'GICC_IAR' && isGicvPending(d) && (gicv.get(d.index)!.acknowledges || Number(d.model) < 1020)) startCascade(d.cpu ?? 0, d.index, 'gicv-pending');
  }
  const dirs: { index: number; intid: number }[] = [];
  // A kernel-version rule only where the two sides' switches really differ.
  const dirDiffers = ctx.modelKernel.dirDeactivatesOtherVcpus && !ctx.kvmKernel.dirDeactivatesOtherVcpus;
  if (!v2 && dirDiffers) events.forEach((ev, i) => ev.kind === EventKind.SysregWrite && ev.enc === DIR && dirs.push({ index: i, intid: Number(ev.value & 0xffffffn) }));

  // ICC_PMR_EL1 reads the VMM's raw 8 bits: the vCPU's last PMR write was userspace's, with those bits,
  // and the model shows them masked to the host's priority bits.
  const priMask = BigInt((0xff << (8 - ctx.host.priBits)) & 0xff);
  const lastPmrWrite = (cpu: number, before: number): TraceEvent | undefined => {
    for (let i = before - 1; i >= 0; i--) {
      const ev = events[i];
      if (ev.cpu === cpu && ((ev.kind === EventKind.SysregWrite && ev.enc === PMR) || (ev.kind === EventKind.UserWrite && ev.group === UserGroup.CpuSysregs && ev.offset === PMR))) return ev;
    }
    return undefined;
  };
  const isUnmaskedVmcrPmr = (d: RuleInput): boolean => {
    if (d.what !== 'read' || d.reg !== 'ICC_PMR_EL1' || d.cpu === null) return false;
    const k = BigInt(d.kvm);
    if ((k & priMask) !== BigInt(d.model) || k === BigInt(d.model)) return false;
    const w = lastPmrWrite(d.cpu, d.index);
    const viaVmcr = w?.kind === EventKind.UserWrite || (w?.kind === EventKind.SysregWrite && ctx.pmrThroughVmcr === true);
    return viaVmcr && (w!.value & 0xffn) === k;
  };

  const hit = (id: string, from?: number, effect?: 'effect'): Classified => ({ class: byId.get(id)!.class, rule: from !== undefined ? `${id} (cascade from event ${from})` : effect ? `${id} (effect)` : id });
  let qemuVmcr: ((d: RuleInput) => boolean) | undefined;
  const flowCpu = (d: RuleInput): number | null => {
    if (d.what === 'irq' || d.what === 'fiq') return d.cpu;
    if (d.what === 'read' && (v2 ? V2_FLOW_READ : V3_FLOW_READ).test(d.reg)) return d.cpu ?? 0;
    return null;
  };

  const unmodelled = new Set(model.filter((r) => r.op === 'read' && r.unmodelled).map((r) => (r as { index: number }).index));

  return (d) => {
    if (d.what === 'read' && unmodelled.has(d.index)) return hit('unmodelled');
    if (onGicvFrame(d)) {
      if (d.reg === 'GICC_IIDR') return hit('gicv-iidr');
      if (isAliasRead(d)) return hit('gicv-aliases');
    }
    if (v2 && isBprBelowMinimum(d, ctx.host)) return hit('gicv-bpr-below-minimum');
    if (isGicvPending(d)) return hit('gicv-pending');
    if (!v2 && isUnmaskedVmcrPmr(d)) return hit('vmcr-pmr-unmasked');
    if (!v2 && d.what === 'read' && /^GICD_I[SC]ACTIVER\d+$/.test(d.reg)) {
      const ids = registerIntids(d.reg, 4);
      const m = BigInt(d.model);
      const k = BigInt(d.kvm);
      if (ids && dirs.some((x) => x.index < d.index && x.intid >= ids.first && x.intid < ids.first + ids.count && ((k >> BigInt(x.intid - ids.first)) & 1n) === 1n && ((m >> BigInt(x.intid - ids.first)) & 1n) === 0n)) return hit('dir-other-vcpu');
    }
    const c = flowCpu(d);
    if (c !== null) {
      const k = cascade.get(c);
      if (k && k.from <= d.index) return hit(k.rule, k.from);
    }
    // Which interrupt a vCPU acknowledged decides what is active and pending afterwards.
    if (d.what === 'read' && STATE_READ.test(d.reg)) {
      const first = [...cascade.values()].filter((k) => k.from <= d.index).sort((a, b) => a.from - b.from)[0];
      if (first) return hit(first.rule, first.from);
    }
    // The PMR's unmasked low bits let through, and so acknowledge, what the model masks.
    if (!v2 && ctx.qemuVmcrAgrees) {
      qemuVmcr ??= ctx.qemuVmcrAgrees();
      if (qemuVmcr(d)) return hit('vmcr-pmr-unmasked', undefined, 'effect');
    }
    return { class: 'unexplained' };
  };
}
