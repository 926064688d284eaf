// `gicreplay record guest NAME|--all`: record scripted test guests closed-loop against the model
// into <project>/traces/guests/<name>.gtr. The guests come from a catalogue module (--catalogue,
// or the project's package.json "gicreplay": { "guestCatalogue": … }; this repository names
// dist/traces/guests/src). Thin layer over engine/guests/record-set.ts.

import type { Argv } from 'yargs';
import * as path from 'path';
import { catalogueModule, findProjectRoot, loadCatalogue, recordSet } from '../../../engine';
import { Output } from '../output';
import { chosenPolicies, policyOptions } from '../policy-args';

export function recordGuestCommand(y: Argv): Argv {
  return y.command(
    'guest [names..]',
    'Record scripted test guests closed-loop against the model (exit 1 if a guest\'s own assertions fail)',
    (c) =>
      policyOptions(c, { count: 'one', defaultText: "each guest's own, usually rev3" })
        .positional('names', { type: 'string', array: true, describe: 'guest names (see --list)' })
        .option('all', { type: 'boolean', default: false, describe: 'record every guest in the catalogue' })
        .option('output', { alias: 'o', type: 'string', describe: 'output file (one guest only; default traces/guests/<name>.gtr)' })
        .option('check', { type: 'boolean', default: false, describe: 'compare fresh recordings with the traces on disk instead of writing (exit 1 if any differ)' })
        .option('list', { type: 'boolean', default: false, describe: 'list the catalogue and exit' })
        .option('catalogue', { type: 'string', describe: 'module exporting CATALOGUE (default: package.json "gicreplay": { "guestCatalogue": … })' }),
    (a) => {
      const root = findProjectRoot(process.cwd());
      const catalogue = loadCatalogue(a.catalogue ? path.resolve(a.catalogue) : catalogueModule(root));
      if (a.list) {
        new Output().lines(catalogue.map((g) => `${g.name}\tGICv${g.gic.version}\t${g.gic.cpus} vCPU\t${g.title}`));
        process.exitCode = 0;
        return;
      }
      const asked = (a.policy?.length ?? 0) + (a['policy-file']?.length ?? 0) > 0;
      const policy = asked ? chosenPolicies(a, root, { count: 'one', command: 'record guest' }).chosen[0] : undefined;
      const res = recordSet(catalogue, {
        names: (a.names as string[] | undefined) ?? [],
        all: a.all,
        policy,
        output: a.output,
        check: a.check,
        outDir: path.join(root, 'traces', 'guests'),
      });
      new Output().lines(res.out);
      for (const l of res.err) process.stderr.write(`gicreplay: ${l}\n`);
      process.exitCode = res.exitCode;
    },
  );
}
