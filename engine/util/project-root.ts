import * as fs from 'fs';
import * as path from 'path';

let cached: string | undefined;

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
