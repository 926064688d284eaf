// The one way every command turns --policy / --policy-file (and the project's registered
// policies) into the policies it runs: check, bless, replay, diff and matrix all call
// selectPolicies, so an ID means the same policy everywhere.

import * as path from 'path';
import { InputError } from '../errors';
import { builtinPolicies, loadPolicyFile, Policy } from './policy';
import { projectPolicies } from './project';

export interface PolicyRequest {
  /** Project root (findProjectRoot): its package.json may register policies. */
  root: string;
  /** Where relative --policy-file paths start (default: root). */
  cwd?: string;
  /** --policy: IDs of built-in, registered or --policy-file policies. */
  ids?: readonly string[];
  /** --policy-file: policy JSON files; each is run, whether or not an ID names it. */
  files?: readonly string[];
}

export interface PolicySelection {
  /** Every policy known to this run: the built-ins, the registered ones, then the --policy-file ones. */
  universe: Policy[];
  /** The policies to run, in the order asked (IDs first, then files no ID named); the universe when nothing was asked. */
  chosen: Policy[];
  /** Whether IDs or files narrowed the run. */
  filtered: boolean;
  /** Policies known only through --policy-file (neither built in nor registered): a command naming one needs the file again. */
  adHoc: Policy[];
}

export function selectPolicies(r: PolicyRequest): PolicySelection {
  const universe = [...builtinPolicies()];
  universe.push(...projectPolicies(r.root, universe));
  const fromFiles: Policy[] = [];
  const adHoc: Policy[] = [];
  for (const f of r.files ?? []) {
    const file = path.resolve(r.cwd ?? r.root, f);
    // A registered policy's own file passed again is that policy, not a clash.
    const known = universe.find((u) => path.resolve(u.file) === file);
    if (known) {
      if (!fromFiles.includes(known)) fromFiles.push(known);
      continue;
    }
    const p = loadPolicyFile(file);
    const clash = universe.find((u) => u.id === p.id);
    if (clash) throw new InputError(`policy "${p.id}" is already a built-in or registered policy${clash.file ? ` (${clash.file})` : ''}`, { file: p.file }, 'a policy file with an ID of its own');
    universe.push(p);
    fromFiles.push(p);
    adHoc.push(p);
  }
  const chosen: Policy[] = [];
  for (const id of r.ids ?? []) {
    const p = policyById(universe, id);
    if (chosen.includes(p)) throw new InputError(`policy "${p.id}" given twice`, { file: p.file });
    chosen.push(p);
  }
  for (const p of fromFiles) if (!chosen.includes(p)) chosen.push(p);
  const filtered = chosen.length > 0;
  return { universe, chosen: filtered ? chosen : [...universe], filtered, adHoc };
}

/** The policy of `universe` with this ID; an InputError listing the known IDs when there is none. */
export function policyById(universe: readonly Policy[], id: string): Policy {
  const p = universe.find((u) => u.id === id);
  if (!p) throw new InputError(`unknown policy "${id}"`, undefined, `one of ${universe.map((u) => u.id).join(', ')}, a file given with --policy-file, or one registered in package.json ("gicreplay": { "policyFiles": [...] })`);
  return p;
}
