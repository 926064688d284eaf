// The one way gicreplay prints register values and addresses: lower-case, 0x-prefixed hex.

/**
 * `0x…` of a bigint or a Number. A negative Number is the result of 32-bit bit operations
 * (`v | 1 << 31`) and prints as the unsigned 32-bit value it stands for.
 */
export function hex(v: bigint | number): string {
  return `0x${(typeof v === 'number' && v < 0 ? v >>> 0 : v).toString(16)}`;
}
