// Where `gicreplay record guest` finds its guests: a module that exports CATALOGUE (an array of
// GuestDefinition), named with --catalogue or by the project's package.json
// ("gicreplay": { "guestCatalogue": "dist/traces/guests/src" }). gicreplay's own catalogue is
// just the one this repository's package.json names; any project can keep its own.

import * as fs from 'fs';
import { InputError, UsageError } from '../errors';
import { projectConfig } from '../util/project-config';
import { GuestDefinition } from './api';

/** The catalogue module to load: `explicit` (--catalogue), else the project's configured one. */
export function catalogueModule(root: string, explicit?: string): string {
  const m = explicit ?? projectConfig(root).guestCatalogue;
  if (!m) throw new UsageError(`no guest catalogue: pass --catalogue MODULE, or name one in ${root}/package.json as "gicreplay": { "guestCatalogue": "path/to/module" }`);
  return m;
}

/** Load a catalogue module (compiled JavaScript) and check that it exports CATALOGUE. */
export function loadCatalogue(modulePath: string): readonly GuestDefinition[] {
  let resolved: string;
  try {
    resolved = require.resolve(modulePath);
  } catch {
    throw new InputError(`cannot find the guest catalogue module${fs.existsSync(modulePath) ? ' (a folder without index.js?)' : ''}`, { file: modulePath }, 'a JavaScript module (e.g. the compiled dist/… folder) that exports CATALOGUE');
  }
  // Source maps must be on before the guest modules load, so failures name the .ts line.
  process.setSourceMapsEnabled(true);
  // The module path is the user's (configuration or --catalogue): loaded like a Jest config.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module the user names, loaded at run time
  const mod = require(resolved) as { CATALOGUE?: unknown };
  if (!Array.isArray(mod.CATALOGUE)) throw new InputError('the guest catalogue module does not export CATALOGUE', { file: resolved }, 'export const CATALOGUE: GuestDefinition[]');
  return mod.CATALOGUE as GuestDefinition[];
}
