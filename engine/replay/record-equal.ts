// Equality of replay records, for a check that holds one policy's records to another's instead of
// rendering both (engine/golden/pair.ts). Two records are equal when every field is: equal records
// render to equal golden lines and JSON lines. Reads, write effects and output changes (nearly
// every record) are compared field by field, the rest structurally.

import { OutputRecord, ReadRecord, ReplayRecord, WriteEffectRecord } from './records';

/** Every field of T, or a compile error naming the one a list forgot. */
type AllOf<T, L extends readonly (keyof T)[]> = Exclude<keyof T, L[number]> extends never ? L : { missing: Exclude<keyof T, L[number]> };

const READ = ['op', 'index', 'cycle', 'cpu', 'src', 'via', 'reg', 'offset', 'size', 'value', 'recorded', 'unmodelled', 'note', 'result', 'notComparable'] as const;
const WRITE = ['op', 'index', 'cycle', 'cpu', 'src', 'via', 'reg', 'offset', 'size', 'value', 'effect', 'unmodelled', 'result'] as const;
const OUTPUT = ['op', 'cpu', 'level', 'cycle', 'index', 'notComparable'] as const;
/** The fields of the three common records; the compiler fails when one of them gains a field this does not list. */
export const READ_FIELDS: AllOf<ReadRecord, typeof READ> = READ;
export const WRITE_FIELDS: AllOf<WriteEffectRecord, typeof WRITE> = WRITE;
export const OUTPUT_FIELDS: AllOf<OutputRecord, typeof OUTPUT> = OUTPUT;

// Written out field by field (the lists above, in the same order; record-equal.test.ts changes each
// listed field in turn): a loop over the names made every load a keyed, megamorphic one.
export function sameRecord(a: ReplayRecord, b: ReplayRecord): boolean {
  if (a.op !== b.op) return false;
  switch (a.op) {
    case 'read': {
      const c = b as ReadRecord;
      return a.index === c.index && a.cycle === c.cycle && a.cpu === c.cpu && a.src === c.src && a.via === c.via && a.reg === c.reg && a.offset === c.offset && a.size === c.size && a.value === c.value && a.recorded === c.recorded && a.unmodelled === c.unmodelled && a.note === c.note && a.result === c.result && a.notComparable === c.notComparable;
    }
    case 'write': {
      const c = b as WriteEffectRecord;
      return a.index === c.index && a.cycle === c.cycle && a.cpu === c.cpu && a.src === c.src && a.via === c.via && a.reg === c.reg && a.offset === c.offset && a.size === c.size && a.value === c.value && a.effect === c.effect && a.unmodelled === c.unmodelled && a.result === c.result;
    }
    case 'irq':
    case 'fiq': {
      const c = b as OutputRecord;
      return a.cpu === c.cpu && a.level === c.level && a.cycle === c.cycle && a.index === c.index && a.notComparable === c.notComparable;
    }
    default:
      return sameValue(a, b);
  }
}

/** Structural equality of plain values: objects, arrays, byte arrays and primitives. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(y, k) || !sameValue(x[k], y[k])) return false;
  return true;
}
