// Pass 2 of the import: merged records → gicreplay trace events.
//  - kvm_mmio in a GIC frame: writes as they are; a read is its `unsatisfied-read` line (the
//    moment of the access) completed with the value of the `read` line that follows on the same
//    thread. Outside the GIC frames: ignored and counted.
//  - kvm_sys_access to a GIC or timer register: reads become SysregRead with no observed value;
//    writes carry no value in the trace (SGI generation always traps, its value is not traced),
//    so they become a Marker naming the register (see README.md "SGI writes").
//  - interrupt inputs: vgic_update_irq_pending is every injection into the vGIC, timer and
//    userspace lines included, so when the trace has it, kvm_timer_update_irq, kvm_irq_line and
//    kvm_set_irq (which precede it for the same injection) are not counted again. Without it,
//    those are the inputs. Repeated same-level updates of a PPI (always level-sensitive under KVM)
//    are dropped: they cannot change anything; SPIs keep every update because an edge SPI
//    re-pends on each level-1 injection.
//  - timer save/restore (when CTL/CVAL changed since that timer was last seen), trace_marker
//    text and ring-buffer overruns become Markers.

import { InputError } from '../../errors';
import { sysregByEnc, sysregEncoding } from '../../arch/sysregs';
import { AccessSize, EventKind, GicVersion, kvmMpidr, MarkerEvent, MmioReadEvent, TraceEvent } from '../../trace/events';
import { decodeGpa, GicMemoryMap } from './memory-map';
import { FtraceRecord } from './records';
import { MmioFields } from './tracepoints';
import { VcpuMap } from './vcpu-map';
import { parseVmmAttrCall, vmmAttrEvent } from './vmm-markers';

export interface EventCounts {
  mmioReads: number;
  mmioWrites: number;
  sysregReads: number;
  /** Trapped system-register writes whose value the trace lacks (Markers). */
  sysregWritesWithoutValue: number;
  sysregWrites: number;
  lines: number;
  markers: number;
  /** kvm_mmio accesses outside every GIC frame (each read counted once). */
  outsideGic: number;
  /** GIC MMIO accesses whose thread is not a vCPU thread (cpu unknown). */
  mmioUnknownVcpu: number;
  /** `read` lines without their `unsatisfied-read` (kept, with the value). */
  unpairedReads: number;
  /** `unsatisfied-read` in a GIC frame never completed by a `read` (kept, no value). */
  unansweredReads: number;
  /** kvm_sys_access to registers that are neither GIC nor timer, by name. */
  otherSysregs: Map<string, number>;
  /** kvm_timer_update_irq / kvm_irq_line / kvm_set_irq lines covered by the vgic_update_irq_pending that follows. */
  announcements: number;
  /** PPI updates to the level the line already had. */
  sameLevel: number;
  /** Line updates KVM rejects or that are no vGIC input (SGI/LPI INTIDs, beyond nr_spis, userspace irqchip). */
  rejectedLines: number;
  /** Timer save/restore lines that repeat the CTL/CVAL last seen for that timer (no Marker). */
  timerStatesUnchanged: number;
  /** The VMM's device-attribute calls (gicreplay-vmm trace_marker lines) imported as user-read / user-write events. */
  userAccesses: number;
  /** Such calls the trace format cannot carry (kept as Markers). */
  userAccessesNotCarried: number;
}

export interface BuildContext {
  file: string;
  gic: GicVersion;
  map: GicMemoryMap;
  cpus: number;
  spis: number;
  vcpus: VcpuMap;
  origin: bigint;
}

const SIZES: readonly number[] = [1, 2, 4, 8];
const TIMER_CTX = ['ptimer', 'vtimer', 'hvtimer', 'hptimer'];

interface PendingRead {
  /** null: the access is outside the GIC frames (its completion is ignored too). */
  event: MmioReadEvent | null;
  gpa: bigint;
  len: number;
}

export function buildEvents(records: readonly FtraceRecord[], ctx: BuildContext): { events: TraceEvent[]; counts: EventCounts } {
  const { file, cpus } = ctx;
  const counts: EventCounts = {
    mmioReads: 0,
    mmioWrites: 0,
    sysregReads: 0,
    sysregWritesWithoutValue: 0,
    sysregWrites: 0,
    lines: 0,
    markers: 0,
    outsideGic: 0,
    mmioUnknownVcpu: 0,
    unpairedReads: 0,
    unansweredReads: 0,
    otherSysregs: new Map(),
    announcements: 0,
    sameLevel: 0,
    rejectedLines: 0,
    timerStatesUnchanged: 0,
    userAccesses: 0,
    userAccessesNotCarried: 0,
  };
  const mpidrs = Array.from({ length: cpus }, (_, i) => kvmMpidr(i));
  const events: TraceEvent[] = [];
  const pending = new Map<number, PendingRead>();
  const ppiLevel = new Map<number, 0 | 1>();
  const timerState = new Map<string, string>();
  const hasPendingTp = records.some((r) => r.decoded.event === 'vgic_update_irq_pending');

  const marker = (cycle: bigint, cpu: number | null, text: string) => {
    const m: MarkerEvent = { kind: EventKind.Marker, cycle, cpu, text };
    events.push(m);
    counts.markers++;
  };

  const line = (r: FtraceRecord, cycle: bigint, intid: number, vcpu: number, level: number) => {
    const lvl: 0 | 1 = level ? 1 : 0;
    if (intid < 16 || intid >= 32 + ctx.spis) {
      // SGIs are not lines; LPIs and INTIDs past nr_spis are refused by kvm_vgic_inject_irq.
      counts.rejectedLines++;
      return;
    }
    if (intid < 32) {
      if (vcpu < 0 || vcpu >= cpus) throw new InputError(`${r.decoded.event} names vCPU ${vcpu}, but the VM has ${cpus}`, { file, line: r.line }, `a vCPU below ${cpus} (--cpus)`);
      const key = vcpu * 32 + intid;
      if (ppiLevel.get(key) === lvl) {
        counts.sameLevel++;
        return;
      }
      ppiLevel.set(key, lvl);
      events.push({ kind: EventKind.Line, cycle, intid, cpu: vcpu, level: lvl });
    } else {
      events.push({ kind: EventKind.Line, cycle, intid, cpu: null, level: lvl });
    }
    counts.lines++;
  };

  const mmio = (r: FtraceRecord, f: MmioFields, cycle: bigint) => {
    if (!SIZES.includes(f.len)) throw new InputError(`kvm_mmio len ${f.len}`, { file, line: r.line }, 'len 1, 2, 4 or 8');
    if (f.len < 8 && f.val >> BigInt(8 * f.len) !== 0n) throw new InputError(`kvm_mmio val 0x${f.val.toString(16)} is wider than len ${f.len}`, { file, line: r.line }, `a value of at most ${f.len} bytes`);
    const prev = pending.get(r.pid);
    if (f.type === 'read') {
      if (prev && prev.gpa === f.gpa && prev.len === f.len) {
        pending.delete(r.pid);
        if (prev.event) prev.event.observed = f.val;
        return;
      }
      if (prev) settleUnanswered(r.pid);
      const d = decodeGpa(ctx.map, ctx.gic, cpus, f.gpa, f.len);
      if (!d) {
        counts.outsideGic++;
        return;
      }
      counts.unpairedReads++;
      counts.mmioReads++;
      events.push({ kind: EventKind.MmioRead, cycle, cpu: vcpuOfMmio(r), frame: d.frame, index: d.index, offset: d.offset, size: f.len as AccessSize, observed: f.val });
      return;
    }
    if (prev) settleUnanswered(r.pid);
    const d = decodeGpa(ctx.map, ctx.gic, cpus, f.gpa, f.len);
    if (!d) counts.outsideGic++;
    if (f.type === 'unsatisfied-read') {
      let ev: MmioReadEvent | null = null;
      if (d) {
        ev = { kind: EventKind.MmioRead, cycle, cpu: vcpuOfMmio(r), frame: d.frame, index: d.index, offset: d.offset, size: f.len as AccessSize, observed: null };
        events.push(ev);
        counts.mmioReads++;
      }
      pending.set(r.pid, { event: ev, gpa: f.gpa, len: f.len });
      return;
    }
    if (d) {
      events.push({ kind: EventKind.MmioWrite, cycle, cpu: vcpuOfMmio(r), frame: d.frame, index: d.index, offset: d.offset, size: f.len as AccessSize, value: f.val });
      counts.mmioWrites++;
    }
  };

  const settleUnanswered = (pid: number) => {
    const p = pending.get(pid);
    pending.delete(pid);
    if (p && p.event) counts.unansweredReads++;
  };

  const vcpuOfMmio = (r: FtraceRecord): number | null => {
    const v = ctx.vcpus.vcpuOf(r.pid);
    if (v === null) counts.mmioUnknownVcpu++;
    else if (v >= cpus) throw new InputError(`thread ${r.comm}-${r.pid} is vCPU ${v}, but the VM has ${cpus}`, { file, line: r.line }, `a vCPU below ${cpus} (--cpus)`);
    return v;
  };

  const vcpuOfSysreg = (r: FtraceRecord): number => {
    const v = ctx.vcpus.vcpuOf(r.pid);
    if (v === null) throw new InputError(`kvm_sys_access on thread ${r.comm}-${r.pid}, which --vcpu-comm does not name as a vCPU`, { file, line: r.line }, 'a vCPU thread (set --vcpu-comm to your VMM\'s vCPU thread names)');
    if (v >= cpus) throw new InputError(`thread ${r.comm}-${r.pid} is vCPU ${v}, but the VM has ${cpus}`, { file, line: r.line }, `a vCPU below ${cpus} (--cpus)`);
    return v;
  };

  for (const r of records) {
    const cycle = r.ts - ctx.origin;
    for (const l of r.lostBefore) {
      marker(cycle, null, `ftrace: host CPU ${l.hostCpu} lost ${l.count === null ? 'an unknown number of' : l.count.toString()} events before line ${r.line}; the trace is incomplete here`);
    }
    const d = r.decoded;
    switch (d.event) {
      case 'kvm_mmio':
        mmio(r, d.fields, cycle);
        break;
      case 'kvm_sys_access': {
        const f = d.fields;
        const enc = sysregEncoding(f.op0, f.op1, f.crn, f.crm, f.op2);
        const info = f.op0 === 3 ? sysregByEnc(enc) : undefined;
        if (!info) {
          counts.otherSysregs.set(f.name, (counts.otherSysregs.get(f.name) ?? 0) + 1);
          break;
        }
        const cpu = vcpuOfSysreg(r);
        if (!f.write) {
          events.push({ kind: EventKind.SysregRead, cycle, cpu, enc, observed: f.value });
          counts.sysregReads++;
        } else if (f.value !== null) {
          events.push({ kind: EventKind.SysregWrite, cycle, cpu, enc, value: f.value });
          counts.sysregWrites++;
        } else {
          counts.sysregWritesWithoutValue++;
          marker(cycle, cpu, `ftrace: ${info.name} write (${f.op0},${f.op1},${f.crn},${f.crm},${f.op2}) at PC 0x${f.pc.toString(16)}; value not traced, not replayed`);
        }
        break;
      }
      case 'vgic_update_irq_pending':
        line(r, cycle, d.fields.irq, d.fields.vcpu, d.fields.level);
        break;
      case 'kvm_timer_update_irq':
        if (hasPendingTp) counts.announcements++;
        else line(r, cycle, d.fields.irq, d.fields.vcpu, d.fields.level);
        break;
      case 'kvm_irq_line': {
        const f = d.fields;
        if (hasPendingTp) counts.announcements++;
        else if (f.type === 1) line(r, cycle, f.num, 0, f.level);
        else if (f.type === 2 && f.num >= 16 && f.num < 32) line(r, cycle, f.num, f.vcpu, f.level);
        else counts.rejectedLines++;
        break;
      }
      case 'kvm_set_irq':
        // Default arm64 routing (vgic_irqfd_set_irq): GSI i is SPI INTID i + 32.
        if (hasPendingTp) counts.announcements++;
        else line(r, cycle, d.fields.gsi + 32, 0, d.fields.level);
        break;
      case 'kvm_timer_save_state':
      case 'kvm_timer_restore_state': {
        // Every KVM_RUN and every vCPU put prints these; only a changed CTL/CVAL tells anything.
        const f = d.fields;
        const key = `${r.pid}/${f.ctx}`;
        const state = `CTL=0x${f.ctl.toString(16)} CVAL=0x${f.cval.toString(16)}`;
        if (timerState.get(key) === state) {
          counts.timerStatesUnchanged++;
          break;
        }
        timerState.set(key, state);
        const what = d.event === 'kvm_timer_save_state' ? 'put' : 'load';
        marker(cycle, ctx.vcpus.vcpuOf(r.pid), `ftrace: vCPU ${what}: ${TIMER_CTX[f.ctx] ?? `timer ${f.ctx}`} ${state}`);
        break;
      }
      case 'tracing_mark_write': {
        const call = parseVmmAttrCall(d.fields.text);
        const ev = call && vmmAttrEvent(call, cycle, ctx.gic, mpidrs);
        if (ev && typeof ev !== 'string') {
          events.push(ev);
          counts.userAccesses++;
          break;
        }
        if (typeof ev === 'string') counts.userAccessesNotCarried++;
        marker(cycle, ctx.vcpus.vcpuOf(r.pid), `trace_marker: ${d.fields.text}${typeof ev === 'string' ? ` (not replayed: ${ev})` : ''}`);
        break;
      }
    }
  }
  for (const pid of [...pending.keys()].sort((a, b) => a - b)) settleUnanswered(pid);
  return { events, counts };
}
