// Policies a project registers for good: `"gicreplay": { "policyFiles": [...] }` in the project's
// package.json, paths relative to the project root. check, bless and matrix treat them like the
// built-in ones, so a kernel's own policy is checked by the plain `gicreplay check` in CI instead
// of its goldens being reported obsolete whenever --policy-file is not passed.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { projectConfig } from '../util/project-config';
import { loadPolicyFile, Policy } from './policy';

/** The registered policies, refusing an ID that a built-in or an earlier registered policy has. */
export function projectPolicies(root: string, taken: readonly Policy[]): Policy[] {
  const out: Policy[] = [];
  for (const file of projectConfig(root).policyFiles) {
    if (!fs.existsSync(file)) throw new InputError(`"gicreplay.policyFiles" names ${path.relative(root, file)}, which does not exist`, { file: path.join(root, 'package.json') }, 'paths relative to the project root');
    const p = loadPolicyFile(file);
    const clash = [...taken, ...out].find((q) => q.id === p.id);
    if (clash) throw new InputError(`policy "${p.id}" is registered in package.json but ${clash.file} already has that ID`, { file }, 'a policy file with an ID of its own');
    out.push(p);
  }
  return out;
}
