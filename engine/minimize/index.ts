// The minimiser's library entry: read a trace, ask one question of it, minimise, and describe
// the result. `gicreplay minimize` is a thin layer over minimizeFile.

import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { layoutFor, goldenPathFor, TRACE_EXT } from '../golden/layout';
import { Policy } from '../policy/policy';
import { readTrace } from '../trace/reader';
import { policyFileOf, readGoldenBody } from './golden-body';
import { GoldenJudge, Judge, PoliciesJudge, ReplayBudget } from './judges';
import { KvmJudge } from './kvm-judge';
import { KvmHost } from '../backend/kvm/host';
import { MinimizeResult, minimizeTrace } from './minimize';

export { writeMinimized } from './minimize';
export type { MinimizeResult, MinimizeStep } from './minimize';

export type MinimizeQuestion =
  | { kind: 'policies'; a: Policy; b: Policy; at?: number }
  /** Against the golden of `policy`, or of the first of `policies` whose golden the trace drifts from. */
  | { kind: 'golden'; root: string; policies: readonly Policy[] }
  /** The model under `policy` against real KVM on `host` (the fidelity comparison's first unexplained difference). */
  | { kind: 'kvm'; policy: Policy; host: KvmHost; runTimeoutMs?: number };

export interface MinimizeFileOptions {
  keepMarkers?: boolean;
  maxReplays?: number;
  progress?: (line: string) => void;
  /** The --policy-file arguments, as given: a damaged golden's bless hint names its policy's file. */
  policyFiles?: readonly string[];
}

export const DEFAULT_MAX_REPLAYS = 10000;

export function minimizeFile(file: string, q: MinimizeQuestion, o: MinimizeFileOptions = {}): MinimizeResult & { question: string } {
  const t = readTrace(file);
  const budget = new ReplayBudget(o.maxReplays ?? DEFAULT_MAX_REPLAYS);
  let judge: Judge | null = null;
  let question: string;
  if (q.kind === 'policies') {
    if (q.at !== undefined && (!Number.isInteger(q.at) || q.at < 0 || q.at >= t.events.length)) throw new UsageError(`--at ${q.at}: ${file} has events 0 to ${t.events.length - 1}`);
    question = `${q.a.id} vs ${q.b.id}`;
    judge = PoliciesJudge.create(t.header, t.events, q.a, q.b, budget, q.at);
    if (!judge) throw new UsageError(`nothing to minimise: ${file} shows no difference between ${q.a.id} and ${q.b.id}${q.at !== undefined ? ` at event ${q.at}` : ''} (\`gicreplay diff ${file} --policies ${q.a.id},${q.b.id}\` lists them)`);
  } else if (q.kind === 'kvm') {
    question = `${q.policy.id} against KVM on ${q.host.describe().replace(/, results via .*$/, '')}`;
    judge = KvmJudge.create(t.header, t.events, q.policy, q.host, budget, { runTimeoutMs: q.runTimeoutMs });
    const pf = policyFileOf(q.policy, o.policyFiles);
    if (!judge) throw new UsageError(`nothing to minimise: ${file} shows no unexplained difference between the model under ${q.policy.id} and KVM (\`gicreplay fidelity ${file} ${pf ? `--policy-file ${pf}` : `--policy ${q.policy.id}`}\` lists every difference)`);
  } else {
    const layout = layoutFor(q.root);
    const rel = path.relative(layout.tracesDir, path.resolve(file)).split(path.sep).join('/');
    if (rel.startsWith('../') || path.isAbsolute(rel) || !rel.endsWith(TRACE_EXT)) throw new UsageError(`--golden needs a trace under ${layout.tracesDir} (its goldens are golden/<trace>/<policy>.golden); ${file} is not one`);
    question = '';
    for (const p of q.policies) {
      const g = goldenPathFor(rel, p.id);
      const abs = path.join(layout.root, g);
      let body: string[];
      try {
        body = readGoldenBody(abs, g, t.trailer?.digest ?? '', policyFileOf(p, o.policyFiles));
      } catch (e) {
        if (q.policies.length > 1 && e instanceof InputError && /ENOENT|does not exist|no such file/i.test(e.message)) continue;
        throw e;
      }
      judge = GoldenJudge.create(t.header, t.events, p, body, budget);
      question = `${p.id} against ${g}`;
      if (judge) break;
    }
    if (!judge) throw new UsageError(`nothing to minimise: ${file} replays exactly as its golden${q.policies.length > 1 ? 's' : ''} under ${q.policies.map((p) => p.id).join(', ')} (\`gicreplay check ${file}\` agrees)`);
  }
  const r = minimizeTrace(t.header, t.events, judge, {
    keepMarkers: o.keepMarkers,
    progress: o.progress,
    source: { name: path.basename(file), digest: t.trailer?.digest ?? '', question },
  });
  return { ...r, question };
}

/** The result for people, a few lines; the caller adds where it was written. */
export function renderMinimized(file: string, r: MinimizeResult & { question: string }): string[] {
  const shape = (a: number, b: number, what: string) => (a === b ? `${a} ${what}` : `${a} → ${b} ${what}`);
  const out = [
    `minimised ${file} (${r.question}): ${shape(r.before.events, r.events.length, 'events')}, ${shape(r.before.cpus, r.header.gic.cpus.length, 'vCPUs')}, ${shape(r.before.spis, r.header.gic.spis, 'SPIs')}; ${r.replays} replays${r.boots ? ` in ${r.boots} KVM boots` : ''}, ${r.steps.length} steps`,
    `difference kept: ${r.target.describe} (event ${r.target.index} of the original, event ${r.targetIndex} here)`,
    `kept events: ${r.kept.join(', ')}`,
  ];
  for (const s of r.steps) out.push(`  ${s.phase}: ${s.what} — ${s.events} events, ${s.cpus} vCPUs, ${s.spis} SPIs after ${s.replays} replays`);
  if (r.bounded) out.push('the replay budget ran out first: the trace shows the difference but may not be minimal (raise --max-replays)');
  return out;
}

export function minimizedToJson(file: string, r: MinimizeResult & { question: string }, out: string): string {
  return JSON.stringify({
    trace: file,
    output: out,
    question: r.question,
    target: r.target,
    targetIndex: r.targetIndex,
    before: r.before,
    after: { events: r.events.length, cpus: r.header.gic.cpus.length, spis: r.header.gic.spis },
    kept: r.kept,
    steps: r.steps,
    replays: r.replays,
    boots: r.boots,
    bounded: r.bounded,
  }, null, 2);
}
