// `gicreplay ledger [PATH..]`: why each golden is what it is — who blessed it, when, at which
// commit, and the reason — read from golden/LEDGER.jsonl.

import * as path from 'path';
import type { Argv } from 'yargs';
import { findProjectRoot, goldenSelector, readLedgerBlesses, renderBlessLog, renderGoldenHistory } from '../../../engine';
import type { CliContext } from '../context';
import { Output } from '../output';
import { listOf, namedPolicy } from '../policy-args';

export function ledgerCommand(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'ledger [paths..]',
    'The bless history: every bless (newest first), or with a trace, golden or folder, the history of each of its goldens',
    (c) =>
      c
        .positional('paths', { type: 'string', array: true, describe: 'traces, goldens or folders of them' })
        .option('policy', { type: 'string', coerce: listOf, describe: 'only goldens of these policies: IDs (also of policies since removed) or policy JSON files; repeat the flag or separate with commas' })
        .option('json', { type: 'boolean', default: false, describe: 'the blesses as JSON, one object per line, oldest first' })
        .option('root', { type: 'string', describe: 'project folder holding golden/ (default: nearest above the current folder)' }),
    (a) => {
      const root = a.root ? path.resolve(a.root) : findProjectRoot(process.cwd());
      const rel = ((a.paths as string[] | undefined) ?? []).map((p) => path.relative(root, path.resolve(p)).split(path.sep).join('/'));
      const select = goldenSelector(rel);
      const policies = ((a.policy as string[] | undefined) ?? []).map((v) => (/\.json$/i.test(v) ? namedPolicy(v, {}, root).id : v));
      // A ledger filter, not a run: an ID no current policy has may still name history.
      const blesses = readLedgerBlesses(path.join(root, 'golden')).map((b) => (policies.length ? { ...b, goldens: b.goldens.filter((e) => e.policy !== null && policies.includes(e.policy)) } : b));
      const out = new Output();
      if (a.json) {
        for (const b of blesses) {
          const goldens = b.goldens.filter((e) => select(e.golden));
          if (goldens.length) out.line(JSON.stringify({ ...b, goldens: goldens.map(({ reason: _r, gicreplay: _g, model: _m, at: _a, by: _b, commit: _c, command: _d, line: _l, ...e }) => e) }));
        }
      } else {
        const lines = rel.length ? renderGoldenHistory(blesses, select, ctx.style) : renderBlessLog(blesses, select, ctx.style);
        const under = policies.length ? ` under ${policies.join(', ')}` : '';
        if (!lines.length) lines.push(rel.length ? `no ledger entry for ${rel.join(', ')}${under}` : policies.length ? `no ledger entry${under}` : 'the ledger is empty: nothing was blessed yet');
        for (const l of lines) out.line(l);
      }
      out.flush();
      process.exitCode = 0;
    },
  );
}
