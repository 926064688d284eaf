// `gicreplay fidelity`: thin layer over engine/backend/kvm kvmFidelity and its baseline.

import * as path from 'path';
import type { Argv } from 'yargs';
import { baselineOf, BUILTIN_POLICY_IDS, compareWithBaseline, DEFAULT_BASELINE, expandTracePaths, findProjectRoot, kernelPolicyId, kvmFidelity, readBaseline, renderBaseline, renderFidelity, UsageError, writeOutputFile } from '../../../engine';
import { Output } from '../output';
import { chosenPolicies, policyOptions } from '../policy-args';
import { backendOptions, kvmHostFrom } from './backend';

export function fidelityCommand(y: Argv): Argv {
  return y.command(
    'fidelity [paths..]',
    'Replay traces on the model and on real KVM and list every read, device-attribute result and IRQ/FIQ state that differs (exit 1 when any does, or with --baseline when a new unexplained one does)',
    (c) =>
      policyOptions(backendOptions(c, 'kvm'), { count: 'one', defaultText: 'the kernel\'s own (linux-6.1 for a 6.1 kernel, linux-6.12 for 6.12, else mainline-rev3); the kernel is put in its revision through GICD_IIDR' })
        .positional('paths', { type: 'string', array: true, describe: 'traces or folders of them (default: all of traces/)' })
        .option('baseline', { type: 'string', describe: `compare with a checked-in baseline (e.g. ${DEFAULT_BASELINE}): fail only on new unexplained differences` })
        .option('write-baseline', { type: 'string', describe: 'write this run\'s differences as the new baseline to FILE (refused when CI is set)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
    (a) => {
      const host = kvmHostFrom(a);
      if (!host) throw new UsageError('fidelity compares the model with real KVM: use --backend kvm or kvm:IMAGE');
      if (a['write-baseline'] && process.env.CI) throw new UsageError('refusing --write-baseline on CI: take the baseline on your machine and commit it');
      const root = findProjectRoot(process.cwd());
      const { chosen } = chosenPolicies(a, root, { count: 'one', command: 'fidelity', defaults: [kernelPolicyId(host.release(), BUILTIN_POLICY_IDS)] });
      const policy = chosen[0];
      const given = (a.paths as string[] | undefined) ?? [];
      const files = expandTracePaths(given.length ? given : [path.join(root, 'traces')]);
      if (!files.length) throw new UsageError(`no traces (*.gtr) under ${given.join(', ') || 'traces/'}`);
      const names = files.map((f) => path.relative(root, path.resolve(f)).split(path.sep).join('/'));
      const report = kvmFidelity(files, { host, policy, runTimeoutMs: a['kvm-run-timeout'], names });
      const kernel = host.kind === 'nested' ? path.basename((host as { kernel?: string }).kernel ?? '') : 'native';
      const out = new Output();
      let exit = report.traces.some((t) => t.differences.length) ? 1 : 0;
      if (a['write-baseline']) {
        writeOutputFile(a['write-baseline'], renderBaseline(baselineOf(report, kernel)), { what: 'KVM fidelity baseline', inPlace: true });
        exit = 0;
      }
      const cmp = a.baseline ? compareWithBaseline(report, readBaseline(a.baseline)) : undefined;
      if (cmp) exit = cmp.newUnexplained.length ? 1 : 0;
      if (a.json) out.line(JSON.stringify({ ...report, baseline: cmp }, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2));
      else for (const l of renderFidelity(report, cmp)) out.line(l);
      if (a['write-baseline']) out.line(`wrote ${a['write-baseline']}`);
      out.flush();
      process.exitCode = exit;
    },
  );
}
