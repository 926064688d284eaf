// The GICv2 options of the shared CPU interface (GICv2 virtual CPU interface, vgic-v2.md §5.4, §6.3):
// AckCtl and the 1022 rule, FIQEn, the SGI source in IAR bits [12:10] with one acknowledge per
// source (lowest first), and the Group 1 aliases.

import { NO_DEPS } from '../../model/deps';
import { getPolicy } from '../../policy/policy';
import { ACK_G1, ACK_V2, CpuInterface, FLAVOUR_V2, INTID_GROUP1_NO_ACKCTL, INTID_SPURIOUS } from './cpuif';
import * as R from './irq-regs';
import { VgicCore } from './vgic';

function v2(cpus = 4) {
  const core = new VgicCore(2, cpus, 32, getPolicy('rev3'), NO_DEPS);
  core.resetNative(0);
  const cif = new CpuInterface(core, FLAVOUR_V2);
  core.setDistEnabled(true, true);
  for (let c = 0; c < cpus; c++) {
    cif.writePmr(c, 0xf8);
    cif.state[c].grpEn0 = 1;
    cif.state[c].grpEn1 = 1;
  }
  return { core, cif };
}

describe('GICv2 flavour of the CPU interface', () => {
  it('a Group 1 HPPI with AckCtl=0: GICC_IAR and HPPIR return 1022 and acknowledge nothing; AIAR takes it', () => {
    const { core, cif } = v2();
    R.writeGroup(core, 0, 40, 1, 1, 'guest', 'IGROUPR');
    R.writeSetEnable(core, 0, 40, 1, 1, 'guest');
    core.injectLine(40, null, 1, 'device');
    core.settle();
    expect(cif.hppir(0, ACK_V2)).toBe(INTID_GROUP1_NO_ACKCTL);
    expect(cif.acknowledge(0, ACK_V2)).toBe(INTID_GROUP1_NO_ACKCTL);
    expect(R.readActive(core, 0, 40, 1)).toBe(0);
    expect(cif.acknowledge(0, ACK_G1)).toBe(40);
  });

  it('with AckCtl=1 GICC_IAR acknowledges Group 1 too', () => {
    const { core, cif } = v2();
    cif.state[0].ackCtl = 1;
    R.writeGroup(core, 0, 40, 1, 1, 'guest', 'IGROUPR');
    R.writeSetEnable(core, 0, 40, 1, 1, 'guest');
    core.injectLine(40, null, 1, 'device');
    expect(cif.acknowledge(0, ACK_V2)).toBe(40);
  });

  it('Group 0 is signalled as IRQ with FIQEn=0 and as FIQ with FIQEn=1; Group 1 is always IRQ', () => {
    const { core, cif } = v2();
    R.writeSetEnable(core, 0, 41, 1, 1, 'guest');
    core.injectLine(41, null, 1, 'device');
    core.settle();
    expect([cif.irqOutput(0), cif.fiqOutput(0)]).toEqual([1, 0]);
    cif.state[0].fiqEn = 1;
    cif.markDirty(0, 'ctlr');
    expect([cif.irqOutput(0), cif.fiqOutput(0)]).toEqual([0, 1]);
  });

  it('an SGI from two sources is acknowledged once per source, lowest source first, with the source in bits [12:10]', () => {
    const { core, cif } = v2();
    const slot = core.irqs.slot(0, 3);
    core.setPending(slot, 2);
    core.setPending(slot, 1);
    core.settle();
    expect(cif.hppir(0, ACK_V2)).toBe(3 | (1 << 10));
    expect(cif.acknowledge(0, ACK_V2)).toBe(3 | (1 << 10));
    // still pending from source 2 while active from source 1: not presented again until deactivated
    expect(R.readPending(core, 0, 3, 1, 'guest')).toBe(1);
    expect(cif.acknowledge(0, ACK_V2)).toBe(INTID_SPURIOUS);
    // an EOI naming the wrong source does not deactivate
    expect(cif.endOfInterrupt(0, 3 | (2 << 10), ACK_V2)).toMatch(/not active/);
    expect(R.readActive(core, 0, 3, 1)).toBe(1);
    cif.writeApr(0, 0, 0, 1); // restore the dropped priority for the correct EOI below
    expect(cif.endOfInterrupt(0, 3 | (1 << 10), ACK_V2)).toBeUndefined();
    expect(cif.acknowledge(0, ACK_V2)).toBe(3 | (2 << 10));
    cif.endOfInterrupt(0, 3 | (2 << 10), ACK_V2);
    expect(R.readPending(core, 0, 3, 1, 'guest')).toBe(0);
  });

  it('guest writes to GICv2 SGI pending bits are ignored (GICD_ISPENDR0/ICPENDR0)', () => {
    const { core } = v2();
    expect(R.writePending(core, 0, 0, 32, 0xffff, 'guest', true, 0)).toMatch(/WI from the guest/);
    expect(R.readPending(core, 0, 0, 32, 'guest')).toBe(0);
    expect(R.writePending(core, 0, 0, 32, 0x1, 'user', true, 0)).toBeUndefined();
    expect(core.irqs.source[core.irqs.slot(0, 0)]).toBe(1);
  });

  it('userspace IGROUPR on GICv2 under mainline-rev3 waits for a GICD_IIDR write', () => {
    const core = new VgicCore(2, 1, 32, getPolicy('mainline-rev3'), NO_DEPS);
    core.resetNative(0);
    expect(R.writeGroup(core, 0, 32, 32, 0xffffffff, 'user', 'IGROUPR')).toMatch(/until userspace writes GICD_IIDR/);
    core.userWroteIidr = true;
    expect(R.writeGroup(core, 0, 32, 32, 0xffffffff, 'user', 'IGROUPR')).toBeUndefined();
    expect(R.readGroup(core, 0, 32, 32)).toBe(0xffffffff);
  });
});
