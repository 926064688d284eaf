import type { Argv } from 'yargs';
import * as path from 'path';
import { expandTracePaths, findProjectRoot, matrixToJson, renderMatrixReport, renderMatrixTable, selectPolicies, traceMatrix, UsageError } from '../../../engine';
import { Output } from '../output';

export function matrixCommand(y: Argv): Argv {
  return y.command(
    'matrix [paths..]',
    'For every trace: which policies the guest cannot tell apart, and where the others first differ',
    (c) =>
      c
        .positional('paths', { type: 'string', array: true, describe: "traces or folders (default: the project's traces/)" })
        .option('policy', { type: 'array', string: true, describe: 'policy IDs (default: every built-in policy and those registered in package.json)' })
        .option('policy-file', { type: 'array', string: true, describe: 'extra policy JSON files' })
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
        .option('markdown', { type: 'boolean', default: false, describe: 'the full report answering the rev1 / rev1-iidr-only / rev3 question' }),
    (a) => {
      const root = findProjectRoot(process.cwd());
      const tracesDir = path.join(root, 'traces');
      const paths = (a.paths as string[] | undefined)?.length ? (a.paths as string[]) : [tracesDir];
      const files = expandTracePaths(paths);
      if (files.length === 0) throw new UsageError(`no traces (*.gtr) under ${paths.join(', ')}`);
      const { chosen } = selectPolicies({ root, cwd: process.cwd(), ids: a.policy as string[] | undefined, files: a['policy-file'] as string[] | undefined });
      const ms = files.map((f) => {
        const rel = path.relative(tracesDir, path.resolve(f));
        return traceMatrix(f, rel.startsWith('..') ? f : rel.split(path.sep).join('/'), chosen);
      });
      const out = new Output();
      out.line((a.json ? matrixToJson(ms) : a.markdown ? renderMatrixReport(ms) : renderMatrixTable(ms)).replace(/\n$/, ''));
      out.flush();
      process.exitCode = 0;
    },
  );
}
