// `gicreplay fidelity --backend kvm`: every trace on the model and on real KVM under one policy,
// and every place they disagree: a read value, a device-attribute errno, or a vCPU's IRQ/FIQ
// state after an event. Each difference is classified by rule (kvm-rules.ts): a host-GIC fact,
// an unmodelled register, or unexplained (a model bug until shown otherwise).

import { hex } from '../../util/hex';
import { fieldChanges } from '../../golden/compare';
import { fieldFormatterFor } from '../../golden/render';
import { BUILTIN_POLICY_IDS, getPolicy, onHost, Policy } from '../../policy/policy';
import { ReplayRecord } from '../../replay/records';
import { replayEvents } from '../../replay/replay';
import { TraceEvent, TraceHeader } from '../../trace/events';
import { errnoName } from '../../util/errno';
import { replayOnKvm } from './backend';
import { kvmComparability } from './comparable';
import { kernelPolicyId, KvmHost } from './host';
import { classifier, DifferenceClass, RuleContext, RuleInput } from './kvm-rules';

export type DifferenceWhat = 'read' | 'errno' | 'irq' | 'fiq';

export interface FidelityDifference {
  trace: string;
  index: number;
  cycle: bigint;
  cpu: number | null;
  what: DifferenceWhat;
  /** Register (reads, errno) or `cpu<n>` (outputs). */
  reg: string;
  model: string;
  kvm: string;
  /** Field by field, when the register has a field layout: "EnableGrp1 1 -> 0". */
  fields: string[];
  class: DifferenceClass;
  /** The rule that explains it, when one does. */
  rule?: string;
}

export interface FidelityTrace {
  trace: string;
  compared: { reads: number; errnos: number; outputs: number };
  notComparable: number;
  differences: FidelityDifference[];
}

export interface FidelityReport {
  host: string;
  policy: string;
  traces: FidelityTrace[];
}


/** Per event index, the read record of that event (one at most). */
function readsByIndex(records: readonly ReplayRecord[]): Map<number, ReplayRecord & { op: 'read' }> {
  const m = new Map<number, ReplayRecord & { op: 'read' }>();
  for (const r of records) if (r.op === 'read') m.set(r.index, r);
  return m;
}

/** Per user-write event, its errno: a refused write's, or a control attribute's (ctrl records carry -errno). */
function userErrnos(records: readonly ReplayRecord[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of records) {
    if (r.op === 'write' && r.src === 'user' && r.result) m.set(r.index, r.result);
    else if (r.op === 'ctrl' && r.result) m.set(r.index, -r.result);
  }
  return m;
}

/** Per MSI event, what KVM_SIGNAL_MSI returned (1 delivered, 0 blocked, -errno). */
function msiResults(records: readonly ReplayRecord[]): Map<number, ReplayRecord & { op: 'msi' }> {
  const m = new Map<number, ReplayRecord & { op: 'msi' }>();
  for (const r of records) if (r.op === 'msi') m.set(r.index, r);
  return m;
}

const msiValue = (ret: number): string => (ret < 0 ? errnoName(-ret) : String(ret));

/**
 * Output changes as (event, cpu, op) -> level. A timer change (index -1) happened before the
 * first later event whose cycle reaches it (replay applies time passing before each event).
 */
function outputChanges(records: readonly ReplayRecord[], events: readonly TraceEvent[]): Map<string, 0 | 1> {
  const m = new Map<string, 0 | 1>();
  let last = -1;
  for (const r of records) {
    if (r.op === 'irq' || r.op === 'fiq') {
      let at = r.index;
      if (at < 0) {
        at = last + 1;
        while (at < events.length && events[at].cycle < r.cycle) at++;
      }
      m.set(`${at} ${r.cpu} ${r.op}`, r.level);
      if (r.index >= 0) last = r.index;
    } else if ('index' in r && r.index >= 0) last = r.index;
  }
  return m;
}

/** Level of each vCPU's IRQ/FIQ after each event, from output changes (outputChanges). */
function levelAt(changes: Map<string, 0 | 1>, events: readonly TraceEvent[], cpus: number): (i: number, cpu: number, op: 'irq' | 'fiq') => 0 | 1 {
  const levels = new Map<string, Uint8Array>();
  for (const op of ['irq', 'fiq'] as const) {
    for (let c = 0; c < cpus; c++) {
      const a = new Uint8Array(events.length);
      let l: 0 | 1 = 0;
      for (let i = 0; i < events.length; i++) a[i] = l = changes.get(`${i} ${c} ${op}`) ?? l;
      levels.set(`${c} ${op}`, a);
    }
  }
  return (i, c, op) => levels.get(`${c} ${op}`)![i] as 0 | 1;
}

/** Whether another model replay (the same trace on another host) gives KVM's value for a difference. */
export function agreesWith(records: readonly ReplayRecord[], events: readonly TraceEvent[], cpus: number): (d: RuleInput) => boolean {
  const reads = readsByIndex(records);
  const level = levelAt(outputChanges(records, events), events, cpus);
  return (d) => {
    if (d.what === 'irq' || d.what === 'fiq') return d.cpu !== null && String(level(d.index, d.cpu, d.what)) === d.kvm;
    const r = reads.get(d.index);
    return d.what === 'read' && r !== undefined && !r.result && hex(r.value) === d.kvm;
  };
}

/** Compare one trace's model and KVM records. */
export function compareTrace(trace: string, header: TraceHeader, events: readonly TraceEvent[], model: readonly ReplayRecord[], kvm: readonly ReplayRecord[], ctx: RuleContext): FidelityTrace {
  const out: FidelityTrace = { trace, compared: { reads: 0, errnos: 0, outputs: 0 }, notComparable: 0, differences: [] };
  const fields = fieldFormatterFor(header.gic);
  const cmp = kvmComparability(header, events);
  const mr = readsByIndex(model);
  const kr = readsByIndex(kvm);
  const found: Omit<FidelityDifference, 'class' | 'rule' | 'trace'>[] = [];
  const add = (d: Omit<FidelityDifference, 'class' | 'rule' | 'trace'>): void => {
    found.push(d);
  };
  for (const [i, k] of kr) {
    const m = mr.get(i);
    if (!m) continue;
    if (k.notComparable) {
      out.notComparable++;
      continue;
    }
    out.compared.reads++;
    if ((m.result ?? 0) !== (k.result ?? 0)) {
      add({ index: i, cycle: k.cycle, cpu: k.cpu, what: 'errno', reg: k.reg, model: m.result ? errnoName(m.result) : '0', kvm: k.result ? errnoName(k.result) : '0', fields: [] });
      continue;
    }
    if (m.value !== k.value) {
      const f = fieldChanges(fields(m.reg, m.value), fields(k.reg, k.value)).map((c) => `${c.field} ${c.old} -> ${c.new}`);
      add({ index: i, cycle: k.cycle, cpu: k.cpu, what: 'read', reg: k.reg, model: hex(m.value), kvm: hex(k.value), fields: f });
    }
  }
  const me = userErrnos(model);
  const ke = userErrnos(kvm);
  events.forEach((ev, i) => {
    if (ev.kind !== 6 /* user-write */) return;
    out.compared.errnos++;
    const a = me.get(i) ?? 0;
    const b = ke.get(i) ?? 0;
    if (a === b) return;
    const w = [...kvm, ...model].find((r): r is ReplayRecord & { op: 'write' | 'ctrl' } => (r.op === 'write' || r.op === 'ctrl') && r.index === i);
    add({ index: i, cycle: ev.cycle, cpu: ev.cpu, what: 'errno', reg: w?.reg ?? '', model: a ? errnoName(a) : '0', kvm: b ? errnoName(b) : '0', fields: [] });
  });
  // KVM_SIGNAL_MSI: the ioctl's return, like a device-attribute result.
  const mm = msiResults(model);
  for (const [i, k] of msiResults(kvm)) {
    const m = mm.get(i);
    if (!m) continue;
    out.compared.errnos++;
    if (m.result !== k.result) add({ index: i, cycle: k.cycle, cpu: null, what: 'errno', reg: k.reg, model: msiValue(m.result), kvm: msiValue(k.result), fields: [] });
  }
  // Outputs: the level after every event at which either side changed it.
  const mo = outputChanges(model, events);
  const ko = outputChanges(kvm, events);
  const n = header.gic.cpus.length;
  for (const op of ['irq', 'fiq'] as const) {
    for (let c = 0; c < n; c++) {
      let ml: 0 | 1 = 0;
      let kl: 0 | 1 = 0;
      for (let i = 0; i < events.length; i++) {
        const a = mo.get(`${i} ${c} ${op}`);
        const b = ko.get(`${i} ${c} ${op}`);
        if (a === undefined && b === undefined) continue;
        if (a !== undefined) ml = a;
        if (b !== undefined) kl = b;
        if (cmp.output(i, c)) {
          // Counted from the model's side: KVM's changes there follow the host's time.
          if (a !== undefined) out.notComparable++;
          continue;
        }
        out.compared.outputs++;
        if (ml !== kl) add({ index: i, cycle: events[i].cycle, cpu: c, what: op, reg: `cpu${c}`, model: String(ml), kvm: String(kl), fields: [] });
      }
    }
  }
  found.sort((a, b) => a.index - b.index || (a.cpu ?? -1) - (b.cpu ?? -1) || (a.what < b.what ? -1 : a.what > b.what ? 1 : 0));
  const classify = classifier(header, events, model, found, ctx);
  for (const d of found) {
    const c = classify(d);
    out.differences.push({ trace, ...d, class: c.class, ...(c.rule ? { rule: c.rule } : {}) });
  }
  return out;
}

export interface FidelityOptions {
  host: KvmHost;
  policy: Policy;
  runTimeoutMs?: number;
  /** Trace names in the report (default: the file paths). */
  names?: readonly string[];
}

/**
 * The policy the model runs as on this KVM host: the given one with the host's ICC traps
 * (host.cpuifTraps): the host under test decides, over the policy's and a trace's own naming.
 * Decided once per comparison.
 */
export function modelPolicyOn(host: KvmHost, policy: Policy): Policy {
  return onHost(policy, { cpuifTraps: host.cpuifTraps?.() ?? [] });
}

export function kvmFidelity(files: readonly string[], o: FidelityOptions): FidelityReport {
  const run = replayOnKvm(files, { host: o.host, policy: o.policy, runTimeoutMs: o.runTimeoutMs });
  const policy = modelPolicyOn(o.host, o.policy);
  // A nested host's GIC is QEMU's, whose ICH_VMCR_EL2 keeps all 8 PMR bits (rule vmcr-pmr-unmasked).
  const onQemu = o.host.kind === 'nested' ? onHost(policy, { vmcrPmr: 'all-bits' }) : undefined;
  const traces = run.traces.map((t, i) => {
    const model: ReplayRecord[] = [];
    replayEvents(t.header, t.events, { policy }, (r) => model.push(r));
    const qemuVmcrAgrees = onQemu && onQemu !== policy ? (): ((d: RuleInput) => boolean) => {
      const alt: ReplayRecord[] = [];
      replayEvents(t.header, t.events, { policy: onQemu }, (r) => alt.push(r));
      return agreesWith(alt, t.events, t.header.gic.cpus.length);
    } : undefined;
    // What the kernel under test does is its own built-in policy's switches (linux-6.1, linux-6.12, else mainline).
    const ctx: RuleContext = { modelKernel: policy.kernel, kvmKernel: getPolicy(kernelPolicyId(o.host.release(), BUILTIN_POLICY_IDS)).kernel, host: policy.host, pmrThroughVmcr: policy.host.cpuifTraps.includes('common'), qemuVmcrAgrees, policy };
    return compareTrace(o.names?.[i] ?? t.file, t.header, t.events, model, t.records, ctx);
  });
  return { host: run.host, policy: o.policy.id, traces };
}
