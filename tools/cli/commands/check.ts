// `gicreplay check`: thin layer over engine/golden checkGoldens / mergeReports.

import * as path from 'path';
import type { Argv } from 'yargs';
import { BUILTIN_POLICY_IDS, checkGoldens, checkGoldensOnKvm, CheckReport, defaultPendingDir, ensurePendingIgnored, findProjectRoot, guestKindOf, InputError, kernelPolicyId, mergeReports, parseShard, readInputText, readTraceTags, renderJunit, renderReport, resolveConfig, selectPolicies, UsageError, writeOutputFile } from '../../../engine';
import type { CliContext } from '../context';
import { withInterrupts } from '../interrupt';
import { progressLine } from '../progress';
import { Output } from '../output';
import { chosenPolicies, policyOptions } from '../policy-args';
import { backendOptions, kvmHostFrom } from './backend';

/** A shard report is at most this large (the 210-pair suite with every pair drifting: ~1 MB). */
const MAX_REPORT_BYTES = 1 << 30;

function readReport(file: string): CheckReport {
  const text = readInputText(file, 'shard report', MAX_REPORT_BYTES);
  try {
    const r = JSON.parse(text) as CheckReport;
    if (typeof r !== 'object' || r === null || !Array.isArray(r.results) || typeof r.manifest !== 'object') throw new Error('not a gicreplay check report');
    return r;
  } catch (e) {
    throw new InputError(`not a gicreplay check --json report: ${(e as Error).message}`, { file }, 'the output of `gicreplay check --json --shard i/n`');
  }
}

/** Kept here for commands written before the shared helper (tools/cli/policy-args.ts). */
export { listOf } from '../policy-args';

export function progressPrinter(enabled: boolean): ((done: number, total: number, id: string) => void) | undefined {
  const line = progressLine(enabled);
  if (!line) return undefined;
  return (done, total, id) => (done === total ? line.done() : line.update(`[${done}/${total}] ${id}`));
}

/** Policies of --policy-file that are neither built in nor registered, ID -> absolute file: a pasted bless needs the file again. */
export function adHocPolicyFiles(root: string, files: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!files?.length) return out;
  for (const p of selectPolicies({ root, cwd: process.cwd(), files }).adHoc) out[p.id] = path.resolve(p.file);
  return out;
}

export function checkCommand(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'check [paths..]',
    'Replay every trace under every policy and compare with the goldens (exit 0 match, 1 drift/missing/stale/obsolete, 2 bad input); with --backend kvm, real KVM against one policy\'s goldens (default: the kernel\'s own policy, linux-6.1 for a 6.1 kernel, else mainline-rev3)',
    (c) =>
      policyOptions(backendOptions(c), { defaultText: 'every built-in and registered policy; with --backend kvm, the kernel\'s own: linux-6.1 for a 6.1 kernel, else mainline-rev3' })
        .positional('paths', { type: 'string', array: true, describe: 'traces, goldens or folders of them (default: all of traces/)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (stable IDs); with --shard, save it for --merge' })
        .option('junit', { type: 'string', describe: 'also write JUnit XML to this file' })
        .option('shard', { type: 'string', describe: 'check only shard i of n (e.g. 2/4) of the (trace × policy) pairs' })
        .option('merge', { type: 'string', array: true, describe: 'combine shard --json reports into one verdict instead of checking' })
        .option('pending', { type: 'string', describe: 'write the new output of every pair that does not match to DIR/<golden>.new, for `gicreplay review` or a CI artifact (no DIR: .gicreplay/pending)' })
        .option('root', { type: 'string', describe: 'project folder holding traces/ and golden/ (default: nearest above the current folder)' })
        .option('workers', { type: 'number', describe: 'worker threads (0 = none; default: automatic)' })
        .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'every pair, group and diff line in full, and which policies share a golden' }),
    async (a) => {
      const started = process.hrtime.bigint();
      const cfg = resolveConfig({ mode: 'check', env: process.env, tty: Boolean(process.stderr.isTTY), workers: a.workers });
      let report: CheckReport;
      let inputs: string[] = [];
      const host = kvmHostFrom(a);
      const root = a.root ? path.resolve(a.root) : findProjectRoot(process.cwd());
      const { ids, files: policyFiles } = chosenPolicies(a, root, { command: 'check' });
      if (host) {
        if (a.merge?.length || a.shard || a.pending) throw new UsageError('--merge, --shard and --pending are for the model backend; with --backend kvm, check one policy in one run');
        const policies = ids.length || policyFiles.length ? ids : [kernelPolicyId(host.release(), BUILTIN_POLICY_IDS)];
        report = checkGoldensOnKvm({ root, cwd: process.cwd(), paths: (a.paths as string[] | undefined) ?? [], policies, policyFiles, host, runTimeoutMs: a['kvm-run-timeout'] });
      } else if (a.merge !== undefined) {
        const files = [...a.merge, ...((a.paths as string[] | undefined) ?? [])];
        inputs = files;
        if (!files.length) throw new UsageError('--merge needs the shard reports to combine, e.g. `gicreplay check --merge golden-*.json`');
        report = mergeReports(files.map(readReport), files, { root, policyFiles: policyFiles.map((f: string) => path.resolve(f)) });
      } else {
        // `--pending` alone: the git-ignored folder `review` and `accept` read by default.
        const pendingDir = a.pending === undefined ? undefined : a.pending === '' ? defaultPendingDir(root) : a.pending;
        if (pendingDir) ensurePendingIgnored(root, path.resolve(pendingDir));
        report = await withInterrupts((signal) => checkGoldens({
          signal,
          root,
          cwd: process.cwd(),
          paths: (a.paths as string[] | undefined) ?? [],
          policies: ids,
          policyFiles,
          shard: a.shard !== undefined ? parseShard(a.shard) : undefined,
          config: cfg,
          onProgress: progressPrinter(cfg.progress),
          pendingDir,
        }));
      }
      const out = new Output();
      if (a.json) out.line(JSON.stringify(report, null, 2));
      else {
        // How long it took only on a terminal: a report saved to a file stays the same bytes run after run.
        const seconds = ctx.stdoutTty ? Number(process.hrtime.bigint() - started) / 1e9 : undefined;
        const tags = readTraceTags(path.join(root, 'traces'));
        const opts = { guestKind: (t: string) => guestKindOf(tags, t), style: ctx.style, verbose: a.verbose, seconds, root, cwd: process.cwd(), adHocPolicyFiles: adHocPolicyFiles(root, policyFiles), blessable: !host, pendingDir: a.pending === undefined ? undefined : a.pending || '' };
        for (const l of renderReport(report, opts)) out.line(l);
      }
      out.flush();
      if (a.junit) writeOutputFile(a.junit, renderJunit(report), { what: 'JUnit report', inPlace: true, inputs });
      process.exitCode = report.verdict.exit;
    },
  );
}
