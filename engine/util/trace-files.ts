import * as fs from 'fs';
import * as path from 'path';

/** Every *.gtr file under `dir`, recursively, sorted by path (byte order, not locale order). */
export function findTraceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.gtr')) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Expand CLI paths: files stay, folders become the traces under them; the result is sorted and unique. */
export function expandTracePaths(paths: readonly string[]): string[] {
  const s = new Set<string>();
  for (const p of paths) {
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) for (const f of findTraceFiles(p)) s.add(f);
    else s.add(p);
  }
  return [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
