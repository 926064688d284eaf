// Expected-to-differ (or expected-to-agree) invariants between policies, stated by a maintainer in
// golden/invariants.json. `gicreplay check` enforces them, so a change that makes rev1 and rev3
// identical on the IGROUPR-writability guest fails even if every golden were re-blessed.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { getPolicy, Policy } from '../policy/policy';
import { registerFamily } from './pairwise';
import { diffPolicies, DiffOptions } from './diff';
import { migrate } from './migrate';
import { VMM_RECIPES, VmmRecipeId } from './migrate-recipe';
import { openTrace } from '../trace/reader';

export const INVARIANTS_SCHEMA = 1;

export interface Invariant {
  /** Trace path relative to the traces folder, e.g. "guests/v3-igroupr-readback.gtr". */
  trace: string;
  policies: [string, string];
  expect: 'differ' | 'agree';
  /** For "differ": a register family (e.g. "GICD_IGROUPR") that must be among the differing reads (with `migration`: or among the restore steps the destination dropped). */
  register?: string;
  /**
   * A migration from policies[0] to policies[1] (`gicreplay migrate`) instead of a comparison from
   * reset: "agree" = the guest cannot tell it was migrated, "differ" = it can.
   */
  migration?: { at: number | 'midpoint' | 'last'; vmm: VmmRecipeId };
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
    const inv: Invariant = { trace: v.trace, policies: [v.policies[0], v.policies[1]] as [string, string], expect: v.expect, register: v.register as string | undefined, reason: v.reason };
    if (v.migration !== undefined) {
      const m = v.migration as Record<string, unknown> | null;
      const at = m?.at;
      const vmm = m?.vmm ?? 'qemu';
      if (m === null || typeof m !== 'object' || !((typeof at === 'number' && Number.isInteger(at) && at >= 0) || at === 'midpoint' || at === 'last') || !VMM_RECIPES.includes(vmm as VmmRecipeId)) {
        throw new InputError(`${where}.migration is ${JSON.stringify(v.migration)}`, { file }, `{"at": N | "midpoint" | "last", "vmm": ${VMM_RECIPES.map((r) => `"${r}"`).join(' | ')}}`);
      }
      inv.migration = { at: at as number | 'midpoint' | 'last', vmm: vmm as VmmRecipeId };
    }
    return inv;
  });
}

export function checkInvariants(tracesDir: string, invariants: readonly Invariant[], policyLookup: (id: string) => Policy = getPolicy, opts: DiffOptions = {}): InvariantResult[] {
  return invariants.map((inv) => {
    const file = path.join(tracesDir, inv.trace);
    if (!fs.existsSync(file)) return { invariant: inv, ok: false, message: `trace ${inv.trace} named by an invariant does not exist` };
    const [a, b] = inv.policies;
    if (inv.migration) return checkMigration(file, inv, policyLookup(a), policyLookup(b), opts);
    const d = diffPolicies(file, policyLookup(a), policyLookup(b), { ...opts, maxListed: 0, analysis: false });
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

/** The event index an invariant's migration names. */
function migrationIndex(file: string, at: number | 'midpoint' | 'last'): number {
  if (typeof at === 'number') return at;
  const r = openTrace(file);
  let n = 0;
  try {
    while (r.next()) n++;
  } finally {
    r.close();
  }
  return at === 'last' ? n - 1 : Math.floor((n - 1) / 2);
}

function checkMigration(file: string, inv: Invariant, pa: Policy, pb: Policy, opts: DiffOptions): InvariantResult {
  const m = inv.migration!;
  const r = migrate(file, pa, pb, { ...opts, at: { index: migrationIndex(file, m.at) }, vmm: m.vmm, analysis: false, maxListed: 0 });
  const what = `a migration from ${pa.id} to ${pb.id} after event ${r.at.index} of ${inv.trace} (${m.vmm} recipe)`;
  if (inv.expect === 'agree') {
    return r.invisible
      ? { invariant: inv, ok: true, message: `the guest cannot tell ${what}` }
      : { invariant: inv, ok: false, message: `${what} must be invisible (${inv.reason}) but the guest sees ${r.visibleCount} differences and ${r.stateAtEnd.length} registers left different; gicreplay migrate traces/${inv.trace} --from ${pa.id} --to ${pb.id} --at ${r.at.index} --vmm ${m.vmm}` };
  }
  if (r.invisible) return { invariant: inv, ok: false, message: `the guest must notice ${what} (${inv.reason}) but cannot tell` };
  const families = new Set([...r.restore.changed.map((s) => registerFamily(s.reg)), ...r.groups.map((g) => registerFamily(g.subject)), ...r.stateAtEnd.map((d) => registerFamily(d.reg))]);
  if (inv.register && !families.has(inv.register)) {
    return { invariant: inv, ok: false, message: `${what} must be noticed through ${inv.register} (${inv.reason}); it is noticed only through ${[...families].sort().join(', ')}` };
  }
  return { invariant: inv, ok: true, message: `the guest notices ${what}, as required` };
}
