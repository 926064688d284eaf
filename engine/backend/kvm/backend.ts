// Replaying traces on real KVM: one job per GIC version (a nested host boots once per job), one
// VM per trace, the same records as the model's replay. The library entry point behind
// `gicreplay replay|check|fidelity --backend kvm`.

import { hex } from '../../util/hex';
import { InputError, UsageError } from '../../errors';
import { Policy } from '../../policy/policy';
import { ReplayRecord, ReplaySummary } from '../../replay/records';
import { readTrace } from '../../trace/reader';
import { TraceEvent, TraceHeader } from '../../trace/events';
import { errnoName } from '../../util/errno';
import { kvmComparability } from './comparable';
import { KvmHost } from './host';
import { buildTraceJob, TraceJob } from './job';
import { TraceAnswers } from './output';
import { emitKvmRecords } from './records';

export interface KvmReplayOptions {
  host: KvmHost;
  policy: Policy;
  /** Watchdog around each KVM_RUN (ms); a guest that does not yield in time ends its trace with an error. */
  runTimeoutMs?: number;
}

export interface KvmTraceResult {
  file: string;
  header: TraceHeader;
  events: readonly TraceEvent[];
  records: ReplayRecord[];
  summary: ReplaySummary;
  /** vCPU MPIDRs as KVM reports them. */
  mpidrs: bigint[];
  /** The trace's event digest (its trailer), as goldens record it. */
  digest: string;
  /** GICD_IIDR as the kernel reported it before the policy's revision was written (when one was). */
  kernelIidr?: number;
}

/** The kernel cannot be put into the policy through its userspace API. Exit 2. */
export class KvmPolicyRefused extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'KvmPolicyRefused';
  }
}

export interface KvmRunResult {
  host: string;
  traces: KvmTraceResult[];
  /** Jobs run (nested: boots). */
  jobs: number;
}


/**
 * Check the answer to the policy-selection step (throws KvmPolicyRefused) and return the GICD_IIDR
 * the kernel reported before the policy's revision was written (undefined: no selection step).
 */
function policyAnswer(job: TraceJob, answers: TraceAnswers, policy: Policy): number | undefined {
  if (!job.policyTag) return undefined;
  const s = answers.lines.find((l) => l.tag === job.policyTag && l.kind === 's');
  if (!s) return undefined; // the trace failed before; its own error says why
  const [readErr, iidrHex, writeErr] = s.args;
  const iidr = parseInt(iidrHex, 16);
  if (Number(readErr)) throw new KvmPolicyRefused(`cannot read GICD_IIDR through KVM_DEV_ARM_VGIC_GRP_DIST_REGS (${errnoName(Number(readErr))}), so policy ${policy.id}'s revision cannot be selected`);
  if (writeErr !== '-' && Number(writeErr)) {
    const want = (iidr & ~0xf000) | (policy.data.revision << 12);
    throw new KvmPolicyRefused(
      `this kernel cannot be put into policy ${policy.id}: KVM refuses the userspace GICD_IIDR write that selects revision ${policy.data.revision} (${hex(want)}: ${errnoName(Number(writeErr))}); its vGICv${job.header.gic.version} starts at revision ${(iidr >> 12) & 0xf} (${hex(iidr)})`,
    );
  }
  return iidr;
}

function traceFailure(file: string, job: TraceJob, answers: TraceAnswers | undefined): InputError | undefined {
  if (!answers) return new InputError('the KVM runner never reached this trace', { file });
  if (!answers.failure) {
    if (!answers.complete) return new InputError('the KVM runner stopped inside this trace without saying why', { file });
    return undefined;
  }
  const { tag, message } = answers.failure;
  const index = /^\d+$/.test(tag) ? Number(tag) : undefined;
  const setup = !answers.ready;
  const what = setup ? `KVM cannot run this trace (${message})` : `KVM run failed: ${message}`;
  return new InputError(what, { file, eventIndex: index, byteOffset: setup ? 0 : undefined });
}

/** A trace to run on KVM: from a file, or built in memory (a migration's halves). */
export interface LoadedTrace {
  file: string;
  header: TraceHeader;
  events: readonly TraceEvent[];
  digest: string;
  /**
   * The GICD_IIDR revision to put the VM in; default: the policy's. null: leave the kernel's own
   * (no userspace GICD_IIDR write, as QEMU's restore never writes it).
   */
  revision?: number | null;
}

/** Replay `files` on real KVM under `o.policy`; throws on the first trace KVM cannot run. */
export function replayOnKvm(files: readonly string[], o: KvmReplayOptions): KvmRunResult {
  return runOnKvm(
    files.map((file) => {
      const t = readTrace(file);
      return { file, header: t.header, events: t.events, digest: t.trailer?.digest ?? '' };
    }),
    o,
  );
}

/** Run traces already in memory on real KVM (one boot per GIC version); see replayOnKvm. */
export function runOnKvm(loaded: readonly LoadedTrace[], o: KvmReplayOptions): KvmRunResult {
  const jobs = loaded.map((t, i) =>
    buildTraceJob(`t${i}`, t.header, t.events, { file: t.file, revision: t.revision === null ? undefined : (t.revision ?? o.policy.data.revision), runTimeoutMs: o.runTimeoutMs }),
  );
  const results: (KvmTraceResult | undefined)[] = [];
  let boots = 0;
  for (const gic of [3, 2] as const) {
    const idx = jobs.map((_, i) => i).filter((i) => loaded[i].header.gic.version === gic);
    if (!idx.length) continue;
    const text = idx.map((i) => `${jobs[i].lines.join('\n')}\n`).join('');
    const ops = idx.reduce((s, i) => s + jobs[i].lines.length, 0);
    const run = o.host.run({ gic, job: text, ops });
    boots++;
    for (const i of idx) {
      const t = loaded[i];
      const job = jobs[i];
      const answers = run.output.traces.find((a) => a.id === job.id);
      const kernelIidr = answers ? policyAnswer(job, answers, o.policy) : undefined;
      const failure = traceFailure(t.file, job, answers);
      if (failure) throw failure;
      const records: ReplayRecord[] = [];
      const comparable = kvmComparability(t.header, t.events);
      const r = emitKvmRecords(t.file, t.header, t.events, job.plans, answers!, comparable, (rec) => records.push(rec));
      results[i] = { file: t.file, header: t.header, events: t.events, records, summary: r.summary, mpidrs: answers!.mpidrs, digest: t.digest, kernelIidr };
    }
  }
  return { host: o.host.describe(), traces: results as KvmTraceResult[], jobs: boots };
}
