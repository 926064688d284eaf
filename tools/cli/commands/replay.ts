import type { Argv } from 'yargs';
import { findProjectRoot, openTrace, recordToJson, replayOnKvm, replayStream, styledRecordRenderer, UsageError } from '../../../engine';
import type { CliContext } from '../context';
import { Output } from '../output';
import { chosenPolicies, policyOptions } from '../policy-args';
import { backendOptions, kvmHostFrom } from './backend';

export function replayCommand(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'replay <trace>',
    'Replay a trace under one policy and print what the guest sees, one line per record (the golden lines); --backend kvm replays it on real KVM',
    (c) =>
      backendOptions(
        policyOptions(c, { count: 'one' })
          .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object per record instead (the stable machine contract)' })
          .option('allow-truncated', { type: 'boolean', default: false, describe: 'replay the valid prefix of a trace that has no trailer' }),
      ),
    (a) => {
      const { chosen } = chosenPolicies(a, findProjectRoot(process.cwd()), { count: 'one', command: 'replay' });
      const host = kvmHostFrom(a);
      const out = new Output();
      if (host) {
        if (a['allow-truncated']) throw new UsageError('--allow-truncated is for the model backend: real KVM replays whole traces');
        const t = replayOnKvm([a.trace as string], { host, policy: chosen[0], runTimeoutMs: a['kvm-run-timeout'] }).traces[0];
        const render = a.json ? recordToJson : styledRecordRenderer(t.header.gic, ctx.style);
        for (const r of t.records) out.line(render(r));
        out.flush();
        process.exitCode = 0;
        return;
      }
      const reader = openTrace(a.trace as string, { allowTruncated: a['allow-truncated'] });
      try {
        const render = a.json ? recordToJson : styledRecordRenderer(reader.header.gic, ctx.style);
        replayStream(reader, { policy: chosen[0] }, (r) => out.line(render(r)));
      } finally {
        reader.close();
        out.flush();
      }
      process.exitCode = 0;
    },
  );
}
