// What a replay asked of its policy. A model is deterministic and reads its policy only through
// property reads and method calls, so a replay is a function of the trace and of the answers it
// got. ConsultLog hands the model a policy that notes every answer; another policy that gives the
// same answers to the same questions would have made the model take the same steps and produce
// the same records. `check` uses this to replay a trace once for all the policies that agree on
// it (engine/golden/pair.ts); anything the log cannot put again as a question (enumerating the
// policy's keys, an answer that is an object of a kind it cannot follow) makes it opaque, and an
// opaque log stands in for no other policy.

import { Policy } from './policy';

interface Answer {
  /** Property names from the policy down to the value read or the method called. */
  readonly path: readonly PropertyKey[];
  /** Set for a method call: its arguments (primitives only). */
  readonly args?: readonly unknown[];
  readonly value: unknown;
}

type Primitive = string | number | boolean | bigint | undefined | null | symbol;

function isPrimitive(v: unknown): v is Primitive {
  return v === null || (typeof v !== 'object' && typeof v !== 'function');
}


export class ConsultLog {
  private readonly answers = new Map<string, Answer>();
  private opaqueBecause: string | null = null;
  private readonly symbols = new Map<symbol, number>();

  /** Why this log cannot stand in for another policy, or null when it can. */
  get opaque(): string | null {
    return this.opaqueBecause;
  }

  /** How many distinct questions the model asked. */
  get size(): number {
    return this.answers.size;
  }

  /** The policy as the model should see it: the same answers, each one noted. */
  wrap(policy: Policy): Policy {
    return this.node(policy, []) as Policy;
  }

  /**
   * Would `other` have answered every question the same? Then a replay under it takes the
   * replay's steps exactly. Object.is, so -0 and NaN are told apart as the model would.
   */
  agrees(other: Policy): boolean {
    if (this.opaqueBecause !== null) return false;
    for (const a of this.answers.values()) {
      let got: unknown;
      try {
        got = ask(other, a);
      } catch {
        return false;
      }
      if (!Object.is(got, a.value)) return false;
    }
    return true;
  }

  private note(key: string, a: Answer): void {
    const had = this.answers.get(key);
    if (had === undefined) this.answers.set(key, a);
    // One question, two answers (a getter or a method with state): the replay cannot be put again as questions.
    else if (!Object.is(had.value, a.value)) this.refuse(`the policy answered ${key} two ways`);
  }

  /**
   * One question, one key, and no two questions with the same key (else the second would go
   * unasked in agrees): typed parts as JSON, so a string holding a separator cannot pass for two
   * parts, and symbols by identity, numbered in the order met (two symbols may share a description).
   */
  private keyPart(v: unknown): string {
    if (typeof v !== 'symbol') return `${typeof v}:${String(v)}`;
    let n = this.symbols.get(v);
    if (n === undefined) this.symbols.set(v, (n = this.symbols.size));
    return `symbol:${n}`;
  }

  private keyOf(parts: readonly unknown[]): string {
    return JSON.stringify(parts.map((p) => this.keyPart(p)));
  }

  private refuse(why: string): void {
    this.opaqueBecause ??= why;
  }

  private node(target: object, path: readonly PropertyKey[]): object {
    // One proxy per object and one wrapper per method, so identities hold (p.host === p.host).
    const children = new Map<PropertyKey, unknown>();
    const pathKey = this.keyOf(path);
    return new Proxy(target, {
      get: (t, k) => {
        const v: unknown = Reflect.get(t, k, t);
        if (isPrimitive(v)) {
          this.note(`${pathKey}.${JSON.stringify(this.keyPart(k))}`, { path: [...path, k], value: v });
          return v;
        }
        let c = children.get(k);
        if (c === undefined) {
          c = typeof v === 'function' ? this.method(t, v as (...a: unknown[]) => unknown, [...path, k]) : this.node(v as object, [...path, k]);
          children.set(k, c);
        }
        return c;
      },
      has: (t, k) => {
        this.refuse(`the model asked whether the policy has ${String(k)}`);
        return Reflect.has(t, k);
      },
      ownKeys: (t) => {
        this.refuse('the model enumerated the policy');
        return Reflect.ownKeys(t);
      },
      getOwnPropertyDescriptor: (t, k) => {
        this.refuse(`the model inspected the policy's ${String(k)}`);
        return Reflect.getOwnPropertyDescriptor(t, k);
      },
      set: () => {
        this.refuse('the model wrote to the policy');
        return false;
      },
      defineProperty: () => {
        this.refuse('the model wrote to the policy');
        return false;
      },
      deleteProperty: () => {
        this.refuse('the model wrote to the policy');
        return false;
      },
    });
  }

  private method(self: object, fn: (...a: unknown[]) => unknown, path: readonly PropertyKey[]): (...a: unknown[]) => unknown {
    const pathKey = this.keyOf(path);
    return (...args: unknown[]) => {
      // Called on the real object: what the method reads inside is part of its answer.
      const value = fn.apply(self, args);
      if (!args.every(isPrimitive) || !isPrimitive(value)) this.refuse(`policy method ${String(path[path.length - 1])} took or gave an object`);
      else this.note(`${pathKey}(${this.keyOf(args)}`, { path, args, value });
      return value;
    };
  }
}

/** Put the question `a` to `p`. */
function ask(p: Policy, a: Answer): unknown {
  let parent: unknown = undefined;
  let v: unknown = p;
  for (const k of a.path) {
    if (isPrimitive(v)) return NOT_FOUND;
    parent = v;
    v = Reflect.get(v as object, k, v);
  }
  if (!a.args) return v;
  if (typeof v !== 'function') return NOT_FOUND;
  return (v as (...x: unknown[]) => unknown).apply(parent, [...a.args]);
}

const NOT_FOUND = Symbol('no such question');
