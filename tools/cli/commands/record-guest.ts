// `gicreplay record guest NAME|--all`: record scripted test guests (traces/guests/src) closed-loop
// against the model into traces/guests/<name>.gtr. Thin layer over engine/guests/record-set.ts.

import type { Argv } from 'yargs';
import * as path from 'path';
import { recordSet } from '../../../engine/guests/record-set';
import type { GuestDefinition } from '../../../engine/guests/api';
import { projectRoot } from '../../../engine/util/project-root';

function loadCatalogue(): readonly GuestDefinition[] {
  // Source maps must be on before the guest modules load, so failures name the .ts line.
  process.setSourceMapsEnabled(true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../../traces/guests/src') as { CATALOGUE: readonly GuestDefinition[] }).CATALOGUE;
}

export function recordGuestCommand(y: Argv): Argv {
  return y.command(
    'guest [names..]',
    'Record scripted test guests closed-loop against the model (exit 1 if a guest\'s own assertions fail)',
    (c) =>
      c
        .positional('names', { type: 'string', array: true, describe: 'guest names (see --list)' })
        .option('all', { type: 'boolean', default: false, describe: 'record every guest in the catalogue' })
        .option('policy', { type: 'string', describe: 'recording policy (default: each guest\'s own, usually rev3)' })
        .option('output', { alias: 'o', type: 'string', describe: 'output file (one guest only; default traces/guests/<name>.gtr)' })
        .option('check', { type: 'boolean', default: false, describe: 'compare fresh recordings with the traces on disk instead of writing (exit 1 if any differ)' })
        .option('list', { type: 'boolean', default: false, describe: 'list the catalogue and exit' }),
    (a) => {
      const catalogue = loadCatalogue();
      if (a.list) {
        for (const g of catalogue) process.stdout.write(`${g.name}\tGICv${g.gic.version}\t${g.gic.cpus} vCPU\t${g.title}\n`);
        process.exitCode = 0;
        return;
      }
      const res = recordSet(catalogue, {
        names: (a.names as string[] | undefined) ?? [],
        all: a.all,
        policy: a.policy,
        output: a.output,
        check: a.check,
        outDir: path.join(projectRoot(), 'traces', 'guests'),
      });
      for (const l of res.out) process.stdout.write(`${l}\n`);
      for (const l of res.err) process.stderr.write(`gicreplay: ${l}\n`);
      process.exitCode = res.exitCode;
    },
  );
}
