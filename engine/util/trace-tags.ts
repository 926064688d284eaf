// Trace tags: what kind of guest a trace is of (linux, edk2, kut, selftest, baremetal, …), kept in
// one sidecar, traces/TAGS.json, beside the traces rather than in their headers: a tag is a
// reviewer's classification, may change without re-recording, and never enters a golden. The
// source (guest-script, qemu, kvm-ftrace) is the header's provenance kind and needs no tag.
//
//   { "schema": 1, "traces": { "qemu/gic3-linux-smp2.gtr": { "guest": "linux" }, … } }
//
// Paths are relative to traces/ with "/" separators, as goldens name them.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { readInputText } from './input-file';

export const TAGS_FILE = 'TAGS.json';
export const TAGS_SCHEMA = 1;
/** A trace without an entry in TAGS.json. */
export const UNTAGGED = 'untagged';

export interface TraceTags {
  guest: string;
}

export interface TagFile {
  /** Absolute path of the sidecar (it may not exist). */
  file: string;
  /** Trace path under traces/ -> its tags, in file order. */
  traces: Map<string, TraceTags>;
}

const GUEST = /^[a-z][a-z0-9-]*$/;
const EXPECTED = `{"schema": ${TAGS_SCHEMA}, "traces": {"<path under traces/>.gtr": {"guest": "<kind: lower-case letters, digits, dashes>"}}}`;

/** Read traces/TAGS.json of a project; no file is no tags (every trace untagged). */
export function readTraceTags(tracesDir: string): TagFile {
  const file = path.join(tracesDir, TAGS_FILE);
  const traces = new Map<string, TraceTags>();
  if (!fs.existsSync(file)) return { file, traces };
  const text = readInputText(file, 'trace tags', 16 << 20);
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not JSON: ${(e as Error).message}`, { file }, EXPECTED);
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(j) || j.schema !== TAGS_SCHEMA || !isObj(j.traces) || Object.keys(j).some((k) => k !== 'schema' && k !== 'traces')) {
    throw new InputError(isObj(j) && typeof j.schema === 'number' && j.schema > TAGS_SCHEMA ? `schema ${j.schema} is newer than this gicreplay reads` : 'not a trace tag file', { file }, EXPECTED);
  }
  for (const [trace, t] of Object.entries(j.traces)) {
    if (!/\.gtr$/.test(trace) || trace.startsWith('/') || trace.split('/').some((s) => s === '..' || s === '.' || s === '') || trace.includes('\\')) {
      throw new InputError(`"${trace}" is not a trace path under traces/`, { file }, 'a relative path with "/" separators ending in .gtr');
    }
    if (!isObj(t) || typeof t.guest !== 'string' || !GUEST.test(t.guest) || t.guest === UNTAGGED || Object.keys(t).some((k) => k !== 'guest')) {
      throw new InputError(`the tags of "${trace}" are not {"guest": KIND}`, { file }, `a guest kind such as linux, edk2, kut, selftest, baremetal (lower-case letters, digits, dashes; not "${UNTAGGED}")`);
    }
    traces.set(trace, { guest: t.guest });
  }
  return { file, traces };
}

/** The guest kind of a trace (its path under traces/), or "untagged". */
export function guestKindOf(tags: TagFile, trace: string): string {
  return tags.traces.get(trace)?.guest ?? UNTAGGED;
}
