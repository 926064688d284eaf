// A format rule broken by a decoded value. The reader turns it into an InputError that adds the
// file, byte offset and event index; library callers without a file see it as an InputError too.

import { InputError } from '../errors';

export class Violation extends Error {
  constructor(readonly what: string, readonly expected: string) {
    super(what);
    this.name = 'Violation';
  }
}

export function violation(what: string, expected: string): never {
  throw new Violation(what, expected);
}

/** Describe any decoded msgpack value briefly, for "got ..." parts of messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'nil';
  if (v === undefined) return 'nothing (missing)';
  if (typeof v === 'bigint') return `integer ${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : `float ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'boolean') return `bool ${v}`;
  if (Array.isArray(v)) return `array of ${v.length}`;
  if (v instanceof Uint8Array) return `bin of ${v.length} bytes`;
  if (typeof v === 'object') return 'map';
  return typeof v;
}

/** Run `f`; a Violation becomes an InputError with no file location (for wire-level library calls). */
export function asInputError<T>(f: () => T, source = 'trace value'): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Violation) throw new InputError(`${source}: ${e.what}`, undefined, e.expected);
    throw e;
  }
}
