// `gicreplay export`: a trace as a program that checks, on a real KVM host, what policy P's
// golden records. The expectations are the golden's: a trace with a checked-in golden for P must
// replay exactly as it (else `gicreplay check` has something to say first); a trace without one
// (a fresh minimised witness) gets the model's replay under P, and the program says so.

import * as path from 'path';
import { UsageError } from '../errors';
import { goldenPathFor, layoutFor, TRACE_EXT } from '../golden/layout';
import { recordRenderer } from '../golden/render';
import { policyFileOf, readGoldenBody } from '../minimize/golden-body';
import { Policy } from '../policy/policy';
import { replayEvents } from '../replay/replay';
import { readTrace } from '../trace/reader';
import { renderC } from './c';
import { renderKselftest } from './kselftest';
import { checkQtestable, qtestPlan, renderQtest } from './qtest';
import { planRepro, ReproPlan } from './plan';

export type ExportFormat = 'c' | 'kvm-selftest' | 'qtest';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['c', 'kvm-selftest', 'qtest'];

export interface ExportResult {
  text: string;
  plan: ReproPlan;
  /** The golden the expectations were checked against, or null (the model's replay). */
  golden: string | null;
  /** The file's own operation and check counts where they are not the plan's (qtest: MMIO only, no IRQ/FIQ). */
  operations?: number;
  checks?: number;
}

/** `policyFiles`: the --policy-file arguments, as given (a damaged golden's bless hint names the policy's file). */
export function exportTrace(file: string, policy: Policy, format: ExportFormat, root: string | null, policyFiles?: readonly string[]): ExportResult {
  const t = readTrace(file);
  // qtest refuses what QEMU's qtest cannot perform before anything else is asked of the trace.
  if (format === 'qtest') checkQtestable(file, t.header, t.events);
  let golden: string | null = null;
  if (root) {
    const layout = layoutFor(root);
    const rel = path.relative(layout.tracesDir, path.resolve(file)).split(path.sep).join('/');
    if (!rel.startsWith('../') && !path.isAbsolute(rel) && rel.endsWith(TRACE_EXT)) {
      const g = goldenPathFor(rel, policy.id);
      let body: string[] | null = null;
      try {
        body = readGoldenBody(path.join(layout.root, g), g, t.trailer?.digest ?? '', policyFileOf(policy, policyFiles));
      } catch (e) {
        if (!/ENOENT|does not exist|no such file/i.test((e as Error).message)) throw e;
      }
      if (body) {
        const render = recordRenderer(t.header.gic);
        const now: string[] = [];
        replayEvents(t.header, t.events, { policy }, (r) => now.push(render(r)));
        if (now.join('\n') !== body.join('\n')) throw new UsageError(`${file} under ${policy.id} no longer replays as ${g}: the reproducer would check neither; run \`gicreplay check ${file} --policy ${policy.id}\` first`);
        golden = g;
      }
    }
  }
  const name = root ? path.relative(root, path.resolve(file)).split(path.sep).join('/') : path.basename(file);
  const source = golden ? `the golden ${golden}` : `gicreplay's replay under ${policy.id} (the trace has no golden for it)`;
  const plan = planRepro(file, t.header, t.events, policy, source);
  switch (format) {
    case 'c':
      return { text: renderC(plan, name), plan, golden };
    case 'kvm-selftest':
      return { text: renderKselftest(plan, name), plan, golden };
    case 'qtest': {
      const q = qtestPlan(file, t.header, t.events, plan);
      return { text: renderQtest(q, plan, name), plan, golden, checks: q.checks, operations: q.steps.length };
    }
  }
}
