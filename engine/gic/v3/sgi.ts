// SGI generation from ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (KVM's access_gic_sgi ->
// vgic_v3_dispatch_sgi -> vgic_v3_queue_sgi; spec vgic-v3.md §6.6).
//   - IRM=1: every vCPU except the sender; TargetList and Aff are ignored.
//   - IRM=0: for each TargetList bit n, the vCPU with affinity Aff3.Aff2.Aff1.n; RS is never read.
//   - SGI1R may pend SGIs of either group; ASGI1R and SGI0R only SGIs configured Group 0.
//     A request for an SGI of the wrong group is dropped on that target, silently.

import { lo32 } from '../core/regtable';
import { V3State } from './state';

export interface SgiOutcome {
  pended: number[];
  /** Targets whose SGI is in the wrong group for this register. */
  wrongGroup: number[];
}

/** The two 32-bit words of a 64-bit register value, as Numbers (fields are read from these, not by bigint shifts). */
function halves(value: bigint): { lo: number; hi: number } {
  return { lo: lo32(value), hi: Number((value >> 32n) & 0xffffffffn) };
}

export function dispatchSgi(st: V3State, sender: number, value: bigint, allowGroup1: boolean): SgiOutcome {
  const core = st.core;
  const s = core.irqs;
  const { lo, hi } = halves(value);
  const sgi = (lo >>> 24) & 0xf;
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
  if ((hi >>> 8) & 1) {
    for (let c = 0; c < st.cpus; c++) if (c !== sender) queueOn(c);
  } else {
    const list = lo & 0xffff;
    const aff1 = (lo >>> 16) & 0xff;
    const aff2 = hi & 0xff;
    const aff3 = (hi >>> 16) & 0xff;
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
  const { lo, hi } = halves(value);
  const sgi = (lo >>> 24) & 0xf;
  if (o.wrongGroup.length) parts.push(`SGI ${sgi} not pended on vCPU ${o.wrongGroup.join(',')}: ${regName} only generates Group 0 SGIs and SGI ${sgi} is Group 1 there`);
  if (!o.pended.length && !o.wrongGroup.length) parts.push(`no vCPU matches the request: nothing pended`);
  const rs = (hi >>> 12) & 0xf;
  if (rs && !((hi >>> 8) & 1)) parts.push(`RS=${rs} ignored (KVM never reads RS; targets are Aff0 0-15)`);
  return parts.length ? parts.join('; ') : undefined;
}
