// Counter arithmetic shared by every timer: how a guest cycle maps to the system counter, and at
// which cycle a compare condition next flips. All of it is exact bigint arithmetic: counter values
// are 64-bit and the guest sees them wrap modulo 2^64 once an offset is subtracted.

import { InputError } from '../errors';
import { TimerConfig } from '../trace/events';

export const TWO64 = 1n << 64n;
export const MASK64 = TWO64 - 1n;
export const MASK32 = 0xffffffffn;

/** Non-negative remainder, so a counter minus a larger offset wraps the way a u64 does. */
export function mod64(v: bigint): bigint {
  // Nearly every value is already in range, and a bigint remainder is a division.
  if (v >= 0n && v < TWO64) return v;
  const r = v % TWO64;
  return r < 0n ? r + TWO64 : r;
}

/** Floor division for a possibly negative dividend (bigint `/` truncates towards zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  if (a >= 0n && a < b) return 0n;
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Two's-complement view of the low 32 bits, as KVM's `(s32)val` cast does. */
export function signExtend32(v: bigint): bigint {
  const lo = v & MASK32;
  return lo >= 0x80000000n ? lo - 0x100000000n : lo;
}

/** The header's cycle -> counter ratio, validated once. */
export class CounterClock {
  readonly num: bigint;
  readonly den: bigint;
  /** num is 1 (a counter tick every `den` cycles, as in most traces): no multiply or divide by it. */
  private readonly unitNum: boolean;

  constructor(cfg: TimerConfig) {
    const { num, den } = cfg.counterPerCycle;
    if (den <= 0n || num < 0n) {
      throw new InputError(`trace header timer.counterPerCycle is ${num}/${den}`, undefined, 'num >= 0 and den > 0');
    }
    for (const [name, v] of [['cntfrq', cfg.cntfrq], ['virtualOffset', cfg.virtualOffset], ['physicalOffset', cfg.physicalOffset]] as const) {
      if (v < 0n || v > MASK64) throw new InputError(`trace header timer.${name} is ${v}`, undefined, 'an unsigned 64-bit value');
    }
    this.num = num;
    this.den = den;
    this.unitNum = num === 1n;
  }

  /** Unbounded counter value at `cycle` (integer division, as the header defines it). */
  counterAt(cycle: bigint): bigint {
    return this.unitNum ? cycle / this.den : (cycle * this.num) / this.den;
  }

  /** Smallest cycle >= 0 whose counter reaches `target`, or null if the counter never moves. */
  firstCycleReaching(target: bigint): bigint | null {
    if (target <= 0n) return 0n;
    if (this.num === 0n) return null;
    // floor(c*num/den) >= T  <=>  c*num >= T*den  <=>  c >= ceil(T*den/num), which is T*den for num = 1.
    return this.unitNum ? target * this.den : (target * this.den + this.num - 1n) / this.num;
  }
}

/**
 * The compare condition `(counter - offset) mod 2^64 >= cval` of one timer, seen as a function of
 * the cycle. Within each 2^64-wide window of (counter - offset) it is false below cval and true
 * from cval to the window's end, so it flips at most twice per window.
 */
export function conditionAt(clock: CounterClock, offset: bigint, cval: bigint, cycle: bigint): boolean {
  return mod64(clock.counterAt(cycle) - offset) >= cval;
}

/** First cycle after `cycle` at which the condition differs from its value at `cycle`, or null if never. */
export function nextConditionFlip(clock: CounterClock, offset: bigint, cval: bigint, cycle: bigint): bigint | null {
  const x = clock.counterAt(cycle) - offset;
  const window = floorDiv(x, TWO64);
  const met = x - window * TWO64 >= cval;
  let targetX: bigint;
  if (!met) targetX = window * TWO64 + cval;
  else if (cval === 0n) return null; // every counter value is >= 0: the condition never clears
  else targetX = (window + 1n) * TWO64; // the count wraps to 0, below cval
  return clock.firstCycleReaching(targetX + offset);
}
