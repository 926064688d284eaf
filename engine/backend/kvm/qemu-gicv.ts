// What the nested host's GICV frame (QEMU 7.2's emulated GICv2 with the virtualization
// extensions, hw/intc/arm_gic.c) answers by itself for a GICv2 guest's GICC_HPPIR and GICC_IAR,
// computed from the model's state at that access: the list registers KVM loaded (the model's LR
// view), their priorities and groups, and the vCPU's PMR, AckCtl, group enables and running
// priority. KVM runs none of this code; the host rule gicv-pending (kvm-rules.ts) compares real
// KVM's answer with it. Where QEMU follows the architecture the value is the model's own.
//
// QEMU's choice differs from the architecture (and from the model) in four ways:
//   - gic_get_best_virq takes the highest-priority LR in the pending state whatever its group,
//     and gic_update_internal checks only that either group is enabled in GICV_CTLR, so an
//     interrupt of a disabled group is still reported and acknowledged;
//   - gic_update_internal sets current_pending (what GICC_HPPIR returns) only when that priority
//     is below PMR, so HPPIR reads 1023 for a masked interrupt;
//   - gic_acknowledge_irq returns 1022 (Group 1, AckCtl=0, gic_get_current_pending_irq) before it
//     checks the running priority, so IAR reads 1022 where it cannot preempt;
//   - GICC_HPPIR returns GICH_LR_VIRT_ID only, without an SGI's source CPU in bits [12:10].

import { GicV2Model } from '../../gic/v2/model';
import { INTID_GROUP1_NO_ACKCTL, INTID_SPURIOUS } from '../../gic/core/cpuif';
import { Policy } from '../../policy/policy';
import { Replayer } from '../../replay/replay';
import { TraceEvent, TraceHeader } from '../../trace/events';

/** The GICC reads whose value QEMU's GICV computes (rule gicv-pending). */
export const GICV_COMPUTED = /^GICC_(IAR|HPPIR)$/;

export interface GicvAnswer {
  /** What QEMU's GICV returns for the read. */
  value: number;
  /** GICC_IAR: whether QEMU acknowledges an interrupt (its list register becomes active). */
  acknowledges: boolean;
}

/** QEMU's GICC_HPPIR / GICC_IAR value for `cpu` in the model `m`, just before that read. */
export function qemuGicvAnswer(m: GicV2Model, cpu: number, iar: boolean): GicvAnswer {
  const ci = m.gicvBeforeAccess(cpu);
  const st = ci.state[cpu];
  const top = ci.topPending(cpu, true);
  const none: GicvAnswer = { value: INTID_SPURIOUS, acknowledges: false };
  if ((!st.grpEn0 && !st.grpEn1) || top === null || top.priority >= st.pmr) return none;
  if (top.group === 1 && !st.ackCtl) return { value: INTID_GROUP1_NO_ACKCTL, acknowledges: false };
  if (!iar) return { value: top.intid, acknowledges: false };
  // gic_acknowledge_irq: the full priority against the running priority (idle: 0x100, here 0xff).
  if (top.priority >= ci.runningPriority(cpu)) return none;
  return { value: top.intid | (top.source << 10), acknowledges: true };
}

/**
 * QEMU's answers to the GICC_HPPIR / GICC_IAR reads at the given events of a GICv2 trace, from
 * one model replay under `policy` that looks at the model just before each of them.
 */
export function qemuGicvAnswers(header: TraceHeader, events: readonly TraceEvent[], policy: Policy, reads: readonly { index: number; reg: string }[]): Map<number, GicvAnswer> {
  const out = new Map<number, GicvAnswer>();
  if (header.gic.version !== 2 || reads.length === 0) return out;
  const want = [...reads].sort((a, b) => a.index - b.index);
  const r = new Replayer(header, { policy }, () => {});
  const m = r.model as GicV2Model;
  let next = 0;
  for (let i = 0; i < events.length && next < want.length; i++) {
    const ev = events[i];
    while (next < want.length && want[next].index === i) {
      r.advance(ev.cycle);
      out.set(i, qemuGicvAnswer(m, ev.cpu ?? 0, want[next].reg === 'GICC_IAR'));
      next++;
    }
    r.apply(ev, i);
  }
  return out;
}
