// Where in a guest's source a failure happened: the first stack frame outside the guest engine
// itself. Guest steps run inside the guest's own generator (`yield*` keeps its frame on the
// stack), so the frame found is the line of the guest that made the call.

import * as path from 'path';
import { InputError } from '../errors';
import { projectRoot } from '../util/project-root';

export interface GuestSite {
  /** Path relative to the project root when inside it, e.g. traces/guests/src/kut-ipi.ts. */
  file: string;
  line: number;
  /** When the site is in a shared helper, the first caller in another file (the guest's own line). */
  calledFrom?: { file: string; line: number };
}

const ENGINE_DIR = path.sep === '/' ? '/engine/guests/' : '\\engine\\guests\\';
const FRAME_RE = /\(?((?:[A-Za-z]:)?[^():]+):(\d+):\d+\)?\s*$/;

function isEngineFile(file: string): boolean {
  const i = file.lastIndexOf(ENGINE_DIR);
  if (i < 0) return false;
  const rest = file.slice(i + ENGINE_DIR.length);
  // Tests in engine/guests are guest authors too.
  return !rest.includes(path.sep) && !/\.test\.[jt]s$/.test(rest);
}

function relative(file: string): string {
  try {
    const r = path.relative(projectRoot(), file);
    if (!r.startsWith('..')) return r.split(path.sep).join('/');
  } catch {
    // no project root (library use): keep the absolute path
  }
  return file;
}

/** Guest frames of a stack, innermost first: outside node, node_modules and the guest engine. */
function guestFrames(err: Error): { file: string; line: number }[] {
  const out: { file: string; line: number }[] = [];
  for (const l of (err.stack ?? '').split('\n').slice(1)) {
    const m = FRAME_RE.exec(l.trim());
    if (!m) continue;
    const file = m[1].replace(/^at\s+/, '');
    if (file.startsWith('node:') || file.includes(`${path.sep}node_modules${path.sep}`) || isEngineFile(file)) continue;
    if (!path.isAbsolute(file)) continue;
    out.push({ file: relative(file), line: Number(m[2]) });
  }
  return out;
}

/** The guest's source line for an error captured inside a guest step, if the stack shows one. */
export function guestSite(err: Error): GuestSite | undefined {
  const frames = guestFrames(err);
  if (!frames.length) return undefined;
  const site: GuestSite = { ...frames[0] };
  // A shared guest library (traces/guests/src/lib/...): also name the guest line that called it.
  if (/\/lib\//.test(site.file)) {
    const caller = frames.find((f) => f.file !== site.file && !/\/lib\//.test(f.file));
    if (caller) site.calledFrom = caller;
  }
  return site;
}

export function formatSite(site: GuestSite | undefined): string {
  if (!site) return '(source line unknown)';
  return site.calledFrom ? `${site.file}:${site.line}, called from ${site.calledFrom.file}:${site.calledFrom.line}` : `${site.file}:${site.line}`;
}

/** A bug in guest code (unknown register, missing vCPU, forgotten handler): exit 2, names guest and line. */
export class GuestError extends InputError {
  constructor(readonly guest: string, message: string, readonly site: GuestSite | undefined) {
    const via = site?.calledFrom ? ` (called from ${site.calledFrom.file}:${site.calledFrom.line})` : '';
    super(`guest ${guest}: ${message}${via}`, site ? { file: site.file, line: site.line } : { file: `guest ${guest}` });
    this.name = 'GuestError';
  }
}
