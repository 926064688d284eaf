// Determinism across environments: bless and check the same project under different time zones,
// locales and on-disk file orders, and compare every output byte for byte.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli, makeProject, snapshotDir } from './project';

export interface EnvCase {
  name: string;
  env: Record<string, string>;
  reverseCreation: boolean;
}

export const ENV_CASES: EnvCase[] = [
  { name: 'TZ=UTC LANG=C', env: { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' }, reverseCreation: false },
  { name: 'TZ=Pacific/Chatham LANG=de_DE.UTF-8', env: { TZ: 'Pacific/Chatham', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' }, reverseCreation: false },
  { name: 'TZ=Asia/Kolkata LC_ALL=tr_TR.UTF-8', env: { TZ: 'Asia/Kolkata', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' }, reverseCreation: false },
  { name: 'TZ=America/St_Johns LANG=ar_EG.UTF-8, files created in reverse order', env: { TZ: 'America/St_Johns', LANG: 'ar_EG.UTF-8', LC_ALL: 'ar_EG.UTF-8' }, reverseCreation: true },
];

export interface EnvRun {
  name: string;
  /** golden/ after bless, then check's JSON report, text report and JUnit XML. */
  files: Map<string, Buffer>;
}

function runCase(c: EnvCase, traces: number, tmpParent: string): EnvRun {
  const proj = makeProject(traces, 1, { reverseCreation: c.reverseCreation, root: fs.mkdtempSync(path.join(tmpParent, 'p-')) });
  try {
    // The ledger records when a bless ran (history, not output): fixed the documented way, so what
    // is compared is that no time zone or locale leaks into it, and that goldens never hold a date.
    const b = cli(['bless', '--root', proj.root, '--reason', 'environment determinism'], { ...c.env, SOURCE_DATE_EPOCH: '1700000000' });
    if (b.status !== 0) throw new Error(`${c.name}: bless exited ${b.status}: ${b.stderr}`);
    const files = snapshotDir(path.join(proj.root, 'golden'));
    const junit = path.join(proj.root, 'junit.xml');
    const j = cli(['check', '--root', proj.root, '--json', '--junit', junit], c.env);
    const t = cli(['check', '--root', proj.root], c.env);
    files.set('check --json', Buffer.from(`${j.status}\n${j.stdout}`));
    files.set('check (text)', Buffer.from(`${t.status}\n${t.stdout}${t.stderr}`));
    files.set('junit.xml', fs.readFileSync(junit));
    return { name: c.name, files };
  } finally {
    proj.cleanup();
  }
}

/** Run every case twice; return the mismatches (empty = byte-identical everywhere). */
export function compareEnvironments(traces = 6, cases: readonly EnvCase[] = ENV_CASES): { runs: number; mismatches: string[] } {
  const tmpParent = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-env-'));
  try {
    const runs: EnvRun[] = [];
    for (const c of cases) {
      runs.push(runCase(c, traces, tmpParent));
      runs.push({ ...runCase(c, traces, tmpParent), name: `${c.name} (second run)` });
    }
    const ref = runs[0];
    const mismatches: string[] = [];
    for (const r of runs.slice(1)) {
      const keys = new Set([...ref.files.keys(), ...r.files.keys()]);
      for (const k of [...keys].sort()) {
        const a = ref.files.get(k);
        const b = r.files.get(k);
        if (!a || !b) mismatches.push(`${r.name}: ${k} exists only in ${a ? ref.name : r.name}`);
        else if (!a.equals(b)) mismatches.push(`${r.name}: ${k} differs from ${ref.name}`);
      }
    }
    return { runs: runs.length, mismatches };
  } finally {
    fs.rmSync(tmpParent, { recursive: true, force: true });
  }
}
