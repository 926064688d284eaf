// The project's own gicreplay settings: the "gicreplay" key of the package.json at the project
// root (findProjectRoot). Paths in it are relative to that root.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { readInputText } from './input-file';

export interface ProjectConfig {
  /** Policy files every command treats like the built-in policies. */
  policyFiles: string[];
  /** The module `gicreplay record guest` loads its guests from (it exports CATALOGUE). */
  guestCatalogue?: string;
}

const EXPECTED = '"gicreplay": { "policyFiles": ["path/to/policy.json", …], "guestCatalogue": "path/to/module" } with paths relative to the project root';

/** The settings of the project at `root`, with absolute paths; empty when it has none. */
export function projectConfig(root: string): ProjectConfig {
  const pkg = path.join(root, 'package.json');
  if (!fs.existsSync(pkg)) return { policyFiles: [] };
  const text = readInputText(pkg, 'package.json', 16 << 20);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`package.json is not valid JSON: ${(e as Error).message}`, { file: pkg });
  }
  const cfg = (json as { gicreplay?: unknown } | null)?.gicreplay;
  if (cfg === undefined) return { policyFiles: [] };
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new InputError('the "gicreplay" key is not an object', { file: pkg }, EXPECTED);
  const { policyFiles: files, guestCatalogue } = cfg as { policyFiles?: unknown; guestCatalogue?: unknown };
  if (files !== undefined && (!Array.isArray(files) || files.some((f) => typeof f !== 'string' || f === ''))) throw new InputError('"gicreplay.policyFiles" is not a list of file names', { file: pkg }, EXPECTED);
  if (guestCatalogue !== undefined && (typeof guestCatalogue !== 'string' || guestCatalogue === '')) throw new InputError('"gicreplay.guestCatalogue" is not a module path', { file: pkg }, EXPECTED);
  const out: ProjectConfig = { policyFiles: ((files as string[] | undefined) ?? []).map((f) => path.resolve(root, f)) };
  if (guestCatalogue !== undefined) out.guestCatalogue = path.resolve(root, guestCatalogue as string);
  return out;
}
