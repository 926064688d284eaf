// What each IIDR policy changes for a GICv3 guest and its VMM (policies.md; vgic-v3.md §7):
// GICD_IIDR, GICR_CTLR.{IR,CES}, IGROUPR writability from the guest and from userspace,
// userspace selection of the revision, and the dependency records the divergence report uses.

import { NO_DEPS, RecordingDeps } from '../../model/deps';
import { getPolicy, parsePolicy } from '../../policy/policy';
import { Frame, UserGroup } from '../../trace/events';
import { ERRNO } from '../../util/errno';
import { GicV3Model } from './model';
import { Drive, enc, v3Config, v3Model } from './testing/drive';

const POLICIES: [string, bigint, bigint][] = [
  ['rev3', 0x4b00343bn, 0x6n],
  ['rev2', 0x4b00243bn, 0x0n],
  ['rev1', 0x4b00143bn, 0x0n],
  ['rev1-iidr-only', 0x4b00143bn, 0x0n],
  ['mainline-rev3', 0x4b00343bn, 0x6n],
];

describe('GICD_IIDR and GICR_CTLR per policy', () => {
  it.each(POLICIES)('%s: GICD_IIDR %s, GICR_CTLR %s (IR/CES do not depend on an ITS)', (id, iidr, ctlr) => {
    const g = new Drive(v3Model(id, 2, 64, false));
    expect(g.d(0x8)).toBe(iidr);
    expect(g.rd(1, 0x0)).toBe(ctlr);
    expect(g.rd(0, 0x4)).toBe(0x4b00043bn); // GICR_IIDR carries no revision
    // The one rule for ignored writes: 0 (or the value itself) reads back, the upper Revision bits do not.
    expect(g.dw(0x8, 0)).toBeUndefined();
    expect(g.dw(0x8, 0xf000)).toMatch(/^ignored: GICD_IIDR \(the guest cannot change the revision\) is read-only$/);
    expect(g.d(0x8)).toBe(iidr);
  });
});

describe('IGROUPR writability from the guest', () => {
  const expected: Record<string, boolean> = { rev3: true, rev2: true, rev1: false, 'rev1-iidr-only': true, 'mainline-rev3': true };
  it.each(Object.keys(expected))('%s', (id) => {
    const g = new Drive(v3Model(id));
    const e1 = g.dw(0x84, 0x0000ffff);
    const e2 = g.sgiw(1, 0x80, 0xffff0000);
    if (expected[id]) {
      expect([e1, e2]).toEqual([undefined, undefined]);
      expect(g.d(0x84)).toBe(0x0000ffffn);
      expect(g.sgi(1, 0x80)).toBe(0xffff0000n);
    } else {
      expect(e1).toBe('ignored: policy rev1 drops guest IGROUPR writes at revision 1');
      expect(e2).toBe('ignored: policy rev1 drops guest IGROUPR writes at revision 1');
      expect(g.d(0x84)).toBe(0xffffffffn);
      expect(g.sgi(1, 0x80)).toBe(0xffffffffn);
    }
    expect(g.sgi(0, 0x80)).toBe(0xffffffffn); // vCPU 0's bank untouched
  });

  it('under rev1 a Group 0 interrupt cannot be configured, so IAR0 never sees it', () => {
    const g = new Drive(v3Model('rev1'));
    g.bootLinuxLike();
    g.sw(0, 'ICC_IGRPEN0_EL1', 1);
    g.dw(0x84, 0xfffffffe);
    g.enableSpi(32);
    g.pendSpi(32);
    expect([g.m.fiqOutput(0), g.m.irqOutput(0)]).toEqual([0, 1]);
    expect(g.sr(0, 'ICC_IAR0_EL1')).toBe(1023n);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(32n);
  });
});

describe('userspace (device attribute) accesses', () => {
  const userExpected: Record<string, boolean> = { rev3: true, rev2: true, rev1: false, 'rev1-iidr-only': true, 'mainline-rev3': true };
  it.each(Object.keys(userExpected))('%s: userspace IGROUPR write without an IIDR write', (id) => {
    const g = new Drive(v3Model(id));
    const e = g.uw(0x84, 0x1);
    const er = g.uw(0x10080, 0x1, 1, UserGroup.RedistRegs);
    if (userExpected[id]) {
      expect([e, er]).toEqual([undefined, undefined]);
      expect(g.ur(0x84)).toBe(1n);
      expect(g.ur(0x10080, 1, UserGroup.RedistRegs)).toBe(1n);
    } else {
      expect(e).toMatch(/policy rev1 drops userspace IGROUPR writes at revision 1/);
      expect(g.ur(0x84)).toBe(0xffffffffn);
    }
  });

  it('a userspace GICD_IIDR write selects a revision the policy allows, changing what the guest sees', () => {
    const g = new Drive(v3Model('rev3'));
    expect(g.uw(0x8, 0x4b00143b)).toBeUndefined();
    expect(g.d(0x8)).toBe(0x4b00143bn);
    expect(g.rd(0, 0)).toBe(0n); // IR/CES need revision 3
    expect(g.dw(0x84, 0)).toMatch(/drops guest IGROUPR writes at revision 1/); // rev3's rule: minRevision 2
    expect(g.uw(0x8, 0x4b00343b)).toBeUndefined();
    expect(g.rd(0, 0)).toBe(6n);
  });

  it('mainline accepts only revisions 2 and 3 from userspace; other IIDR fields must not change', () => {
    const g = new Drive(v3Model('mainline-rev3'));
    expect(g.uw(0x8, 0x4b00143b)).toMatch(/rejected \(-EINVAL\).*revision 2 or 3, not 1/);
    expect(g.d(0x8)).toBe(0x4b00343bn);
    expect(g.uw(0x8, 0x4c00243b)).toMatch(/only the Revision field/);
    expect(g.uw(0x8, 0x4b00243b)).toBeUndefined();
    expect(g.d(0x8)).toBe(0x4b00243bn);
  });

  it('uaccess ISPENDR reads the latch only and its write sets and clears the latch; ICPENDR is RAZ/WI for userspace', () => {
    const g = new Drive(v3Model());
    g.dw(0xc08, 0); // SPIs 32-47 level
    g.m.setLine(33, null, 1, 'device');
    expect(g.d(0x204)).toBe(2n); // guest: line level counts
    expect(g.ur(0x204)).toBe(0n); // userspace: latch only
    g.uw(0x204, 0x4);
    expect(g.ur(0x204)).toBe(4n);
    g.uw(0x204, 0x0); // clears the latch of every INTID written 0
    expect(g.ur(0x204)).toBe(0n);
    expect(g.ur(0x284)).toBe(0n);
    expect(g.d(0x204)).toBe(2n);
  });

  it('uaccess ISACTIVER/ICACTIVER leave a HW-mapped timer PPI alone (no running vCPU) but set other interrupts', () => {
    const g = new Drive(v3Model());
    g.m.setLine(27, 1, 1, 'timer');
    expect(g.uw(0x10300, (1 << 27) | (1 << 20), 1, UserGroup.RedistRegs)).toMatch(/HW-mapped/);
    expect(g.sgi(1, 0x300)).toBe(BigInt(1 << 20));
    g.sgiw(1, 0x300, 1 << 27); // the guest can
    expect(g.sgi(1, 0x300)).toBe(BigInt((1 << 20) | (1 << 27)));
    expect(g.uw(0x10380, 1 << 27, 1, UserGroup.RedistRegs)).toMatch(/HW-mapped/);
    expect(g.sgi(1, 0x300)).toBe(BigInt((1 << 20) | (1 << 27)));
  });

  it('uaccess GICD_CTLR sets the enable without queueing; 64-bit attribute accesses are refused', () => {
    const g = new Drive(v3Model());
    expect(g.uw(0, 0x2)).toBeUndefined();
    expect(g.uw(0, 0x3)).toMatch(/stored 0x52/);
    expect(g.d(0)).toBe(0x52n);
    expect(g.m.userRead(UserGroup.DistRegs, null, 0x6100, 8, null).note).toMatch(/32 bits/);
  });

  it('CPU_SYSREGS: PMR/BPR/CTLR/IGRPEN round-trip, ICC_CTLR_EL1 rejects PRIbits above the host, IAR is not reachable', () => {
    const g = new Drive(v3Model());
    const ENC_PMR = 0x30460;
    expect(g.m.userWrite(UserGroup.CpuSysregs, 1, ENC_PMR, 8, 0xf0n).effect).toBeUndefined();
    expect(g.sr(1, 'ICC_PMR_EL1')).toBe(0xf0n);
    expect(g.m.userRead(UserGroup.CpuSysregs, 1, ENC_PMR, 8, null).value).toBe(0xf0n);
    const ENC_CTLR = 0x30cc4;
    expect(g.m.userWrite(UserGroup.CpuSysregs, 0, ENC_CTLR, 8, 0x8e02n).effect).toMatch(/rejected \(-EINVAL\): PRIbits 6 exceeds/);
    expect(g.m.userWrite(UserGroup.CpuSysregs, 0, ENC_CTLR, 8, 0x8c02n).effect).toBeUndefined();
    expect(g.sr(0, 'ICC_CTLR_EL1')).toBe(0x8c02n);
    expect(g.m.userRead(UserGroup.CpuSysregs, 0, 0x30cc0, 8, null).note).toMatch(/ENXIO/);
  });

  // KVM vgic-sys-reg-v3.c access_gic_ctlr (6.1; set_gic_ctlr/get_gic_ctlr on mainline) and
  // vgic.h vgic_v3_max_apr_idx: the VMM's PRIbits/IDbits are kept per vCPU when they do not
  // exceed what the vCPU has, in field order, and only userspace sees them.
  describe('userspace ICC_CTLR_EL1 keeps the PRIbits/IDbits the VMM restores (access_gic_ctlr)', () => {
    const ENC_CTLR = 0x30cc4;
    const ENC_AP0R1 = enc('ICC_AP0R1_EL1');
    const host7 = () => new GicV3Model(v3Config(2), parsePolicy({ ...getPolicy('rev3').data, id: 'host7', host: { priBits: 7, preBits: 7, idBits: 1 } }, 'host7.json'), NO_DEPS);
    const uw = (m: GicV3Model, cpu: number, v: bigint) => m.userWrite(UserGroup.CpuSysregs, cpu, ENC_CTLR, 8, v).effect;
    const ur = (m: GicV3Model, cpu: number, e = ENC_CTLR) => m.userRead(UserGroup.CpuSysregs, cpu, e, 8, null);

    it('a lower PRIbits/IDbits is stored and read back by userspace only; the guest still reads the host bits', () => {
      const m = host7();
      const g = new Drive(m);
      expect(ur(m, 0).value).toBe(0x8e00n); // A3V | IDbits 1 | PRIbits 6 (7 bits)
      expect(uw(m, 0, 0x8402n)).toBeUndefined(); // PRIbits 4 (5 bits), IDbits 0, EOImode
      expect(ur(m, 0).value).toBe(0x8402n);
      expect(g.sr(0, 'ICC_CTLR_EL1')).toBe(0x8e02n); // ICV_CTLR_EL1 reads ICH_VTR_EL2
      expect(ur(m, 1).value).toBe(0x8e00n); // per vCPU
    });

    it('a lowered value cannot be raised again, and a refused write keeps the fields checked before it', () => {
      const m = host7();
      expect(uw(m, 0, 0x8400n)).toBeUndefined();
      expect(uw(m, 0, 0x8600n)).toMatch(/rejected \(-EINVAL\): PRIbits 6 exceeds this vCPU's 4/);
      expect(uw(m, 0, 0x8b00n)).toMatch(/IDbits 1 exceeds this vCPU's 0/);
      // PRIbits 4 (field 3) was stored before the IDbits check refused the write (num_pri_bits is set first).
      expect(ur(m, 0).value).toBe(0x8300n);
      const m2 = host7();
      expect(uw(m2, 0, 0x0403n)).toMatch(/A3V differs/); // PRIbits/IDbits stored, CBPR/EOImode not
      expect(ur(m2, 0).value).toBe(0x8400n);
    });

    it('userspace APR access follows the vCPU PRIbits (vgic_v3_max_apr_idx), guest APR access the host PREbits', () => {
      const m = host7();
      const g = new Drive(m);
      expect(ur(m, 0, ENC_AP0R1).result).toBeUndefined();
      expect(uw(m, 0, 0x8400n)).toBeUndefined(); // 5 priority bits: AP*R0 only
      expect(ur(m, 0, ENC_AP0R1).result).toBe(ERRNO.EINVAL);
      expect(m.userWrite(UserGroup.CpuSysregs, 0, ENC_AP0R1, 8, 1n).effect).toMatch(/rejected \(-EINVAL\): APR index/);
      expect(g.sr(0, 'ICC_AP0R1_EL1')).toBe(0n);
      expect(ur(m, 1, ENC_AP0R1).result).toBeUndefined();
    });
  });
});

describe('dependency tracking', () => {
  it('a dropped IGROUPR write records drop(irq:<n>:group) with the reason, after reading dist:revision', () => {
    const deps = new RecordingDeps();
    const m = v3Model('rev1', 2, 64, false, deps);
    deps.setEvent(7);
    m.mmioWrite(0, Frame.Dist, 0, 0x84, 4, 0n);
    expect(deps.readsByEvent.get(7)).toContain('dist:revision');
    expect(deps.dropped.get('irq:32:group')).toEqual([{ index: 7, reason: 'ignored: policy rev1 drops guest IGROUPR writes at revision 1' }]);
    expect(deps.dropped.get('irq:63:group')).toHaveLength(1);
    deps.setEvent(8);
    m.mmioRead(0, Frame.Dist, 0, 0x84, 4, null);
    expect(deps.readsByEvent.get(8)).toContain('irq:32:group');
    deps.setEvent(9);
    m.mmioWrite(1, Frame.RedistSgi, 1, 0x80, 4, 0n);
    expect(deps.dropped.get('irq:0@1:group')).toHaveLength(1);
  });

  it('an honoured write is recorded as a write; IAR reads candidates and writes active/pending', () => {
    const deps = new RecordingDeps();
    const m = v3Model('rev3', 1, 64, false, deps);
    const g = new Drive(m);
    deps.setEvent(1);
    g.dw(0x84, 0xfffffffe);
    expect(deps.lastWriter('irq:32:group', 10)).toBe(1);
    g.bootLinuxLike();
    g.sw(0, 'ICC_IGRPEN0_EL1', 1);
    g.enableSpi(32);
    g.pendSpi(32);
    deps.setEvent(20);
    expect(g.sr(0, 'ICC_IAR0_EL1')).toBe(32n);
    expect(deps.readsByEvent.get(20)).toEqual(expect.arrayContaining(['irq:32:pending', 'irq:32:priority', 'irq:32:group', 'cpu0:pmr']));
    expect(deps.writesByEvent.get(20)).toEqual(expect.arrayContaining(['irq:32:active', 'irq:32:pending', 'cpu0:ap0r0']));
    deps.setEvent(21);
    g.sw(0, 'ICC_EOIR0_EL1', 32);
    expect(deps.writesByEvent.get(21)).toEqual(expect.arrayContaining(['cpu0:ap0r0', 'irq:32:active']));
  });
});
