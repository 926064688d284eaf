// Real KVM's answers as replay records, in the model's record stream shape (engine/replay/records.ts),
// so the golden renderer, `diff` and JSON output work on them unchanged. What a model says and
// KVM cannot (why a write was dropped) has no record here; what KVM says and the model's record
// has no field for (the errno of a device-attribute call) goes into `result`.

import { InputError } from '../../errors';
import { RegisterNamer } from '../../inspect/registers';
import { ReplayRecord, ReplaySink, ReplaySummary } from '../../replay/records';
import { CTRL_INIT, EventKind, TraceEvent, TraceHeader, UserGroup } from '../../trace/events';
import { errnoName } from '../../util/errno';
import { CTRL_ATTR_NAMES, msiName } from '../../gic/its/vits';
import { EventPlan } from './job';
import { RunnerLine, TraceAnswers } from './output';

/** Which records cannot be compared, and why (comparable.ts computes it for timer-dependent state). */
export interface Comparability {
  read(index: number): string | undefined;
  output(index: number, cpu: number): string | undefined;
}

export const ALL_COMPARABLE: Comparability = { read: () => undefined, output: () => undefined };

/** What the runner's ESR_EL1 says, for a person. */
export function describeException(esr: bigint): string {
  const ec = Number((esr >> 26n) & 0x3fn);
  const what = ec === 0 ? 'UNDEF' : ec === 0x25 ? `data abort (DFSC 0x${(esr & 0x3fn).toString(16)})` : ec === 0x21 ? 'instruction abort' : `exception class 0x${ec.toString(16)}`;
  return `${what}, ESR_EL1 0x${esr.toString(16)}`;
}

const ISR_FIQ = 1;
const ISR_IRQ = 2;
const ISR_SERROR = 4;

export interface KvmRecordsResult {
  summary: ReplaySummary;
  /** The event the runner stopped at, when it stopped early. */
  stoppedAt?: number;
}

/**
 * Turn one trace's answers into records, event by event. Throws InputError (with the event index)
 * when the answers do not fit the job, which means the runner and this file disagree.
 */
export function emitKvmRecords(file: string, header: TraceHeader, events: readonly TraceEvent[], plans: readonly EventPlan[], answers: TraceAnswers, comparable: Comparability, sink: ReplaySink): KvmRecordsResult {
  const namer = RegisterNamer.for(header.gic);
  const n = header.gic.cpus.length;
  const irq = new Uint8Array(n);
  const fiq = new Uint8Array(n);
  const summary: ReplaySummary = { events: 0, reads: 0, writeEffects: 0, outputChanges: 0, lineMismatches: 0, unmodelledReads: 0, truncated: false };
  const lines = answers.lines;
  let p = 0;
  // Skip setup answers (the policy's revision selection before the first event is checked by the caller).
  const stopTag = answers.failure?.tag;

  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    const plan = plans[i];
    const tag = String(i);
    const mine: RunnerLine[] = [];
    // This event's answers, in order; setup answers (the policy's revision selection) may sit between them.
    for (;;) {
      while (p < lines.length && !/^\d+$/.test(lines[p].tag)) p++;
      if (p >= lines.length || lines[p].tag !== tag) break;
      mine.push(lines[p++]);
    }
    if (mine.length < plan.ops && !plan.skip) {
      // The runner stopped inside this event (its failure names it) or never got here.
      if (stopTag === undefined && answers.complete) throw new InputError(`the KVM runner gave ${mine.length} answers for ${plan.ops} operations`, { file, eventIndex: i });
      return { summary, stoppedAt: i };
    }
    summary.events++;
    const seen = new Map<number, number>(); // cpu -> ISR bits after this event
    const cycle = ev.cycle;
    const access = mine.find((l) => l.kind === 'r' || l.kind === 'w' || l.kind === 'x' || l.kind === 'm');
    // In job order: a probe after the access (a fresh KVM_RUN) has the last word.
    for (const l of mine) {
      if (l.kind === 'p' || l.kind === 't') seen.set(Number(l.args[0]), Number(l.args[1]));
      else if (l === access && plan.runCpu !== null) seen.set(plan.runCpu, Number(l.args[l.args.length - 1]));
    }
    const serror = access && (Number(access.args[access.args.length - 1]) & ISR_SERROR) ? ' (SError pending afterwards)' : '';

    switch (ev.kind) {
      case EventKind.MmioRead:
      case EventKind.SysregRead: {
        const mmio = ev.kind === EventKind.MmioRead;
        const reg = mmio ? namer.mmio(ev.frame, ev.index, ev.offset, ev.size) : (namer.name(ev) ?? '');
        summary.reads++;
        const a = access!;
        const value = a.kind === 'r' ? BigInt(`0x${a.args[0]}`) : 0n;
        const note =
          a.kind === 'x' ? `${describeException(BigInt(`0x${a.args[0]}`))}${serror}` : a.kind === 'm' ? `no in-kernel device at 0x${a.args[0]}: the access left KVM (answered 0)${serror}` : serror ? serror.trim() : undefined;
        sink({ op: 'read', index: i, cycle, cpu: ev.cpu, src: 'guest', via: mmio ? 'mmio' : 'sysreg', reg, offset: mmio ? ev.offset : null, size: mmio ? ev.size : 8, value, recorded: ev.observed, note, notComparable: comparable.read(i) });
        break;
      }
      case EventKind.MmioWrite:
      case EventKind.SysregWrite: {
        const a = access!;
        if (a.kind === 'x' || a.kind === 'm' || serror) {
          const mmio = ev.kind === EventKind.MmioWrite;
          const reg = mmio ? namer.mmio(ev.frame, ev.index, ev.offset, ev.size) : (namer.name(ev) ?? '');
          const effect = a.kind === 'x' ? describeException(BigInt(`0x${a.args[0]}`)) : a.kind === 'm' ? `no in-kernel device at 0x${a.args[0]}: the access left KVM` : 'SError pending afterwards';
          summary.writeEffects++;
          sink({ op: 'write', index: i, cycle, cpu: ev.cpu, src: 'guest', via: mmio ? 'mmio' : 'sysreg', reg, offset: mmio ? ev.offset : null, size: mmio ? ev.size : 8, value: ev.value, effect });
        }
        break;
      }
      case EventKind.UserRead: {
        const reg = namer.name(ev) ?? '';
        summary.reads++;
        if (plan.skip) {
          sink({ op: 'read', index: i, cycle, cpu: ev.cpu, src: 'user', via: 'user', reg, offset: ev.offset, size: ev.size, value: 0n, recorded: ev.observed, notComparable: plan.skip.reason });
          break;
        }
        const u = mine.find((l) => l.kind === 'u')!;
        const errno = Number(u.args[0]);
        const rec: ReplayRecord = { op: 'read', index: i, cycle, cpu: ev.cpu, src: 'user', via: 'user', reg, offset: ev.offset, size: ev.size, value: errno ? 0n : BigInt(`0x${u.args[1]}`), recorded: ev.observed };
        if (errno) rec.result = errno;
        sink(rec);
        break;
      }
      case EventKind.UserWrite: {
        if (plan.skip) break;
        const u = mine.find((l) => l.kind === 'u')!;
        const errno = Number(u.args[0]);
        if (ev.group === UserGroup.ItsCtrl || (ev.group === UserGroup.Ctrl && ev.offset !== CTRL_INIT)) {
          // As the model does: a table attribute (the ITS's, or the vGIC's SAVE_PENDING_TABLES)
          // always has a record, with KVM's -errno.
          const reg = CTRL_ATTR_NAMES[ev.offset] ?? `${ev.group === UserGroup.ItsCtrl ? 'ITS' : 'VGIC'} CTRL ${ev.offset}`;
          sink({ op: 'ctrl', index: i, cycle, reg, result: errno ? -errno : 0, effect: `KVM_SET_DEVICE_ATTR returned ${errno ? errnoName(errno) : 0}` });
          break;
        }
        if (errno) {
          const ctrl = ev.group === UserGroup.Ctrl;
          const reg = ctrl ? (ev.offset === 0 ? 'KVM_DEV_ARM_VGIC_CTRL_INIT' : `CTRL+0x${ev.offset.toString(16)}`) : (namer.name(ev) ?? '');
          summary.writeEffects++;
          sink({ op: 'write', index: i, cycle, cpu: ev.cpu, src: 'user', via: 'user', reg, offset: ev.offset, size: ev.size, value: ev.value, effect: `KVM_SET_DEVICE_ATTR returned ${errnoName(errno)}`, result: errno });
        }
        break;
      }
      case EventKind.Line: {
        const l = mine.find((x) => x.kind === 'l');
        const errno = l ? Number(l.args[0]) : 0;
        if (errno) {
          summary.writeEffects++;
          sink({ op: 'write', index: i, cycle, cpu: ev.cpu, src: 'line', via: 'line', reg: `INTID${ev.intid}`, offset: null, size: 0, value: BigInt(ev.level), effect: `KVM_IRQ_LINE returned ${errnoName(errno)}` });
        }
        break;
      }
      case EventKind.Marker:
        sink({ op: 'marker', index: i, cycle, cpu: ev.cpu, text: ev.text });
        break;
      case EventKind.Msi: {
        // KVM_SIGNAL_MSI's return: 1 delivered, 0 blocked by the guest's mappings, -errno.
        const m = mine.find((l) => l.kind === 'M')!;
        const ret = Number(m.args[0]);
        sink({ op: 'msi', index: i, cycle, reg: msiName(ev.devid, ev.data), result: ret, effect: `KVM_SIGNAL_MSI returned ${ret < 0 ? errnoName(-ret) : ret}` });
        break;
      }
      case EventKind.MemWrite:
        // Stored into the trace's memslot ("g" answer): nothing to report.
        break;
    }

    for (let c = 0; c < n; c++) {
      const isr = seen.get(c);
      if (isr === undefined) continue;
      const ni = isr & ISR_IRQ ? 1 : 0;
      const nf = isr & ISR_FIQ ? 1 : 0;
      if (ni !== irq[c]) {
        irq[c] = ni;
        summary.outputChanges++;
        sink({ op: 'irq', cpu: c, level: ni, cycle, index: i, notComparable: comparable.output(i, c) });
      }
      if (nf !== fiq[c]) {
        fiq[c] = nf;
        summary.outputChanges++;
        sink({ op: 'fiq', cpu: c, level: nf, cycle, index: i, notComparable: comparable.output(i, c) });
      }
    }
  }
  return { summary };
}
