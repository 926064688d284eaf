// GICv3 register behaviour through the model: dispatch rules, RAZ/WI rows, naming, KVM's
// single distributor enable, IROUTER, PROPBASER/PENDBASER, the ICC rows, SGI generation.

import { Frame, UserGroup } from '../../trace/events';
import { kvmBsearch } from '../core/regtable';
import { V3_DIST_ROWS } from './dist-table';
import { V3_REDIST_ROWS } from './redist-table';
import { GicV3Registry } from './registry';
import { Drive, v3Config, v3Model } from './testing/drive';

describe('dispatch: access widths, alignment, nr_irqs (check_region)', () => {
  const g = new Drive(v3Model('rev3', 2, 64));

  it('GICD_CTLR accepts only 32-bit accesses: a byte read returns 0 with a note, a byte write is ignored', () => {
    const r = g.m.mmioRead(0, Frame.Dist, 0, 0, 1, null);
    expect(r.value).toBe(0n);
    expect(r.note).toMatch(/32-bit accesses only/);
    expect(g.m.mmioWrite(0, Frame.Dist, 0, 0, 1, 0x12n).effect).toMatch(/ignored/);
    expect(g.d(0)).toBe(0x50n);
  });

  it('16-bit accesses are never accepted', () => {
    const r = g.m.mmioRead(0, Frame.Dist, 0, 0x420, 2, null);
    expect(r.value).toBe(0n);
    expect(r.note).toMatch(/16-bit/);
  });

  it('IPRIORITYR takes byte accesses, named with the byte; KVM keeps 5 priority bits', () => {
    const w = g.m.mmioWrite(0, Frame.Dist, 0, 0x421, 1, 0xa5n);
    expect(w.reg).toBe('GICD_IPRIORITYR8.B1');
    expect(w.effect).toMatch(/stored 0xa0/);
    expect(g.d(0x421, 1)).toBe(0xa0n);
    expect(g.d(0x420)).toBe(0x0000a000n);
    g.dw(0x420, 0xffffffff);
    expect(g.d(0x420)).toBe(0xf8f8f8f8n);
  });

  it('per-INTID rows beyond nr_irqs are RAZ/WI (64 SPIs: INTIDs 96+ do not exist)', () => {
    expect(g.d(0x84)).toBe(0xffffffffn); // IGROUPR1, INTIDs 32-63
    expect(g.d(0x8c)).toBe(0n); // IGROUPR3, INTIDs 96-127
    const r = g.m.mmioRead(0, Frame.Dist, 0, 0x8c, 4, null);
    expect(r.reg).toBe('GICD_IGROUPR3');
    expect(r.note).toMatch(/INTID 96 does not exist/);
  });

  it('misaligned accesses are refused; the registry reports the shape errors the validator rejects', () => {
    expect(g.m.mmioRead(0, Frame.Dist, 0, 0x6, 4, null).note).toMatch(/misaligned/);
    const reg = new GicV3Registry(v3Config(2, 64));
    expect(reg.describeMmio(Frame.Dist, 0, 0x0, 4)).toEqual({ reg: 'GICD_CTLR' });
    expect(reg.describeMmio(Frame.Dist, 0, 0x0, 1).error).toBe('GICD_CTLR allows 32-bit accesses only');
    expect(reg.describeMmio(Frame.Dist, 0, 0x6, 4).error).toMatch(/misaligned/);
    expect(reg.describeMmio(Frame.Dist, 0, 0x10000, 4).error).toMatch(/outside/);
    expect(reg.describeMmio(Frame.Dist, 0, 0x6100, 8)).toEqual({ reg: 'GICD_IROUTER32' });
    expect(reg.describeMmio(Frame.Dist, 0, 0x6144, 4)).toEqual({ reg: 'GICD_IROUTER40.HI' });
    expect(reg.describeMmio(Frame.Dist, 0, 0x14, 4)).toEqual({ reg: 'GICD+0x14', unclaimed: true }); // no region: RAZ/WI, flagged by trace validate
    expect(reg.describeMmio(Frame.RedistSgi, 1, 0x80, 4)).toEqual({ reg: 'GICR_IGROUPR0' });
    expect(reg.describeMmio(Frame.RedistRd, 2, 0x0, 4).error).toMatch(/redistributor 2 does not exist/);
    expect(reg.describeMmio(Frame.RedistRd, 0, 0x8, 8)).toEqual({ reg: 'GICR_TYPER' });
    expect(reg.describeMmio(Frame.RedistSgi, 0, 0x404, 1)).toEqual({ reg: 'GICR_IPRIORITYR1.B0' });
    expect(reg.describeUser(UserGroup.DistRegs, null, 0x8, 8).error).toMatch(/32-bit/);
  });

  it('formats fields of GICD_CTLR, GICD_TYPER, GICR_TYPER.HI, ICC_SGI1R_EL1', () => {
    const reg = new GicV3Registry(v3Config());
    expect(reg.formatFields('GICD_CTLR', 0x52n)).toBe('EnableGrp1=1 ARE=1 DS=1');
    expect(reg.formatFields('GICD_TYPER', 0x00480008n)).toBe('ITLinesNumber=8 IDbits=9');
    expect(reg.formatFields('GICD_IIDR', 0x4b00343bn)).toBe('Implementer=0x43b Revision=3 ProductID=0x4b');
    expect(reg.formatFields('GICR_TYPER.HI', 0x1n)).toBe('Affinity=0x1');
    expect(reg.formatFields('ICC_SGI1R_EL1', 0x10000000006n)).toBe('TargetList=0x6 IRM=1');
    expect(reg.formatFields('GICD_IGROUPR1', 1n)).toBeUndefined();
  });
});

describe('RAZ/WI and RAO/WI rows', () => {
  it.each([
    ['GICD_ISENABLER0 (private bank under ARE)', 0x100],
    ['GICD_ITARGETSR8', 0x820],
    ['GICD_IGRPMODR1', 0xd04],
    ['GICD_IROUTER0', 0x6000],
    ['reserved GICD_SETSPI_NSR', 0x40],
  ])('%s ignores writes and reads 0', (_n, off) => {
    const g = new Drive(v3Model());
    g.dw(off, 0xffffffff);
    expect(g.d(off)).toBe(0n);
  });

  it('GICD_STATUSR is RAO/WI', () => {
    const g = new Drive(v3Model());
    // Every bit reads back as 1, so by the one ignored-write rule no write leaves an effect.
    expect(g.dw(0x10, 0)).toBeUndefined();
    expect(g.dw(0x10, 0xffffffffn)).toBeUndefined();
    expect(g.d(0x10)).toBe(0xffffffffn);
  });

  it('GICR_STATUSR is never found by KVM\'s binary search over its unsorted table: RAZ/WI via the no-region path', () => {
    const g = new Drive(v3Model());
    const r = g.m.mmioRead(0, Frame.RedistRd, 0, 0x10, 4, null);
    expect(r.value).toBe(0n);
    expect(r.reg).toBe('GICR+0x10');
  });

  it('KVM\'s binary search reaches every distributor row and every redistributor row except GICR_STATUSR', () => {
    const missed = (rows: readonly { name: string; offset: number }[]) => rows.filter((r, i) => kvmBsearch(rows as never, r.offset) !== i).map((r) => r.name);
    expect(missed(V3_DIST_ROWS)).toEqual([]);
    expect(missed(V3_REDIST_ROWS)).toEqual(['GICR_STATUSR']);
  });

  it('GICR_WAKER is RAZ/WI: clearing ProcessorSleep shows ChildrenAsleep=0 at once', () => {
    const g = new Drive(v3Model());
    expect(g.rdw(0, 0x14, 0x2)).toMatch(/RAZ\/WI/);
    expect(g.rd(0, 0x14)).toBe(0n);
    expect(g.rdw(0, 0x14, 0)).toBeUndefined();
  });

  it('SGI and PPI configuration is read-only (GICR_ICFGR0/1)', () => {
    const g = new Drive(v3Model());
    expect(g.sgiw(0, 0xc04, 0xaaaaaaaa)).toMatch(/read-only/);
    expect(g.sgi(0, 0xc04)).toBe(0n);
    expect(g.sgiw(0, 0xc00, 0)).toMatch(/read-only/);
    expect(g.sgi(0, 0xc00)).toBe(0xaaaaaaaan);
  });

  it('ICFGR for SPIs stores only the edge bit of each field', () => {
    const g = new Drive(v3Model());
    expect(g.dw(0xc08, 0xffffffff)).toMatch(/stored 0xaaaaaaaa/);
    expect(g.dw(0xc08, 0)).toBeUndefined();
    expect(g.d(0xc08)).toBe(0n);
  });
});

describe('GICD_CTLR: KVM\'s single distributor enable', () => {
  it('Linux\'s 0x13 (EnableGrp0|EnableGrp1|ARE) reads back 0x52, with the effect explained', () => {
    const g = new Drive(v3Model());
    expect(g.dw(0, 0x13)).toMatch(/stored 0x52: GICD_CTLR keeps only EnableGrp1/);
    expect(g.d(0)).toBe(0x52n);
  });

  it('writes whose set bits all read back carry no effect (read-only fields written as 0 are normal)', () => {
    const g = new Drive(v3Model());
    expect(g.dw(0, 0)).toBeUndefined();
    expect(g.dw(0, 0x12)).toBeUndefined();
    expect(g.sw(0, 'ICC_CTLR_EL1', 0)).toBeUndefined();
    expect(g.sw(0, 'ICC_CTLR_EL1', 0x2)).toBeUndefined();
    expect(g.rdw(0, 0, 0x6)).toBeUndefined();
    expect(g.rdw(0, 0, 0x1)).toMatch(/without an ITS/);
  });

  it('EnableGrp0 alone does not enable anything; EnableGrp1 gates Group 0 interrupts too', () => {
    const g = new Drive(v3Model());
    g.dw(0, 0x1);
    expect(g.d(0)).toBe(0x50n);
    g.sw(0, 'ICC_PMR_EL1', 0xf0);
    g.sw(0, 'ICC_IGRPEN0_EL1', 1);
    g.dw(0x84, 0xfffffffe); // SPI 32 Group 0
    g.enableSpi(32);
    g.pendSpi(32);
    expect(g.m.fiqOutput(0)).toBe(0);
    g.dw(0, 0x2);
    g.dw(0x100 + 4, 1); // re-queue (see MODEL.md: enabling the distributor does not queue)
    expect(g.m.fiqOutput(0)).toBe(1);
    expect(g.sr(0, 'ICC_IAR0_EL1')).toBe(32n);
  });
});

describe('GICD_IROUTER', () => {
  it('keeps Aff2.Aff1.Aff0 only; IRM and Aff3 read 0; routes to the vCPU with that affinity', () => {
    const g = new Drive(v3Model('rev3', 2, 64));
    g.bootLinuxLike();
    expect(g.m.mmioWrite(0, Frame.Dist, 0, 0x6140, 8, 0xff80000001n).effect).toMatch(/stored 0x1: KVM keeps Aff2.Aff1.Aff0 only/);
    expect(g.d(0x6140, 8)).toBe(1n);
    expect(g.d(0x6144)).toBe(0n);
    g.enableSpi(40);
    g.pendSpi(40);
    expect([g.m.irqOutput(0), g.m.irqOutput(1)]).toEqual([0, 1]);
    expect(g.sr(1, 'ICC_IAR1_EL1')).toBe(40n);
  });

  it('a route to an affinity no vCPU has leaves the SPI pending and undelivered', () => {
    const g = new Drive(v3Model('rev3', 2, 64));
    g.bootLinuxLike();
    expect(g.dw(0x6140, 0x7)).toMatch(/no vCPU has affinity 0x7/);
    g.enableSpi(40);
    g.pendSpi(40);
    expect(g.spiBit(0x200, 40)).toBe(1);
    expect([g.m.irqOutput(0), g.m.irqOutput(1)]).toEqual([0, 0]);
  });
});

describe('GICR_PROPBASER / PENDBASER', () => {
  it('PROPBASER is one value for the VM, sanitised; PENDBASER is per vCPU with PTZ reading 0', () => {
    const g = new Drive(v3Model('rev3', 2, 64, true));
    // OuterShareable (2) -> InnerShareable (1); inner nC (1) -> RaWb (3); outer WaWb (5) -> SameAsInner (0)
    const v = (5n << 56n) | 0x12345000n | (2n << 10n) | (1n << 7n) | 0xfn;
    expect(g.m.mmioWrite(0, Frame.RedistRd, 0, 0x70, 8, v).effect).toMatch(/sanitises/);
    expect(g.rd(1, 0x70, 8)).toBe(0x12345000n | (1n << 10n) | (3n << 7n) | 0xfn);
    g.m.mmioWrite(1, Frame.RedistRd, 1, 0x78, 8, (1n << 62n) | 0x40000000n | (1n << 10n) | (3n << 7n));
    expect(g.rd(1, 0x78, 8)).toBe(0x40000000n | (1n << 10n) | (3n << 7n));
    expect(g.rd(0, 0x78, 8)).toBe(0x580n);
  });

  it('GICR_CTLR.EnableLPIs with an ITS; PROPBASER is then frozen; without an ITS writes are ignored', () => {
    const g = new Drive(v3Model('rev3', 1, 64, true));
    g.rdw(0, 0, 1);
    expect(g.rd(0, 0)).toBe(0x7n);
    expect(g.rdw(0, 0x70, 0x1000)).toMatch(/LPIs are enabled/);
    g.rdw(0, 0, 0);
    expect(g.rd(0, 0)).toBe(0x6n);
    const n = new Drive(v3Model('rev2', 1, 64, false));
    expect(n.rdw(0, 0, 1)).toMatch(/without an ITS/);
    expect(n.rd(0, 0)).toBe(0n);
  });
});

describe('ICC system registers', () => {
  it('ICC_CTLR_EL1: only CBPR and EOImode are writable', () => {
    const g = new Drive(v3Model());
    expect(g.sw(0, 'ICC_CTLR_EL1', 0xffff)).toMatch(/stored 0x8c03/);
    expect(g.sr(0, 'ICC_CTLR_EL1')).toBe(0x8c03n);
    expect(g.sr(0, 'ICC_BPR1_EL1')).toBe(3n); // CBPR: min(BPR0 + 1, 7)
    expect(g.sw(0, 'ICC_BPR1_EL1', 5)).toMatch(/CBPR=1/);
  });

  it('ICC_SRE_EL1 stays 0x7; writes to read-only registers are UNDEF and ignored', () => {
    const g = new Drive(v3Model());
    expect(g.sw(0, 'ICC_SRE_EL1', 0x1)).toMatch(/0x7/);
    expect(g.sr(0, 'ICC_SRE_EL1')).toBe(7n);
    expect(g.sw(0, 'ICC_IAR1_EL1', 5)).toMatch(/UNDEF/);
    expect(g.sw(0, 'ICC_RPR_EL1', 5)).toMatch(/UNDEF/);
  });

  it('the full Linux acknowledge/EOI cycle of a private timer PPI on vCPU 1', () => {
    const g = new Drive(v3Model());
    g.bootLinuxLike();
    g.sgiw(1, 0x41b, 0xa0, 1); // GICR_IPRIORITYR6.B3 = PPI 27
    g.sgiw(1, 0x100, 1 << 27);
    g.m.setLine(27, 1, 1, 'timer');
    expect([g.m.irqOutput(0), g.m.irqOutput(1)]).toEqual([0, 1]);
    expect(g.sr(1, 'ICC_HPPIR1_EL1')).toBe(27n);
    expect(g.sr(1, 'ICC_IAR1_EL1')).toBe(27n);
    expect(g.sr(1, 'ICC_RPR_EL1')).toBe(0xa0n);
    expect(g.sr(1, 'ICC_AP1R0_EL1')).toBe(1n << 20n);
    g.m.setLine(27, 1, 0, 'timer');
    expect(g.sw(1, 'ICC_EOIR1_EL1', 27)).toBeUndefined();
    expect(g.sr(1, 'ICC_RPR_EL1')).toBe(0xffn);
    expect(g.m.irqOutput(1)).toBe(0);
  });
});

describe('SGI generation (ICC_SGI1R / ASGI1R / SGI0R)', () => {
  const sgiPend = (g: Drive, cpu: number) => g.sgi(cpu, 0x200);

  it('target list + affinity pends the SGI on the named vCPUs only', () => {
    const g = new Drive(v3Model('rev3', 4));
    expect(g.sw(0, 'ICC_SGI1R_EL1', (5n << 24n) | 0b0110n)).toBeUndefined();
    expect([0, 1, 2, 3].map((c) => sgiPend(g, c))).toEqual([0n, 0x20n, 0x20n, 0n]);
  });

  it('IRM=1 pends on every vCPU except the sender; TargetList is ignored', () => {
    const g = new Drive(v3Model('rev3', 4));
    g.sw(2, 'ICC_SGI1R_EL1', (1n << 40n) | (3n << 24n) | 0x1n);
    expect([0, 1, 2, 3].map((c) => sgiPend(g, c))).toEqual([8n, 8n, 0n, 8n]);
  });

  it('a target list naming no existing vCPU pends nothing (Aff1=1 with 4 vCPUs); RS is ignored', () => {
    const g = new Drive(v3Model('rev3', 4));
    expect(g.sw(0, 'ICC_SGI1R_EL1', (1n << 16n) | 0x1n)).toMatch(/no vCPU/);
    expect(g.sw(0, 'ICC_SGI1R_EL1', (1n << 44n) | (2n << 24n) | 0x2n)).toMatch(/RS=1 ignored/);
    expect(sgiPend(g, 1)).toBe(4n);
  });

  it('SGI0R and ASGI1R only pend Group 0 SGIs; SGI1R pends either group (KVM with DS=1)', () => {
    const g = new Drive(v3Model('rev3', 2));
    expect(g.sw(0, 'ICC_SGI0R_EL1', (1n << 24n) | 0x2n)).toMatch(/SGI 1 not pended on vCPU 1: ICC_SGI0R_EL1 only generates Group 0 SGIs/);
    expect(g.sw(0, 'ICC_ASGI1R_EL1', (1n << 24n) | 0x2n)).toMatch(/not pended/);
    expect(sgiPend(g, 1)).toBe(0n);
    g.sgiw(1, 0x80, 0xfffffffd); // SGI 1 Group 0 on vCPU 1
    expect(g.sw(0, 'ICC_SGI0R_EL1', (1n << 24n) | 0x2n)).toBeUndefined();
    expect(sgiPend(g, 1)).toBe(2n);
    g.sgiw(1, 0x280, 2);
    expect(g.sw(0, 'ICC_SGI1R_EL1', (1n << 24n) | 0x2n)).toBeUndefined();
    expect(sgiPend(g, 1)).toBe(2n);
  });

  it('SGIs are delivered with the INTID alone and merge across senders', () => {
    const g = new Drive(v3Model('rev3', 3));
    g.bootLinuxLike();
    g.sw(0, 'ICC_SGI1R_EL1', (4n << 24n) | 0x4n);
    g.sw(1, 'ICC_SGI1R_EL1', (4n << 24n) | 0x4n);
    expect(g.m.irqOutput(2)).toBe(1);
    expect(g.sr(2, 'ICC_IAR1_EL1')).toBe(4n);
    g.sw(2, 'ICC_EOIR1_EL1', 4);
    expect(g.sr(2, 'ICC_IAR1_EL1')).toBe(1023n);
  });
});

describe('configuration checks', () => {
  it('refuses SPI counts KVM cannot configure and vCPU counts beyond VGIC_V3_MAX_CPUS, with InputError', () => {
    const { InputError } = jest.requireActual('../../errors') as typeof import('../../errors');
    expect(() => v3Model('rev3', 1, 100)).toThrow(InputError);
    expect(() => v3Model('rev3', 1, 100)).toThrow(/multiple of 32/);
    expect(() => v3Model('rev3', 1, 992)).toThrow(/SPIs/);
    expect(() => v3Model('rev3', 513, 64)).toThrow(/VGIC_V3_MAX_CPUS/);
    expect(() => v3Model('rev3', 1, 960)).not.toThrow();
  });
});
