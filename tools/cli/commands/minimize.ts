// `gicreplay minimize`: thin layer over engine/minimize.

import type { Argv } from 'yargs';
import { BUILTIN_POLICY_IDS, DEFAULT_MAX_REPLAYS, findProjectRoot, kernelPolicyId, minimizedToJson, minimizeFile, MinimizeQuestion, renderMinimized, UsageError, writeMinimized } from '../../../engine';
import type { CliContext } from '../context';
import { progressLine } from '../progress';
import { Output, summaryLines } from '../output';
import { chosenPolicies, listOf, policyOptions } from '../policy-args';
import { backendOptions, kvmHostFrom } from './backend';

export function minimizeCommand(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'minimize <trace>',
    'Shrink a trace to the smallest one (events, then vCPUs and SPIs) that still shows the same difference: between two policies, against its golden, or between the model and real KVM (--backend kvm: each round\'s candidates in one boot)',
    (c) =>
      policyOptions(backendOptions(c, 'model'), { defaultText: 'with --golden, the first policy that drifts; with --backend kvm, the kernel\'s own (linux-6.1 for a 6.1 kernel)' })
        .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('policies', { type: 'string', coerce: listOf, describe: 'the difference between two policies, named as --policy names them, e.g. rev1,rev3 (their first divergence, or the one at --at)' })
        .option('golden', { type: 'boolean', default: false, describe: 'the first drift of the trace from its checked-in golden (of --policy, default: the first policy that drifts)' })
        .option('at', { type: 'number', describe: 'with --policies: the difference at this event of the original trace instead of the first' })
        .option('o', { alias: 'output', type: 'string', demandOption: true, describe: 'where to write the minimised trace (atomically)' })
        .option('keep-markers', { type: 'boolean', default: false, describe: 'keep the markers that follow kept events' })
        .option('max-replays', { type: 'number', default: DEFAULT_MAX_REPLAYS, describe: 'stop after this many replays (the trace so far still shows the difference)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
    (a) => {
      const trace = a.trace as string;
      const host = kvmHostFrom(a);
      const modes = [a.policies !== undefined, a.golden, host !== null].filter(Boolean).length;
      if (modes !== 1) throw new UsageError('say which difference to keep: --policies A,B (two policies), --golden (against the golden) or --backend kvm (the model against real KVM)');
      const root = findProjectRoot(process.cwd());
      let q: MinimizeQuestion;
      let files: string[] | undefined;
      if (a.policies !== undefined) {
        // The two policies through the shared selection (tools/cli/policy-args.ts), as diff takes them.
        const [pa, pb] = chosenPolicies({ policy: [...(a.policy ?? []), ...a.policies], 'policy-file': a['policy-file'] }, root, { count: 'two', command: 'minimize --policies', allowRepeat: true }).chosen;
        q = { kind: 'policies', a: pa, b: pb, at: a.at as number | undefined };
      } else if (host) {
        if (a.at !== undefined) throw new UsageError('--at goes with --policies; --backend kvm keeps the first unexplained difference');
        const sel = chosenPolicies(a, root, { count: 'one', command: 'minimize --backend kvm', defaults: [kernelPolicyId(host.release(), BUILTIN_POLICY_IDS)] });
        files = sel.files;
        q = { kind: 'kvm', policy: sel.chosen[0], host, runTimeoutMs: a['kvm-run-timeout'] as number };
      } else {
        if (a.at !== undefined) throw new UsageError('--at goes with --policies; --golden keeps the first drift');
        const sel = chosenPolicies(a, root, { command: 'minimize --golden' });
        files = sel.files;
        q = { kind: 'golden', root, policies: sel.chosen };
      }
      const max = a['max-replays'] as number;
      if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max-replays ${max}: a positive whole number`);
      const line = progressLine(ctx.progress);
      const r = minimizeFile(trace, q, { keepMarkers: a['keep-markers'] as boolean, maxReplays: max, progress: line?.update, policyFiles: files });
      line?.done();
      const out = a.o as string;
      writeMinimized(out, r, [trace]);
      if (a.json) {
        const o = new Output();
        o.line(minimizedToJson(trace, r, out));
        o.flush();
      } else summaryLines(out, [...renderMinimized(trace, r), `wrote ${out}`]);
      process.exitCode = 0;
    },
  );
}
