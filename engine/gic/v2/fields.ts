// Field breakdown of GICv2 registers for reports ("EnableGrp0=1 EnableGrp1=0 ...").

type Field = [name: string, lo: number, width: number, hex?: boolean];

const FIELDS: Record<string, readonly Field[]> = {
  // KVM stores only bit 0: the single distributor enable gating both groups.
  GICD_CTLR: [['Enable', 0, 1]],
  GICD_TYPER: [['ITLinesNumber', 0, 5], ['CPUNumber', 5, 3], ['SecurityExtn', 10, 1], ['LSPI', 11, 5]],
  GICD_IIDR: [['ProductID', 24, 8, true], ['Variant', 16, 4], ['Revision', 12, 4], ['Implementer', 0, 12, true]],
  GICD_SGIR: [['SGIINTID', 0, 4], ['NSATT', 15, 1], ['CPUTargetList', 16, 8, true], ['TargetListFilter', 24, 2]],
  GICC_CTLR: [['EnableGrp0', 0, 1], ['EnableGrp1', 1, 1], ['AckCtl', 2, 1], ['FIQEn', 3, 1], ['CBPR', 4, 1], ['EOImode', 9, 1]],
  GICC_PMR: [['Priority', 0, 8, true]],
  GICC_RPR: [['Priority', 0, 8, true]],
  GICC_BPR: [['BinaryPoint', 0, 3]],
  GICC_ABPR: [['BinaryPoint', 0, 3]],
  GICC_IAR: [['INTID', 0, 10], ['CPUID', 10, 3]],
  GICC_AIAR: [['INTID', 0, 10], ['CPUID', 10, 3]],
  GICC_HPPIR: [['INTID', 0, 10], ['CPUID', 10, 3]],
  GICC_AHPPIR: [['INTID', 0, 10], ['CPUID', 10, 3]],
  GICC_EOIR: [['INTID', 0, 10], ['CPUID', 10, 3]],
  GICC_AEOIR: [['INTID', 0, 10], ['CPUID', 10, 3]],
  GICC_DIR: [['INTID', 0, 10], ['CPUID', 10, 3]],
  GICC_IIDR: [['ProductID', 20, 12, true], ['ArchVersion', 16, 4], ['Revision', 12, 4], ['Implementer', 0, 12, true]],
};

export function formatV2Fields(reg: string, value: bigint): string | undefined {
  const f = FIELDS[reg];
  if (!f) return undefined;
  const v = Number(value & 0xffffffffn);
  return f
    .map(([name, lo, width, hex]) => {
      const x = Math.floor(v / 2 ** lo) % 2 ** width;
      return `${name}=${hex ? `0x${x.toString(16)}` : x.toString(10)}`;
    })
    .join(' ');
}
