// `gicreplay check --backend kvm`: real KVM against the goldens of the policy the kernel is put
// in. Only what KVM can show is compared: read values, device-attribute errors, IRQ/FIQ changes
// and markers. A model's explanation of a write ("ignored: …") has no KVM counterpart, records
// that depend on when a host timer fired are left out on both sides, and so are the model's
// timer-driven records (index `-`). The golden is still read and verified in full.

import { checkPair } from '../../golden/pair';
import { planSuite, PlanOptions } from '../../golden/manifest';
import { CheckReport, PairResult, REPORT_SCHEMA } from '../../golden/results';
import { fieldFormatterFor, parseLine, renderRecord } from '../../golden/render';
import { verdictOf } from '../../golden/run';
import { UsageError } from '../../errors';
import { Policy } from '../../policy/policy';
import { ReplayRecord } from '../../replay/records';
import { GICREPLAY_VERSION, MODEL_VERSION } from '../../version';
import { replayOnKvm } from './backend';
import { kvmComparability } from './comparable';
import { Comparability } from './records';
import { KvmHost } from './host';

/** `policies`/`policyFiles` must name exactly one policy: KVM runs one revision at a time. */
export interface KvmCheckOptions extends PlanOptions {
  host: KvmHost;
  runTimeoutMs?: number;
}

const WRITE_EFFECT = / -> "(?:[^"\\]|\\.)*"/;

/** The line as the KVM comparison sees it, or null when it is not compared. */
export function kvmComparableLine(line: string, comparable: Comparability): string | null {
  const p = parseLine(line);
  if (p.index < 0) return null; // timer / reset records: KVM has none at a fixed place
  switch (p.op) {
    case 'read':
      return comparable.read(p.index) ? null : line;
    case 'irq':
    case 'fiq':
      return p.cpu !== null && comparable.output(p.index, p.cpu) ? null : line;
    case 'write':
      // Only a userspace access's errno is KVM's to say; the effect text is the model's explanation.
      return / error -E/.test(line) && p.via === 'user' ? line.replace(WRITE_EFFECT, ' ->') : null;
    case 'msi':
    case 'ctrl':
      // KVM_SIGNAL_MSI's return and an ITS table attribute's result are KVM's; the text after them is the model's.
      return line.replace(/ "(?:[^"\\]|\\.)*"$/, '');
    case 'marker':
    case 'truncated':
      return line;
    default:
      return null;
  }
}

export function checkGoldensOnKvm(o: KvmCheckOptions): CheckReport & { host: string } {
  const plan = planSuite(o);
  const ids = [...new Set(plan.pairs.map((p) => p.policy.id))];
  if (ids.length !== 1) throw new UsageError(ids.length ? `check --backend kvm runs one policy at a time (this selects ${ids.join(', ')}): name one with --policy` : `nothing to check: no traces under ${o.paths?.join(', ') || 'traces/'}`);
  const policy: Policy = plan.pairs[0].policy;
  const files = plan.pairs.map((p) => `${plan.layout.tracesDir}/${p.trace}`);
  const run = replayOnKvm(files, { host: o.host, policy, runTimeoutMs: o.runTimeoutMs });
  const results: PairResult[] = plan.pairs.map((p, i) => {
    const t = run.traces[i];
    const fields = fieldFormatterFor(t.header.gic);
    const render = (r: ReplayRecord): string => renderRecord(r, fields);
    const comparable = kvmComparability(t.header, t.events);
    const res = checkPair({
      layout: plan.layout,
      trace: p.trace,
      policy,
      golden: p.golden,
      project: (line) => kvmComparableLine(line, comparable),
      newName: `real KVM running traces/${p.trace} under ${policy.id}`,
      produce: (setup) => {
        const feed = setup(t.header, fields);
        for (const r of t.records) feed(render(r), r);
        return t.digest;
      },
    });
    // Staleness is about the model's bookkeeping, not about what KVM does.
    delete res.stale;
    delete res.pending;
    if (res.status === 'stale') {
      res.status = 'match';
      delete res.message;
    }
    if (res.status === 'drift' && res.drift) res.message = `real KVM differs from the golden in ${res.drift.total} place${res.drift.total === 1 ? '' : 's'} (${run.host})`;
    if (res.status === 'missing') res.message = `no golden ${p.golden} to check real KVM against; make it with \`gicreplay bless traces/${p.trace} --policy ${policy.id} --reason "…"\``;
    return res;
  });
  const report: CheckReport & { host: string } = {
    schema: REPORT_SCHEMA,
    tool: { gicreplay: GICREPLAY_VERSION, model: MODEL_VERSION },
    filter: plan.filter,
    manifest: plan.manifest,
    results,
    obsolete: [],
    foreign: plan.manifest.foreign,
    invariants: [],
    verdict: { exit: 0, counts: { pairs: 0, match: 0, drift: 0, missing: 0, stale: 0, error: 0, obsolete: 0, invariantFailures: 0, unreadable: 0, leftovers: 0 }, summary: '' },
    host: run.host,
  };
  report.verdict = verdictOf(report);
  report.verdict.summary = `real KVM (${run.host}) under ${policy.id}: ${report.verdict.summary}`;
  return report;
}
