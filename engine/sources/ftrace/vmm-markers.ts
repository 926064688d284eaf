// The VMM's device-attribute calls in a host trace. KVM has no tracepoint for KVM_GET/SET_DEVICE_ATTR,
// so a VMM that wants them in the recording writes one trace_marker line per call; gicreplay's own
// VMM (tools/kvm/runner.c, vmm mode, its doorbell device) writes
//   gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group G attr 0xA value 0xV errno E
//   gicreplay-vmm: KVM_SET_DEVICE_ATTR vgic group G attr 0xA value 0xV errno E
// after the ioctl returned (G: KVM_DEV_ARM_VGIC_GRP_*; the value read, or the one written; E: the
// errno magnitude, 0 = success). The line sits in the trace where the call happened, so its order
// relative to the guest's accesses is the host's. Any other marker text stays a Marker.

import { decodeVgicAttr, KVM_GRP } from '../../arch/kvm-device-attr';
import { USER_GROUP_BYTES } from '../../trace/check';
import { AccessSize, EventKind, GicVersion, UserGroup, UserReadEvent, UserWriteEvent } from '../../trace/events';

const ATTR_CALL = /^gicreplay-vmm: KVM_(GET|SET)_DEVICE_ATTR vgic group (\d+) attr 0x([0-9a-f]{1,16}) value 0x([0-9a-f]{1,16}) errno (\d+)$/;

export interface VmmAttrCall {
  set: boolean;
  group: number;
  attr: bigint;
  value: bigint;
  errno: number;
}

export function parseVmmAttrCall(text: string): VmmAttrCall | null {
  const m = ATTR_CALL.exec(text);
  if (!m) return null;
  return { set: m[1] === 'SET', group: Number(m[2]), attr: BigInt(`0x${m[3]}`), value: BigInt(`0x${m[4]}`), errno: Number(m[5]) };
}

const TARGET_GROUP = { dist: UserGroup.DistRegs, redist: UserGroup.RedistRegs, cpuif: UserGroup.CpuRegs, sysreg: UserGroup.CpuSysregs } as const;

/** The user-read / user-write event of a call, or why the trace format cannot carry it. */
export function vmmAttrEvent(c: VmmAttrCall, cycle: bigint, gic: GicVersion, mpidrs: readonly bigint[]): UserReadEvent | UserWriteEvent | string {
  if (c.group === KVM_GRP.CTRL) {
    if (!c.set) return 'the ctrl group has no readable attributes';
    return { kind: EventKind.UserWrite, cycle, group: UserGroup.Ctrl, cpu: null, offset: Number(c.attr & 0xffffffffn), size: 4, value: 0n, result: c.errno };
  }
  const t = decodeVgicAttr(gic, c.group, c.attr, mpidrs);
  if (typeof t === 'string') return t;
  const size: AccessSize = t.kind === 'sysreg' ? 8 : 4;
  const group = TARGET_GROUP[t.kind];
  const bytes = USER_GROUP_BYTES[gic][group];
  // KVM answers some attributes past the registers it decodes (a GICv3 DIST_REGS offset of 0x10000 reads 0 on 6.1); a trace names registers only
  if (t.kind !== 'sysreg' && bytes !== undefined && t.offset + size > bytes) return `offset 0x${t.offset.toString(16)} lies past the ${bytes / 1024} KiB the group addresses`;
  const base = { cycle, group, cpu: t.cpu, offset: t.offset, size };
  if (c.set) return { kind: EventKind.UserWrite, ...base, value: c.value, result: c.errno };
  return { kind: EventKind.UserRead, ...base, observed: c.errno === 0 ? c.value : null, result: c.errno };
}
