// The checked-in record of today's model-vs-KVM differences (golden/kvm-fidelity-baseline.json),
// so CI can hold the model to real KVM before every difference is explained: a new unexplained
// difference fails, a new explained one and a vanished one are reported (the baseline shrinks
// with `--write-baseline`). Entries are one line of text each so that a review reads them.

import { InputError, UsageError } from '../../errors';
import { readInputText } from '../../util/input-file';
import { FidelityDifference, FidelityReport } from './fidelity';

export const BASELINE_SCHEMA = 1;
export const DEFAULT_BASELINE = 'golden/kvm-fidelity-baseline.json';

export interface Baseline {
  schema: number;
  note: string;
  policy: string;
  /** The kernel the baseline was taken on (file name of its Image). */
  kernel: string;
  /** trace -> difference lines. */
  differences: Record<string, string[]>;
}

/** What identifies a difference: event, vCPU, register, both values; the class is not part of it. */
export function differenceKey(d: FidelityDifference): string {
  const what = d.what === 'irq' || d.what === 'fiq' ? d.what : `${d.what} ${d.reg}`;
  return `#${d.index} ${d.cpu === null ? '-' : `cpu${d.cpu}`} ${what} model=${d.model} kvm=${d.kvm}`;
}

export function differenceLine(d: FidelityDifference): string {
  return `${differenceKey(d)} [${d.class}${d.rule ? `: ${d.rule}` : ''}]`;
}

const keyOf = (line: string): string => line.replace(/ \[[^\]]*\]$/, '');

export function baselineOf(r: FidelityReport, kernel: string): Baseline {
  const differences: Record<string, string[]> = {};
  for (const t of [...r.traces].sort((a, b) => (a.trace < b.trace ? -1 : a.trace > b.trace ? 1 : 0))) {
    if (t.differences.length) differences[t.trace] = t.differences.map(differenceLine);
  }
  return {
    schema: BASELINE_SCHEMA,
    note: 'Model vs real KVM differences accepted for now (gicreplay fidelity --backend kvm). Regenerate with `gicreplay fidelity --backend kvm --write-baseline`; CI fails on a new unexplained difference.',
    policy: r.policy,
    kernel,
    differences,
  };
}

export function renderBaseline(b: Baseline): string {
  return `${JSON.stringify(b, null, 1)}\n`;
}

export function readBaseline(file: string): Baseline {
  const text = readInputText(file, 'fidelity baseline', 64 << 20);
  let b: Baseline;
  try {
    b = JSON.parse(text) as Baseline;
  } catch (e) {
    throw new InputError(`the fidelity baseline is not JSON: ${(e as Error).message}`, { file });
  }
  if (b?.schema !== BASELINE_SCHEMA || typeof b.differences !== 'object' || b.differences === null) throw new InputError(`not a gicreplay fidelity baseline (schema ${String(b?.schema)})`, { file }, `schema ${BASELINE_SCHEMA}`);
  return b;
}

export interface BaselineComparison {
  /** New differences that no rule explains: these fail. */
  newUnexplained: FidelityDifference[];
  /** New differences a rule explains: reported. */
  newExplained: FidelityDifference[];
  /** Baseline lines no longer seen: reported, so the baseline can shrink. */
  gone: { trace: string; line: string }[];
  /** Traces in the baseline that this run did not replay (filtered out): not judged. */
  unchecked: string[];
}

export function compareWithBaseline(r: FidelityReport, b: Baseline): BaselineComparison {
  if (b.policy !== r.policy) throw new UsageError(`the baseline was taken under policy ${b.policy}, this run is under ${r.policy}: run with --policy ${b.policy} or write a baseline for ${r.policy}`);
  const out: BaselineComparison = { newUnexplained: [], newExplained: [], gone: [], unchecked: [] };
  const ran = new Set(r.traces.map((t) => t.trace));
  for (const t of r.traces) {
    const known = new Set((b.differences[t.trace] ?? []).map(keyOf));
    const seen = new Set<string>();
    for (const d of t.differences) {
      const k = differenceKey(d);
      seen.add(k);
      if (known.has(k)) continue;
      (d.class === 'unexplained' ? out.newUnexplained : out.newExplained).push(d);
    }
    for (const line of b.differences[t.trace] ?? []) if (!seen.has(keyOf(line))) out.gone.push({ trace: t.trace, line });
  }
  for (const trace of Object.keys(b.differences)) if (!ran.has(trace)) out.unchecked.push(trace);
  return out;
}
