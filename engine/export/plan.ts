// What a reproducer does and checks, as data: the KVM backend's own job for the trace (the same
// operations, in the same order, that `replay --backend kvm` runs and `fidelity` holds the model
// to) with, on each operation, what policy P's replay says KVM must answer — the read value, the
// device-attribute errno, and the vCPU's IRQ/FIQ state where the job observes it. The C, selftest
// and qtest renderers only print this.

import { InputError } from '../errors';
import { timerComparability } from '../backend/kvm/comparable';
import { buildTraceJob } from '../backend/kvm/job';
import { CTRL_ATTR_NAMES } from '../gic/its/vits';
import { RegisterNamer } from '../inspect/registers';
import { Policy } from '../policy/policy';
import { ReplayRecord } from '../replay/records';
import { Replayer } from '../replay/replay';
import { EventValidator } from '../trace/validate';
import { EventKind, TraceEvent, TraceHeader } from '../trace/events';
import { hex } from '../util/hex';

export type StepOp = 'mr' | 'mw' | 'sr' | 'sw' | 'probe' | 'timer' | 'ur' | 'uw' | 'ctrl' | 'irq' | 'iidr' | 'gm' | 'msi' | 'ir' | 'iw' | 'ic';

export interface Check<T> {
  want: T;
  /** Why it is not checked (timer-dependent, unmodelled), when it is not. */
  skip?: string;
}

export interface Step {
  op: StepOp;
  /** Trace event index (-1 for setup). */
  event: number;
  cpu: number;
  addr: bigint;
  size: number;
  value: bigint;
  /** Sysreg encoding (sr/sw), device-attribute group (ur/uw), KVM_IRQ_LINE number (irq), revision (iidr), timer ('v'|'p' as 0|1), 1 when an MSI carries a DeviceID (msi) */
  enc: number;
  /** Device attribute (ur/uw/ctrl/ir/iw/ic), KVM_IRQ_LINE number (irq), DeviceID (msi). */
  attr: bigint;
  level: number;
  /** gm: the bytes stored at `addr` (guest memory the ITS reads). `addr` is also an MSI's doorbell and `value` its data. */
  data?: Uint8Array;
  /** "event 15: cpu0 read GICD_IGROUPR1". */
  what: string;
  read?: Check<bigint>;
  errno?: Check<number>;
  /** KVM_SIGNAL_MSI's return (1 delivered, 0 blocked by the guest's mappings, -errno). */
  ret?: { want: number };
  /** IRQ and FIQ levels of `cpu` after this operation. */
  isr?: Check<{ irq: number; fiq: number }>;
}

export interface ReproPlan {
  header: TraceHeader;
  policy: Policy;
  /** The job's VM lines before "go" (gic, cpus, nr-irqs, mpidr, dist, redist, cpuif, its, init-now). */
  vm: {
    gic: 2 | 3;
    cpus: number;
    nrIrqs: number;
    mpidrs: bigint[];
    dist: bigint;
    redist: { base: bigint; count: number }[];
    cpuif?: bigint;
    its?: bigint;
    /** Guest memory the ITS reads (command queue, tables, ITTs): one zero-filled memslot each (the job's `mem` lines). */
    mems: { base: bigint; size: bigint }[];
    initNow: boolean;
  };
  steps: Step[];
  /** TAP checks (skipped ones included). */
  checks: number;
  /** Where the expectations come from (for the program's comment). */
  source: string;
}

const num = (s: string): bigint => BigInt(s);

export function planRepro(file: string, header: TraceHeader, events: readonly TraceEvent[], policy: Policy, source: string): ReproPlan {
  const v = new EventValidator(header, file);
  events.forEach((ev, i) => v.check(ev, i));
  const job = buildTraceJob('repro', header, events, { file, revision: policy.data.revision });
  for (let i = 0; i < events.length; i++) {
    const s = job.plans[i].skip;
    if (s && s.kind === 'inexpressible' && events[i].kind !== EventKind.UserRead) throw new InputError(`KVM's API cannot perform this event: ${s.reason}`, { file, eventIndex: i }, 'events a VMM or guest can perform on KVM');
  }

  // The model's answers: each event's records, and every vCPU's IRQ/FIQ level after each event.
  const n = header.gic.cpus.length;
  const byEvent = new Map<number, ReplayRecord[]>();
  const irq = new Uint8Array(n);
  const fiq = new Uint8Array(n);
  const after: { irq: number[]; fiq: number[] }[] = [];
  const rep = new Replayer(header, { policy }, (r) => {
    if (r.op === 'irq') irq[r.cpu] = r.level;
    if (r.op === 'fiq') fiq[r.cpu] = r.level;
    const idx = 'index' in r ? r.index : -1;
    if (idx >= 0) {
      let a = byEvent.get(idx);
      if (!a) byEvent.set(idx, (a = []));
      a.push(r);
    }
  });
  events.forEach((ev, i) => {
    rep.apply(ev, i);
    after.push({ irq: [...irq], fiq: [...fiq] });
  });
  const cmp = timerComparability(header, events);
  const namer = RegisterNamer.for(header.gic);

  // Lines before "go": the VM.
  const lines = job.lines;
  const go = lines.indexOf('go');
  const vm: ReproPlan['vm'] = { gic: header.gic.version, cpus: n, nrIrqs: 32 + header.gic.spis, mpidrs: header.gic.cpus.map((c) => c.mpidr), dist: header.gic.frames.dist, redist: [], mems: [], initNow: false };
  for (const l of lines.slice(0, go)) {
    const t = l.split(' ');
    if (t[0] === 'redist') vm.redist.push({ base: num(t[1]), count: Number(t[2]) });
    else if (t[0] === 'cpuif') vm.cpuif = num(t[1]);
    else if (t[0] === 'its') vm.its = num(t[1]);
    else if (t[0] === 'mem') vm.mems.push({ base: num(t[1]), size: num(t[2]) });
    else if (t[0] === 'init-now') vm.initNow = true;
  }

  const steps: Step[] = [];
  for (const l of lines.slice(go + 1)) {
    if (l === 'end') break;
    const t = l.split(' ');
    const event = /^\d+$/.test(t[1]) ? Number(t[1]) : -1;
    const ev = event >= 0 ? events[event] : undefined;
    const name = ev ? (namer.name(ev) ?? '') : '';
    const s: Step = { op: 'probe', event, cpu: 0, addr: 0n, size: 0, value: 0n, enc: 0, attr: 0n, level: 0, what: '' };
    const at = event >= 0 ? `event ${event}: ` : 'setup: ';
    switch (t[0]) {
      case 'mr':
      case 'mw':
        Object.assign(s, { op: t[0], cpu: Number(t[2]), addr: num(t[3]), size: Number(t[4]), value: t[0] === 'mw' ? num(t[5]) : 0n });
        s.what = `${at}cpu${s.cpu} ${t[0] === 'mr' ? 'read' : 'write'} ${name} (0x${s.addr.toString(16)}/${s.size})${t[0] === 'mw' ? ` = ${hex(s.value)}` : ''}`;
        break;
      case 'sr':
      case 'sw':
        Object.assign(s, { op: t[0], cpu: Number(t[2]), enc: Number(t[3]), value: t[0] === 'sw' ? num(t[4]) : 0n });
        s.what = `${at}cpu${s.cpu} ${t[0] === 'sr' ? 'mrs' : 'msr'} ${name}${t[0] === 'sw' ? ` = ${hex(s.value)}` : ''}`;
        break;
      case 'p':
        Object.assign(s, { op: 'probe', cpu: Number(t[2]) });
        s.what = `${at}cpu${s.cpu} pending IRQ/FIQ (fresh KVM_RUN)`;
        break;
      case 'tl':
        Object.assign(s, { op: 'timer', cpu: Number(t[2]), enc: t[3] === 'p' ? 1 : 0, level: Number(t[4]) });
        s.what = `${at}cpu${s.cpu} ${t[3] === 'p' ? 'physical' : 'virtual'} timer line ${s.level}`;
        break;
      case 'ur':
      case 'uw':
        Object.assign(s, { op: t[0], cpu: ev && 'cpu' in ev && ev.cpu !== null ? ev.cpu : 0, enc: Number(t[2]), attr: num(t[3]), value: t[0] === 'uw' ? num(t[4]) : 0n, size: Number(t[2]) === 6 ? 8 : 4 });
        s.what = `${at}${t[0] === 'ur' ? 'KVM_GET_DEVICE_ATTR' : 'KVM_SET_DEVICE_ATTR'} ${name} (group ${t[2]}, attr 0x${s.attr.toString(16)})${t[0] === 'uw' ? ` = ${hex(s.value)}` : ''}`;
        break;
      case 'c':
        Object.assign(s, { op: 'ctrl', attr: num(t[2]) });
        s.what = `${at}KVM_DEV_ARM_VGIC_GRP_CTRL attr ${t[2]}${t[2] === '0' ? ' (CTRL_INIT)' : ''}`;
        break;
      case 'irq':
        Object.assign(s, { op: 'irq', attr: num(t[2]), level: Number(t[3]) });
        s.what = `${at}KVM_IRQ_LINE 0x${s.attr.toString(16)} level ${s.level}${ev && ev.kind === EventKind.Line ? ` (INTID ${ev.intid}${ev.cpu !== null ? ` of cpu${ev.cpu}` : ''})` : ''}`;
        break;
      case 'iidr':
        Object.assign(s, { op: 'iidr', enc: Number(t[2]) });
        s.what = `setup: put the vGIC in implementation revision ${t[2]} (policy ${policy.id}) through GICD_IIDR`;
        break;
      case 'gm': {
        const data = Uint8Array.from(Buffer.from(t[3], 'hex'));
        Object.assign(s, { op: 'gm', addr: num(t[2]), size: data.length, data });
        s.what = `${at}store ${data.length} byte${data.length === 1 ? '' : 's'} of guest memory at 0x${s.addr.toString(16)} (the ITS reads them)`;
        break;
      }
      case 'msi': {
        const devid = t[4] !== '-';
        Object.assign(s, { op: 'msi', addr: num(t[2]), value: num(t[3]), enc: devid ? 1 : 0, attr: devid ? num(t[4]) : 0n });
        s.what = `${at}KVM_SIGNAL_MSI doorbell 0x${s.addr.toString(16)} data ${hex(s.value)}${devid ? ` DeviceID ${hex(s.attr)}` : ' (no DeviceID)'}`;
        break;
      }
      case 'ir':
      case 'iw':
        Object.assign(s, { op: t[0], attr: num(t[2]), value: t[0] === 'iw' ? num(t[3]) : 0n, size: 8 });
        s.what = `${at}${t[0] === 'ir' ? 'KVM_GET_DEVICE_ATTR' : 'KVM_SET_DEVICE_ATTR'} ${name} (ITS, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, attr 0x${s.attr.toString(16)})${t[0] === 'iw' ? ` = ${hex(s.value)}` : ''}`;
        break;
      case 'ic':
        Object.assign(s, { op: 'ic', attr: num(t[2]) });
        s.what = `${at}ITS KVM_DEV_ARM_VGIC_GRP_CTRL attr ${t[2]}${CTRL_ATTR_NAMES[Number(t[2])] ? ` (${CTRL_ATTR_NAMES[Number(t[2])]})` : ''}`;
        break;
      default:
        throw new Error(`export: job operation ${t[0]} has no reproducer step`);
    }
    steps.push(s);
  }

  // Expectations. Reads and errnos from the event's records; IRQ/FIQ at the last observation of each vCPU in each event.
  const observes = (s: Step): boolean => s.op === 'mr' || s.op === 'mw' || s.op === 'sr' || s.op === 'sw' || s.op === 'probe' || s.op === 'timer';
  const lastObs = new Map<string, number>();
  steps.forEach((s, k) => {
    if (s.event >= 0 && observes(s)) lastObs.set(`${s.event}:${s.cpu}`, k);
  });
  let checks = 0;
  steps.forEach((s, k) => {
    const recs = s.event >= 0 ? (byEvent.get(s.event) ?? []) : [];
    if (s.op === 'mr' || s.op === 'sr' || s.op === 'ur' || s.op === 'ir') {
      const r = recs.find((x): x is ReplayRecord & { op: 'read' } => x.op === 'read');
      if (r) {
        const skip = cmp.read(s.event) ?? (r.unmodelled ? 'the model does not emulate this register (it replays the recorded value)' : undefined);
        if (s.op === 'ur' || s.op === 'ir') {
          s.errno = { want: r.result ?? 0, skip };
          checks++;
        }
        if (!r.result) {
          s.read = { want: r.value, skip };
          checks++;
        }
      }
    } else if (s.op === 'uw' || s.op === 'iw' || s.op === 'ctrl' || s.op === 'ic') {
      // A table attribute (the ITS's, or the vGIC's SAVE_PENDING_TABLES) has a ctrl record with
      // KVM's -errno; any other refused attribute a user write record with the errno.
      const c = recs.find((x): x is ReplayRecord & { op: 'ctrl' } => x.op === 'ctrl');
      const w = recs.find((x): x is ReplayRecord & { op: 'write' } => x.op === 'write' && x.src === 'user');
      s.errno = { want: c ? -c.result : (w?.result ?? 0) };
      checks++;
    } else if (s.op === 'msi') {
      const m = recs.find((x): x is ReplayRecord & { op: 'msi' } => x.op === 'msi');
      if (!m) throw new Error(`export: event ${s.event}'s MSI has no record`);
      s.ret = { want: m.result };
      checks++;
    } else if (s.op === 'irq') {
      s.errno = { want: 0 };
      checks++;
    }
    if (observes(s) && lastObs.get(`${s.event}:${s.cpu}`) === k) {
      const a = after[s.event];
      s.isr = { want: { irq: a.irq[s.cpu], fiq: a.fiq[s.cpu] }, skip: cmp.output(s.event, s.cpu) };
      checks++;
    }
  });
  return { header, policy, vm, steps, checks, source };
}
