// Guest register names resolve to the architecture's offsets, and agree with the models' own
// register registries (engine/gic/*) for every register KVM decodes.

import { registryFor } from '../gic';
import { getPolicy } from '../policy/policy';
import { Frame } from '../trace/events';
import { allRegisterNames, resolveRegister } from './regnames';
import { guestHeader } from './recorder';

describe('resolveRegister', () => {
  test('architecture offsets and sizes', () => {
    expect(resolveRegister(3, 'GICD_IGROUPR1')).toEqual({ name: 'GICD_IGROUPR1', frame: Frame.Dist, offset: 0x84, size: 4 });
    expect(resolveRegister(3, 'GICR_ISENABLER0')).toEqual({ name: 'GICR_ISENABLER0', frame: Frame.RedistSgi, offset: 0x100, size: 4 });
    expect(resolveRegister(3, 'GICR_TYPER')).toMatchObject({ frame: Frame.RedistRd, offset: 0x8, size: 8 });
    expect(resolveRegister(3, 'GICD_IROUTER40')).toMatchObject({ frame: Frame.Dist, offset: 0x6140, size: 8 });
    expect(resolveRegister(3, 'GICD_IPRIORITYR8.B2')).toMatchObject({ frame: Frame.Dist, offset: 0x422, size: 1 });
    expect(resolveRegister(3, 'GICD_PIDR2')).toMatchObject({ offset: 0xffe8, size: 4 });
    expect(resolveRegister(2, 'GICD_ICPIDR2')).toMatchObject({ offset: 0xfe8, size: 4 });
    expect(resolveRegister(2, 'GICC_IAR')).toEqual({ name: 'GICC_IAR', frame: Frame.CpuIf, offset: 0xc, size: 4 });
    expect(resolveRegister(2, 'GICC_DIR')).toMatchObject({ offset: 0x1000 });
    expect(resolveRegister(2, 'GICD_ITARGETSR8.B3')).toMatchObject({ offset: 0x823, size: 1 });
  });

  test('wrong names say what is wrong', () => {
    expect(() => resolveRegister(3, 'GICC_IAR')).toThrow('GICC_IAR is a GICv2 register; this guest has a GICv3');
    expect(() => resolveRegister(2, 'GICR_CTLR')).toThrow('GICR_CTLR is a GICv3 register; this guest has a GICv2');
    expect(() => resolveRegister(2, 'GICD_IROUTER40')).toThrow('GICD_IROUTER40 is a GICv3 register; this guest has a GICv2');
    expect(() => resolveRegister(3, 'GICD_IGROUPR32')).toThrow('GICD_IGROUPR32: index 32 is out of range (GICD_IGROUPR0..GICD_IGROUPR31)');
    expect(() => resolveRegister(3, 'GICD_IGROUPR')).toThrow('GICD_IGROUPR needs an index, e.g. GICD_IGROUPR0');
    expect(() => resolveRegister(3, 'GICD_IGROUPR1.B2')).toThrow('GICD_IGROUPR has no byte fields');
    expect(() => resolveRegister(3, 'GICD_FOO')).toThrow('unknown register name "GICD_FOO" for GICv3');
  });
});

/**
 * Registers the architecture defines at an offset KVM registers no region for (RAZ/WI): the
 * models name those by offset (GICD+0xf00), the guest table by their architecture name.
 */
const KVM_NO_REGION: Record<2 | 3, RegExp> = {
  2: /^GICD_NSACR\d+$/,
  3: /^(GICD_NSACR\d+|GICD_[CS]PENDSGIR\d|GICD_SGIR|GICD_(SET|CLR)SPI_N?SR|GICR_STATUSR|GICR_(SET|CLR)LPIR)$/,
};

describe.each([2, 3] as const)('GICv%s names agree with the model registry', (version) => {
  const gic = guestHeader({ name: 't', title: '', scenario: '', gic: { version, cpus: 2, spis: 64 }, program: () => function* () {} }, getPolicy('rev3')).gic;
  const registry = registryFor(gic);
  const names = allRegisterNames(version);

  test('every name the guest table knows', () => {
    expect(names.length).toBeGreaterThan(version === 3 ? 1900 : 800);
    const mismatches: string[] = [];
    for (const n of names) {
      const r = resolveRegister(version, n);
      const d = registry.describeMmio(r.frame, 0, r.offset, r.size);
      if (d.error) mismatches.push(`${n}: ${d.error}`);
      else if (d.reg !== n && !KVM_NO_REGION[version].test(n)) mismatches.push(`${n} is ${d.reg} to the model`);
    }
    expect(mismatches).toEqual([]);
  });
});
