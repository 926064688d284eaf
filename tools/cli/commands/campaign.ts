// `gicreplay campaign`: thin layer over engine/backend/kvm/campaign (the differential campaign).

import * as path from 'path';
import type { Argv } from 'yargs';
import { BUILTIN_POLICY_IDS, DEFAULT_CAMPAIGN_OPEN, fidelityCampaign, findProjectRoot, kernelPolicyId, readOpenList, renderCampaign, renderOpenList, UsageError, writeOutputFile, writeShrunk } from '../../../engine';
import { Output } from '../output';
import { backendOptions, kvmHostFrom } from './backend';
import { chosenPolicies, policyOptions } from '../policy-args';

export function campaignCommand(y: Argv): Argv {
  return y.command(
    'campaign',
    'Differential campaign: seeded random access streams (every register class of GICv2 and GICv3) on the model and on real KVM, compared access by access; every unexplained difference shrunk to a minimal stream (exit 1 on an unexplained one, or with --open on one not listed there)',
    (c) =>
      policyOptions(backendOptions(c, 'kvm'), { count: 'one', defaultText: "the kernel's own (linux-6.1, linux-6.12)" })
        .option('seed', { type: 'number', default: 1, describe: 'campaign seed (streams are derived from it)' })
        .option('streams', { type: 'number', default: 8, describe: 'streams per GIC version' })
        .option('events', { type: 'number', default: 1500, describe: 'events per stream' })
        .option('gic', { type: 'string', choices: ['2', '3', 'both'], default: 'both', describe: 'GIC versions' })
        .option('open', { type: 'string', describe: `the list of known open unexplained signatures (e.g. ${DEFAULT_CAMPAIGN_OPEN}): fail only on others` })
        .option('write-open', { type: 'string', describe: "write this run's unexplained signatures as the open list to FILE (refused when CI is set)" })
        .option('shrink', { type: 'number', default: 0, describe: 'shrink the first difference of up to N distinct unexplained signatures with KVM as the oracle' })
        .option('shrink-rounds', { type: 'number', default: 10, describe: 'boots per GIC version the shrinker may use' })
        .option('write-traces', { type: 'string', describe: 'write the minimal streams as traces into this folder' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
    (a) => {
      const host = kvmHostFrom(a);
      if (!host) throw new UsageError('the campaign compares the model with real KVM: use --backend kvm or kvm:IMAGE');
      if (a['write-open'] && process.env.CI) throw new UsageError('refusing --write-open on CI: take the list on your machine and commit it');
      for (const k of ['streams', 'events'] as const) if (!Number.isInteger(a[k]) || a[k] < 1) throw new UsageError(`--${k} ${a[k]}: expected a positive integer`);
      const root = findProjectRoot(process.cwd());
      // The kernel's own policy only when none is named: host.release() may have to boot it.
      const asked = (a.policy?.length ?? 0) + (a['policy-file']?.length ?? 0) > 0;
      const { chosen } = chosenPolicies(a, root, { count: 'one', command: 'campaign', defaults: asked ? undefined : [kernelPolicyId(host.release(), BUILTIN_POLICY_IDS)] });
      const policy = chosen[0];
      const versions = a.gic === 'both' ? ([3, 2] as const) : ([Number(a.gic) as 2 | 3] as const);
      const open = a.open ? readOpenList(a.open) : undefined;
      const r = fidelityCampaign({ host, policy, seed: a.seed, streams: a.streams, events: a.events, versions, runTimeoutMs: a['kvm-run-timeout'], open, shrink: a.shrink, shrinkRounds: a['shrink-rounds'] });
      const written = a['write-traces'] ? writeShrunk(r.shrunk, a['write-traces']) : undefined;
      const kernel = host.kind === 'nested' ? path.basename((host as { kernel?: string }).kernel ?? '') : 'native';
      if (a['write-open']) writeOutputFile(a['write-open'], renderOpenList(r.signatures, kernel), { what: 'campaign open list', inPlace: true });
      const out = new Output();
      if (a.json) {
        const { streamsByName: _s, ...report } = r.report;
        void _s;
        out.line(JSON.stringify({ ...r, report, shrunk: r.shrunk.map((s) => ({ signature: s.signature, from: s.from, events: s.stream.events.length, difference: s.difference, rounds: s.rounds, minimal: s.minimal })) }, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2));
      } else for (const l of renderCampaign(r, { open: a.open, written })) out.line(l);
      out.flush();
      process.exitCode = a['write-open'] ? 0 : (open ? r.newSignatures.length : r.signatures.length) ? 1 : 0;
    },
  );
}
