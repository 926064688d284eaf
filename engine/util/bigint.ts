// Bigints from Numbers without V8's slow path. BigInt(n) of a Number is a call into the runtime
// (about 20 ns on the bench machine), and the replay makes one or two per event: the cycle of
// nearly every trace fits 32 bits, and most register values fit 16. Bigints are immutable
// primitives, so handing out one shared bigint per value is invisible to every caller.

/** Values below this come from the table; each is made once per process, when first asked. */
const CACHED = 0x10000;
const cache: (bigint | undefined)[] = new Array<bigint | undefined>(CACHED).fill(undefined);

/** BigInt(n) for an integer n (callers pass register and field values, 0 <= n < 2^53). */
export function bigFromUint(n: number): bigint {
  if (n >= 0 && n < CACHED) {
    const c = cache[n];
    if (c !== undefined) return c;
    const b = BigInt(n);
    cache[n] = b;
    return b;
  }
  return BigInt(n);
}
