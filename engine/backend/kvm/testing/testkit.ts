// Hand-made traces for the KVM backend's tests: a header shaped like QEMU virt's, and events by name.

import * as path from 'path';
import { sysregByName } from '../../../arch/sysregs';
import { AccessSize, EventKind, Frame, kvmMpidr, TraceEvent, TraceHeader, UserGroup } from '../../../trace/events';
import { writeTrace } from '../../../trace/writer';

export function virtHeader(version: 2 | 3, cpus: number, o: { spis?: number; dist?: bigint; its?: boolean } = {}): TraceHeader {
  const frames: TraceHeader['gic']['frames'] =
    version === 3
      ? { dist: o.dist ?? 0x08000000n, redist: Array.from({ length: cpus }, (_, i) => 0x080a0000n + BigInt(i) * 0x20000n), ...(o.its ? { its: 0x08080000n } : {}) }
      : { dist: o.dist ?? 0x08000000n, cpuif: 0x08010000n };
  return {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: 0,
    writer: 'gicreplay test',
    gic: { version, cpus: Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) })), spis: o.spis ?? 64, its: o.its ?? false, frames },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 16n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: { kind: 'hand', tool: 'engine/backend/kvm tests', command: '', blindSpots: [], cycles: 'event number × 100', details: {} },
  };
}

const enc = (name: string): number => {
  const s = sysregByName(name);
  if (!s) throw new Error(`no system register ${name}`);
  return s.enc;
};

/** A TraceEvent before its cycle is known (Omit distributed over the union). */
export type Uncycled = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, 'cycle'> : never) : never;

/** Events with cycles filled in (100 apart) from the compact forms below. */
export function events(...evs: Uncycled[]): TraceEvent[] {
  return evs.map((e, i) => ({ ...e, cycle: BigInt(100 * (i + 1)) }) as TraceEvent);
}

export const ev = {
  mr: (cpu: number | null, frame: Frame, offset: number, size: AccessSize = 4, index = 0): Uncycled => ({ kind: EventKind.MmioRead, cpu, frame, index, offset, size, observed: null }),
  mw: (cpu: number | null, frame: Frame, offset: number, value: bigint, size: AccessSize = 4, index = 0): Uncycled => ({ kind: EventKind.MmioWrite, cpu, frame, index, offset, size, value }),
  sr: (cpu: number, name: string): Uncycled => ({ kind: EventKind.SysregRead, cpu, enc: enc(name), observed: null }),
  sw: (cpu: number, name: string, value: bigint): Uncycled => ({ kind: EventKind.SysregWrite, cpu, enc: enc(name), value }),
  ur: (group: UserGroup, cpu: number | null, offset: number, size: AccessSize = 4): Uncycled => ({ kind: EventKind.UserRead, group, cpu, offset, size, observed: null }),
  uw: (group: UserGroup, cpu: number | null, offset: number, value: bigint, size: AccessSize = 4): Uncycled => ({ kind: EventKind.UserWrite, group, cpu, offset, size, value }),
  line: (intid: number, cpu: number | null, level: 0 | 1): Uncycled => ({ kind: EventKind.Line, intid, cpu, level }),
  mark: (text: string): Uncycled => ({ kind: EventKind.Marker, cpu: null, text }),
};

export function writeTestTrace(dir: string, name: string, h: TraceHeader, evs: TraceEvent[]): string {
  const file = path.join(dir, name);
  writeTrace(file, h, evs);
  return file;
}
