// ftrace timestamps as exact integers. The text is `<sec>.<fraction>` for nanosecond clocks
// (6 fraction digits in tracefs output, up to 9 with `trace-cmd report -t`) or a bare integer for
// the `counter` and `uptime` clocks. A float would lose the low digits after ~2^53 ns (104 days
// of uptime), so the decimal text is converted with bigint arithmetic only.

export interface Timestamp {
  /** Nanoseconds for `sec.frac` text, raw clock ticks for bare integers. */
  value: bigint;
  /** True when the text had a fractional part (a nanosecond-based clock). */
  fractional: boolean;
}

const NS_PER_SEC = 1_000_000_000n;

/** Parse the digits of a timestamp; null when the text is not `digits[.digits]` with at most 9 fraction digits. */
export function parseTimestamp(text: string): Timestamp | null {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!m) return null;
  const sec = BigInt(m[1]);
  if (m[2] === undefined) return { value: sec, fractional: false };
  const frac = BigInt(m[2].padEnd(9, '0'));
  return { value: sec * NS_PER_SEC + frac, fractional: true };
}

/** Render nanoseconds as `sec.nnnnnnnnn` (for headers and messages), without any float. */
export function formatNs(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  return `${neg ? '-' : ''}${a / NS_PER_SEC}.${(a % NS_PER_SEC).toString().padStart(9, '0')}`;
}
