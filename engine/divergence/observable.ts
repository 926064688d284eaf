// Could the trace's source have observed this register? A difference in a register the source
// never saw (a GICv2 GICC_* read in a host ftrace trace, say) exists only in the model's replay.

import { ReadRecord } from '../replay/records';
import { TraceHeader } from '../trace/events';

export function observableBySource(header: TraceHeader, r: Pick<ReadRecord, 'reg' | 'via'>): boolean {
  const kind = header.provenance.kind;
  if (kind === 'kvm-ftrace') {
    // Hardware serves the GICv2 CPU interface and the GICv3 ICC registers; only SGI generation traps.
    if (r.reg.startsWith('GICC_')) return false;
    if (r.via === 'sysreg' && r.reg.startsWith('ICC_') && !/^ICC_A?SGI[01]R_EL1$/.test(r.reg)) return false;
    return true;
  }
  if (kind === 'qemu') {
    // QEMU makes ICC_SRE a constant: no trace event ever fires for it.
    if (r.reg === 'ICC_SRE_EL1') return false;
    return true;
  }
  return true;
}
