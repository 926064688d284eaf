// `gicreplay minimize`: thin layer over engine/minimize.

import type { Argv } from 'yargs';
import { DEFAULT_MAX_REPLAYS, findProjectRoot, minimizedToJson, minimizeFile, MinimizeQuestion, policyById, renderMinimized, selectPolicies, UsageError, writeMinimized } from '../../../engine';
import { Output, summaryLines } from '../output';

export function minimizeCommand(y: Argv): Argv {
  return y.command(
    'minimize <trace>',
    'Shrink a trace to the smallest one (events, then vCPUs and SPIs) that still shows the same difference: between two policies, or against its golden',
    (c) =>
      c
        .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('policies', { type: 'string', describe: 'the difference between two policies, e.g. rev1,rev3 (their first divergence, or the one at --at)' })
        .option('golden', { type: 'boolean', default: false, describe: 'the first drift of the trace from its checked-in golden (of --policy, default: the first policy that drifts)' })
        .option('policy', { type: 'string', describe: 'with --golden: whose golden' })
        .option('policy-file', { type: 'array', string: true, describe: 'policy JSON files the policies may name (registered ones need none)' })
        .option('at', { type: 'number', describe: 'with --policies: the difference at this event of the original trace instead of the first' })
        .option('o', { alias: 'output', type: 'string', demandOption: true, describe: 'where to write the minimised trace (atomically)' })
        .option('keep-markers', { type: 'boolean', default: false, describe: 'keep the markers that follow kept events' })
        .option('max-replays', { type: 'number', default: DEFAULT_MAX_REPLAYS, describe: 'stop after this many replays (the trace so far still shows the difference)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
    (a) => {
      const trace = a.trace as string;
      const modes = [a.policies !== undefined, a.golden].filter(Boolean).length;
      if (modes !== 1) throw new UsageError('say which difference to keep: --policies A,B (two policies) or --golden (against the golden)');
      const root = findProjectRoot(process.cwd());
      const { universe, chosen } = selectPolicies({ root, cwd: process.cwd(), files: a['policy-file'] as string[] | undefined, ids: a.policy ? [a.policy] : undefined });
      let q: MinimizeQuestion;
      if (a.policies !== undefined) {
        const ids = String(a.policies).split(',').map((s) => s.trim()).filter(Boolean);
        if (ids.length !== 2) throw new UsageError(`--policies needs exactly two policy IDs, got "${a.policies}"`);
        q = { kind: 'policies', a: policyById(universe, ids[0]), b: policyById(universe, ids[1]), at: a.at as number | undefined };
      } else {
        if (a.at !== undefined) throw new UsageError('--at goes with --policies; --golden keeps the first drift');
        q = { kind: 'golden', root, policies: a.policy ? [policyById(universe, a.policy)] : chosen };
      }
      const max = a['max-replays'] as number;
      if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max-replays ${max}: a positive whole number`);
      const tty = process.stderr.isTTY && !process.env.CI;
      const progress = tty ? (line: string) => process.stderr.write(`\r\x1b[K${line}`) : undefined;
      const r = minimizeFile(trace, q, { keepMarkers: a['keep-markers'] as boolean, maxReplays: max, progress });
      if (tty) process.stderr.write('\r\x1b[K');
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
