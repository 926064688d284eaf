// `gicreplay bless`: thin layer over engine/golden blessGoldens.

import * as path from 'path';
import type { Argv } from 'yargs';
import { blessGoldens, findProjectRoot, resolveConfig } from '../../../engine';
import { withInterrupts } from '../interrupt';
import { Output } from '../output';
import { listOf, progressPrinter } from './check';

export function blessCommand(y: Argv): Argv {
  return y.command(
    'bless [paths..]',
    'Regenerate the named goldens and record why in golden/LEDGER.jsonl (refused on CI)',
    (c) =>
      c
        .positional('paths', { type: 'string', array: true, describe: 'traces, goldens or folders of them (default: all of traces/)' })
        .option('policy', { type: 'string', coerce: listOf, describe: 'only these policies, built-in or registered (repeat the flag or separate with commas)' })
        .option('policy-file', { type: 'string', coerce: listOf, describe: 'policies from these JSON files (repeatable)' })
        .option('reason', { type: 'string', describe: 'why the new output is right (required; kept in the ledger)' })
        .option('wide', { type: 'boolean', default: false, describe: 'also regenerate goldens you did not name that share a changed body' })
        .option('prune', { type: 'boolean', default: false, describe: 'delete obsolete goldens (only files with gicreplay\'s header)' })
        .option('verify', { type: 'boolean', default: true, describe: 'replay each pair twice and refuse unless the outputs are identical (--no-verify skips)' })
        .option('root', { type: 'string', describe: 'project folder holding traces/ and golden/' }),
    async (a) => {
      const cfg = resolveConfig({ mode: 'bless', env: process.env, tty: Boolean(process.stderr.isTTY), workers: 0 });
      const root = a.root ? path.resolve(a.root) : findProjectRoot(process.cwd());
      const r = await withInterrupts((signal) => blessGoldens({
        signal,
        root,
        cwd: process.cwd(),
        paths: (a.paths as string[] | undefined) ?? [],
        policies: a.policy,
        policyFiles: a['policy-file'],
        reason: a.reason ?? '',
        wide: a.wide,
        prune: a.prune,
        verifyDeterminism: a.verify,
        config: cfg,
        onProgress: progressPrinter(cfg.progress),
      }));
      const out = new Output();
      for (const m of r.messages) out.line(m);
      out.flush();
      process.exitCode = 0;
    },
  );
}
