// Could a trace's source have observed a register? A replay read of a register the source never
// saw (a GICC_* read in a KVM ftrace trace, ICC_SRE in a QEMU log) has no recorded value to
// check against, so golden and policy diffs mark a difference there as "not observable by the
// source" instead of blaming the recording. Facts: shared spec kvm-ftrace.md §6 (ftrace) and
// the QEMU importer's notes (QEMU 7.2 has no trace event for ICC_SRE accesses).

import { sysregByName } from '../arch/sysregs';
import type { ReadRecord } from './records';
import type { TraceHeader } from '../trace/events';

export interface Observability {
  observable: boolean;
  /** Why not, in one sentence (empty when observable). */
  reason: string;
}

/** SGI generation registers: the only ICC_* accesses that always trap to a KVM host. */
const SGI_GENERATION = new Set(['ICC_SGI1R_EL1', 'ICC_ASGI1R_EL1', 'ICC_SGI0R_EL1']);

const YES: Observability = { observable: true, reason: '' };
const no = (reason: string): Observability => ({ observable: false, reason });

/** Strip an index or suffix so "ICC_AP1R0_EL1" and "ICC_IAR1" both resolve, and keep only the name. */
function sysregBase(reg: string): string {
  const info = sysregByName(reg);
  return info ? info.name : reg;
}

export function sourceObservability(header: Pick<TraceHeader, 'provenance' | 'gic'>, rec: Pick<ReadRecord, 'reg' | 'via'>): Observability {
  const kind = header.provenance.kind;
  const reg = rec.reg;
  switch (kind) {
    case 'guest-script':
    case 'hand':
      return YES;
    case 'qemu': {
      if (rec.via === 'user') return no('QEMU GIC trace events do not cover KVM device-attribute (userspace) accesses.');
      const name = rec.via === 'sysreg' ? sysregBase(reg) : reg;
      if (name === 'ICC_SRE_EL1' || name.startsWith('ICC_SRE')) return no('QEMU never traces ICC_SRE_EL1 accesses.');
      if (rec.via === 'sysreg' && sysregByName(name)?.owner === 'timer') return no('QEMU GIC trace events do not cover the generic timer registers.');
      return YES;
    }
    case 'kvm-ftrace': {
      if (rec.via === 'user') return no('KVM ftrace has no tracepoint on the VMM\'s device-attribute ioctls.');
      if (rec.via === 'mmio') {
        if (header.gic.version === 2 && reg.startsWith('GICC_')) return no('The GICv2 CPU interface is the hardware GICV frame mapped into the guest: its accesses never reach the host.');
        return YES;
      }
      // System registers. A read record never carries a traced value: kvm_sys_access prints none.
      const name = sysregBase(reg);
      if (sysregByName(name)?.owner === 'timer') return no('Guest timer register accesses are not trapped on VHE hosts, and trapped ones are traced without values.');
      // The access itself is seen (it always traps); its value is not (a Marker in the trace).
      if (SGI_GENERATION.has(name)) return YES;
      return no('GICv3 ICC_* registers other than SGI generation are served by the hardware ICV interface or emulated at EL2: no host tracepoint sees them.');
    }
    default:
      return YES;
  }
}

/** Shorthand for callers that only need the yes/no. */
export function sourceCanObserve(header: Pick<TraceHeader, 'provenance' | 'gic'>, rec: Pick<ReadRecord, 'reg' | 'via'>): boolean {
  return sourceObservability(header, rec).observable;
}
