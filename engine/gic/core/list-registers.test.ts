// The list registers (list-registers.ts): with more interrupts queued than the host has list
// registers, the guest's CPU interface sees only what vgic_flush_lr_state loaded at the last entry.
// Expectations are KVM's (vgic.c vgic_flush_lr_state / vgic_irq_cmp on 6.1 and on mainline) and
// what real 6.1 answered in the campaign (golden/kvm-campaign-open.json lost these signatures).

import { NO_DEPS } from '../../model/deps';
import { getPolicy, parsePolicy, Policy } from '../../policy/policy';
import { GicV3Model } from '../v3/model';
import { Drive, v3Config } from '../v3/testing/drive';
import { V2Harness } from '../v2/testing/harness';

const SPIS = [32, 33, 34, 35, 36];
const PRIOS = [0xa0, 0x90, 0x80, 0x70, 0x60];
const LATE = 37;
const active = (g: Drive, intid: number): number => g.spiBit(0x300, intid);

function withHost(id: string, listRegisters: number | 'unlimited'): Policy {
  const d = getPolicy(id).data;
  return parsePolicy({ ...d, id: `${id}-lr`, host: { ...(d.host ?? {}), listRegisters } }, 'lr.json');
}

/**
 * One vCPU acknowledges four SPIs of rising priority (each preempts the last: all four active,
 * in the APRs and in the four list registers), the guest sets a fifth active through
 * GICD_ISACTIVER (a trapped write: it joins the ap_list's tail), then a sixth SPI of the highest
 * priority becomes pending.
 */
function fiveActiveOnePending(policy: Policy, cpus = 1): Drive {
  const g = new Drive(new GicV3Model(v3Config(cpus, 64), policy, NO_DEPS));
  g.bootLinuxLike();
  SPIS.forEach((intid, i) => {
    g.enableSpi(intid, PRIOS[i]);
    if (i < 4) {
      g.pendSpi(intid);
      expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(BigInt(intid));
    } else g.dw(0x300 + 4 * (intid >> 5), 1 << (intid & 31));
  });
  for (const intid of SPIS) expect(active(g, intid)).toBe(1);
  g.enableSpi(LATE, 0x50);
  g.pendSpi(LATE);
  return g;
}


describe('list registers: 4 on the host, six interrupts queued', () => {
  it('6.1: the four oldest active SPIs fill the list registers, the pending one is invisible (IAR/HPPIR 1023, no vIRQ) until three are left active', () => {
    const g = fiveActiveOnePending(getPolicy('linux-6.1'));
    expect(g.sr(0, 'ICC_HPPIR1_EL1')).toBe(1023n);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(1023n);
    expect(g.m.irqOutput(0)).toBe(0);
    // Distributor state is KVM's (a trapped read): the SPI is pending.
    expect(g.spiBit(0x200, LATE)).toBe(1);
    // EOI of SPI 36: it is in no list register, so 6.1 only drops the running priority (0x70,
    // SPI 35's; the hardware counts EOIcount, which 6.1 ignores) and SPI 36 stays active.
    expect(g.sw(0, 'ICC_EOIR1_EL1', 36)).toBe('priority dropped; INTID 36 is in no list register (EOIcount only), not deactivated');
    expect(active(g, 36)).toBe(1);
    expect(g.sr(0, 'ICC_RPR_EL1')).toBe(0x80n);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(1023n);
    // EOI of 34 (in a list register; running priority 0x80) deactivates it; four active + one
    // pending still overflow, and the active ones sort first: 32, 33, 35, 36.
    expect(g.sw(0, 'ICC_EOIR1_EL1', 34)).toBeUndefined();
    expect(active(g, 34)).toBe(0);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(1023n);
    // EOI of 33: three active + one pending fit, nothing is left out, the guest sees SPI 37.
    expect(g.sw(0, 'ICC_EOIR1_EL1', 33)).toBeUndefined();
    expect(g.m.irqOutput(0)).toBe(1);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(BigInt(LATE));
  });

  it('6.1 with 2 vCPUs: reads do not exit, so an IAR sequence works on one load of the list registers', () => {
    const g = fiveActiveOnePending(getPolicy('linux-6.1'), 2);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(1023n);
    expect(g.sr(0, 'ICC_HPPIR1_EL1')).toBe(1023n);
  });

  it('mainline: pending interrupts sort first, so the guest sees SPI 37 at once; an EOI reaches interrupts outside the list registers', () => {
    const g = fiveActiveOnePending(getPolicy('mainline-rev3'));
    expect(g.sr(0, 'ICC_HPPIR1_EL1')).toBe(BigInt(LATE));
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(BigInt(LATE));
    // Loaded: 37 and the three highest-priority active SPIs (36, 35, 34); 33 and 32 are outside,
    // and their EOIs (in priority-drop order) still deactivate them.
    for (const intid of [LATE, 35, 34, 33, 32]) expect(g.sw(0, 'ICC_EOIR1_EL1', intid)).toBeUndefined();
    for (const intid of [32, 33, 34, 35, LATE]) expect(active(g, intid)).toBe(0);
  });

  it('the kernel switch alone (lrOverflow active-first on mainline-rev3) gives 6.1\'s answers', () => {
    const d = getPolicy('mainline-rev3').data;
    const p = parsePolicy({ ...d, id: 'mainline-old-lrs', kernel: { lrOverflow: 'active-first' } }, 'k.json');
    const g = fiveActiveOnePending(p);
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(1023n);
    expect(g.sw(0, 'ICC_EOIR1_EL1', 36)).toMatch(/in no list register/);
    expect(active(g, 36)).toBe(1);
    expect(getPolicy('linux-6.1').kernel.lrOverflow).toBe('active-first');
  });

  it.each([16, 'unlimited'] as const)('listRegisters %s: everything fits, 6.1 delivers SPI 37 and deactivates on EOI', (n) => {
    const g = fiveActiveOnePending(withHost('linux-6.1', n));
    expect(g.sr(0, 'ICC_HPPIR1_EL1')).toBe(BigInt(LATE));
    expect(g.sr(0, 'ICC_IAR1_EL1')).toBe(BigInt(LATE));
    expect(g.sw(0, 'ICC_EOIR1_EL1', LATE)).toBeUndefined();
    expect(g.sw(0, 'ICC_EOIR1_EL1', 35)).toBeUndefined();
    expect(active(g, 35)).toBe(0);
  });

  it('listRegisters 6: six queued interrupts fit; 5 do not fit six', () => {
    expect(fiveActiveOnePending(withHost('linux-6.1', 6)).sr(0, 'ICC_IAR1_EL1')).toBe(BigInt(LATE));
    expect(fiveActiveOnePending(withHost('linux-6.1', 5)).sr(0, 'ICC_IAR1_EL1')).toBe(1023n);
  });
});

/**
 * GICv2, a multi-source SGI (6.1/6.12 vgic_flush_lr_state: "multi-SGIs in the pipeline … must all
 * be seen before any IRQ of lower priority"): vCPU 1 and vCPU 0 both send SGI 1 (priority 0x80)
 * to vCPU 0, and SPI 40 (priority 0xA0) is pending there too. Real 6.1 KVM on this stream
 * (`fidelity --backend kvm`; its minimal form is traces/campaign/multi-sgi-cut-v2.gtr): after the
 * guest acknowledges SGI 1 from vCPU 0, GICC_HPPIR reads 1023, not SPI 40; after the EOI the next
 * entry loads SGI 1 from vCPU 1 and SPI 40 (KVM's HPPIR there reads 0x1: QEMU's GICV drops the
 * source, rule gicv-pending; its IARs read 0x401 and 0x28 as here).
 */
function multiSgi(policy: Policy): V2Harness {
  const g = new V2Harness(policy, 2, 32);
  g.dw(0, 0x0, 1);
  g.dw(0, 0x401, 0x80, 1);
  g.dw(0, 0x104, 0x100);
  g.dw(0, 0x428, 0xa0, 1);
  g.dw(0, 0x828, 1, 1);
  g.cw(0, 0x4, 0xff);
  g.cw(0, 0x0, 1);
  g.dw(1, 0xf00, 0x00010001);
  g.dw(0, 0xf00, 0x02000001);
  g.dw(0, 0x204, 0x100);
  expect(g.c(0, 0xc)).toBe(0x1);
  return g;
}

describe('list registers: a GICv2 SGI from two sources', () => {
  it('6.1/6.12: nothing of lower priority than an SGI that keeps a source back is loaded (HPPIR 1023); after its EOI SGI 1 from vCPU 1, then SPI 40', () => {
    for (const id of ['linux-6.1', 'linux-6.12']) {
      const g = multiSgi(getPolicy(id));
      expect(g.c(0, 0x18)).toBe(0x3ff);
      g.cw(0, 0x10, 0x1);
      expect(g.c(0, 0x18)).toBe(0x401);
      expect(g.c(0, 0xc)).toBe(0x401);
      g.cw(0, 0x10, 0x401);
      expect(g.c(0, 0xc)).toBe(0x28);
    }
  });

  it('mainline (the 2025 LR-overflow series dropped the cut) and 6.1 with unlimited list registers show SPI 40 at once', () => {
    for (const p of [getPolicy('mainline-rev3'), withHost('linux-6.1', 'unlimited')]) expect(multiSgi(p).c(0, 0x18)).toBe(0x28);
  });
});
