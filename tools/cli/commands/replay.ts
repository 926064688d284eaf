import type { Argv } from 'yargs';
import { findProjectRoot, openTrace, recordRenderer, recordToJson, replayOnKvm, replayStream, selectPolicies, UsageError } from '../../../engine';
import { Output } from '../output';
import { backendOptions, kvmHostFrom } from './backend';

export function replayCommand(y: Argv): Argv {
  return y.command(
    'replay <trace>',
    'Replay a trace under one policy and print what the guest sees, one line per record (the golden lines); --backend kvm replays it on real KVM',
    (c) =>
      backendOptions(
        c
          .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
          .option('policy', { type: 'string', describe: 'policy ID: built-in (rev3, rev2, rev1, rev1-iidr-only, mainline-rev3, linux-6.1, linux-6.12) or registered in package.json' })
          .option('policy-file', { type: 'string', describe: 'a policy JSON file of your own' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object per record instead (the stable machine contract)' })
          .option('allow-truncated', { type: 'boolean', default: false, describe: 'replay the valid prefix of a trace that has no trailer' }),
      ),
    (a) => {
      if (!a.policy && !a['policy-file']) throw new UsageError('replay needs --policy ID or --policy-file FILE');
      const { chosen } = selectPolicies({ root: findProjectRoot(process.cwd()), cwd: process.cwd(), ids: a.policy ? [a.policy] : [], files: a['policy-file'] ? [a['policy-file']] : [] });
      if (chosen.length !== 1) throw new UsageError(`replay runs one policy; --policy and --policy-file name ${chosen.length} (${chosen.map((p) => p.id).join(', ')})`);
      const host = kvmHostFrom(a);
      const out = new Output();
      if (host) {
        if (a['allow-truncated']) throw new UsageError('--allow-truncated is for the model backend: real KVM replays whole traces');
        const t = replayOnKvm([a.trace as string], { host, policy: chosen[0], runTimeoutMs: a['kvm-run-timeout'] }).traces[0];
        const render = a.json ? recordToJson : recordRenderer(t.header.gic);
        for (const r of t.records) out.line(render(r));
        out.flush();
        process.exitCode = 0;
        return;
      }
      const reader = openTrace(a.trace as string, { allowTruncated: a['allow-truncated'] });
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
