import * as fs from 'fs';
import * as path from 'path';

let cached: string | undefined;

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The project a command works on: the nearest folder at or above `from` that holds a traces/
 * folder or a golden store (golden/LEDGER.jsonl), `from` itself if none does. Every command that
 * takes paths uses this one rule. (A golden/ folder alone is not enough: engine/golden/ is source.)
 */
export function findProjectRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    if (isDir(path.join(dir, 'traces')) || fs.existsSync(path.join(dir, 'golden', 'LEDGER.jsonl'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from);
    dir = up;
  }
}

/** The gicreplay checkout or install root (the folder holding our package.json), from source or from dist/. */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'gicreplay') return (cached = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`gicreplay: cannot find the project root above ${__dirname}`);
    dir = up;
  }
}
