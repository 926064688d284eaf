import type { TraceHeader } from '../trace/events';
import { sourceCanObserve, sourceObservability } from './observability';

type H = Pick<TraceHeader, 'provenance' | 'gic'>;
function header(kind: TraceHeader['provenance']['kind'], version: 2 | 3): H {
  return {
    provenance: { kind, tool: 't', command: 'c', blindSpots: [], cycles: 'c', details: {} },
    gic: { version, cpus: [{ mpidr: 0x80000000n }], spis: 32, its: false, frames: { dist: 0x08000000n } },
  };
}
const mmio = (reg: string) => ({ reg, via: 'mmio' as const });
const sys = (reg: string) => ({ reg, via: 'sysreg' as const });
const user = (reg: string) => ({ reg, via: 'user' as const });

describe('what each source could observe', () => {
  test('KVM ftrace, GICv3: every GICD/GICR/GITS access; no ICC_* but SGI generation; no timer, no userspace', () => {
    const h = header('kvm-ftrace', 3);
    for (const r of ['GICD_IGROUPR1', 'GICR_CTLR', 'GICR_TYPER', 'GITS_TYPER']) expect(sourceCanObserve(h, mmio(r))).toBe(true);
    for (const r of ['ICC_IAR1_EL1', 'ICC_PMR_EL1', 'ICC_HPPIR1_EL1', 'ICC_CTLR_EL1', 'ICC_SRE_EL1', 'ICC_RPR_EL1']) expect(sourceCanObserve(h, sys(r))).toBe(false);
    for (const r of ['ICC_SGI1R_EL1', 'ICC_ASGI1R_EL1', 'ICC_SGI0R_EL1']) expect(sourceCanObserve(h, sys(r))).toBe(true);
    expect(sourceCanObserve(h, sys('CNTVCT_EL0'))).toBe(false);
    expect(sourceCanObserve(h, user('GICD_IIDR'))).toBe(false);
    expect(sourceObservability(h, sys('ICC_IAR1_EL1')).reason).toMatch(/ICV interface/);
  });

  test('KVM ftrace, GICv2: the CPU interface is hardware GICV; the distributor is trapped', () => {
    const h = header('kvm-ftrace', 2);
    for (const r of ['GICC_IAR', 'GICC_EOIR', 'GICC_CTLR', 'GICC_PMR']) expect(sourceCanObserve(h, mmio(r))).toBe(false);
    for (const r of ['GICD_SGIR', 'GICD_ITARGETSR8', 'GICD_IIDR']) expect(sourceCanObserve(h, mmio(r))).toBe(true);
    expect(sourceObservability(h, mmio('GICC_IAR')).reason).toMatch(/GICV frame/);
  });

  test('QEMU: everything but ICC_SRE (and what QEMU\'s GIC events do not cover)', () => {
    const h = header('qemu', 3);
    expect(sourceCanObserve(h, sys('ICC_SRE_EL1'))).toBe(false);
    expect(sourceCanObserve(h, sys('ICC_IAR1_EL1'))).toBe(true);
    expect(sourceCanObserve(h, mmio('GICD_CTLR'))).toBe(true);
    expect(sourceCanObserve(header('qemu', 2), mmio('GICC_IAR'))).toBe(true);
    expect(sourceCanObserve(h, sys('CNTV_CTL_EL0'))).toBe(false);
  });

  test('guest scripts and hand traces: everything', () => {
    for (const kind of ['guest-script', 'hand'] as const) {
      const h = header(kind, 3);
      for (const r of [sys('ICC_SRE_EL1'), sys('ICC_IAR1_EL1'), mmio('GICC_IAR'), user('GICD_IIDR'), sys('CNTVCT_EL0')]) expect(sourceCanObserve(h, r)).toBe(true);
    }
  });
});
