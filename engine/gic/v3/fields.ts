// Field layouts of the GICv3 registers reports decode (Arm IHI 0069, Linux arm-gic-v3.h).

import { FieldDef } from '../core/regtable';

const f = (name: string, lsb: number, width = 1): FieldDef => ({ name, lsb, width });

export const GICD_CTLR_FIELDS = [f('EnableGrp0', 0), f('EnableGrp1', 1), f('ARE', 4), f('DS', 6), f('nASSGIreq', 8), f('RWP', 31)];
export const GICD_TYPER_FIELDS = [
  f('ITLinesNumber', 0, 5), f('CPUNumber', 5, 3), f('ESPI', 8), f('NMI', 9), f('SecurityExtn', 10), f('num_LPIs', 11, 5),
  f('MBIS', 16), f('LPIS', 17), f('DVIS', 18), f('IDbits', 19, 5), f('A3V', 24), f('No1N', 25), f('RSS', 26), f('ESPI_range', 27, 5),
];
export const GICD_TYPER2_FIELDS = [f('VID', 0, 5), f('VIL', 7), f('nASSGIcap', 8)];
export const IIDR_FIELDS = [f('Implementer', 0, 12), f('Revision', 12, 4), f('Variant', 16, 4), f('ProductID', 24, 8)];
export const IROUTER_FIELDS = [f('Aff0', 0, 8), f('Aff1', 8, 8), f('Aff2', 16, 8), f('IRM', 31), f('Aff3', 32, 8)];
export const GICR_CTLR_FIELDS = [f('EnableLPIs', 0), f('CES', 1), f('IR', 2), f('RWP', 3), f('DPG0', 24), f('DPG1NS', 25), f('DPG1S', 26), f('UWP', 31)];
export const GICR_TYPER_FIELDS = [
  f('PLPIS', 0), f('VLPIS', 1), f('Dirty', 2), f('DirectLPI', 3), f('Last', 4), f('DPGS', 5), f('MPAM', 6), f('RVPEID', 7),
  f('Processor_Number', 8, 16), f('CommonLPIAff', 24, 2), f('VSGI', 26), f('PPInum', 27, 5), f('Affinity', 32, 32),
];
export const GICR_WAKER_FIELDS = [f('ProcessorSleep', 1), f('ChildrenAsleep', 2)];
export const PROPBASER_FIELDS = [f('IDbits', 0, 5), f('InnerCache', 7, 3), f('Shareability', 10, 2), f('PA', 12, 40), f('OuterCache', 56, 3)];
export const PENDBASER_FIELDS = [f('InnerCache', 7, 3), f('Shareability', 10, 2), f('PA', 16, 36), f('OuterCache', 56, 3), f('PTZ', 62)];

export const ICC_CTLR_FIELDS = [f('CBPR', 0), f('EOImode', 1), f('PMHE', 6), f('PRIbits', 8, 3), f('IDbits', 11, 3), f('SEIS', 14), f('A3V', 15), f('RSS', 18), f('ExtRange', 19)];
export const ICC_SGIR_FIELDS = [f('TargetList', 0, 16), f('Aff1', 16, 8), f('INTID', 24, 4), f('Aff2', 32, 8), f('IRM', 40), f('RS', 44, 4), f('Aff3', 48, 8)];
export const ICC_INTID_FIELDS = [f('INTID', 0, 24)];
export const ICC_SRE_FIELDS = [f('SRE', 0), f('DFB', 1), f('DIB', 2)];
export const ICC_IGRPEN_FIELDS = [f('Enable', 0)];
export const ICC_PRIORITY_FIELDS = [f('Priority', 0, 8)];
export const ICC_BPR_FIELDS = [f('BinaryPoint', 0, 3)];

/** Register name (without array index) -> fields. */
export const V3_FIELDS: Readonly<Record<string, readonly FieldDef[]>> = {
  GICD_CTLR: GICD_CTLR_FIELDS,
  GICD_TYPER: GICD_TYPER_FIELDS,
  GICD_TYPER2: GICD_TYPER2_FIELDS,
  GICD_IIDR: IIDR_FIELDS,
  GICD_IROUTER: IROUTER_FIELDS,
  GICR_CTLR: GICR_CTLR_FIELDS,
  GICR_IIDR: IIDR_FIELDS,
  GICR_TYPER: GICR_TYPER_FIELDS,
  GICR_WAKER: GICR_WAKER_FIELDS,
  GICR_PROPBASER: PROPBASER_FIELDS,
  GICR_PENDBASER: PENDBASER_FIELDS,
  ICC_CTLR_EL1: ICC_CTLR_FIELDS,
  ICC_SGI1R_EL1: ICC_SGIR_FIELDS,
  ICC_ASGI1R_EL1: ICC_SGIR_FIELDS,
  ICC_SGI0R_EL1: ICC_SGIR_FIELDS,
  ICC_IAR0_EL1: ICC_INTID_FIELDS,
  ICC_IAR1_EL1: ICC_INTID_FIELDS,
  ICC_HPPIR0_EL1: ICC_INTID_FIELDS,
  ICC_HPPIR1_EL1: ICC_INTID_FIELDS,
  ICC_EOIR0_EL1: ICC_INTID_FIELDS,
  ICC_EOIR1_EL1: ICC_INTID_FIELDS,
  ICC_DIR_EL1: ICC_INTID_FIELDS,
  ICC_SRE_EL1: ICC_SRE_FIELDS,
  ICC_IGRPEN0_EL1: ICC_IGRPEN_FIELDS,
  ICC_IGRPEN1_EL1: ICC_IGRPEN_FIELDS,
  ICC_PMR_EL1: ICC_PRIORITY_FIELDS,
  ICC_RPR_EL1: ICC_PRIORITY_FIELDS,
  ICC_BPR0_EL1: ICC_BPR_FIELDS,
  ICC_BPR1_EL1: ICC_BPR_FIELDS,
};
