import { bigFromUint } from './bigint';

test('bigFromUint gives BigInt(n) on both sides of the cached range, and the same bigint twice', () => {
  for (const n of [0, 1, 127, 128, 255, 0xffff, 0x10000, 0x10001, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 53 - 1]) {
    expect(bigFromUint(n)).toBe(BigInt(n));
    expect(bigFromUint(n)).toBe(bigFromUint(n));
  }
});

test('a value outside what the table holds is still converted, and a non-integer still throws', () => {
  expect(bigFromUint(-1)).toBe(-1n);
  expect(bigFromUint(-1)).toBe(-1n);
  expect(() => bigFromUint(1.5)).toThrow(RangeError);
  expect(() => bigFromUint(70000.5)).toThrow(RangeError);
});
