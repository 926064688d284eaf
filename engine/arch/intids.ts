// Which INTIDs a per-interrupt register covers, and which INTIDs a value change touches.
// Reports use this to say "INTIDs 32-63" instead of "GICD_IGROUPR1".

interface PerIrqLayout {
  bitsPerIrq: number;
  /** INTID of bit 0 of register index 0. */
  base: number;
}

const PER_IRQ: Record<string, PerIrqLayout> = {
  IGROUPR: { bitsPerIrq: 1, base: 0 },
  ISENABLER: { bitsPerIrq: 1, base: 0 },
  ICENABLER: { bitsPerIrq: 1, base: 0 },
  ISPENDR: { bitsPerIrq: 1, base: 0 },
  ICPENDR: { bitsPerIrq: 1, base: 0 },
  ISACTIVER: { bitsPerIrq: 1, base: 0 },
  ICACTIVER: { bitsPerIrq: 1, base: 0 },
  IGRPMODR: { bitsPerIrq: 1, base: 0 },
  IPRIORITYR: { bitsPerIrq: 8, base: 0 },
  ITARGETSR: { bitsPerIrq: 8, base: 0 },
  ICFGR: { bitsPerIrq: 2, base: 0 },
};

export interface RegisterIntids {
  /** Register family without frame prefix and index, e.g. "IGROUPR". */
  family: string;
  bitsPerIrq: number;
  /** INTID of the lowest field the access covers. */
  first: number;
  /** Number of INTIDs the access covers. */
  count: number;
}

const NAME_RE = /^(GICD|GICR)_([A-Z]+?)(\d+)(?:\.B(\d))?$/;

/** For a per-interrupt register name (GICD_IGROUPR1, GICR_IPRIORITYR3.B2), the INTIDs it covers; undefined otherwise. */
export function registerIntids(reg: string, sizeBytes: number): RegisterIntids | undefined {
  const m = NAME_RE.exec(reg);
  if (!m) return undefined;
  const layout = PER_IRQ[m[2]];
  if (!layout) return undefined;
  const index = Number(m[3]);
  const byte = m[4] === undefined ? 0 : Number(m[4]);
  const perWord = 32 / layout.bitsPerIrq;
  const first = layout.base + index * perWord + (byte * 8) / layout.bitsPerIrq;
  const bits = Math.max(1, sizeBytes) * 8;
  return { family: m[2], bitsPerIrq: layout.bitsPerIrq, first, count: Math.max(1, Math.floor(bits / layout.bitsPerIrq)) };
}

/** INTIDs whose field differs between two values of the same per-interrupt register access. */
export function differingIntids(info: RegisterIntids, a: bigint, b: bigint): number[] {
  const out: number[] = [];
  const mask = (1n << BigInt(info.bitsPerIrq)) - 1n;
  for (let i = 0; i < info.count; i++) {
    const shift = BigInt(i * info.bitsPerIrq);
    if (((a >> shift) & mask) !== ((b >> shift) & mask)) out.push(info.first + i);
  }
  return out;
}

/** "INTID 38" or "INTIDs 32-63, 70": the label reports put before a register difference. */
export function intidLabel(intids: readonly number[]): string {
  return `${new Set(intids).size === 1 ? 'INTID' : 'INTIDs'} ${formatIntidRanges(intids)}`;
}

/** "32-63, 70, 72-73": compact, sorted INTID ranges. */
export function formatIntidRanges(intids: readonly number[]): string {
  const s = [...new Set(intids)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
