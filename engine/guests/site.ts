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

/** The guest's source line for an error captured inside a guest step, if the stack shows one. */
export function guestSite(err: Error): GuestSite | undefined {
  const lines = (err.stack ?? '').split('\n').slice(1);
  for (const l of lines) {
    const m = FRAME_RE.exec(l.trim());
    if (!m) continue;
    const file = m[1].replace(/^at\s+/, '');
    if (file.startsWith('node:') || file.includes(`${path.sep}node_modules${path.sep}`) || isEngineFile(file)) continue;
    if (!path.isAbsolute(file)) continue;
    let rel = file;
    try {
      const r = path.relative(projectRoot(), file);
      if (!r.startsWith('..')) rel = r.split(path.sep).join('/');
    } catch {
      // no project root (library use): keep the absolute path
    }
    return { file: rel, line: Number(m[2]) };
  }
  return undefined;
}

export function formatSite(site: GuestSite | undefined): string {
  return site ? `${site.file}:${site.line}` : '(source line unknown)';
}

/** A bug in guest code (unknown register, missing vCPU, forgotten handler): exit 2, names guest and line. */
export class GuestError extends InputError {
  constructor(readonly guest: string, message: string, readonly site: GuestSite | undefined) {
    super(`guest ${guest}: ${message}`, site ? { file: site.file, line: site.line } : { file: `guest ${guest}` });
    this.name = 'GuestError';
  }
}
