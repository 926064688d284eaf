// Expected-to-differ (or expected-to-agree) invariants between policies, stated by a maintainer in
// golden/invariants.json. `gicreplay check` enforces them, so a change that makes rev1 and rev3
// identical on the IGROUPR-writability guest fails even if every golden were re-blessed.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { getPolicy, Policy } from '../policy/policy';
import { registerFamily } from './pairwise';
import { diffPolicies, DiffOptions } from './diff';

export const INVARIANTS_SCHEMA = 1;

export interface Invariant {
  /** Trace path relative to the traces folder, e.g. "guests/v3-igroupr-readback.gtr". */
  trace: string;
  policies: [string, string];
  expect: 'differ' | 'agree';
  /** For "differ": a register family (e.g. "GICD_IGROUPR") that must be among the differing reads. */
  register?: string;
  reason: string;
}

export interface InvariantResult {
  invariant: Invariant;
  ok: boolean;
  message: string;
}

export function loadInvariants(file: string): Invariant[] {
  if (!fs.existsSync(file)) return [];
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`invariants file is not valid JSON: ${(e as Error).message}`, { file });
  }
  const o = json as { schema?: unknown; invariants?: unknown };
  if (o === null || typeof o !== 'object' || o.schema !== INVARIANTS_SCHEMA || !Array.isArray(o.invariants)) {
    throw new InputError('invariants file has the wrong shape', { file }, `{"schema": ${INVARIANTS_SCHEMA}, "invariants": [...]}`);
  }
  return o.invariants.map((raw, i) => {
    const v = raw as Record<string, unknown>;
    const where = `invariants[${i}]`;
    if (typeof v.trace !== 'string' || !v.trace.endsWith('.gtr') || path.isAbsolute(v.trace) || v.trace.split(/[\\/]/).includes('..')) {
      throw new InputError(`${where}.trace is ${JSON.stringify(v.trace)}`, { file }, 'a .gtr path relative to traces/, inside it');
    }
    if (!Array.isArray(v.policies) || v.policies.length !== 2 || !v.policies.every((p) => typeof p === 'string')) {
      throw new InputError(`${where}.policies is ${JSON.stringify(v.policies)}`, { file }, 'two policy IDs');
    }
    if (v.expect !== 'differ' && v.expect !== 'agree') throw new InputError(`${where}.expect is ${JSON.stringify(v.expect)}`, { file }, '"differ" or "agree"');
    if (typeof v.reason !== 'string' || v.reason.trim() === '') throw new InputError(`${where}.reason is missing`, { file }, 'a sentence saying why');
    if (v.register !== undefined && typeof v.register !== 'string') throw new InputError(`${where}.register is ${JSON.stringify(v.register)}`, { file }, 'a register family such as "GICD_IGROUPR"');
    return { trace: v.trace, policies: [v.policies[0], v.policies[1]] as [string, string], expect: v.expect, register: v.register as string | undefined, reason: v.reason };
  });
}

export function checkInvariants(tracesDir: string, invariants: readonly Invariant[], policyLookup: (id: string) => Policy = getPolicy, opts: DiffOptions = {}): InvariantResult[] {
  return invariants.map((inv) => {
    const file = path.join(tracesDir, inv.trace);
    if (!fs.existsSync(file)) return { invariant: inv, ok: false, message: `trace ${inv.trace} named by an invariant does not exist` };
    const [a, b] = inv.policies;
    const d = diffPolicies(file, policyLookup(a), policyLookup(b), { ...opts, maxListed: 0 });
    if (inv.expect === 'agree') {
      return d.visibleCount === 0
        ? { invariant: inv, ok: true, message: `${a} and ${b} agree on ${inv.trace}` }
        : { invariant: inv, ok: false, message: `${a} and ${b} must agree on ${inv.trace} (${inv.reason}) but the guest sees ${d.visibleCount} differences, first at event ${d.first!.index}` };
    }
    if (d.visibleCount === 0) return { invariant: inv, ok: false, message: `${a} and ${b} must differ on ${inv.trace} (${inv.reason}) but the guest sees identical output` };
    if (inv.register && !d.groups.some((g) => g.kind === 'read' && (g.subject === inv.register || registerFamily(g.subject) === inv.register))) {
      return { invariant: inv, ok: false, message: `${a} and ${b} must differ in ${inv.register} reads on ${inv.trace} (${inv.reason}); they differ only in ${d.groups.map((g) => g.subject).join(', ')}` };
    }
    return { invariant: inv, ok: true, message: `${a} and ${b} differ on ${inv.trace} as required (${d.visibleCount} differences the guest sees)` };
  });
}
