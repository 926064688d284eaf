// Policies a project registers for good: `"gicreplay": { "policyFiles": [...] }` in the project's
// package.json, paths relative to the project root. check, bless and matrix treat them like the
// built-in ones, so a kernel's own policy is checked by the plain `gicreplay check` in CI instead
// of its goldens being reported obsolete whenever --policy-file is not passed.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { builtinPolicies, loadPolicyFile, Policy } from '../policy/policy';
import { findProjectRoot } from './layout';

const EXPECTED = '"gicreplay": { "policyFiles": ["path/to/policy.json", …] } with paths relative to the project root';

/** The registered policy files of the project at `root`, as absolute paths, in the order listed. */
export function projectPolicyFiles(root: string): string[] {
  const pkg = path.join(root, 'package.json');
  if (!fs.existsSync(pkg)) return [];
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(pkg, 'utf8'));
  } catch (e) {
    throw new InputError(`package.json is not valid JSON: ${(e as Error).message}`, { file: pkg });
  }
  const cfg = (json as { gicreplay?: unknown } | null)?.gicreplay;
  if (cfg === undefined) return [];
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new InputError('the "gicreplay" key is not an object', { file: pkg }, EXPECTED);
  const files = (cfg as { policyFiles?: unknown }).policyFiles;
  if (files === undefined) return [];
  if (!Array.isArray(files) || files.some((f) => typeof f !== 'string' || f === '')) throw new InputError('"gicreplay.policyFiles" is not a list of file names', { file: pkg }, EXPECTED);
  return (files as string[]).map((f) => path.resolve(root, f));
}

/** The registered policies, refusing an ID that a built-in or an earlier registered policy has. */
export function projectPolicies(root: string, taken: readonly Policy[]): Policy[] {
  const out: Policy[] = [];
  for (const file of projectPolicyFiles(root)) {
    if (!fs.existsSync(file)) throw new InputError(`"gicreplay.policyFiles" names ${path.relative(root, file)}, which does not exist`, { file: path.join(root, 'package.json') }, 'paths relative to the project root');
    const p = loadPolicyFile(file);
    const clash = [...taken, ...out].find((q) => q.id === p.id);
    if (clash) throw new InputError(`policy "${p.id}" is registered in package.json but ${clash.file} already has that ID`, { file }, 'a policy file with an ID of its own');
    out.push(p);
  }
  return out;
}

/** The registered policies of the project that holds `cwd` (for commands that take trace paths, not a root). */
export function registeredPoliciesFrom(cwd: string): Policy[] {
  return projectPolicies(findProjectRoot(cwd), builtinPolicies());
}
