import type { Argv } from 'yargs';
import { findProjectRoot, openTrace, recordRenderer, recordToJson, replayStream, selectPolicies, UsageError } from '../../../engine';
import { Output } from '../output';

export function replayCommand(y: Argv): Argv {
  return y.command(
    'replay <trace>',
    'Replay a trace under one policy and print what the guest sees, one line per record (the golden lines)',
    (c) =>
      c
        .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('policy', { type: 'string', describe: 'policy ID: built-in (rev3, rev2, rev1, rev1-iidr-only, mainline-rev3) or registered in package.json' })
        .option('policy-file', { type: 'string', describe: 'a policy JSON file of your own' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per record instead (the stable machine contract)' })
        .option('allow-truncated', { type: 'boolean', default: false, describe: 'replay the valid prefix of a trace that has no trailer' }),
    (a) => {
      if (!a.policy && !a['policy-file']) throw new UsageError('replay needs --policy ID or --policy-file FILE');
      const { chosen } = selectPolicies({ root: findProjectRoot(process.cwd()), cwd: process.cwd(), ids: a.policy ? [a.policy] : [], files: a['policy-file'] ? [a['policy-file']] : [] });
      if (chosen.length !== 1) throw new UsageError(`replay runs one policy; --policy and --policy-file name ${chosen.length} (${chosen.map((p) => p.id).join(', ')})`);
      const reader = openTrace(a.trace as string, { allowTruncated: a['allow-truncated'] });
      const out = new Output();
      try {
        const render = a.json ? recordToJson : recordRenderer(reader.header.gic);
        replayStream(reader, { policy: chosen[0] }, (r) => out.line(render(r)));
      } finally {
        reader.close();
        out.flush();
      }
      process.exitCode = 0;
    },
  );
}
