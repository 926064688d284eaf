import type { Argv } from 'yargs';
import { resolvePolicies } from '../../../engine/policy/policy';
import { replayFile } from '../../../engine/replay/replay';
import { recordToJson } from '../../../engine/replay/render-json';
import { UsageError } from '../../../engine/errors';
import { Output } from '../output';

export function replayCommand(y: Argv): Argv {
  return y.command(
    'replay <trace>',
    'Replay a trace under one policy and print what the guest sees',
    (c) =>
      c
        .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('policy', { type: 'string', describe: 'built-in policy ID (rev3, rev2, rev1, rev1-iidr-only, mainline-rev3)' })
        .option('policy-file', { type: 'string', describe: 'a policy JSON file of your own' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line (the stable machine contract)' })
        .option('allow-truncated', { type: 'boolean', default: false, describe: 'replay the valid prefix of a trace that has no trailer' }),
    (a) => {
      if (!a.policy && !a['policy-file']) throw new UsageError('replay needs --policy ID or --policy-file FILE');
      const [policy] = resolvePolicies(a.policy ? [a.policy] : [], a['policy-file'] ? [a['policy-file']] : []);
      const out = new Output();
      replayFile(a.trace as string, { policy, allowTruncated: a['allow-truncated'] }, (r) => out.line(recordToJson(r)));
      out.flush();
      process.exitCode = 0;
    },
  );
}
