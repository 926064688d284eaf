// `gicreplay bless`: thin layer over engine/golden blessGoldens.

import * as path from 'path';
import type { Argv } from 'yargs';
import { blessGoldens, blessStamp, findProjectRoot, resolveConfig } from '../../../engine';
import { withInterrupts } from '../interrupt';
import { Output } from '../output';
import { chosenPolicies, policyOptions } from '../policy-args';
import { progressPrinter } from './check';

export function blessCommand(y: Argv): Argv {
  return y.command(
    'bless [paths..]',
    'Regenerate the named goldens and record why in golden/LEDGER.jsonl (refused on CI)',
    (c) =>
      policyOptions(c)
        .positional('paths', { type: 'string', array: true, describe: 'traces, goldens or folders of them (default: all of traces/)' })
        .option('reason', { type: 'string', describe: 'why the new output is right (required; kept in the ledger)' })
        .option('wide', { type: 'boolean', default: false, describe: 'also regenerate goldens you did not name that share a changed body' })
        .option('prune', { type: 'boolean', default: false, describe: 'delete obsolete goldens (only files with gicreplay\'s header)' })
        .option('verify', { type: 'boolean', default: true, describe: 'replay each pair twice and refuse unless the outputs are identical (--no-verify skips)' })
        .option('root', { type: 'string', describe: 'project folder holding traces/ and golden/' })
        .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'name every golden written (default: counts and the first few)' }),
    async (a) => {
      const cfg = resolveConfig({ mode: 'bless', env: process.env, tty: Boolean(process.stderr.isTTY), workers: 0 });
      const root = a.root ? path.resolve(a.root) : findProjectRoot(process.cwd());
      const { ids, files } = chosenPolicies(a, root, { command: 'bless' });
      const r = await withInterrupts((signal) => blessGoldens({
        signal,
        root,
        cwd: process.cwd(),
        paths: (a.paths as string[] | undefined) ?? [],
        policies: ids,
        policyFiles: files,
        reason: a.reason ?? '',
        wide: a.wide,
        prune: a.prune,
        verifyDeterminism: a.verify,
        config: cfg,
        onProgress: progressPrinter(cfg.progress),
        stamp: blessStamp({ root, env: process.env, command: 'bless' }),
      }));
      const out = new Output();
      for (const m of a.verbose ? r.messages : quietBlessMessages(r.messages)) out.line(m);
      out.flush();
      process.exitCode = 0;
    },
  );
}

/** Per-golden lines folded into one line per action ("restamp 220: golden/a/rev3.golden, … 219 more"); the rest kept. */
export function quietBlessMessages(messages: readonly string[]): string[] {
  const byAction = new Map<string, string[]>();
  const rest: string[] = [];
  for (const m of messages) {
    const x = /^(create|update|restamp|delete) (\S+)/.exec(m);
    if (x && !m.includes('(repaired:')) byAction.set(x[1], [...(byAction.get(x[1]) ?? []), x[2]]);
    else rest.push(m);
  }
  const folded = [...byAction].map(([a, gs]) => `${a} ${gs.length}: ${gs.slice(0, 3).join(', ')}${gs.length > 3 ? `, … ${gs.length - 3} more (--verbose names them)` : ''}`);
  return [...folded, ...rest];
}
