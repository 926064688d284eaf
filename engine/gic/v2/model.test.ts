import { BUILTIN_POLICY_IDS } from '../../policy/policy';
import { Frame } from '../../trace/events';
import { createModel, registryFor } from '../index';
import { getPolicy } from '../../policy/policy';
import { CTLR, GICC, GICD, V2Harness, v2Config } from './testing/harness';

describe('GICv2 reset values (KVM-native, vgic-v2.md §7.1)', () => {
  const h = new V2Harness('rev3', 2, 256);
  it('every interrupt is Group 0', () => {
    for (let n = 0; n < 9; n++) expect(h.d(0, GICD.IGROUPR + 4 * n)).toBe(0);
    expect(h.d(1, GICD.IGROUPR)).toBe(0);
  });
  it('TYPER for 2 vCPUs and 288 INTIDs; 4 vCPUs and 64 INTIDs', () => {
    expect(h.d(0, GICD.TYPER)).toBe(0x28);
    expect(new V2Harness('rev3', 4, 32).d(0, GICD.TYPER)).toBe(0x61);
  });
  it('GICD_IIDR carries the policy revision; ICPIDR2 and CTLR read 0', () => {
    expect(h.d(0, GICD.IIDR)).toBe(0x4b00343b);
    expect(new V2Harness('rev1').d(0, GICD.IIDR)).toBe(0x4b00143b);
    expect(new V2Harness('rev2').d(0, GICD.IIDR)).toBe(0x4b00243b);
    expect(h.d(0, GICD.ICPIDR2)).toBe(0);
    expect(h.d(0, GICD.CTLR)).toBe(0);
  });
  it('SGIs enabled, PPIs and SPIs disabled; SGIs edge, PPIs level, SPIs edge', () => {
    expect(h.d(0, GICD.ISENABLER)).toBe(0x0000ffff);
    expect(h.d(1, GICD.ICENABLER)).toBe(0x0000ffff);
    expect(h.d(0, GICD.ISENABLER + 4)).toBe(0);
    expect(h.d(0, GICD.ICFGR)).toBe(0xaaaaaaaa);
    expect(h.d(0, GICD.ICFGR + 4)).toBe(0);
    expect(h.d(0, GICD.ICFGR + 8)).toBe(0xaaaaaaaa);
  });
  it('private ITARGETSR bytes read the own vCPU bit, SPIs read 0', () => {
    expect(h.d(0, GICD.ITARGETSR)).toBe(0x01010101);
    expect(h.d(1, GICD.ITARGETSR + 0x1c)).toBe(0x02020202);
    expect(h.d(0, GICD.ITARGETSR + 0x20)).toBe(0);
  });
  it('per-INTID registers beyond the last INTID are RAZ', () => {
    expect(h.d(0, GICD.ISENABLER + 4 * 9)).toBe(0);
    expect(h.d(0, GICD.ICFGR + 4 * 18)).toBe(0);
  });
  it('CPU interface: CTLR 0, PMR 0, BPR 2, ABPR 3, IAR 1023, RPR 0xFF, IIDR = host GICV_IIDR', () => {
    expect(h.c(0, GICC.CTLR)).toBe(0);
    expect(h.c(0, GICC.PMR)).toBe(0);
    expect(h.c(0, GICC.BPR)).toBe(2);
    expect(h.c(0, GICC.ABPR)).toBe(3);
    expect(h.c(0, GICC.HPPIR)).toBe(1023);
    expect(h.c(0, GICC.IAR)).toBe(1023);
    expect(h.c(0, GICC.RPR)).toBe(0xff);
    expect(h.c(0, GICC.IIDR)).toBe(0x0202143b);
    expect(h.c(0, GICC.NSAPR0)).toBe(0);
  });
  it('refuses more than 8 vCPUs', () => {
    expect(() => new V2Harness('rev3', 9)).toThrow(/1\.\.8/);
  });
});

describe('GICD_CTLR: one enable bit', () => {
  it('keeps bit 0 only and says so', () => {
    const h = new V2Harness();
    expect(h.dw(0, GICD.CTLR, 3)).toMatch(/stored 0x1/);
    expect(h.d(0, GICD.CTLR)).toBe(1);
  });
});

describe('ITARGETSR', () => {
  it('byte writes land in their lane; bits of absent vCPUs are dropped', () => {
    const h = new V2Harness('rev3', 2);
    expect(h.dw(0, GICD.ITARGETSR + 0x21, 0x02, 1)).toBeUndefined();
    expect(h.d(0, GICD.ITARGETSR + 0x20)).toBe(0x00000200);
    expect(h.d(0, GICD.ITARGETSR + 0x21, 1)).toBe(0x02);
    expect(h.dw(0, GICD.ITARGETSR + 0x22, 0xff, 1)).toMatch(/stored 0x3/);
    expect(h.d(1, GICD.ITARGETSR + 0x20)).toBe(0x00030200);
  });
  it('SGI/PPI bytes are read-only and read the accessing vCPU bit', () => {
    const h = new V2Harness('rev3', 4);
    expect(h.dw(2, GICD.ITARGETSR + 4, 0x0f0f0f0f)).toMatch(/read-only/);
    expect(h.d(2, GICD.ITARGETSR + 4)).toBe(0x04040404);
    expect(h.d(3, GICD.ITARGETSR + 0x1f, 1)).toBe(0x08);
  });
});

describe('KVM routing quirks', () => {
  function pendSpi(h: V2Harness, intid: number) {
    h.dw(0, GICD.ISENABLER + 4 * (intid >> 5), 1 << (intid & 31));
    h.dw(0, GICD.ISPENDR + 4 * (intid >> 5), 1 << (intid & 31));
  }
  it('an SPI whose ITARGETSR is 0 still goes to vCPU 0', () => {
    const h = new V2Harness('rev3', 2);
    h.enableAll();
    pendSpi(h, 40);
    expect(h.d(0, GICD.ITARGETSR + 40, 1)).toBe(0);
    expect(h.out(0)).toEqual({ irq: 1, fiq: 0 });
    expect(h.out(1)).toEqual({ irq: 0, fiq: 0 });
    expect(h.c(0, GICC.IAR)).toBe(40);
  });
  it('several targets: only the lowest vCPU gets it', () => {
    const h = new V2Harness('rev3', 4);
    h.enableAll();
    h.dw(0, GICD.ITARGETSR + 41, 0x0c, 1);
    pendSpi(h, 41);
    expect([0, 1, 2, 3].map((c) => h.out(c).irq)).toEqual([0, 0, 1, 0]);
    expect(h.c(3, GICC.IAR)).toBe(1023);
    expect(h.c(2, GICC.IAR)).toBe(41);
  });
});

describe('IPRIORITYR keeps 5 bits per byte', () => {
  it('byte and word writes are masked with 0xF8', () => {
    const h = new V2Harness();
    expect(h.dw(0, GICD.IPRIORITYR + 0x22, 0xff, 1)).toMatch(/stored 0xf8/);
    expect(h.d(0, GICD.IPRIORITYR + 0x20)).toBe(0x00f80000);
    h.dw(0, GICD.IPRIORITYR + 0x24, 0x12345678);
    expect(h.d(0, GICD.IPRIORITYR + 0x24)).toBe(0x10305078);
    // private bytes are banked
    h.dw(1, GICD.IPRIORITYR, 0xa0, 1);
    expect(h.d(1, GICD.IPRIORITYR)).toBe(0xa0);
    expect(h.d(0, GICD.IPRIORITYR)).toBe(0);
  });
});

describe('GICD_SGIR and per-source SGI pending', () => {
  it('filter 0 pends on the listed vCPUs with the writer as source', () => {
    const h = new V2Harness('rev3', 4);
    h.dw(1, GICD.SGIR, 0x000d0003); // SGI 3 to vCPUs 0, 2, 3
    expect(h.d(0, GICD.SPENDSGIR) >>> 24).toBe(0x02);
    expect(h.d(2, GICD.SPENDSGIR) >>> 24).toBe(0x02);
    expect(h.d(1, GICD.SPENDSGIR)).toBe(0);
    expect(h.d(3, GICD.ISPENDR) & 0xffff).toBe(0x0008);
  });
  it('filter 1 = all but self, filter 2 = self, filter 3 ignored', () => {
    const h = new V2Harness('rev3', 3);
    h.dw(0, GICD.SGIR, 0x01000001);
    expect([0, 1, 2].map((c) => (h.d(c, GICD.SPENDSGIR) >> 8) & 0xff)).toEqual([0, 1, 1]);
    h.dw(2, GICD.SGIR, 0x02ff0002);
    expect([0, 1, 2].map((c) => (h.d(c, GICD.SPENDSGIR) >> 16) & 0xff)).toEqual([0, 0, 4]);
    expect(h.dw(1, GICD.SGIR, 0x03ff0005)).toMatch(/TargetListFilter 3/);
    expect([0, 1, 2].map((c) => h.d(c, GICD.SPENDSGIR + 4) & 0xff)).toEqual([0, 0, 0]);
  });
  it('NSATT does not stop a Group 0 SGI from being pended', () => {
    const h = new V2Harness('rev3', 2);
    h.dw(0, GICD.SGIR, 0x00028001);
    expect((h.d(1, GICD.SPENDSGIR) >> 8) & 0xff).toBe(1);
  });
  it('two senders: two acknowledges, lowest source first, CPUID in IAR[12:10]', () => {
    const h = new V2Harness('rev3', 4);
    h.enableAll();
    h.dw(3, GICD.SGIR, 0x00010004); // SGI 4 from vCPU 3 to vCPU 0
    h.dw(1, GICD.SGIR, 0x00010004); // and from vCPU 1
    expect(h.d(0, GICD.SPENDSGIR + 4) & 0xff).toBe(0x0a);
    expect(h.c(0, GICC.HPPIR)).toBe(0x404);
    const first = h.c(0, GICC.IAR);
    expect(first).toBe(0x404);
    // the other source stays pending while the first instance is active
    expect(h.d(0, GICD.SPENDSGIR + 4) & 0xff).toBe(0x08);
    expect(h.d(0, GICD.ISACTIVER) & 0x10).toBe(0x10);
    h.cw(0, GICC.EOIR, first);
    expect(h.c(0, GICC.IAR)).toBe(0xc04);
    h.cw(0, GICC.EOIR, 0xc04);
    expect(h.c(0, GICC.IAR)).toBe(1023);
    expect(h.d(0, GICD.ISPENDR) & 0xffff).toBe(0);
  });
  it('CPENDSGIR clears sources; the SGI stops pending when none is left', () => {
    const h = new V2Harness('rev3', 2);
    h.dw(0, GICD.SPENDSGIR, 0x00000300, 4); // SGI 1 on vCPU 0 from sources 0 and 1
    expect(h.d(0, GICD.ISPENDR) & 0x2).toBe(0x2);
    h.dw(0, GICD.CPENDSGIR + 1, 0x01, 1);
    expect(h.d(0, GICD.CPENDSGIR)).toBe(0x00000200);
    expect(h.d(0, GICD.ISPENDR) & 0x2).toBe(0x2);
    h.dw(0, GICD.CPENDSGIR, 0x00000200);
    expect(h.d(0, GICD.ISPENDR) & 0x2).toBe(0);
  });
  it('ISPENDR0/ICPENDR0 SGI bits are write-ignored on GICv2', () => {
    const h = new V2Harness();
    expect(h.dw(0, GICD.ISPENDR, 0x00010001)).toMatch(/ignored for 1 SGI bit.*SPENDSGIR/);
    expect(h.d(0, GICD.ISPENDR)).toBe(0x00010000);
  });
});

describe('FIQ vs IRQ by group and FIQEn', () => {
  function setup(group: number, ctlr: number) {
    const h = new V2Harness('rev3', 1);
    h.enableAll(ctlr);
    if (group) h.dw(0, GICD.IGROUPR + 4, 1 << 8); // INTID 40
    h.dw(0, GICD.ISENABLER + 4, 1 << 8);
    h.dw(0, GICD.ISPENDR + 4, 1 << 8);
    return h.out(0);
  }
  it('Group 0 is IRQ with FIQEn=0', () => expect(setup(0, CTLR.EnableGrp0 | CTLR.EnableGrp1)).toEqual({ irq: 1, fiq: 0 }));
  it('Group 0 is FIQ with FIQEn=1', () => expect(setup(0, CTLR.EnableGrp0 | CTLR.EnableGrp1 | CTLR.FIQEn)).toEqual({ irq: 0, fiq: 1 }));
  it('Group 1 is IRQ whatever FIQEn', () => {
    expect(setup(1, CTLR.EnableGrp0 | CTLR.EnableGrp1 | CTLR.FIQEn)).toEqual({ irq: 1, fiq: 0 });
    expect(setup(1, CTLR.EnableGrp1)).toEqual({ irq: 1, fiq: 0 });
  });
  it('a disabled group is not signalled', () => expect(setup(1, CTLR.EnableGrp0 | CTLR.FIQEn)).toEqual({ irq: 0, fiq: 0 }));
});

describe('AckCtl and the 1022 rule; the Group 1 aliases', () => {
  function g1Sgi(ctlr: number) {
    const h = new V2Harness('rev3', 1);
    h.enableAll(ctlr);
    h.dw(0, GICD.IGROUPR, 1 << 2);
    h.dw(0, GICD.SGIR, 0x02000002);
    return h;
  }
  it('IAR and HPPIR return 1022 for a Group 1 top interrupt with AckCtl=0, and acknowledge nothing', () => {
    const h = g1Sgi(CTLR.EnableGrp0 | CTLR.EnableGrp1);
    expect(h.c(0, GICC.HPPIR)).toBe(1022);
    expect(h.c(0, GICC.IAR)).toBe(1022);
    expect(h.d(0, GICD.ISACTIVER)).toBe(0);
    expect(h.d(0, GICD.ISPENDR) & 4).toBe(4);
  });
  it('with AckCtl=1 IAR acknowledges Group 1', () => {
    const h = g1Sgi(CTLR.EnableGrp0 | CTLR.EnableGrp1 | CTLR.AckCtl);
    expect(h.c(0, GICC.IAR)).toBe(2);
    expect(h.d(0, GICD.ISACTIVER)).toBe(4);
  });
  it('AIAR and AHPPIR acknowledge and show Group 1; AEOIR ends it', () => {
    const h = g1Sgi(CTLR.EnableGrp0 | CTLR.EnableGrp1);
    expect(h.c(0, GICC.AHPPIR)).toBe(2);
    expect(h.c(0, GICC.AIAR)).toBe(2);
    expect(h.c(0, GICC.RPR)).toBe(0);
    expect(h.cw(0, GICC.AEOIR, 2)).toBeUndefined();
    expect(h.d(0, GICD.ISACTIVER)).toBe(0);
    expect(h.c(0, GICC.RPR)).toBe(0xff);
  });
  it('AIAR returns 1023 when the top interrupt is Group 0', () => {
    const h = new V2Harness('rev3', 1);
    h.enableAll();
    h.dw(0, GICD.SGIR, 0x02000001);
    expect(h.c(0, GICC.AHPPIR)).toBe(1023);
    expect(h.c(0, GICC.AIAR)).toBe(1023);
    expect(h.c(0, GICC.IAR)).toBe(1);
  });
});

describe('EOImode and priority masking', () => {
  it('EOImode=1: EOIR drops the priority, DIR deactivates', () => {
    const h = new V2Harness('rev3', 1);
    h.enableAll(CTLR.EnableGrp0 | CTLR.EOImode);
    h.dw(0, GICD.IPRIORITYR, 0xa0, 1);
    h.dw(0, GICD.SGIR, 0x02000000);
    expect(h.c(0, GICC.IAR)).toBe(0);
    expect(h.c(0, GICC.RPR)).toBe(0xa0);
    expect(h.c(0, GICC.APR0)).toBe(1 << 20);
    h.cw(0, GICC.EOIR, 0);
    expect(h.c(0, GICC.RPR)).toBe(0xff);
    expect(h.d(0, GICD.ISACTIVER)).toBe(1);
    h.cw(0, GICC.DIR, 0);
    expect(h.d(0, GICD.ISACTIVER)).toBe(0);
  });
  it('an interrupt at or below PMR is neither signalled nor acknowledged', () => {
    const h = new V2Harness('rev3', 1);
    h.enableAll();
    h.cw(0, GICC.PMR, 0xa0);
    h.dw(0, GICD.IPRIORITYR, 0xa0, 1);
    h.dw(0, GICD.SGIR, 0x02000000);
    expect(h.out(0).irq).toBe(0);
    expect(h.c(0, GICC.IAR)).toBe(1023);
    expect(h.cw(0, GICC.PMR, 0xff)).toMatch(/stored 0xf8/);
    expect(h.out(0).irq).toBe(1);
  });
});

describe('IGROUPR under every policy', () => {
  const guest: Record<string, number> = { rev3: 0x10, rev2: 0x10, rev1: 0, 'rev1-iidr-only': 0x10, 'mainline-rev3': 0x10, 'linux-6.1': 0x10, 'linux-6.12': 0x10 };
  it.each(BUILTIN_POLICY_IDS.map((p) => [p]))('guest write under %s', (p) => {
    const h = new V2Harness(p);
    const effect = h.dw(0, GICD.IGROUPR + 4, 0x10);
    expect(h.d(0, GICD.IGROUPR + 4)).toBe(guest[p]);
    if (guest[p]) expect(effect).toBeUndefined();
    else expect(effect).toBe('ignored: policy rev1 drops guest IGROUPR writes at revision 1');
  });
  const user: Record<string, number> = { rev3: 0x10, rev2: 0x10, rev1: 0, 'rev1-iidr-only': 0, 'mainline-rev3': 0, 'linux-6.1': 0, 'linux-6.12': 0 };
  it.each(BUILTIN_POLICY_IDS.map((p) => [p]))('userspace write without an IIDR write under %s', (p) => {
    const h = new V2Harness(p);
    const effect = h.udw(0, GICD.IGROUPR + 4, 0x10);
    expect(h.ud(0, GICD.IGROUPR + 4)).toBe(user[p]);
    expect(effect === undefined).toBe(user[p] !== 0);
  });
  it('mainline-rev3: userspace group writes work once userspace has written GICD_IIDR', () => {
    const h = new V2Harness('mainline-rev3');
    expect(h.udw(0, GICD.IGROUPR + 4, 0x10)).toMatch(/until userspace writes GICD_IIDR/);
    expect(h.udw(0, GICD.IIDR, 0x4b00343b)).toBeUndefined();
    expect(h.udw(0, GICD.IGROUPR + 4, 0x10)).toBeUndefined();
    expect(h.d(0, GICD.IGROUPR + 4)).toBe(0x10);
    // dropped writes are recorded for the divergence report
    expect(h.deps.dropped.get('irq:36:group')?.length).toBe(1);
  });
  it('rev1-iidr-only: an IIDR write does not help at revision 1; selecting revision 2 does', () => {
    const h = new V2Harness('rev1-iidr-only');
    h.udw(0, GICD.IIDR, 0x4b00143b);
    expect(h.udw(0, GICD.IGROUPR, 0x1)).toMatch(/at revision 1/);
    h.udw(0, GICD.IIDR, 0x4b00243b);
    expect(h.d(0, GICD.IIDR)).toBe(0x4b00243b);
    expect(h.udw(0, GICD.IGROUPR, 0x1)).toBeUndefined();
    expect(h.ud(0, GICD.IGROUPR)).toBe(1);
  });
  it('rev1: selecting revision 3 from userspace makes groups writable again', () => {
    const h = new V2Harness('rev1');
    expect(h.udw(0, GICD.IIDR, 0x4b00343b)).toBeUndefined();
    expect(h.dw(0, GICD.IGROUPR, 0x1)).toBeUndefined();
    expect(h.d(0, GICD.IGROUPR)).toBe(1);
  });
});

describe('userspace GICD_IIDR and CPU_REGS', () => {
  it('IIDR: only the revision may change, and only to a revision the policy allows', () => {
    const h = new V2Harness('mainline-rev3');
    expect(h.udw(0, GICD.IIDR, 0x4b00143b)).toMatch(/^rejected \(-EINVAL\): policy mainline-rev3 lets userspace select revision 2 or 3, not 1$/);
    expect(h.udw(0, GICD.IIDR, 0x0000243b)).toMatch(/^rejected \(-EINVAL\): only the Revision field of GICD_IIDR may change \(current 0x4b00343b\)$/);
    expect(h.d(0, GICD.IIDR)).toBe(0x4b00343b);
    // The guest cannot change it; by the one ignored-write rule only set bits that do not read back are reported.
    expect(h.dw(0, GICD.IIDR, 0x4b00243b)).toBeUndefined();
    expect(h.dw(0, GICD.IIDR, 0x4b00443b)).toBe('ignored: GICD_IIDR is read-only to the guest');
    expect(h.d(0, GICD.IIDR)).toBe(0x4b00343b);
    expect(h.udw(0, GICD.IIDR, 0x4b00243b)).toBeUndefined();
    expect(h.d(0, GICD.IIDR)).toBe(0x4b00243b);
  });
  it('CPU_REGS PMR is the 5-bit VMPriMask; IIDR is 0x04B2043B', () => {
    const h = new V2Harness();
    h.cw(1, GICC.PMR, 0xf0);
    expect(h.uc(1, 0x04)).toBe(0x1e);
    h.ucw(1, 0x04, 0x1f);
    expect(h.c(1, GICC.PMR)).toBe(0xf8);
    expect(h.uc(1, 0xfc)).toBe(0x04b2043b);
    h.ucw(0, 0x00, 0x20d);
    expect(h.c(0, GICC.CTLR)).toBe(0x20d);
  });
});

describe('factory wiring', () => {
  it('createModel and registryFor pick the GICv2 model', () => {
    const m = createModel(v2Config(2), getPolicy('rev3'));
    expect(m.gicVersion).toBe(2);
    expect(m.mmioRead(0, Frame.Dist, 0, 8, 4, null)).toEqual({ value: 0x4b00343bn, reg: 'GICD_IIDR' });
    expect(registryFor(v2Config(2)).describeMmio(Frame.Dist, 0, 0xf00, 4)).toEqual({ reg: 'GICD_SGIR' });
  });
});

describe('userspace active state', () => {
  it('ISACTIVER from userspace sets an SGI active with source 0; timer-owned PPIs keep theirs', () => {
    const h = new V2Harness('rev3', 2);
    h.m.setLine(27, 1, 1, 'timer');
    expect(h.udw(1, GICD.ISACTIVER, (1 << 27) | (1 << 3))).toMatch(/HW-mapped INTID\(s\) \(mask 0x8000000\): userspace cannot change their active state/);
    expect(h.ud(1, GICD.ISACTIVER)).toBe(1 << 3);
    // the SGI's active instance has source 0: an EOI naming CPUID 0 deactivates it
    h.cw(1, GICC.CTLR, 1);
    h.cw(1, GICC.APR0, 1);
    h.cw(1, GICC.EOIR, 3);
    expect(h.d(1, GICD.ISACTIVER)).toBe(0);
  });
});

describe('preemption by binary point (GICC_BPR for Group 0, GICC_ABPR for Group 1)', () => {
  function activeThenPending(bpr: number, abpr: number, group: number, cbpr = 0) {
    const h = new V2Harness('rev3', 1);
    h.enableAll(CTLR.EnableGrp0 | CTLR.EnableGrp1 | CTLR.AckCtl | cbpr);
    h.cw(0, GICC.BPR, bpr);
    h.cw(0, GICC.ABPR, abpr);
    if (group) h.dw(0, GICD.IGROUPR, 0x3);
    h.dw(0, GICD.IPRIORITYR, 0x8088, 4); // SGI 0 at 0x88 (acknowledged first), SGI 1 at 0x80
    h.dw(0, GICD.SGIR, 0x02000000);
    expect(h.c(0, GICC.IAR)).toBe(0);
    h.dw(0, GICD.SGIR, 0x02000001);
    return h;
  }
  it('BPR 2 (group priority [7:3]): 0x80 preempts 0x88 active', () => {
    const h = activeThenPending(2, 3, 0);
    expect(h.out(0).irq).toBe(1);
    expect(h.c(0, GICC.IAR)).toBe(1);
  });
  it('BPR 3 (group priority [7:4]): 0x80 does not preempt 0x88 (same group priority 0x80)', () => {
    const h = activeThenPending(3, 3, 0);
    expect(h.out(0).irq).toBe(0);
    expect(h.c(0, GICC.IAR)).toBe(1023);
    expect(h.c(0, GICC.HPPIR)).toBe(1);
  });
  it('Group 1 uses ABPR: ABPR 4 ([7:4]) blocks, ABPR 3 ([7:3]) preempts; CBPR=1 switches to BPR', () => {
    expect(activeThenPending(2, 4, 1).c(0, GICC.IAR)).toBe(1023);
    expect(activeThenPending(3, 3, 1).c(0, GICC.IAR)).toBe(1);
    expect(activeThenPending(2, 4, 1, CTLR.CBPR).c(0, GICC.IAR)).toBe(1);
    // the running priority keeps the group priority computed when the active one was acknowledged
    const h = activeThenPending(2, 4, 1);
    h.cw(0, GICC.CTLR, CTLR.EnableGrp0 | CTLR.EnableGrp1 | CTLR.AckCtl | CTLR.CBPR);
    expect(h.c(0, GICC.RPR)).toBe(0x80);
    expect(h.c(0, GICC.IAR)).toBe(1023);
  });
  it('BPR and ABPR below the minimum store the minimum', () => {
    const h = new V2Harness('rev3', 1);
    expect(h.cw(0, GICC.BPR, 0)).toMatch(/stored 2/);
    expect(h.cw(0, GICC.ABPR, 1)).toMatch(/stored 3/);
    expect([h.c(0, GICC.BPR), h.c(0, GICC.ABPR)]).toEqual([2, 3]);
  });
});

describe('a VMM save/restore of a guest-configured group (the seed thread)', () => {
  // The guest puts SPI 40 in Group 1; the VMM saves IGROUPR1 through the device attributes and
  // restores it into a fresh VM the way QEMU's kvm_arm_gic_put does: without writing GICD_IIDR.
  function migrate(policy: string, writeIidrFirst: boolean): number {
    const src = new V2Harness(policy);
    src.dw(0, GICD.IGROUPR + 4, 1 << 8);
    const saved = src.ud(0, GICD.IGROUPR + 4);
    const dst = new V2Harness(policy);
    if (writeIidrFirst) dst.udw(0, GICD.IIDR, src.ud(0, GICD.IIDR));
    dst.udw(0, GICD.IGROUPR + 4, saved);
    return dst.d(0, GICD.IGROUPR + 4);
  }
  it('is lost under mainline-rev3 unless the VMM writes GICD_IIDR first', () => {
    expect(migrate('mainline-rev3', false)).toBe(0);
    expect(migrate('mainline-rev3', true)).toBe(1 << 8);
  });
  it('survives under rev3 and rev2 (the posted series drops the gate)', () => {
    expect(migrate('rev3', false)).toBe(1 << 8);
    expect(migrate('rev2', false)).toBe(1 << 8);
  });
  it('never exists under rev1: the guest write itself is dropped', () => {
    expect(migrate('rev1', true)).toBe(0);
  });
});

describe('system registers', () => {
  it('a GICv2 guest has no ICC_* interface: reads 0, writes ignored, both named', () => {
    const h = new V2Harness();
    const iar1 = (3 << 16) | (0 << 12) | (12 << 8) | (12 << 4) | 0; // ICC_IAR1_EL1
    h.dw(0, GICD.SGIR, 0x02000001);
    expect(h.m.sysregRead(0, iar1, null)).toMatchObject({ value: 0n, reg: 'ICC_IAR1_EL1' });
    expect(h.m.sysregWrite(0, iar1, 1n).effect).toMatch(/ignored/);
    expect(h.d(0, GICD.ISPENDR) & 2).toBe(2);
  });
});
