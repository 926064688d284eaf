// Which ICC_* system register each gicv3_icc_* trace line names, and SGI-register reconstruction.
// Events with a group or index in the name (ICC_BPR%d, ICC_IGRPEN%d, ICC_EOIR%d, ICC_AP%dR%d)
// take them from the line's leading numeric fields.

import { sysregByName } from '../../arch/sysregs';

export interface IccRow {
  /** Register name with {g} for the group and {n} for the index. */
  name: string;
  dir: 'read' | 'write';
  /** How many leading fields of the line are {g} / {n} before the cpu field. */
  lead: ('g' | 'n')[];
}

export const ICC_EVENTS: Readonly<Record<string, IccRow>> = {
  gicv3_icc_pmr_read: { name: 'ICC_PMR_EL1', dir: 'read', lead: [] },
  gicv3_icc_pmr_write: { name: 'ICC_PMR_EL1', dir: 'write', lead: [] },
  gicv3_icc_bpr_read: { name: 'ICC_BPR{g}_EL1', dir: 'read', lead: ['g'] },
  gicv3_icc_bpr_write: { name: 'ICC_BPR{g}_EL1', dir: 'write', lead: ['g'] },
  gicv3_icc_ap_read: { name: 'ICC_AP{g}R{n}_EL1', dir: 'read', lead: ['g', 'n'] },
  gicv3_icc_ap_write: { name: 'ICC_AP{g}R{n}_EL1', dir: 'write', lead: ['g', 'n'] },
  gicv3_icc_igrpen_read: { name: 'ICC_IGRPEN{g}_EL1', dir: 'read', lead: ['g'] },
  gicv3_icc_igrpen_write: { name: 'ICC_IGRPEN{g}_EL1', dir: 'write', lead: ['g'] },
  gicv3_icc_ctlr_read: { name: 'ICC_CTLR_EL1', dir: 'read', lead: [] },
  gicv3_icc_ctlr_write: { name: 'ICC_CTLR_EL1', dir: 'write', lead: [] },
  gicv3_icc_iar0_read: { name: 'ICC_IAR0_EL1', dir: 'read', lead: [] },
  gicv3_icc_iar1_read: { name: 'ICC_IAR1_EL1', dir: 'read', lead: [] },
  gicv3_icc_eoir_write: { name: 'ICC_EOIR{g}_EL1', dir: 'write', lead: ['g'] },
  gicv3_icc_hppir0_read: { name: 'ICC_HPPIR0_EL1', dir: 'read', lead: [] },
  gicv3_icc_hppir1_read: { name: 'ICC_HPPIR1_EL1', dir: 'read', lead: [] },
  gicv3_icc_dir_write: { name: 'ICC_DIR_EL1', dir: 'write', lead: [] },
  gicv3_icc_rpr_read: { name: 'ICC_RPR_EL1', dir: 'read', lead: [] },
};

/** Encoding of the register a gicv3_icc_* line names, or a reason it names none. */
export function iccEncoding(event: string, lead: number[]): { enc: number; name: string } | { error: string } {
  const row = ICC_EVENTS[event];
  if (!row) return { error: `${event} is not an ICC register event` };
  let name = row.name;
  row.lead.forEach((k, i) => {
    name = name.replace(`{${k}}`, String(lead[i]));
  });
  const info = sysregByName(name);
  if (!info) return { error: `no system register ${name}` };
  return { enc: info.enc, name };
}

export const ICC_SGI1R = sysregByName('ICC_SGI1R_EL1')!.enc;
export const ICC_SGI0R = sysregByName('ICC_SGI0R_EL1')!.enc;

/**
 * The ICC_SGI1R_EL1 value that produces a gicv3_icc_generate_sgi line: INTID [27:24], IRM [40],
 * target list [15:0], Aff1 [23:16], Aff2 [39:32], Aff3 [55:48]. `aff` is the line's
 * Aff3<<16 | Aff2<<8 | Aff1. RS [47:44] is not in the line and is left 0.
 */
export function sgi1rValue(intid: number, irm: number, aff: number, targetList: number): bigint {
  const aff1 = BigInt(aff & 0xff);
  const aff2 = BigInt((aff >>> 8) & 0xff);
  const aff3 = BigInt((aff >>> 16) & 0xff);
  return (aff3 << 48n) | (BigInt(irm & 1) << 40n) | (aff2 << 32n) | (BigInt(intid & 0xf) << 24n) | (aff1 << 16n) | BigInt(targetList & 0xffff);
}
