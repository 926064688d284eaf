// KVM's trapped CPU interface (policy host.cpuifTraps): with kvm-arm.vgic_v3_group0_trap,
// _group1_trap and _common_trap, KVM's hyp/vgic-v3-sr.c answers the guest's ICC_* accesses, and it
// departs from the architecture the hardware (and the untrapped model) follows in five places.
// The trapped and untrapped expectations below are what real Debian 6.1 KVM answered, nested under
// QEMU 7.2 (traces/campaign/trapped-*.gtr: gicreplay fidelity gives 0 differences either way);
// the partly trapped case follows from which registers ICH_HCR_EL2.TALL0/TALL1/TC trap.

import { NO_DEPS } from '../../model/deps';
import { CpuIfTrap, getPolicy, onHost, Policy } from '../../policy/policy';
import { UserGroup } from '../../trace/events';
import { GicV3Model } from '../v3/model';
import { Drive, enc, v3Config } from '../v3/testing/drive';

const ALL: CpuIfTrap[] = ['group0', 'group1', 'common'];
const on = (traps: CpuIfTrap[], vmcrPmr: 'implemented' | 'all-bits' = 'implemented'): Policy => onHost(getPolicy('linux-6.1'), { cpuifTraps: traps, vmcrPmr });

function vcpu(policy: Policy): Drive {
  const g = new Drive(new GicV3Model(v3Config(1, 64), policy, NO_DEPS));
  g.dw(0, 0x13);
  g.sw(0, 'ICC_PMR_EL1', 0xff);
  g.sw(0, 'ICC_IGRPEN0_EL1', 1);
  g.sw(0, 'ICC_IGRPEN1_EL1', 1);
  return g;
}

/** SGI `intid` of `prio` in `group`, enabled and pending on vCPU 0. */
function pendSgi(g: Drive, intid: number, prio: number, group: 0 | 1): void {
  const bit = 1 << intid;
  g.sgiw(0, 0x80, group ? Number(g.sgi(0, 0x80)) | bit : Number(g.sgi(0, 0x80)) & ~bit);
  g.sgiw(0, 0x400 + intid, prio, 1);
  g.sgiw(0, 0x100, bit);
  g.sgiw(0, 0x200, bit);
}

describe('KVM trapping the GICv3 CPU interface', () => {
  test('the policy names no traps by default, and names them in one order', () => {
    expect(getPolicy('linux-6.1').host.cpuifTraps).toEqual([]);
    expect(on(['common', 'group0', 'group0']).host.cpuifTraps).toEqual(['group0', 'common']);
  });

  test('IAR: the running priority is compared unmasked (__vgic_v3_read_iar), the architecture masks it to the group priority', () => {
    // Active priority 0x08 (AP1R0 bit 1), BPR1 4: group priorities [7:4], so a 0x00 interrupt is
    // in the running one's group priority and cannot preempt; KVM's `hap <= pri_to_pre(prio)`
    // compares 0x08 with 0x00 and lets it through.
    for (const [traps, want] of [[[], 1023n], [ALL, 2n], [['group0', 'common'], 1023n]] as const) {
      const g = vcpu(on([...traps]));
      g.sw(0, 'ICC_BPR1_EL1', 4);
      g.sw(0, 'ICC_AP1R0_EL1', 0x2);
      pendSgi(g, 2, 0x00, 1);
      expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(want);
    }
  });

  test('EOI: the priority drop takes Group 1 first at a level both groups hold (__vgic_v3_clear_highest_active_priority)', () => {
    for (const [traps, ap0, ap1] of [[[], 0x0n, 0x1n], [ALL, 0x1n, 0x0n]] as const) {
      const g = vcpu(on([...traps]));
      g.sw(0, 'ICC_AP0R0_EL1', 1);
      g.sw(0, 'ICC_AP1R0_EL1', 1);
      g.sw(0, 'ICC_EOIR1_EL1', 5);
      expect([g.sr(0, 'ICC_AP0R0_EL1'), g.sr(0, 'ICC_AP1R0_EL1')]).toEqual([ap0, ap1]);
    }
  });

  test('EOI of a special INTID still drops the priority; an INTID with bits [31:24] set matches no list register', () => {
    for (const [traps, ap1, active] of [[[], 0x1n, 0n], [ALL, 0x0n, 0x2n]] as const) {
      const g = vcpu(on([...traps]));
      g.sw(0, 'ICC_AP1R0_EL1', 1);
      g.sw(0, 'ICC_EOIR1_EL1', 0x3ff);
      expect(g.sr(0, 'ICC_AP1R0_EL1')).toBe(ap1);
      g.sw(0, 'ICC_AP1R0_EL1', 0);
      pendSgi(g, 1, 0xa0, 1);
      expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(1n);
      g.sw(0, 'ICC_EOIR1_EL1', 0x01000001);
      expect(g.sgi(0, 0x300)).toBe(active);
      expect(g.sr(0, 'ICC_AP1R0_EL1')).toBe(0n);
    }
  });

  test('CBPR with BPR0 7: Group 1 takes BPR0 + 1 capped at 7 (__vgic_v3_get_bpr1), group priority bit 7, not none', () => {
    for (const [traps, ap1, rpr] of [[[], 0x1n, 0x00n], [ALL, 0x10000n, 0x80n]] as const) {
      const g = vcpu(on([...traps]));
      g.sw(0, 'ICC_CTLR_EL1', 1);
      g.sw(0, 'ICC_BPR0_EL1', 7);
      pendSgi(g, 2, 0x90, 1);
      expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(2n);
      expect([g.sr(0, 'ICC_AP1R0_EL1'), g.sr(0, 'ICC_RPR_EL1')]).toEqual([ap1, rpr]);
      g.sw(0, 'ICC_EOIR1_EL1', 2);
      expect(g.sgi(0, 0x300)).toBe(0n);
    }
  });

  test("PMR: only a host whose ICH_VMCR keeps 8 bits (QEMU's, host.vmcrPmr all-bits) keeps the guest's trapped write, and a VMM's always", () => {
    const pmr = (p: Policy): bigint => vcpu(p).sr(0, 'ICC_PMR_EL1');
    expect(pmr(on(ALL))).toBe(0xf8n);
    expect(pmr(on([], 'all-bits'))).toBe(0xf8n);
    expect(pmr(on(ALL, 'all-bits'))).toBe(0xffn);
    const g = vcpu(on([], 'all-bits'));
    g.m.userWrite(UserGroup.CpuSysregs, 0, enc('ICC_PMR_EL1'), 8, 0x09n);
    expect(g.sr(0, 'ICC_PMR_EL1')).toBe(0x09n);
    // ... and a 0x08 interrupt now passes it, as on QEMU's virtual interface
    pendSgi(g, 3, 0x08, 1);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(3n);
  });
});
