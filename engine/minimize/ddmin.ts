// Delta debugging (Zeller and Hildebrandt's ddmin) over event indices, with a batched oracle:
// at each granularity every subset and complement is one batch, so a backend that pays per run
// (real KVM boots once per batch) tests them all at once, and a model backend stops at the first
// that passes. Deterministic: candidates are tried in a fixed order and the first passing one
// in that order is taken, whatever order a backend evaluated them in.

/** The index of the first candidate that still shows the difference, or -1. */
export type BatchOracle = (candidates: readonly (readonly number[])[]) => number;

/** The oracle's replay budget ran out; the minimiser keeps the smallest trace found so far. */
export class BudgetExhausted extends Error {
  constructor() {
    super('replay budget exhausted');
    this.name = 'BudgetExhausted';
  }
}

export interface DdminStep {
  /** Events in the trace after this step (fixed ones included). */
  events: number;
  /** What the step removed: "subset 2/4", "complement 1/8". */
  how: string;
}

export interface DdminResult {
  keep: number[];
  steps: DdminStep[];
  /** The budget ran out before the result was 1-minimal. */
  bounded: boolean;
}

const union = (fixed: readonly number[], part: readonly number[]): number[] => [...fixed, ...part].sort((a, b) => a - b);

function split<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((xs.length - start) / (n - i));
    out.push(xs.slice(start, end));
    start = end;
  }
  return out.filter((c) => c.length > 0);
}

/**
 * The smallest subset of `free` (with `fixed` always kept) that the oracle accepts, 1-minimal:
 * removing any one more event of it loses the difference. `fixed ∪ free` must pass.
 */
export function ddmin(free: readonly number[], fixed: readonly number[], oracle: BatchOracle): DdminResult {
  let cur = [...free];
  const steps: DdminStep[] = [];
  const accept = (next: number[], how: string): void => {
    cur = next;
    steps.push({ events: fixed.length + cur.length, how });
  };
  try {
    if (cur.length > 0 && oracle([union(fixed, [])]) === 0) {
      accept([], 'every free event');
      return { keep: union(fixed, cur), steps, bounded: false };
    }
    let n = 2;
    while (cur.length >= 2) {
      const chunks = split(cur, Math.min(n, cur.length));
      const complements = chunks.length > 2 ? chunks.map((_, k) => chunks.filter((__, j) => j !== k).flat()) : [];
      const tries = [...chunks, ...complements];
      const k = oracle(tries.map((t) => union(fixed, t)));
      if (k >= 0 && k < chunks.length) {
        accept(chunks[k], `kept part ${k + 1} of ${chunks.length}`);
        n = 2;
      } else if (k >= chunks.length) {
        accept(complements[k - chunks.length], `removed part ${k - chunks.length + 1} of ${chunks.length}`);
        n = Math.max(n - 1, 2);
      } else if (chunks.length >= cur.length) {
        break;
      } else {
        n = Math.min(cur.length, 2 * chunks.length);
      }
    }
    return { keep: union(fixed, cur), steps, bounded: false };
  } catch (e) {
    if (e instanceof BudgetExhausted) return { keep: union(fixed, cur), steps, bounded: true };
    throw e;
  }
}
