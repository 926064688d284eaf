import type { Argv } from 'yargs';
import { diffPolicies, diffToJson, findProjectRoot, renderDiffText } from '../../../engine';
import type { CliContext } from '../context';
import { Output } from '../output';
import { chosenPolicies, policyOptions } from '../policy-args';

export function diffCommand(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'diff <trace>',
    'Replay a trace under two policies and show what the guest sees differently, and why',
    (c) =>
      policyOptions(c, { count: 'two', aliases: ['policies'] })
        .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable report' })
        .option('max-listed', { type: 'number', default: 200, describe: 'list at most this many individual differences' }),
    (a) => {
      // The same policy twice is a valid (identical) diff.
      const { chosen } = chosenPolicies(a, findProjectRoot(process.cwd()), { count: 'two', command: 'diff', allowRepeat: true });
      const report = diffPolicies(a.trace as string, chosen[0], chosen[1], { maxListed: a['max-listed'] as number });
      const out = new Output();
      out.line(a.json ? diffToJson(report) : renderDiffText(report, ctx.style).replace(/\n$/, ''));
      out.flush();
      process.exitCode = report.identical ? 0 : 1;
    },
  );
}
