import type { Argv } from 'yargs';
import * as path from 'path';
import { traceMatrix } from '../../../engine/divergence/matrix';
import { matrixToJson, renderMatrixReport, renderMatrixTable } from '../../../engine/divergence/render-matrix';
import { UsageError } from '../../../engine/errors';
import { registeredPoliciesFrom } from '../../../engine/golden/project-policies';
import { resolvePolicies } from '../../../engine/policy/policy';
import { expandTracePaths } from '../../../engine/util/trace-files';
import { Output } from '../output';

export function matrixCommand(y: Argv): Argv {
  return y.command(
    'matrix [paths..]',
    'For every trace: which policies the guest cannot tell apart, and where the others first differ',
    (c) =>
      c
        .positional('paths', { type: 'string', array: true, describe: 'traces or folders (default: traces/)' })
        .option('policy', { type: 'array', string: true, describe: 'policy IDs (default: every built-in policy and those registered in package.json)' })
        .option('policy-file', { type: 'array', string: true, describe: 'extra policy JSON files' })
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
        .option('markdown', { type: 'boolean', default: false, describe: 'the full report answering the rev1 / rev1-iidr-only / rev3 question' }),
    (a) => {
      const paths = (a.paths as string[] | undefined)?.length ? (a.paths as string[]) : ['traces'];
      const files = expandTracePaths(paths);
      if (files.length === 0) throw new UsageError(`no traces (*.gtr) under ${paths.join(', ')}`);
      const registered = registeredPoliciesFrom(process.cwd());
      const policies = resolvePolicies(a.policy as string[] | undefined, a['policy-file'] as string[] | undefined, registered);
      const base = path.resolve('traces');
      const ms = files.map((f) => {
        const rel = path.relative(base, path.resolve(f));
        return traceMatrix(f, rel.startsWith('..') ? f : rel, policies);
      });
      const out = new Output();
      out.line((a.json ? matrixToJson(ms) : a.markdown ? renderMatrixReport(ms) : renderMatrixTable(ms)).replace(/\n$/, ''));
      out.flush();
      process.exitCode = 0;
    },
  );
}
