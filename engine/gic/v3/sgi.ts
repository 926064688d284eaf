// SGI generation from ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (KVM's access_gic_sgi ->
// vgic_v3_dispatch_sgi -> vgic_v3_queue_sgi; spec vgic-v3.md §6.6).
//   - IRM=1: every vCPU except the sender; TargetList and Aff are ignored.
//   - IRM=0: for each TargetList bit n, the vCPU with affinity Aff3.Aff2.Aff1.n; RS is never read.
//   - SGI1R may pend SGIs of either group; ASGI1R and SGI0R only SGIs configured Group 0.
//     A request for an SGI of the wrong group is dropped on that target, silently.

import { V3State } from './state';

export interface SgiOutcome {
  pended: number[];
  /** Targets whose SGI is in the wrong group for this register. */
  wrongGroup: number[];
}

export function dispatchSgi(st: V3State, sender: number, value: bigint, allowGroup1: boolean): SgiOutcome {
  const core = st.core;
  const s = core.irqs;
  const sgi = Number((value >> 24n) & 0xfn);
  const out: SgiOutcome = { pended: [], wrongGroup: [] };
  const queueOn = (c: number): void => {
    const slot = s.slot(c, sgi);
    core.depRead(slot, 'group');
    if (!s.group[slot] || allowGroup1) {
      core.setPending(slot, sender);
      out.pended.push(c);
    } else {
      if (core.deps.enabled) core.deps.drop(s.key(slot, 'pending'), 'SGI of Group 1 requested through a Group 0 SGI register');
      out.wrongGroup.push(c);
    }
  };
  if ((value >> 40n) & 1n) {
    for (let c = 0; c < st.cpus; c++) if (c !== sender) queueOn(c);
  } else {
    const list = Number(value & 0xffffn);
    const aff1 = Number((value >> 16n) & 0xffn);
    const aff2 = Number((value >> 32n) & 0xffn);
    const aff3 = Number((value >> 48n) & 0xffn);
    for (let n = 0; n < 16; n++) {
      if (!((list >> n) & 1)) continue;
      const c = st.vcpuByAffinity((aff2 << 16) | (aff1 << 8) | n, aff3);
      if (c >= 0) queueOn(c);
    }
  }
  return out;
}

/** WriteResult.effect for an SGI write: what did not happen that the value asked for. */
export function sgiEffect(regName: string, value: bigint, o: SgiOutcome): string | undefined {
  const parts: string[] = [];
  const sgi = Number((value >> 24n) & 0xfn);
  if (o.wrongGroup.length) parts.push(`SGI ${sgi} not pended on vCPU ${o.wrongGroup.join(',')}: ${regName} only generates Group 0 SGIs and SGI ${sgi} is Group 1 there`);
  if (!o.pended.length && !o.wrongGroup.length) parts.push(`no vCPU matches the request: nothing pended`);
  const rs = Number((value >> 44n) & 0xfn);
  if (rs && !((value >> 40n) & 1n)) parts.push(`RS=${rs} ignored (KVM never reads RS; targets are Aff0 0-15)`);
  return parts.length ? parts.join('; ') : undefined;
}
