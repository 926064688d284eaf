// The one policy-selection syntax of every command: `--policy` takes built-in IDs, registered
// IDs, IDs of `--policy-file` policies, or policy JSON files themselves, repeated or separated
// by commas (`--policy rev1,rev3 --policy ./vendor.json`); `--policy-file` takes files the same
// way. A command adds both options with policyOptions() and resolves them with chosenPolicies(),
// which leaves the meaning of an ID to engine selectPolicies.
//
// Adopting it in a new command:
//   (c) => policyOptions(c, { count: 'one' })                       in the builder
//   const { chosen } = chosenPolicies(a, root, { count: 'one', command: 'replay' })   in the handler

import * as path from 'path';
import type { Argv } from 'yargs';
import { BUILTIN_POLICY_IDS, Policy, PolicySelection, selectPolicies, UsageError } from '../../engine';

/**
 * `--policy a --policy b` or `--policy a,b`. Not a greedy yargs array: `--policy rev1 traces/x`
 * must not read the trace path as a policy.
 */
export function listOf(v: unknown): string[] {
  const raw = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return raw.flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter((x) => x !== '');
}

export interface PolicyArgs {
  policy?: string[];
  'policy-file'?: string[];
}

/** How many policies a command runs: any number (default: all), exactly one, or exactly two. */
export type PolicyCount = 'any' | 'one' | 'two';

export interface PolicyOptionsSpec {
  count?: PolicyCount;
  /** What an empty selection means, for --help (default: every built-in and registered policy). */
  defaultText?: string;
  /** Extra option names for --policy that older releases used (diff's --policies). */
  aliases?: string[];
}

const SYNTAX = `built-in (${BUILTIN_POLICY_IDS.join(', ')}), registered in package.json, a --policy-file policy's ID, or a policy JSON file; repeat the flag or separate with commas`;

export function policyOptions<T>(y: Argv<T>, spec: PolicyOptionsSpec = {}) {
  const count = spec.count ?? 'any';
  const how = count === 'one' ? 'the policy to run' : count === 'two' ? 'the two policies to compare' : 'only these policies';
  const dflt = spec.defaultText ?? (count === 'any' ? 'every built-in and registered policy' : undefined);
  return y
    .option('policy', { type: 'string', alias: spec.aliases, coerce: listOf, describe: `${how}: ${SYNTAX}${dflt ? ` (default: ${dflt})` : ''}` })
    .option('policy-file', { type: 'string', coerce: listOf, describe: 'policy JSON files of your own, each run as if named by --policy (repeat or separate with commas); register one for good in package.json "gicreplay": { "policyFiles": [...] }' });
}

/**
 * Split --policy values into IDs and files: a value that is no known policy's ID and ends in
 * .json is a file, so `--policy ./vendor.json` means `--policy-file ./vendor.json`.
 */
export function policyRequest(a: PolicyArgs, known: readonly string[]): { ids: string[]; files: string[] } {
  const ids: string[] = [];
  const files = [...(a['policy-file'] ?? [])];
  for (const v of a.policy ?? []) {
    if (!known.includes(v) && /\.json$/i.test(v)) files.push(v);
    else ids.push(v);
  }
  return { ids, files };
}

export interface ChooseOptions {
  count?: PolicyCount;
  /** The command, for messages ("replay runs one policy"). */
  command: string;
  /** IDs to run when nothing is asked (fidelity, check --backend kvm: mainline-rev3). */
  defaults?: readonly string[];
  /** Where relative file paths start (default: the current folder). */
  cwd?: string;
  /** diff: the same policy twice is a valid (identical) comparison. */
  allowRepeat?: boolean;
}

/** The policies the arguments name, checked against what the command runs. */
export function chosenPolicies(a: PolicyArgs, root: string, o: ChooseOptions): PolicySelection & { ids: string[]; files: string[] } {
  const cwd = o.cwd ?? process.cwd();
  const known = selectPolicies({ root, cwd }).universe.map((p) => p.id);
  const req = policyRequest(a, known);
  const files = req.files;
  const ids = !req.ids.length && !files.length && o.defaults ? [...o.defaults] : req.ids;
  const count = o.count ?? 'any';
  const want = count === 'one' ? 1 : count === 'two' ? 2 : 0;
  // The same ID twice: one policy (an error from selectPolicies) unless the command compares a policy with itself.
  const repeated = o.allowRepeat && ids.length === 2 && ids[0] === ids[1] && !files.length;
  const sel = selectPolicies({ root, cwd, ids: repeated ? [ids[0]] : ids, files });
  const chosen: Policy[] = repeated ? [sel.chosen[0], sel.chosen[0]] : sel.chosen;
  if (want && (!sel.filtered || chosen.length !== want)) {
    const named = sel.filtered ? `; --policy and --policy-file name ${chosen.length} (${chosen.map((p) => p.id).join(', ')})` : '';
    const example = want === 1 ? '`--policy rev3` or `--policy-file mine.json`' : '`--policy rev1,rev3` (or `--policy rev1 --policy rev3`)';
    throw new UsageError(`${o.command} runs ${want === 1 ? 'one policy' : 'two policies'}${named}: name ${want === 1 ? 'it' : 'them'}, e.g. ${example}`);
  }
  return { ...sel, chosen, ids, files };
}

/**
 * One policy named by an option of its own (migrate's --from and --to): the same references as
 * --policy (a built-in, registered or --policy-file policy's ID, or a policy JSON file), with the
 * command's --policy-file policies known but not run.
 */
export function namedPolicy(ref: string, a: PolicyArgs, root: string, cwd: string = process.cwd()): Policy {
  const files = a['policy-file'] ?? [];
  const known = selectPolicies({ root, cwd, files }).universe.map((p) => p.id);
  const req = policyRequest({ policy: [ref] }, known);
  const sel = selectPolicies({ root, cwd, ids: req.ids, files: [...files, ...req.files] });
  if (req.ids.length) return sel.chosen[0];
  const file = path.resolve(cwd, req.files[0]);
  return sel.universe.find((p) => p.file && path.resolve(p.file) === file) as Policy;
}
