// One-line, human description of a trace event, with decoded register names.

import { RegisterRegistry } from '../model/model';
import { EventKind, Frame, TraceEvent } from '../trace/events';
import { RegisterNamer } from '../inspect/registers';
import { hex } from '../util/hex';

const who = (cpu: number | null) => (cpu === null ? 'cpu?' : `cpu${cpu}`);
const redist = (frame: Frame, index: number) => (frame === Frame.RedistRd || frame === Frame.RedistSgi ? ` (redistributor ${index})` : '');
const vcpu = (cpu: number | null) => (cpu === null ? '' : ` (vCPU ${cpu})`);

export function describeEvent(ev: TraceEvent, registry: RegisterRegistry): string {
  const name = new RegisterNamer(registry).name(ev);
  switch (ev.kind) {
    case EventKind.MmioRead:
      return `${who(ev.cpu)} read ${name}${redist(ev.frame, ev.index)}`;
    case EventKind.MmioWrite:
      return `${who(ev.cpu)} write ${name}${redist(ev.frame, ev.index)} = ${hex(ev.value)}`;
    case EventKind.SysregRead:
      return `${who(ev.cpu)} read ${name}`;
    case EventKind.SysregWrite:
      return `${who(ev.cpu)} write ${name} = ${hex(ev.value)}`;
    case EventKind.UserRead:
      return `userspace read ${name}${vcpu(ev.cpu)}`;
    case EventKind.UserWrite:
      return `userspace write ${name}${vcpu(ev.cpu)} = ${hex(ev.value)}`;
    case EventKind.Line:
      return `line INTID ${ev.intid}${ev.cpu === null ? '' : ` (cpu${ev.cpu})`} level ${ev.level}`;
    case EventKind.Marker:
      return `marker ${JSON.stringify(ev.text)}`;
    case EventKind.MemWrite:
      return `${ev.cpu === null ? 'VMM/device' : `cpu${ev.cpu}`} wrote ${ev.data.length} byte(s) of guest memory at ${hex(ev.addr)}`;
    case EventKind.Msi:
      return `KVM_SIGNAL_MSI DeviceID ${ev.devid === null ? '(none)' : hex(ev.devid)} EventID ${hex(ev.data)} to ${hex(ev.address)}`;
  }
}
