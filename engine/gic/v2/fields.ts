// Field layouts of the GICv2 registers reports decode (Arm IHI 0048B, Linux arm-gic.h).

import { FieldDef, formatFieldList } from '../core/regtable';

const f = (name: string, lsb: number, width = 1): FieldDef => ({ name, lsb, width });

/** KVM stores only bit 0: the single distributor enable gating both groups. */
export const GICD_CTLR_FIELDS = [f('Enable', 0)];
export const GICD_TYPER_FIELDS = [f('ITLinesNumber', 0, 5), f('CPUNumber', 5, 3), f('SecurityExtn', 10), f('LSPI', 11, 5)];
export const GICD_IIDR_FIELDS = [f('Implementer', 0, 12), f('Revision', 12, 4), f('Variant', 16, 4), f('ProductID', 24, 8)];
export const GICD_SGIR_FIELDS = [f('SGIINTID', 0, 4), f('NSATT', 15), f('CPUTargetList', 16, 8), f('TargetListFilter', 24, 2)];
export const GICC_CTLR_FIELDS = [f('EnableGrp0', 0), f('EnableGrp1', 1), f('AckCtl', 2), f('FIQEn', 3), f('CBPR', 4), f('EOImode', 9)];
export const GICC_PRIORITY_FIELDS = [f('Priority', 0, 8)];
export const GICC_BPR_FIELDS = [f('BinaryPoint', 0, 3)];
/** IAR, AIAR, HPPIR, AHPPIR, EOIR, AEOIR, DIR: INTID and, for SGIs, the source CPU. */
export const GICC_INTID_FIELDS = [f('INTID', 0, 10), f('CPUID', 10, 3)];
export const GICC_IIDR_FIELDS = [f('Implementer', 0, 12), f('Revision', 12, 4), f('ArchVersion', 16, 4), f('ProductID', 20, 12)];

/** Register name (without array index or byte lane) -> fields. */
export const V2_FIELDS: Readonly<Record<string, readonly FieldDef[]>> = {
  GICD_CTLR: GICD_CTLR_FIELDS,
  GICD_TYPER: GICD_TYPER_FIELDS,
  GICD_IIDR: GICD_IIDR_FIELDS,
  GICD_SGIR: GICD_SGIR_FIELDS,
  GICC_CTLR: GICC_CTLR_FIELDS,
  GICC_PMR: GICC_PRIORITY_FIELDS,
  GICC_RPR: GICC_PRIORITY_FIELDS,
  GICC_BPR: GICC_BPR_FIELDS,
  GICC_ABPR: GICC_BPR_FIELDS,
  GICC_IAR: GICC_INTID_FIELDS,
  GICC_AIAR: GICC_INTID_FIELDS,
  GICC_HPPIR: GICC_INTID_FIELDS,
  GICC_AHPPIR: GICC_INTID_FIELDS,
  GICC_EOIR: GICC_INTID_FIELDS,
  GICC_AEOIR: GICC_INTID_FIELDS,
  GICC_DIR: GICC_INTID_FIELDS,
  GICC_IIDR: GICC_IIDR_FIELDS,
};

/** Resolved once per register name: rendering asks for every read, and the names are few. */
const v2FieldsOf = new Map<string, readonly FieldDef[] | null>();

export function formatV2Fields(reg: string, value: bigint): string | undefined {
  let fields = v2FieldsOf.get(reg);
  if (fields === undefined) {
    fields = V2_FIELDS[reg] ?? V2_FIELDS[reg.replace(/\d+(\.B\d)?$/, '')] ?? null;
    v2FieldsOf.set(reg, fields);
  }
  return fields ? formatFieldList(fields, value) : undefined;
}
