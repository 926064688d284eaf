// Kill trials: start `gicreplay bless` in a child process, SIGKILL it at points spread across its
// whole run, and check that every golden is either the old one or the new one, whole; that
// `check` says which; that the ledger still parses; and that the lock a killed bless left behind
// does not block the next bless.

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkGoldens } from '../../engine/golden';
import { resolveConfig } from '../../engine/golden/config';
import { CLI, childEnv, cli, copyDir, makeProject } from './project';

export interface KillStats {
  trials: number;
  /** Trials where the kill landed before bless wrote anything / in the middle / after it finished. */
  before: number;
  during: number;
  after: number;
  /** Goldens found whole and old (stale), whole and new (match) after a kill, summed over trials. */
  oldGoldens: number;
  newGoldens: number;
  failures: string[];
  blessMillis: number;
}

/** Check in-process (the same library the CLI calls): faster than a child per trial. */
async function checkStatuses(root: string): Promise<{ statuses: string[]; raw: string; exit: number | null }> {
  try {
    const rep = await checkGoldens({ root, config: resolveConfig({ mode: 'check', env: {}, tty: false, workers: 0 }) });
    return { statuses: rep.results.map((x) => x.status), raw: rep.results.filter((x) => x.message).map((x) => `${x.id}: ${x.message}`).join('; '), exit: rep.verdict.exit };
  } catch (e) {
    return { statuses: [], raw: (e as Error).message, exit: 2 };
  }
}

function ledgerParses(root: string): string | null {
  const golden = path.join(root, 'golden');
  for (const name of fs.readdirSync(golden)) {
    if (!/ledger/i.test(name)) continue;
    const text = fs.readFileSync(path.join(golden, name), 'utf8');
    if (name.endsWith('.jsonl')) {
      const lines = text.split('\n');
      if (lines[lines.length - 1] !== '') return `${name} does not end with a newline`;
      for (const [i, l] of lines.slice(0, -1).entries()) {
        try {
          JSON.parse(l);
        } catch {
          return `${name} line ${i + 1} is not JSON: ${l.slice(0, 80)}`;
        }
      }
    } else if (name.endsWith('.json')) {
      try {
        JSON.parse(text);
      } catch {
        return `${name} is not JSON`;
      }
    }
  }
  return null;
}

export async function runKillTrials(trials: number, traces = 8, verifyRecoveryEvery = 10): Promise<KillStats> {
  const proj = makeProject(traces, 1);
  const stats: KillStats = { trials: 0, before: 0, during: 0, after: 0, oldGoldens: 0, newGoldens: 0, failures: [], blessMillis: 0 };
  try {
    const root = proj.root;
    const first = cli(['bless', '--root', root, '--reason', 'generation 1']);
    if (first.status !== 0) throw new Error(`initial bless failed: ${first.stderr}`);
    const oldGolden = path.join(root, 'golden.gen1');
    copyDir(path.join(root, 'golden'), oldGolden);
    // Generation 2 of every trace: every golden must change.
    makeProject(traces, 2, { root });
    // How long a whole bless takes, and how much of that is Node start-up before any file is
    // touched, to spread the kill points over the part that writes (and a bit beyond).
    const ms = (t0: bigint) => Number((process.hrtime.bigint() - t0) / 1000000n);
    let t0 = process.hrtime.bigint();
    cli(['--help']);
    const startup = ms(t0);
    t0 = process.hrtime.bigint();
    const full = cli(['bless', '--root', root, '--reason', 'generation 2 (timing run)']);
    stats.blessMillis = ms(t0);
    if (full.status !== 0) throw new Error(`timing bless failed: ${full.stderr}`);
    const from = Math.floor(startup * 0.8);
    const span = Math.max(1, stats.blessMillis - from);
    const pairs = (await checkStatuses(root)).statuses.length;

    for (let i = 0; i < trials; i++) {
      copyDir(oldGolden, path.join(root, 'golden'));
      const delay = from + Math.floor(((i + 0.5) / trials) * span * 1.1);
      const child = spawn(process.execPath, [CLI, 'bless', '--root', root, '--reason', `generation 2, trial ${i}`], { env: childEnv(), stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      // Reap the child so its pid is really gone before the lock is judged.
      await exited;
      stats.trials++;
      const { statuses, raw, exit } = await checkStatuses(root);
      if (statuses.length !== pairs || exit === 2) {
        stats.failures.push(`trial ${i} (kill after ${delay} ms): check did not see whole goldens (exit ${exit}): ${raw.slice(0, 300)}`);
        continue;
      }
      // A whole old golden shows as drift (its body no longer matches) or stale (its recorded trace
      // digest no longer matches); a half-written one would be an error (hash mismatch) or missing.
      const isOld = (s: string) => s === 'drift' || s === 'stale';
      const bad = statuses.filter((s) => s !== 'match' && !isOld(s));
      if (bad.length) stats.failures.push(`trial ${i}: goldens neither old nor new: ${bad.join(', ')}: ${raw.slice(0, 300)}`);
      const nNew = statuses.filter((s) => s === 'match').length;
      const nOld = statuses.filter(isOld).length;
      stats.newGoldens += nNew;
      stats.oldGoldens += nOld;
      if (nNew === 0) stats.before++;
      else if (nOld === 0) stats.after++;
      else stats.during++;
      const ledger = ledgerParses(root);
      if (ledger) stats.failures.push(`trial ${i}: ledger corrupted: ${ledger}`);
      // The killed bless may have left its lock: the next bless must not be stuck behind it.
      if (i % verifyRecoveryEvery !== verifyRecoveryEvery - 1) continue;
      const again = cli(['bless', '--root', root, '--reason', `finish after trial ${i}`]);
      if (again.status !== 0) stats.failures.push(`trial ${i}: bless after the kill failed (exit ${again.status}): ${again.stderr.slice(0, 300)}`);
      else if ((await checkStatuses(root)).statuses.some((s) => s !== 'match')) stats.failures.push(`trial ${i}: bless after the kill left goldens unmatched`);
    }
  } finally {
    proj.cleanup();
  }
  return stats;
}
