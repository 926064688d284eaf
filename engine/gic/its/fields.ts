// Field layouts of the GITS_* registers reports decode (Arm IHI 0069 §12.19, arm-gic-v3.h).

import { FieldDef } from '../core/regtable';

const f = (name: string, lsb: number, width = 1): FieldDef => ({ name, lsb, width });

const BASER_COMMON = [f('Size', 0, 8), f('PageSize', 8, 2), f('Shareability', 10, 2), f('PA', 12, 36), f('EntrySize', 48, 5), f('OuterCache', 53, 3), f('Type', 56, 3), f('InnerCache', 59, 3), f('Indirect', 62), f('Valid', 63)];

export const ITS_FIELDS: Readonly<Record<string, readonly FieldDef[]>> = {
  GITS_CTLR: [f('Enabled', 0), f('ImDe', 1), f('ITS_Number', 4, 4), f('UMSIirq', 8), f('Quiescent', 31)],
  GITS_IIDR: [f('Implementer', 0, 12), f('Revision', 12, 4), f('Variant', 16, 4), f('ProductID', 24, 8)],
  GITS_TYPER: [
    f('Physical', 0), f('Virtual', 1), f('CCT', 2), f('ITT_entry_size', 4, 4), f('ID_bits', 8, 5), f('Devbits', 13, 5), f('SEIS', 18),
    f('PTA', 19), f('HCC', 24, 8), f('CIDbits', 32, 4), f('CIL', 36), f('VMOVP', 37), f('MPAM', 38), f('VSGI', 39), f('VMAPP', 40), f('SVPET', 41, 2), f('nID', 43), f('UMSI', 44), f('UMSIirq', 45), f('INV', 46),
  ],
  GITS_CBASER: [f('Size', 0, 8), f('Shareability', 10, 2), f('PA', 12, 40), f('OuterCache', 53, 3), f('InnerCache', 59, 3), f('Valid', 63)],
  GITS_CWRITER: [f('Retry', 0), f('Offset', 5, 15)],
  GITS_CREADR: [f('Stalled', 0), f('Offset', 5, 15)],
  GITS_BASER: BASER_COMMON,
};
