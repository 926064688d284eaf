// Static knowledge of a GICv3 configuration's registers for validators and reports: which
// register an access hits, whether KVM accepts its shape, and field decoding.

import { sysregName } from '../../arch/sysregs';
import { RegisterAccess, RegisterRegistry } from '../../model/model';
import { AccessSize, Frame, GicConfig, UserGroup } from '../../trace/events';
import { accessOf, FieldDef, formatFieldList } from '../core/regtable';
import { ITS_FIELDS, ITS_FRAME, GITS_TRANSLATER, VgicIts } from '../its';
import { V3_FIELDS } from './fields';
import { iccRow } from './icc-table';
import { V3_DIST, V3_REDIST } from './model';
import { SGI_BASE } from './redist-table';

export class GicV3Registry implements RegisterRegistry {
  private readonly nrIrqs: number;
  private readonly cpus: number;

  constructor(gic: GicConfig) {
    this.nrIrqs = gic.spis + 32;
    this.cpus = gic.cpus.length;
  }

  describeMmio(frame: Frame, index: number, offset: number, size: AccessSize): RegisterAccess {
    switch (frame) {
      case Frame.Dist: {
        const r = V3_DIST.resolve(offset, size, this.nrIrqs);
        return accessOf(r);
      }
      case Frame.RedistRd:
      case Frame.RedistSgi: {
        if (index < 0 || index >= this.cpus) return { reg: `GICR${index}+0x${offset.toString(16)}`, error: `redistributor ${index} does not exist (${this.cpus} vCPUs)` };
        if (offset < 0 || offset + size > SGI_BASE) return { reg: `GICR+0x${offset.toString(16)}`, error: `offset 0x${offset.toString(16)} is outside the 64 KiB ${frame === Frame.RedistRd ? 'RD_base' : 'SGI_base'} frame` };
        const r = V3_REDIST.resolve(frame === Frame.RedistSgi ? offset + SGI_BASE : offset, size, this.nrIrqs);
        return accessOf(r);
      }
      case Frame.Its: {
        if (offset >= GITS_TRANSLATER && offset < GITS_TRANSLATER + 4) return { reg: 'GITS_TRANSLATER' };
        return accessOf(ITS_FRAME.resolve(offset, size, 0));
      }
      default:
        return { reg: `GICC+0x${offset.toString(16)}`, error: 'a GICv3 configuration has no GICv2 CPU interface frame' };
    }
  }

  describeUser(group: UserGroup, cpu: number | null, offset: number, size: AccessSize): RegisterAccess {
    switch (group) {
      case UserGroup.DistRegs:
      case UserGroup.RedistRegs: {
        const t = group === UserGroup.DistRegs ? V3_DIST : V3_REDIST;
        if (size !== 4) return { reg: t.accessName(offset, size), error: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS/REDIST_REGS accesses are 32-bit' };
        if (group === UserGroup.RedistRegs && (cpu === null || cpu < 0 || cpu >= this.cpus)) return { reg: t.accessName(offset, 4), error: `redistributor access needs a vCPU 0..${this.cpus - 1}` };
        const r = t.resolve(offset, 4, this.nrIrqs);
        return accessOf(r);
      }
      case UserGroup.CpuSysregs: {
        const row = iccRow(offset);
        if (!row) return { reg: sysregName(offset), error: 'not a GICv3 CPU interface system register' };
        if (cpu === null || cpu < 0 || cpu >= this.cpus) return { reg: row.name, error: `CPU_SYSREGS access needs a vCPU 0..${this.cpus - 1}` };
        return { reg: row.name };
      }
      case UserGroup.ItsRegs: {
        const a = VgicIts.userAccess(offset);
        if ('error' in a) return { reg: a.reg, error: a.error };
        if (size !== a.width) return { reg: a.reg, error: `KVM_DEV_ARM_VGIC_GRP_ITS_REGS accesses ${a.reg} as ${a.width * 8} bits` };
        return { reg: a.reg };
      }
      default:
        return { reg: `CPU_REGS+0x${offset.toString(16)}`, error: 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS is GICv2 only' };
    }
  }

  formatFields(reg: string, value: bigint): string | undefined {
    return formatV3Fields(reg, value);
  }
}

/** The fields a register name has (array indices and .HI suffixes understood); `hi`: the upper word of a 64-bit register. */
function resolveV3Fields(reg: string): { fields: readonly FieldDef[]; hi: boolean } | null {
  const direct = V3_FIELDS[reg] ?? ITS_FIELDS[reg];
  if (direct) return { fields: direct, hi: false };
  const m = /^((?:GIC[DR]|GITS)_[A-Z0-9]*?[A-Z])(\d*)(\.HI)?$/.exec(reg);
  if (!m) return null;
  const fields = V3_FIELDS[m[1]] ?? ITS_FIELDS[m[1]];
  return fields ? { fields, hi: m[3] !== undefined } : null;
}

/** Resolved once per register name: rendering asks for every read, and the names are few. */
const v3FieldsOf = new Map<string, { fields: readonly FieldDef[]; hi: boolean } | null>();

/** Field breakdown for GICv3 register names (array indices and .HI suffixes understood). */
export function formatV3Fields(reg: string, value: bigint): string | undefined {
  let e = v3FieldsOf.get(reg);
  if (e === undefined) {
    e = resolveV3Fields(reg);
    v3FieldsOf.set(reg, e);
  }
  if (!e) return undefined;
  return formatFieldList(e.fields, e.hi ? value << 32n : value);
}
