// The VMM's trace_marker lines for its device-attribute calls (vmm-markers.ts), decoded as KVM
// decodes the attributes (uapi asm/kvm.h, vgic-kvm-device.c vgic_v3_parse_attr / vgic_v2_parse_attr).
// The captured traces (captured.test.ts) show the same on real host text.

import { kvmSysregAttr, vgicMpidr } from '../../arch/kvm-device-attr';
import { sysregByName } from '../../arch/sysregs';
import { EventKind, kvmMpidr, UserGroup } from '../../trace/events';
import { convertFtrace } from './importer';
import { parseVmmAttrCall, vmmAttrEvent } from './vmm-markers';

const mpidrs = [kvmMpidr(0), kvmMpidr(1)];
const call = (text: string) => {
  const c = parseVmmAttrCall(text);
  if (!c) throw new Error(`not a call: ${text}`);
  return c;
};

test('a GICv3 redistributor attribute names its vCPU by MPIDR affinity, offsets across both frames', () => {
  const attr = (vgicMpidr(kvmMpidr(1)) << 32n) | 0x10100n;
  expect(vmmAttrEvent(call(`gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 5 attr 0x${attr.toString(16)} value 0xffff errno 0`), 7n, 3, mpidrs)).toEqual({
    kind: EventKind.UserRead, cycle: 7n, group: UserGroup.RedistRegs, cpu: 1, offset: 0x10100, size: 4, observed: 0xffffn, result: 0,
  });
  // no vCPU has affinity 5: the format has no way to name it
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 5 attr 0x500000100 value 0x0 errno 22'), 0n, 3, mpidrs)).toMatch(/MPIDR affinity 0x5, which no vCPU has/);
});

test('a refused read has no observed value, only its errno; writes keep the value they tried', () => {
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 1 attr 0x8 value 0x0 errno 16'), 0n, 3, mpidrs)).toMatchObject({ kind: EventKind.UserRead, observed: null, result: 16 });
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_SET_DEVICE_ATTR vgic group 1 attr 0x8 value 0x4b00243b errno 16'), 0n, 3, mpidrs)).toMatchObject({ kind: EventKind.UserWrite, cpu: null, offset: 8, value: 0x4b00243bn, result: 16 });
});

test('CPU_SYSREGS attributes are 64-bit system registers; ctrl writes are the ctrl group', () => {
  const pmr = sysregByName('ICC_PMR_EL1')!.enc;
  const attr = (vgicMpidr(kvmMpidr(0)) << 32n) | BigInt(kvmSysregAttr(pmr));
  expect(vmmAttrEvent(call(`gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 6 attr 0x${attr.toString(16)} value 0xf0 errno 0`), 0n, 3, mpidrs)).toMatchObject({ group: UserGroup.CpuSysregs, cpu: 0, offset: pmr, size: 8, observed: 0xf0n });
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_SET_DEVICE_ATTR vgic group 4 attr 0x0 value 0x0 errno 0'), 0n, 3, mpidrs)).toMatchObject({ kind: EventKind.UserWrite, group: UserGroup.Ctrl, offset: 0, result: 0 });
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 4 attr 0x0 value 0x0 errno 6'), 0n, 3, mpidrs)).toMatch(/no readable attributes/);
});

test('GICv2 attributes carry the vCPU index in [39:32] (banked distributor registers, GICC)', () => {
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 1 attr 0x100000100 value 0xffff errno 0'), 0n, 2, mpidrs)).toMatchObject({ group: UserGroup.DistRegs, cpu: 1, offset: 0x100 });
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 2 attr 0x4 value 0x1f errno 0'), 0n, 2, mpidrs)).toMatchObject({ group: UserGroup.CpuRegs, cpu: 0, offset: 4 });
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 5 attr 0x0 value 0x0 errno 6'), 0n, 2, mpidrs)).toMatch(/not a GICv2 register group/);
  // GICv2's distributor attributes address 4 KiB
  expect(vmmAttrEvent(call('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 1 attr 0x1000 value 0x0 errno 0'), 0n, 2, mpidrs)).toMatch(/past the 4 KiB/);
});

test('other marker text is no call', () => {
  expect(parseVmmAttrCall('gicreplay-vmm: vGIC initialised (KVM_DEV_ARM_VGIC_CTRL_INIT)')).toBeNull();
  expect(parseVmmAttrCall('gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 1 attr 0x8 value 0x0')).toBeNull();
});

test('in a trace: a call becomes a user event in place, one the format cannot carry stays a Marker saying why', () => {
  const t = (us: number, ev: string, text: string) => `       CPU 0/KVM-78      [000] .....     7.${String(us).padStart(6, '0')}: ${ev}: ${text}`;
  const text = [
    t(1, 'kvm_mmio', 'mmio write len 4 gpa 0x8000430 val 0x80'),
    t(2, 'tracing_mark_write', 'gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 1 attr 0x430 value 0x80 errno 0'),
    t(3, 'tracing_mark_write', 'gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group 1 attr 0x10000 value 0x0 errno 0'),
    '',
  ].join('\n');
  const r = convertFtrace({ file: 'vmm.txt', text, gic: 3, map: 'virt', cpus: 2, its: false, clock: 'global' });
  expect(r.events.map((e) => e.kind)).toEqual([EventKind.MmioWrite, EventKind.UserRead, EventKind.Marker]);
  expect(r.events[2]).toMatchObject({ text: expect.stringMatching(/\(not replayed: offset 0x10000 lies past the 64 KiB the group addresses\)$/) });
  expect(r.header.formatMinor).toBe(1);
  expect(r.header.provenance.details).toMatchObject({ vmmDeviceAttrCalls: '1', vmmDeviceAttrCallsNotCarried: '1' });
});
