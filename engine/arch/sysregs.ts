// AArch64 system registers gicreplay knows by name: the GICv3 CPU interface (ICC_*) and the
// EL1 generic timer (CNT*). Encodings from the Arm ARM / Linux arch/arm64/include/asm/sysreg.h.
// One row per register; the GIC model and the timer model each serve their own rows.

/** Pack an AArch64 system-register encoding as 0xO0O1NNMO2 nibbles: op0<<16 | op1<<12 | CRn<<8 | CRm<<4 | op2. */
export function sysregEncoding(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 16) | (op1 << 12) | (crn << 8) | (crm << 4) | op2;
}

export function decodeSysregEncoding(enc: number): { op0: number; op1: number; crn: number; crm: number; op2: number } {
  return { op0: (enc >> 16) & 0xf, op1: (enc >> 12) & 0xf, crn: (enc >> 8) & 0xf, crm: (enc >> 4) & 0xf, op2: enc & 0xf };
}

export type SysregAccess = 'RW' | 'RO' | 'WO';
export type SysregOwner = 'gic' | 'timer';

export interface SysregInfo {
  name: string;
  enc: number;
  access: SysregAccess;
  owner: SysregOwner;
}

function r(name: string, op0: number, op1: number, crn: number, crm: number, op2: number, access: SysregAccess, owner: SysregOwner): SysregInfo {
  return { name, enc: sysregEncoding(op0, op1, crn, crm, op2), access, owner };
}

export const SYSREGS: readonly SysregInfo[] = [
  r('ICC_PMR_EL1', 3, 0, 4, 6, 0, 'RW', 'gic'),
  r('ICC_IAR0_EL1', 3, 0, 12, 8, 0, 'RO', 'gic'),
  r('ICC_EOIR0_EL1', 3, 0, 12, 8, 1, 'WO', 'gic'),
  r('ICC_HPPIR0_EL1', 3, 0, 12, 8, 2, 'RO', 'gic'),
  r('ICC_BPR0_EL1', 3, 0, 12, 8, 3, 'RW', 'gic'),
  r('ICC_AP0R0_EL1', 3, 0, 12, 8, 4, 'RW', 'gic'),
  r('ICC_AP0R1_EL1', 3, 0, 12, 8, 5, 'RW', 'gic'),
  r('ICC_AP0R2_EL1', 3, 0, 12, 8, 6, 'RW', 'gic'),
  r('ICC_AP0R3_EL1', 3, 0, 12, 8, 7, 'RW', 'gic'),
  r('ICC_AP1R0_EL1', 3, 0, 12, 9, 0, 'RW', 'gic'),
  r('ICC_AP1R1_EL1', 3, 0, 12, 9, 1, 'RW', 'gic'),
  r('ICC_AP1R2_EL1', 3, 0, 12, 9, 2, 'RW', 'gic'),
  r('ICC_AP1R3_EL1', 3, 0, 12, 9, 3, 'RW', 'gic'),
  r('ICC_NMIAR1_EL1', 3, 0, 12, 9, 5, 'RO', 'gic'),
  r('ICC_DIR_EL1', 3, 0, 12, 11, 1, 'WO', 'gic'),
  r('ICC_RPR_EL1', 3, 0, 12, 11, 3, 'RO', 'gic'),
  r('ICC_SGI1R_EL1', 3, 0, 12, 11, 5, 'WO', 'gic'),
  r('ICC_ASGI1R_EL1', 3, 0, 12, 11, 6, 'WO', 'gic'),
  r('ICC_SGI0R_EL1', 3, 0, 12, 11, 7, 'WO', 'gic'),
  r('ICC_IAR1_EL1', 3, 0, 12, 12, 0, 'RO', 'gic'),
  r('ICC_EOIR1_EL1', 3, 0, 12, 12, 1, 'WO', 'gic'),
  r('ICC_HPPIR1_EL1', 3, 0, 12, 12, 2, 'RO', 'gic'),
  r('ICC_BPR1_EL1', 3, 0, 12, 12, 3, 'RW', 'gic'),
  r('ICC_CTLR_EL1', 3, 0, 12, 12, 4, 'RW', 'gic'),
  r('ICC_SRE_EL1', 3, 0, 12, 12, 5, 'RW', 'gic'),
  r('ICC_IGRPEN0_EL1', 3, 0, 12, 12, 6, 'RW', 'gic'),
  r('ICC_IGRPEN1_EL1', 3, 0, 12, 12, 7, 'RW', 'gic'),
  r('CNTFRQ_EL0', 3, 3, 14, 0, 0, 'RO', 'timer'),
  r('CNTPCT_EL0', 3, 3, 14, 0, 1, 'RO', 'timer'),
  r('CNTVCT_EL0', 3, 3, 14, 0, 2, 'RO', 'timer'),
  r('CNTPCTSS_EL0', 3, 3, 14, 0, 5, 'RO', 'timer'),
  r('CNTVCTSS_EL0', 3, 3, 14, 0, 6, 'RO', 'timer'),
  r('CNTKCTL_EL1', 3, 0, 14, 1, 0, 'RW', 'timer'),
  r('CNTP_TVAL_EL0', 3, 3, 14, 2, 0, 'RW', 'timer'),
  r('CNTP_CTL_EL0', 3, 3, 14, 2, 1, 'RW', 'timer'),
  r('CNTP_CVAL_EL0', 3, 3, 14, 2, 2, 'RW', 'timer'),
  r('CNTV_TVAL_EL0', 3, 3, 14, 3, 0, 'RW', 'timer'),
  r('CNTV_CTL_EL0', 3, 3, 14, 3, 1, 'RW', 'timer'),
  r('CNTV_CVAL_EL0', 3, 3, 14, 3, 2, 'RW', 'timer'),
];

const byEnc = new Map<number, SysregInfo>(SYSREGS.map((s) => [s.enc, s]));
const byName = new Map<string, SysregInfo>(SYSREGS.map((s) => [s.name, s]));

export function sysregByEnc(enc: number): SysregInfo | undefined {
  return byEnc.get(enc);
}

/** Accepts the full name (ICC_IAR1_EL1) or the name without the _ELx suffix (ICC_IAR1). */
export function sysregByName(name: string): SysregInfo | undefined {
  return byName.get(name) ?? byName.get(`${name}_EL1`) ?? byName.get(`${name}_EL0`);
}

/** Name for any encoding: the architecture name, or S<op0>_<op1>_C<n>_C<m>_<op2> as assemblers spell unnamed ones. */
export function sysregName(enc: number): string {
  const s = byEnc.get(enc);
  if (s) return s.name;
  const f = decodeSysregEncoding(enc);
  return `S${f.op0}_${f.op1}_C${f.crn}_C${f.crm}_${f.op2}`;
}
