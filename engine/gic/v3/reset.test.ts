// Reset values of every modelled GICv3 register under KVM-native reset (vgic-v3.md §2, §3.2, §4, §5.2, §6).

import { V3_DIST_ROWS } from './dist-table';
import { V3_REDIST_ROWS } from './redist-table';
import { Drive, enc, v3Model } from './testing/drive';

describe('GICv3 distributor reset values', () => {
  const g = new Drive(v3Model('rev3', 2, 256, false));

  it.each([
    ['GICD_CTLR (ARE|DS, disabled)', 0x0000, 0x50n],
    ['GICD_TYPER, 288 INTIDs, no ITS', 0x0004, 0x00480008n],
    ['GICD_IIDR, revision 3', 0x0008, 0x4b00343bn],
    ['GICD_TYPER2', 0x000c, 0n],
    ['GICD_STATUSR (RAO/WI under KVM)', 0x0010, 0xffffffffn],
    ['GICD_IGROUPR0 (RAZ bank)', 0x0080, 0n],
    ['GICD_IGROUPR1 (every SPI Group 1)', 0x0084, 0xffffffffn],
    ['GICD_ISENABLER1', 0x0104, 0n],
    ['GICD_ICENABLER1', 0x0184, 0n],
    ['GICD_ISPENDR1', 0x0204, 0n],
    ['GICD_ICPENDR1', 0x0284, 0n],
    ['GICD_ISACTIVER1', 0x0304, 0n],
    ['GICD_ICACTIVER1', 0x0384, 0n],
    ['GICD_IPRIORITYR8', 0x0420, 0n],
    ['GICD_ITARGETSR8 (RAZ under ARE)', 0x0820, 0n],
    ['GICD_ICFGR0 (RAZ bank)', 0x0c00, 0n],
    ['GICD_ICFGR2 (every SPI edge)', 0x0c08, 0xaaaaaaaan],
    ['GICD_IGRPMODR1', 0x0d04, 0n],
    ['GICD_IROUTER32 low word', 0x6100, 0n],
    ['GICD_PIDR2 (ArchRev 3)', 0xffe8, 0x3bn],
    ['GICD_PIDR0', 0xffe0, 0n],
    ['GICD_CIDR1', 0xfff4, 0n],
  ])('%s', (_name, off, want) => {
    expect(g.d(off)).toBe(want);
  });

  it('GICD_TYPER with an ITS advertises LPIs and 16 ID bits; KVM default 224 SPIs gives ITLinesNumber 7', () => {
    expect(new Drive(v3Model('rev3', 1, 256, true)).d(4)).toBe(0x007a0008n);
    expect(new Drive(v3Model('rev3', 1, 224, true)).d(4)).toBe(0x007a0007n);
    expect(new Drive(v3Model('rev3', 1, 224, false)).d(4)).toBe(0x00480007n);
  });

  it('round trip (table vs itself): every row with a constant reset value reads it back', () => {
    const m = new Drive(v3Model('rev3', 1, 960, false));
    for (const row of V3_DIST_ROWS) {
      if (row.reset === undefined || row.offset + 4 > 0x10000) continue;
      // 64-bit IROUTER rows read a word at a time.
      expect([row.name, m.d(row.offset)]).toEqual([row.name, row.reset & 0xffffffffn]);
    }
  });
});

describe('GICv3 redistributor reset values', () => {
  it.each([
    ['GICR_CTLR at revision 3 (IR|CES)', 0x0000, 0x6n],
    ['GICR_IIDR', 0x0004, 0x4b00043bn],
    ['GICR_STATUSR', 0x0010, 0n],
    ['GICR_WAKER (RAZ/WI)', 0x0014, 0n],
    ['GICR_PROPBASER', 0x0070, 0n],
    ['GICR_PENDBASER', 0x0078, 0x580n],
    ['GICR_INVLPIR', 0x00a0, 0n],
    ['GICR_INVALLR', 0x00b0, 0n],
    ['GICR_SYNCR', 0x00c0, 0n],
    ['GICR_PIDR2', 0xffe8, 0x3bn],
  ])('%s', (_n, off, want) => {
    expect(new Drive(v3Model()).rd(1, off)).toBe(want);
  });

  it.each([
    ['GICR_IGROUPR0', 0x0080, 0xffffffffn],
    ['GICR_ISENABLER0 (SGIs enabled at reset)', 0x0100, 0xffffn],
    ['GICR_ICENABLER0', 0x0180, 0xffffn],
    ['GICR_ISPENDR0', 0x0200, 0n],
    ['GICR_ISACTIVER0', 0x0300, 0n],
    ['GICR_IPRIORITYR0', 0x0400, 0n],
    ['GICR_IPRIORITYR7', 0x041c, 0n],
    ['GICR_ICFGR0 (SGIs edge)', 0x0c00, 0xaaaaaaaan],
    ['GICR_ICFGR1 (PPIs level)', 0x0c04, 0n],
    ['GICR_IGRPMODR0', 0x0d00, 0n],
    ['GICR_NSACR', 0x0e00, 0n],
  ])('SGI_base %s', (_n, off, want) => {
    expect(new Drive(v3Model()).sgi(0, off)).toBe(want);
  });

  it('GICR_TYPER per vCPU: Processor_Number, affinity, Last only on the last one (spec §2.4 worked values)', () => {
    const one = new Drive(v3Model('rev3', 1, 256, true));
    expect(one.rd(0, 8, 8)).toBe(0x11n);
    const four = new Drive(v3Model('rev3', 4, 256, true));
    expect([0, 1, 2, 3].map((c) => four.rd(c, 8, 8))).toEqual([0x1n, 0x0000000100000101n, 0x0000000200000201n, 0x0000000300000311n]);
    const noIts = new Drive(v3Model('rev3', 2, 256, false));
    expect(noIts.rd(1, 8, 8)).toBe(0x0000000100000110n);
    expect(noIts.rd(1, 0xc)).toBe(1n);
    expect(noIts.m.mmioRead(1, 1, 1, 0xc, 4, null).reg).toBe('GICR_TYPER.HI');
  });

  it('round trip (table vs itself): every SGI_base row with a constant reset value reads it back', () => {
    const m = new Drive(v3Model());
    for (const row of V3_REDIST_ROWS) {
      if (row.reset === undefined || row.offset < 0x10000) continue;
      expect([row.name, m.sgi(0, row.offset - 0x10000)]).toEqual([row.name, row.reset]);
    }
  });
});

describe('GICv3 CPU interface reset values (ICH_VMCR=0, host: 5 priority and preemption bits)', () => {
  const g = new Drive(v3Model());
  it.each([
    ['ICC_PMR_EL1', 0n],
    ['ICC_BPR0_EL1', 2n],
    ['ICC_BPR1_EL1', 3n],
    ['ICC_CTLR_EL1', 0x8c00n],
    ['ICC_SRE_EL1', 7n],
    ['ICC_IGRPEN0_EL1', 0n],
    ['ICC_IGRPEN1_EL1', 0n],
    ['ICC_AP0R0_EL1', 0n],
    ['ICC_AP1R0_EL1', 0n],
    ['ICC_RPR_EL1', 0xffn],
    ['ICC_HPPIR0_EL1', 1023n],
    ['ICC_HPPIR1_EL1', 1023n],
    ['ICC_IAR0_EL1', 1023n],
    ['ICC_IAR1_EL1', 1023n],
  ])('%s', (name, want) => {
    expect(g.sr(0, name)).toBe(want);
  });

  it('unimplemented APRs (index > 0 with 5 preemption bits) and write-only registers UNDEF on read', () => {
    const r = g.m.sysregRead(0, enc('ICC_AP0R1_EL1'), null);
    expect(r.reg).toBe('ICC_AP0R1_EL1');
    expect(r.value).toBe(0n);
    expect(r.note).toMatch(/UNDEF/);
    const sgi = g.m.sysregRead(0, enc('ICC_SGI1R_EL1'), null);
    expect(sgi.reg).toBe('ICC_SGI1R_EL1');
    expect(sgi.note).toMatch(/read_from_write_only/);
  });

  it('outputs are low at reset', () => {
    expect([g.m.irqOutput(0), g.m.fiqOutput(0), g.m.irqOutput(1), g.m.fiqOutput(1)]).toEqual([0, 0, 0, 0]);
  });
});
