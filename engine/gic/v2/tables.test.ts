import { Frame, UserGroup } from '../../trace/events';
import { GICV2_REGISTRY } from './registry';
import { gicdIidr } from '../core/iidr';
import { gicdTyper, GICC_IIDR_USER } from './ids';
import { decodeSgir } from './sgir';
import { deliveryVcpu, storedTargets } from './targets';

describe('GICv2 identification values (vgic_mmio_read_v2_misc)', () => {
  it('GICD_IIDR is 0x4B00r43B for revision r', () => {
    expect(gicdIidr(1)).toBe(0x4b00143b);
    expect(gicdIidr(2)).toBe(0x4b00243b);
    expect(gicdIidr(3)).toBe(0x4b00343b);
  });
  it('GICD_TYPER: ITLinesNumber from the INTID count, CPUNumber = vCPUs - 1', () => {
    // QEMU virt: 288 INTIDs (256 SPIs)
    expect(gicdTyper(256, 1)).toBe(0x08);
    expect(gicdTyper(256, 2)).toBe(0x28);
    expect(gicdTyper(256, 4)).toBe(0x68);
    // KVM default 256 INTIDs
    expect(gicdTyper(224, 2)).toBe(0x27);
    expect(gicdTyper(32, 8)).toBe(0xe1); // 64 INTIDs, 8 vCPUs
  });
  it('userspace GICC_IIDR is 0x04B2043B', () => {
    expect(GICC_IIDR_USER).toBe(0x04b2043b);
  });
});

describe('GICD_SGIR decoding (vgic_mmio_write_sgir)', () => {
  it('filter 0 uses the target list, limited to existing vCPUs', () => {
    expect(decodeSgir(0x00ff0003, 0, 2)).toEqual({ sgi: 3, filter: 0, targets: 0b11 });
  });
  it('filter 1: every vCPU but the writer', () => {
    expect(decodeSgir(0x01000005, 1, 4).targets).toBe(0b1101);
  });
  it('filter 2: the writer only, whatever the list says', () => {
    expect(decodeSgir(0x02ff0005, 2, 4).targets).toBe(0b0100);
  });
  it('filter 3 is reserved: the write is ignored', () => {
    const d = decodeSgir(0x03ff0001, 0, 2);
    expect(d.targets).toBe(0);
    expect(d.ignored).toMatch(/TargetListFilter 3/);
  });
  it('NSATT is ignored', () => {
    expect(decodeSgir(0x00018001, 0, 2)).toEqual(decodeSgir(0x00010001, 0, 2));
  });
});

describe('ITARGETSR routing quirks (vgic_mmio_write_target)', () => {
  it('drops bits of vCPUs that do not exist', () => {
    expect(storedTargets(0xff, 2)).toBe(0x03);
    expect(storedTargets(0x04, 2)).toBe(0);
  });
  it('several targets: the lowest wins; none: vCPU 0', () => {
    expect(deliveryVcpu(0b1100)).toBe(2);
    expect(deliveryVcpu(0b1010)).toBe(1);
    expect(deliveryVcpu(0)).toBe(0);
    expect(deliveryVcpu(0x80)).toBe(7);
  });
});

describe('GICv2 register registry', () => {
  const d = (off: number, size: 1 | 2 | 4 | 8) => GICV2_REGISTRY.describeMmio(Frame.Dist, 0, off, size);
  const c = (off: number, size: 1 | 2 | 4 | 8) => GICV2_REGISTRY.describeMmio(Frame.CpuIf, 0, off, size);
  it('names registers with their index and byte lane', () => {
    expect(d(0x820, 4)).toEqual({ reg: 'GICD_ITARGETSR8' });
    expect(d(0x821, 1)).toEqual({ reg: 'GICD_ITARGETSR8.B1' });
    expect(d(0x404, 4)).toEqual({ reg: 'GICD_IPRIORITYR1' });
    expect(d(0x084, 4)).toEqual({ reg: 'GICD_IGROUPR1' });
    expect(d(0xf14, 4)).toEqual({ reg: 'GICD_CPENDSGIR1' });
    expect(d(0xf04, 4)).toEqual({ reg: 'GICD+0xf04', unclaimed: true }); // no region: RAZ/WI, flagged by trace validate
    expect(d(0xfe8, 4)).toEqual({ reg: 'GICD_ICPIDR2' });
    expect(c(0x00c, 4)).toEqual({ reg: 'GICC_IAR' });
    expect(c(0x1000, 4)).toEqual({ reg: 'GICC_DIR' });
    expect(c(0x0d4, 4)).toEqual({ reg: 'GICC_APR1' });
  });
  it('rejects 64-bit, 16-bit, misaligned and wrongly sized accesses', () => {
    expect(d(0x000, 8).error).toMatch(/32-bit accesses only/);
    expect(d(0x400, 2).error).toBe('GICD_IPRIORITYR allows 8- and 32-bit accesses');
    expect(d(0x001, 1).error).toMatch(/GICD_CTLR allows 32-bit/);
    expect(d(0x402, 4).error).toMatch(/misaligned/);
    expect(d(0x403, 1).error).toBeUndefined();
    expect(c(0x000, 1).error).toBe('GICC_CTLR allows 32-bit accesses only');
  });
  it('rejects offsets outside the 4 KiB distributor and 8 KiB CPU interface', () => {
    expect(d(0x1000, 4)).toEqual({ reg: 'GICD+0x1000', error: expect.stringMatching(/outside the 4 KiB GICv2 distributor/) });
    expect(c(0x2000, 4).error).toMatch(/outside the 8 KiB/);
    expect(GICV2_REGISTRY.describeMmio(Frame.RedistRd, 0, 0, 4).error).toBe('a GICv2 has no RedistRd frame (only GICD and GICC)');
  });
  it('userspace: 32-bit only, CPU_REGS is the small VMCR table', () => {
    expect(GICV2_REGISTRY.describeUser(UserGroup.DistRegs, 0, 0x080, 4)).toEqual({ reg: 'GICD_IGROUPR0' });
    // no region: KVM's get/set attribute reads 0 and ignores writes (only HAS_DEVICE_ATTR says -ENXIO)
    expect(GICV2_REGISTRY.describeUser(UserGroup.DistRegs, 0, 0xfe8, 4)).toEqual({ reg: 'GICD_ICPIDR2' });
    expect(GICV2_REGISTRY.describeUser(UserGroup.DistRegs, 0, 0x2000, 4).error).toMatch(/outside/);
    expect(GICV2_REGISTRY.describeUser(UserGroup.DistRegs, 0, 0x800, 1).error).toBe("KVM's GICv2 device attributes are 32-bit (got 8-bit)");
    expect(GICV2_REGISTRY.describeUser(UserGroup.CpuRegs, 1, 0x0fc, 4)).toEqual({ reg: 'GICC_IIDR' });
    expect(GICV2_REGISTRY.describeUser(UserGroup.CpuRegs, 1, 0x00c, 4)).toEqual({ reg: 'GICC+0xc', unclaimed: true });
    expect(GICV2_REGISTRY.describeUser(UserGroup.RedistRegs, 0, 0, 4).error).toBe("KVM's GICv2 device has no RedistRegs attribute group");
  });
  it('formats fields of the registers reports decode', () => {
    // core convention (formatFieldList): non-zero fields only, wide fields in hex
    const num = (s: string | undefined, field: string) => {
      const m = new RegExp(`(?:^| )${field}=(0x[0-9a-f]+|\\d+)(?: |$)`).exec(s ?? '');
      return m ? Number(m[1]) : undefined;
    };
    const iar = GICV2_REGISTRY.formatFields('GICC_IAR', 0x404n);
    expect([num(iar, 'INTID'), num(iar, 'CPUID')]).toEqual([4, 1]);
    expect(num(GICV2_REGISTRY.formatFields('GICC_AIAR', 0x3fen), 'INTID')).toBe(1022);
    const typer = GICV2_REGISTRY.formatFields('GICD_TYPER', 0x68n);
    expect([num(typer, 'ITLinesNumber'), num(typer, 'CPUNumber'), num(typer, 'SecurityExtn')]).toEqual([8, 3, undefined]);
    const ctlr = GICV2_REGISTRY.formatFields('GICC_CTLR', 0x20dn);
    expect(['EnableGrp0', 'EnableGrp1', 'AckCtl', 'FIQEn', 'CBPR', 'EOImode'].map((f) => num(ctlr, f))).toEqual([1, undefined, 1, 1, undefined, 1]);
    const sgir = GICV2_REGISTRY.formatFields('GICD_SGIR', 0x02018003n);
    expect(['SGIINTID', 'NSATT', 'CPUTargetList', 'TargetListFilter'].map((f) => num(sgir, f))).toEqual([3, 1, 1, 2]);
    const iidr = GICV2_REGISTRY.formatFields('GICD_IIDR', 0x4b00343bn);
    expect(['ProductID', 'Revision', 'Implementer'].map((f) => num(iidr, f))).toEqual([0x4b, 3, 0x43b]);
    expect(GICV2_REGISTRY.formatFields('GICD_CTLR', 1n)).toBe('Enable=1');
    expect(GICV2_REGISTRY.formatFields('GICD_ISENABLER0', 1n)).toBeUndefined();
  });
});
