// `gicreplay matrix`: thin layer over engine/divergence traceMatrix and its renderers.

import type { Argv } from 'yargs';
import * as path from 'path';
import { expandTracePaths, findProjectRoot, guestKindOf, matrixToJson, migrationMatrixToJson, readTraceTags, renderMatrixReport, renderMatrixTerminal, renderMigrationMatrixTable, renderMigrationReport, resolveConfig, traceMatrix, traceMigrations, UsageError, VMM_RECIPES, VmmRecipeId } from '../../../engine';
import type { CliContext } from '../context';
import { Output } from '../output';
import { chosenPolicies, policyOptions } from '../policy-args';
import { progressPrinter } from './check';

export function matrixCommand(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'matrix [paths..]',
    'For every trace: which policies the guest cannot tell apart, and where the others differ; then the same per guest kind (traces/TAGS.json) and per source',
    (c) =>
      policyOptions(c)
        .positional('paths', { type: 'string', array: true, describe: "traces or folders (default: the project's traces/)" })
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable: {traces, byGuest, bySource}' })
        .option('markdown', { type: 'boolean', default: false, describe: 'the Markdown report answering the rev1 / rev1-iidr-only / rev3 question (traces/POLICY-REPORT.md is this over traces/)' })
        .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'also list the policy switches each trace never exercises' })
        .option('migrations', { type: 'boolean', default: false, describe: 'migrate every trace between every ordered pair of policies at its midpoint and its last event (gicreplay migrate); with --markdown, the report and its migration section' })
        .option('vmm', { choices: [...VMM_RECIPES], default: 'qemu', describe: 'the save/restore recipe --migrations uses' }),
    (a) => {
      if (a.json && a.markdown) throw new UsageError('--json and --markdown are two forms of the same report: pick one');
      const root = findProjectRoot(process.cwd());
      const tracesDir = path.join(root, 'traces');
      const paths = (a.paths as string[] | undefined)?.length ? (a.paths as string[]) : [tracesDir];
      const files = expandTracePaths(paths);
      if (files.length === 0) throw new UsageError(`no traces (*.gtr) under ${paths.join(', ')}`);
      const { chosen } = chosenPolicies(a, root, { command: 'matrix' });
      const tags = readTraceTags(tracesDir);
      const cfg = resolveConfig({ mode: 'check', env: process.env, tty: Boolean(process.stderr.isTTY), workers: 0 });
      const progress = progressPrinter(cfg.progress);
      const ms = files.map((f, i) => {
        const rel = path.relative(tracesDir, path.resolve(f));
        const label = rel.startsWith('..') ? f : rel.split(path.sep).join('/');
        progress?.(i, files.length, label);
        return { ...traceMatrix(f, label, chosen), guest: rel.startsWith('..') ? undefined : guestKindOf(tags, label) };
      });
      progress?.(files.length, files.length, '');
      const out = new Output();
      if (a.migrations) {
        const mig = files.map((f) => {
          const rel = path.relative(tracesDir, path.resolve(f));
          return traceMigrations(f, rel.startsWith('..') ? f : rel.split(path.sep).join('/'), chosen, a.vmm as VmmRecipeId);
        });
        if (a.json) out.line(migrationMatrixToJson(mig));
        else if (a.markdown) out.line(`${renderMatrixReport(ms)}\n${renderMigrationReport(mig)}`.replace(/\n$/, ''));
        else out.line(renderMigrationMatrixTable(mig).replace(/\n$/, ''));
      } else if (a.json) out.line(matrixToJson(ms));
      else if (a.markdown) out.line(renderMatrixReport(ms).replace(/\n$/, ''));
      else for (const l of renderMatrixTerminal(ms, { style: ctx.style, columns: ctx.columns, verbose: a.verbose })) out.line(l);
      out.flush();
      process.exitCode = 0;
    },
  );
}
