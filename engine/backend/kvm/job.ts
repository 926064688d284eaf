// A trace as a job for the KVM runner (tools/kvm/runner.c, format in tools/kvm/JOB.md): the
// VM's shape from the header, then one line per KVM operation, each tagged with the index of the
// trace event it came from. Everything the runner needs is resolved here (guest-physical
// addresses, device-attribute IDs, KVM_IRQ_LINE numbers), so the C side stays a dumb executor.

import { hex } from '../../util/hex';
import { KVM_GRP, kvmSysregAttr, vgicMpidr } from '../../arch/kvm-device-attr';
import { sysregByName } from '../../arch/sysregs';
import { InputError } from '../../errors';
import { PTIMER_PPI, timerRegByEnc, TimerRegKind, VTIMER_PPI } from '../../timer/registers';
import { CTRL_INIT, EventKind, Frame, TraceEvent, TraceHeader, UserGroup } from '../../trace/events';
import { itsMemoryRegions, MAX_MEM_REGIONS, MemRegion } from './its-memory';

export const JOB_MAGIC = 'gicreplay-kvm-job 1';

export { KVM_GRP, kvmSysregAttr, vgicMpidr };

/** Redistributor stride of a GICv3 without VLPIs: RD_base + SGI_base. */
const REDIST_STRIDE = 0x20000n;

/** Why an event has no KVM operation, when it has none (markers have none and need no reason). */
export type Skip =
  | { kind: 'inexpressible'; reason: string }
  | { kind: 'timer-check'; reason: string };

/** What the job does for one trace event; records.ts reads the runner's answers with it. */
export interface EventPlan {
  /** The runner operations, in job order (a guest access, then any probes). */
  ops: number;
  /** vCPUs whose ISR_EL1 a probe reads after the event (it replaces what the access itself saw). */
  probes: number[];
  /** The vCPU that made a guest access (null for userspace and line events). */
  runCpu: number | null;
  skip?: Skip;
  /** A timer PPI driven through the vCPU's own timer (its answer is a `t` line with ISR_EL1). */
  timerLine?: boolean;
}

export interface TraceJob {
  id: string;
  header: TraceHeader;
  lines: string[];
  plans: EventPlan[];
  /** Tag of the policy-selection operation, when the job selects a revision. */
  policyTag?: string;
}

export interface JobOptions {
  /** GICD_IIDR revision to put the vGIC in after it is initialised; undefined = leave KVM's default. */
  revision?: number;
  /** Watchdog around every KVM_RUN, in milliseconds. */
  runTimeoutMs?: number;
  /** Where the trace came from, for error messages. */
  file: string;
}



/** Contiguous runs of redistributors: one KVM redistributor region each. */
export function redistRegions(bases: readonly bigint[]): { base: bigint; count: number }[] {
  const out: { base: bigint; count: number }[] = [];
  for (const b of bases) {
    const last = out[out.length - 1];
    if (last && last.base + BigInt(last.count) * REDIST_STRIDE === b) last.count++;
    else out.push({ base: b, count: 1 });
  }
  return out;
}

function frameBase(h: TraceHeader, frame: Frame, index: number, file: string): bigint {
  const f = h.gic.frames;
  switch (frame) {
    case Frame.Dist:
      return f.dist;
    case Frame.RedistRd:
    case Frame.RedistSgi: {
      const b = f.redist?.[index];
      if (b === undefined) throw new InputError(`redistributor ${index} has no base address in the header`, { file }, 'gic.frames.redist with one base per vCPU');
      return frame === Frame.RedistSgi ? b + 0x10000n : b;
    }
    case Frame.CpuIf:
      if (f.cpuif === undefined) throw new InputError('the header has no GICv2 CPU interface base', { file }, 'gic.frames.cpuif');
      return f.cpuif;
    case Frame.Its:
      if (f.its === undefined) throw new InputError('the header has no ITS base', { file }, 'gic.frames.its');
      return f.its;
  }
}

const DEACTIVATING_SYSREGS = new Set(['ICC_EOIR0_EL1', 'ICC_EOIR1_EL1', 'ICC_DIR_EL1'].map((n) => sysregByName(n)!.enc));

/**
 * A guest write that can deactivate an interrupt. A deactivated hardware-mapped interrupt (the
 * timers' PPIs) whose line is still high becomes pending again only when the host takes its
 * physical interrupt, at no fixed instruction; KVM re-reads the timer's line whenever it loads
 * the vCPU, so the vCPU's state is read after an exit and a fresh KVM_RUN instead.
 */
function deactivates(ev: TraceEvent): boolean {
  if (ev.kind === EventKind.SysregWrite) return DEACTIVATING_SYSREGS.has(ev.enc);
  if (ev.kind !== EventKind.MmioWrite) return false;
  if (ev.frame === Frame.CpuIf) return ev.offset === 0x10 || ev.offset === 0x24 || ev.offset === 0x1000; // GICC_EOIR, AEOIR, DIR
  if (ev.frame === Frame.Dist || ev.frame === Frame.RedistSgi) return ev.offset >= 0x380 && ev.offset < 0x400; // I[C]ACTIVER
  return false;
}

/** Is this line event a timer PPI the vCPU's own timer must drive (KVM owns it; KVM_IRQ_LINE would be ignored)? */
function timerOf(intid: number): 'v' | 'p' | null {
  return intid === VTIMER_PPI ? 'v' : intid === PTIMER_PPI ? 'p' : null;
}

export function buildTraceJob(id: string, header: TraceHeader, events: readonly TraceEvent[], o: JobOptions): TraceJob {
  const g = header.gic;
  const n = g.cpus.length;
  const lines: string[] = [];
  const plans: EventPlan[] = [];
  lines.push(`trace ${id}`, `gic ${g.version}`, `cpus ${n}`, `nr-irqs ${32 + g.spis}`);
  g.cpus.forEach((c, i) => lines.push(`mpidr ${i} ${hex(c.mpidr)}`));
  lines.push(`dist ${hex(g.frames.dist)}`);
  if (g.version === 3) {
    const r = g.frames.redist;
    if (!r || r.length !== n) throw new InputError(`GICv3 header lists ${r?.length ?? 0} redistributor bases for ${n} vCPUs`, { file: o.file }, 'one gic.frames.redist base per vCPU (KVM places every redistributor)');
    for (const reg of redistRegions(r)) lines.push(`redist ${hex(reg.base)} ${reg.count}`);
    if (g.its) {
      if (g.frames.its === undefined) throw new InputError('the header says the GIC has an ITS but gives no ITS base', { file: o.file }, 'gic.frames.its');
      lines.push(`its ${hex(g.frames.its)}`);
      // The guest memory the ITS reads: command queue, tables, ITTs (its-memory.ts).
      const frames: MemRegion[] = [{ base: g.frames.dist, size: 0x10000n }, { base: g.frames.its, size: 0x20000n }, ...r.map((b) => ({ base: b, size: REDIST_STRIDE }))];
      const mems = itsMemoryRegions(events, frames);
      if (mems.length > MAX_MEM_REGIONS) throw new InputError(`the trace's ITS memory needs ${mems.length} memslots; the KVM runner has ${MAX_MEM_REGIONS}`, { file: o.file }, 'guest memory in fewer separate ranges');
      for (const m of mems) lines.push(`mem ${hex(m.base)} ${hex(m.size)}`);
    }
  } else {
    if (g.frames.cpuif === undefined) throw new InputError('GICv2 header has no CPU interface base', { file: o.file }, 'gic.frames.cpuif');
    lines.push(`cpuif ${hex(g.frames.cpuif)}`);
  }
  const traced = header.gic.init === 'traced';
  if (!traced) lines.push('init-now');
  lines.push(`timeout-ms ${o.runTimeoutMs ?? 10000}`);
  lines.push('go');

  let policyTag: string | undefined;
  const selectRevision = (): void => {
    if (o.revision === undefined || policyTag) return;
    policyTag = 's0';
    lines.push(`iidr ${policyTag} ${o.revision}`);
  };
  // The vGIC is initialised before the trace: select the policy's revision before any event.
  if (!traced) selectRevision();
  // GICv3 refuses KVM_RUN before CTRL_INIT; GICv2 initialises on first use.
  let initialised = !traced;
  const all = Array.from({ length: n }, (_, i) => i);
  const others = (c: number): number[] => all.filter((x) => x !== c);
  /** Timers the guest has programmed itself: from then on KVM's timer drives the PPI, recorded lines are checks. */
  const programmed = new Set<string>();

  events.forEach((ev, i) => {
    const plan: EventPlan = { ops: 0, probes: [], runCpu: null };
    plans.push(plan);
    const op = (l: string): void => {
      lines.push(l);
      plan.ops++;
    };
    const probe = (cpus: number[]): void => {
      if (!initialised && g.version === 3) return;
      for (const c of cpus) op(`p ${i} ${c}`);
      plan.probes.push(...cpus);
    };
    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.MmioWrite: {
        const cpu = ev.cpu ?? 0;
        plan.runCpu = cpu;
        if (!traced || g.version === 2) initialised = true;
        if (!initialised) throw new InputError('a GICv3 guest access before KVM_DEV_ARM_VGIC_CTRL_INIT', { file: o.file, eventIndex: i }, 'guest events after the ctrl init event (KVM refuses KVM_RUN before it)');
        if (g.version === 2 && traced) selectRevision();
        const addr = frameBase(header, ev.frame, ev.index, o.file) + BigInt(ev.offset);
        if (ev.kind === EventKind.MmioRead) op(`mr ${i} ${cpu} ${hex(addr)} ${ev.size}`);
        else {
          op(`mw ${i} ${cpu} ${hex(addr)} ${ev.size} ${hex(ev.value)}`);
          probe(deactivates(ev) ? all : others(cpu));
        }
        break;
      }
      case EventKind.SysregRead:
      case EventKind.SysregWrite: {
        plan.runCpu = ev.cpu;
        if (!traced || g.version === 2) initialised = true;
        if (!initialised) throw new InputError('a GICv3 guest access before KVM_DEV_ARM_VGIC_CTRL_INIT', { file: o.file, eventIndex: i }, 'guest events after the ctrl init event (KVM refuses KVM_RUN before it)');
        if (g.version === 2 && traced) selectRevision();
        const t = timerRegByEnc(ev.enc);
        if (ev.kind === EventKind.SysregRead) op(`sr ${i} ${ev.cpu} ${hex(ev.enc)}`);
        else {
          op(`sw ${i} ${ev.cpu} ${hex(ev.enc)} ${hex(ev.value)}`);
          if (t && t.timer && (t.kind === TimerRegKind.Ctl || t.kind === TimerRegKind.Cval || t.kind === TimerRegKind.Tval)) programmed.add(`${ev.cpu}:${t.timer}`);
          // A timer write changes only this vCPU's PPI; a GIC register write (SGIs, deactivation) can reach every vCPU.
          if (!t) probe(deactivates(ev) ? all : others(ev.cpu));
        }
        break;
      }
      case EventKind.UserRead:
      case EventKind.UserWrite: {
        const wr = ev.kind === EventKind.UserWrite;
        if (ev.group === UserGroup.ItsCtrl || ev.group === UserGroup.ItsRegs) {
          // The ITS device's own attributes (format 1.2): registers (KVM passes every one through a
          // u64, whatever the register's width) and table control.
          if (!g.its) {
            plan.skip = { kind: 'inexpressible', reason: 'an ITS device attribute in a trace without an ITS' };
            break;
          }
          if (ev.group === UserGroup.ItsCtrl) {
            if (!wr) {
              plan.skip = { kind: 'inexpressible', reason: "the ITS's ctrl group has no readable attributes" };
              break;
            }
            op(`ic ${i} ${ev.offset}`);
          } else op(wr ? `iw ${i} ${hex(ev.offset)} ${hex(ev.value)}` : `ir ${i} ${hex(ev.offset)}`);
          if (wr) probe(all);
          break;
        }
        if (ev.group === UserGroup.Ctrl) {
          if (!wr) {
            plan.skip = { kind: 'inexpressible', reason: 'the ctrl group has no readable attributes' };
            break;
          }
          op(`c ${i} ${ev.offset}`);
          if (ev.offset === CTRL_INIT) {
            initialised = true;
            selectRevision();
          }
          probe(all);
          break;
        }
        const attr = userAttr(header, ev.group, ev.cpu, ev.offset, ev.size);
        if (typeof attr === 'string') {
          plan.skip = { kind: 'inexpressible', reason: attr };
          break;
        }
        if (g.version === 2 && traced) {
          // KVM initialises a GICv2 on the first register access: select the revision first.
          initialised = true;
          selectRevision();
        }
        op(wr ? `uw ${i} ${attr.group} ${hex(attr.attr)} ${hex(ev.value)}` : `ur ${i} ${attr.group} ${hex(attr.attr)}`);
        if (wr) probe(all);
        break;
      }
      case EventKind.Line: {
        const t = ev.cpu !== null ? timerOf(ev.intid) : null;
        if (t && ev.cpu !== null) {
          if (programmed.has(`${ev.cpu}:${t}`)) {
            plan.skip = { kind: 'timer-check', reason: `the guest programs this timer: KVM's timer drives INTID ${ev.intid}, the recorded level is a check` };
            break;
          }
          if (!initialised && g.version === 3) {
            plan.skip = { kind: 'inexpressible', reason: 'a timer line before KVM_DEV_ARM_VGIC_CTRL_INIT: the vCPU cannot run yet' };
            break;
          }
          initialised = true;
          plan.runCpu = ev.cpu;
          plan.timerLine = true;
          op(`tl ${i} ${ev.cpu} ${t} ${ev.level}`);
          break;
        }
        if (g.version === 2 && traced) {
          initialised = true;
          selectRevision();
        }
        // KVM_IRQ_LINE: type in [27:24], vCPU in [23:16] (and [31:28] above 255), INTID below.
        const irq = ev.cpu === null ? (1 << 24) | ev.intid : ((2 << 24) | ((ev.cpu & 0xff) << 16) | ((ev.cpu >> 8) << 28) | ev.intid) >>> 0;
        op(`irq ${i} ${hex(irq)} ${ev.level}`);
        probe(ev.cpu === null ? all : [ev.cpu]);
        break;
      }
      case EventKind.Marker:
        break;
      case EventKind.MemWrite:
        // Format 1.2's guest memory: stored into the trace's memslots between guest segments.
        if (!g.its) {
          plan.skip = { kind: 'inexpressible', reason: 'guest memory in a trace without an ITS: nothing in KVM reads it' };
          break;
        }
        op(`gm ${i} ${hex(ev.addr)} ${Buffer.from(ev.data).toString('hex')}`);
        break;
      case EventKind.Msi:
        // KVM_SIGNAL_MSI, with KVM_MSI_VALID_DEVID when the trace gives a DeviceID.
        op(`msi ${i} ${hex(ev.address)} ${hex(ev.data)} ${ev.devid === null ? '-' : hex(ev.devid)}`);
        probe(all);
        break;
    }
  });
  lines.push('end');
  return { id, header, lines, plans, policyTag };
}

/** The device attribute of a user access, or why KVM's API cannot express it. */
export function userAttr(h: TraceHeader, group: UserGroup, cpu: number | null, offset: number, size: number): { group: number; attr: bigint } | string {
  const g = h.gic;
  const cpuMpidr = (): bigint => vgicMpidr(g.cpus[cpu ?? 0].mpidr);
  switch (group) {
    case UserGroup.DistRegs:
    case UserGroup.RedistRegs:
    case UserGroup.CpuRegs: {
      if (size !== 4) return `KVM's ${group === UserGroup.CpuRegs ? 'CPU_REGS' : group === UserGroup.RedistRegs ? 'REDIST_REGS' : 'DIST_REGS'} attributes are 32-bit: a ${size}-byte access cannot be made`;
      if (g.version === 2) return { group: group === UserGroup.CpuRegs ? KVM_GRP.CPU_REGS : KVM_GRP.DIST_REGS, attr: (BigInt(cpu ?? 0) << 32n) | BigInt(offset) };
      if (group === UserGroup.DistRegs) return { group: KVM_GRP.DIST_REGS, attr: BigInt(offset) };
      return { group: KVM_GRP.REDIST_REGS, attr: (cpuMpidr() << 32n) | BigInt(offset) };
    }
    case UserGroup.CpuSysregs:
      if (size !== 8) return `KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS attributes are 64-bit: a ${size}-byte access cannot be made`;
      return { group: KVM_GRP.CPU_SYSREGS, attr: (cpuMpidr() << 32n) | BigInt(kvmSysregAttr(offset)) };
    default:
      return `user group ${group} has no KVM device attribute`;
  }
}
