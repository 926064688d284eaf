import type { Argv } from 'yargs';
import { diffPolicies, diffToJson, findProjectRoot, policyById, renderDiffText, selectPolicies, UsageError } from '../../../engine';
import { Output } from '../output';

export function diffCommand(y: Argv): Argv {
  return y.command(
    'diff <trace>',
    'Replay a trace under two policies and show what the guest sees differently, and why',
    (c) =>
      c
        .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('policies', { type: 'string', demandOption: true, describe: 'two policy IDs, comma-separated (e.g. rev1,rev3)' })
        .option('policy-file', { type: 'array', string: true, describe: 'policy JSON files whose IDs --policies may name (registered ones need none)' })
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable report' })
        .option('max-listed', { type: 'number', default: 200, describe: 'list at most this many individual differences' }),
    (a) => {
      const ids = String(a.policies).split(',').map((s) => s.trim()).filter(Boolean);
      if (ids.length !== 2) throw new UsageError(`--policies needs exactly two policy IDs, got "${a.policies}"`);
      // --policy-file only adds IDs --policies may name; the same policy twice is a valid (identical) diff.
      const { universe } = selectPolicies({ root: findProjectRoot(process.cwd()), cwd: process.cwd(), files: a['policy-file'] as string[] | undefined });
      const report = diffPolicies(a.trace as string, policyById(universe, ids[0]), policyById(universe, ids[1]), { maxListed: a['max-listed'] as number });
      const out = new Output();
      out.line(a.json ? diffToJson(report) : renderDiffText(report).replace(/\n$/, ''));
      out.flush();
      process.exitCode = report.identical ? 0 : 1;
    },
  );
}
