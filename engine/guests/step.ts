// The unit of guest code: a Step is a generator that yields SCHED whenever it hands control back
// to the scheduler (machine.ts), so vCPUs interleave by cycle. Guests write `yield* c.read(…)`.

/** Token a guest step yields to hand control back to the scheduler. */
export const SCHED = Symbol('sched');
export type SchedToken = typeof SCHED;

/** One guest-side operation (or a sequence of them): run it with `yield*`, get its result. */
export type Step<T = void> = Generator<SchedToken, T, void>;

/** Values guests pass: bigint, or a number that is a safe non-negative integer. */
export type Value = bigint | number;
