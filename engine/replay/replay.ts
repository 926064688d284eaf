// Replay: drive a GIC model (and the timer model) event by event, cycle-exactly, and emit the
// guest-visible output. Same trace + same policy => same records, always.

import { InputError } from '../errors';
import { createModel } from '../gic';
import { DepTracker, NO_DEPS } from '../model/deps';
import { GicModel, userWriteErrno, WriteResult } from '../model/model';
import { ConsultLog } from '../policy/consults';
import { Policy, policyForTrace } from '../policy/policy';
import { createTimer } from '../timer';
import { TimerModel } from '../timer/types';
import { CTRL_INIT, EventKind, LineEvent, MarkerEvent, MemWriteEvent, MmioReadEvent, MmioWriteEvent, MsiEvent, SysregReadEvent, SysregWriteEvent, TraceEvent, TraceHeader, UserGroup, UserReadEvent, UserWriteEvent } from '../trace/events';
import { bigFromUint } from '../util/bigint';
import { EventValidator } from '../trace/validate';
import { errnoName } from '../util/errno';
import { openTrace, ReadOptions, TraceReader } from '../trace/reader';
import { ReplayRecord, ReplaySink, ReplaySummary } from './records';

export interface ReplayOptions {
  policy: Policy;
  deps?: DepTracker;
  /** Tests inject a fake model or timer here; production replays leave both unset. */
  modelFactory?: (gic: TraceHeader['gic'], policy: Policy, deps: DepTracker) => GicModel;
  timerFactory?: (header: TraceHeader, deps: DepTracker) => TimerModel;
  /** Note every answer the model gets from its policy (check shares a replay between policies that agree). */
  consults?: ConsultLog;
}

/** One replay in progress: feed it events in order, then finish(). */
export class Replayer {
  readonly model: GicModel;
  readonly timer: TimerModel;
  private readonly deps: DepTracker;
  private readonly irq: Uint8Array;
  private readonly fiq: Uint8Array;
  private evaluatedTo = -1n;
  /** The model can report side records (GICv3 with an ITS). */
  private readonly sideRecords: boolean;
  /** The model's outputEpoch() when irq/fiq were last brought up to date; NaN before that. */
  private seenEpoch = NaN;
  readonly summary: ReplaySummary = { events: 0, reads: 0, writeEffects: 0, outputChanges: 0, lineMismatches: 0, unmodelledReads: 0, truncated: false };

  constructor(readonly header: TraceHeader, opts: ReplayOptions, private readonly sink: ReplaySink) {
    this.deps = opts.deps ?? NO_DEPS;
    const onTrace = policyForTrace(opts.policy, header.provenance.details);
    const policy = opts.consults ? opts.consults.wrap(onTrace) : onTrace;
    this.model = opts.modelFactory ? opts.modelFactory(header.gic, policy, this.deps) : createModel(header.gic, policy, { deps: this.deps });
    this.timer = opts.timerFactory ? opts.timerFactory(header, this.deps) : createTimer(header, this.deps);
    this.sideRecords = this.model.takeSideRecords !== undefined && header.gic.its;
    const n = header.gic.cpus.length;
    this.irq = new Uint8Array(n);
    this.fiq = new Uint8Array(n);
    // Reset state may already assert an output (it does not under KVM, but a model must say so).
    this.emitOutputChanges(0n, -1);
  }

  /**
   * Closed-loop recorders (engine/guests) call this to bring the timer's outputs up to `cycle`
   * between events, e.g. to wake a vCPU in WFI. Open-loop replay applies the same changes, in the
   * same order, when the next event arrives, so the records are identical.
   */
  advance(cycle: bigint): void {
    this.advanceTo(cycle);
  }

  /** Apply the timer's line changes up to and including `cycle`, each at its own cycle. */
  private advanceTo(cycle: bigint): void {
    for (;;) {
      const t = this.timer.nextChange(this.evaluatedTo);
      if (t === null || t > cycle) break;
      this.applyTimer(t);
    }
  }

  /** Evaluate the timers at `cycle`; `index` is the timer-register write that caused it, or -1 for time passing. */
  private applyTimer(cycle: bigint, index = -1): void {
    this.evaluatedTo = cycle;
    this.deps.setEvent(index);
    for (const ch of this.timer.evaluate(cycle)) {
      const r = this.model.setLine(ch.intid, ch.cpu, ch.level, 'timer');
      if (r.effect) {
        this.summary.writeEffects++;
        this.sink({ op: 'write', index, cycle, cpu: ch.cpu, src: 'timer', via: 'line', reg: r.reg, offset: null, size: 0, value: BigInt(ch.level), effect: r.effect });
      }
    }
    this.emitOutputChanges(cycle, index);
  }

  private emitOutputChanges(cycle: bigint, index: number): void {
    const model = this.model;
    if (model.outputEpoch !== undefined) {
      // Unchanged epoch: no output changed since irq/fiq were last compared, nothing to emit.
      const e = model.outputEpoch();
      if (e === this.seenEpoch) return;
      this.seenEpoch = e;
    }
    const n = this.irq.length;
    for (let cpu = 0; cpu < n; cpu++) {
      const i = this.model.irqOutput(cpu);
      if (i !== this.irq[cpu]) {
        this.irq[cpu] = i;
        this.summary.outputChanges++;
        this.sink({ op: 'irq', cpu, level: i, cycle, index });
      }
      const f = this.model.fiqOutput(cpu);
      if (f !== this.fiq[cpu]) {
        this.fiq[cpu] = f;
        this.summary.outputChanges++;
        this.sink({ op: 'fiq', cpu, level: f, cycle, index });
      }
    }
  }

  /**
   * Apply one event. Each kind has a method of its own because V8 shares the feedback of every
   * `ev.cycle` (or `ev.cpu`) load in one function: events of five shapes would make each such
   * load megamorphic (the slow, generic kind), while in a per-kind method each load sees one.
   */
  apply(ev: TraceEvent, index: number): void {
    switch (ev.kind) {
      case EventKind.MmioRead:
        return this.mmioRead(ev, index);
      case EventKind.MmioWrite:
        return this.mmioWrite(ev, index);
      case EventKind.SysregRead:
        return this.sysregRead(ev, index);
      case EventKind.SysregWrite:
        return this.sysregWrite(ev, index);
      case EventKind.UserRead:
        return this.userRead(ev, index);
      case EventKind.UserWrite:
        return this.userWrite(ev, index);
      case EventKind.Line:
        return this.line(ev, index);
      case EventKind.Marker:
        return this.marker(ev, index);
      case EventKind.MemWrite:
        return this.memWrite(ev, index);
      case EventKind.Msi:
        return this.msi(ev, index);
    }
  }

  /** Before an event's own effect: time passes up to its cycle, and it becomes the current event. */
  private begin(cycle: bigint, index: number): void {
    this.advanceTo(cycle);
    this.deps.setEvent(index);
    this.summary.events++;
  }

  /** After it: what the model did on its own, then the outputs it changed. */
  private end(cycle: bigint, cpu: number | null, index: number): void {
    if (this.sideRecords) this.emitSideRecords(cycle, cpu, index);
    this.emitOutputChanges(cycle, index);
  }

  private mmioRead(ev: MmioReadEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    const r = this.model.mmioRead(ev.cpu, ev.frame, ev.index, ev.offset, ev.size, ev.observed);
    this.summary.reads++;
    if (r.unmodelled) this.summary.unmodelledReads++;
    this.sink({ op: 'read', index, cycle, cpu: ev.cpu, src: 'guest', via: 'mmio', reg: r.reg, offset: ev.offset, size: ev.size, value: r.value, recorded: ev.observed, unmodelled: r.unmodelled, note: r.note });
    this.end(cycle, ev.cpu, index);
  }

  private mmioWrite(ev: MmioWriteEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    const r = this.model.mmioWrite(ev.cpu, ev.frame, ev.index, ev.offset, ev.size, ev.value);
    if (r.effect) {
      this.summary.writeEffects++;
      this.sink({ op: 'write', index, cycle, cpu: ev.cpu, src: 'guest', via: 'mmio', reg: r.reg, offset: ev.offset, size: ev.size, value: ev.value, effect: r.effect, unmodelled: r.unmodelled });
    }
    this.end(cycle, ev.cpu, index);
  }

  private sysregRead(ev: SysregReadEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    const timer = this.timer.serves(ev.enc);
    const r = timer ? this.timer.read(ev.cpu, ev.enc, cycle, ev.observed) : this.model.sysregRead(ev.cpu, ev.enc, ev.observed);
    this.summary.reads++;
    if (r.unmodelled) this.summary.unmodelledReads++;
    this.sink({ op: 'read', index, cycle, cpu: ev.cpu, src: 'guest', via: 'sysreg', reg: r.reg, offset: null, size: 8, value: r.value, recorded: ev.observed, unmodelled: r.unmodelled, note: r.note });
    this.end(cycle, ev.cpu, index);
  }

  private sysregWrite(ev: SysregWriteEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    const timer = this.timer.serves(ev.enc);
    const r = timer ? this.timer.write(ev.cpu, ev.enc, ev.value, cycle) : this.model.sysregWrite(ev.cpu, ev.enc, ev.value);
    if (r.effect) {
      this.summary.writeEffects++;
      this.sink({ op: 'write', index, cycle, cpu: ev.cpu, src: 'guest', via: 'sysreg', reg: r.reg, offset: null, size: 8, value: ev.value, effect: r.effect, unmodelled: r.unmodelled });
    }
    // A timer write can change its output at this very cycle.
    if (timer) this.applyTimer(cycle, index);
    this.end(cycle, ev.cpu, index);
  }

  private userRead(ev: UserReadEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    const r = this.model.userRead(ev.group, ev.cpu, ev.offset, ev.size, ev.observed);
    this.summary.reads++;
    const rec: ReplayRecord = { op: 'read', index, cycle, cpu: ev.cpu, src: 'user', via: 'user', reg: r.reg, offset: ev.offset, size: ev.size, value: r.value, recorded: ev.observed, unmodelled: r.unmodelled, note: r.note };
    if (r.result) rec.result = r.result;
    this.sink(rec);
    this.end(cycle, ev.cpu, index);
  }

  private userWrite(ev: UserWriteEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    this.userWriteIn(ev, cycle, index);
    this.end(cycle, ev.cpu, index);
  }

  private userWriteIn(ev: UserWriteEvent, cycle: bigint, index: number): void {
    let r: WriteResult;
    let result: number | undefined;
    if (ev.group === UserGroup.Ctrl || ev.group === UserGroup.ItsCtrl) {
      // KVM_DEV_ARM_VGIC_GRP_CTRL on the vGIC (format 1.1: CTRL_INIT is the init point; 1.2:
      // SAVE_PENDING_TABLES) or on the ITS device (format 1.2: SAVE/RESTORE_TABLES, CTRL_RESET).
      const device = ev.group === UserGroup.ItsCtrl ? 'its' : 'vgic';
      const c = this.model.deviceCtrl ? this.model.deviceCtrl(device, ev.offset) : { reg: `CTRL+0x${ev.offset.toString(16)}`, result: -6, effect: 'rejected (-ENXIO): this model has no control attributes' };
      if (device === 'its' || ev.offset !== CTRL_INIT) {
        // The table attributes always say what they did (entries saved, restored, reset).
        this.sink({ op: 'ctrl', index, cycle, reg: c.reg, result: c.result, ...(c.effect ? { effect: c.effect } : {}) });
        return;
      }
      r = { reg: c.reg, effect: c.effect ?? (c.result ? `KVM returns ${errnoName(-c.result)}` : undefined) };
      result = c.result ? -c.result : undefined;
    } else {
      r = this.model.userWrite(ev.group, ev.cpu, ev.offset, ev.size, ev.value);
      result = userWriteErrno(r);
    }
    if (r.effect || result) {
      this.summary.writeEffects++;
      const rec: ReplayRecord = { op: 'write', index, cycle, cpu: ev.cpu, src: 'user', via: 'user', reg: r.reg, offset: ev.offset, size: ev.size, value: ev.value, effect: r.effect ?? `KVM returns ${errnoName(result!)}` };
      if (result) rec.result = result;
      this.sink(rec);
    }
  }

  private line(ev: LineEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    this.lineIn(ev, cycle, index);
    this.end(cycle, ev.cpu, index);
  }

  private lineIn(ev: LineEvent, cycle: bigint, index: number): void {
    if (ev.cpu !== null && this.timer.drivesLine(ev.cpu, ev.intid)) {
      // The model drives this timer PPI itself: the recorded level is a check, not an input.
      const modelled = this.timer.lineLevel(ev.cpu, ev.intid);
      if (modelled !== ev.level) {
        this.summary.lineMismatches++;
        this.sink({ op: 'line-mismatch', index, cycle, cpu: ev.cpu, intid: ev.intid, recorded: ev.level, modelled });
      }
      return;
    }
    const r = this.model.setLine(ev.intid, ev.cpu, ev.level, 'device');
    if (r.effect) {
      this.summary.writeEffects++;
      this.sink({ op: 'write', index, cycle, cpu: ev.cpu, src: 'line', via: 'line', reg: r.reg, offset: null, size: 0, value: bigFromUint(ev.level), effect: r.effect });
    }
  }

  private marker(ev: MarkerEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    this.sink({ op: 'marker', index, cycle, cpu: ev.cpu, text: ev.text });
    this.end(cycle, ev.cpu, index);
  }

  /** Guest memory the ITS may read later (format 1.2): no record unless the model refuses it. */
  private memWrite(ev: MemWriteEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    const r = this.model.memWrite ? this.model.memWrite(ev.cpu, ev.addr, ev.data) : { reg: `MEM[0x${ev.addr.toString(16)}]`, effect: 'ignored: this model reads no guest memory' };
    if (r.effect) {
      this.summary.writeEffects++;
      this.sink({ op: 'write', index, cycle, cpu: ev.cpu, src: 'user', via: 'user', reg: r.reg, offset: null, size: ev.data.length, value: 0n, effect: r.effect });
    }
    this.end(cycle, ev.cpu, index);
  }

  /** KVM_SIGNAL_MSI (format 1.2): what the ioctl returns and what the ITS did with it. */
  private msi(ev: MsiEvent, index: number): void {
    const cycle = ev.cycle;
    this.begin(cycle, index);
    const r = this.model.signalMsi ? this.model.signalMsi(ev.address, ev.data, ev.devid) : { reg: 'MSI', result: -19, effect: 'rejected (-ENODEV): this model has no ITS' };
    this.sink({ op: 'msi', index, cycle, reg: r.reg, result: r.result, effect: r.effect });
    this.end(cycle, ev.cpu, index);
  }

  /**
   * Migration (engine/divergence/migrate.ts): a replayer for a fresh vGIC that continues the vCPUs
   * of `from`: it takes over from's timers (vCPU state a VMM moves with KVM_{GET,SET}_ONE_REG, not
   * through the vGIC) and the IRQ/FIQ levels the guest last saw, so an output change is reported
   * only where the destination's outputs differ from what the guest already had.
   */
  static continuing(from: Replayer, opts: ReplayOptions, sink: ReplaySink): Replayer {
    const r = new Replayer(from.header, { ...opts, timerFactory: () => from.timer }, sink);
    r.irq.set(from.irq);
    r.fiq.set(from.fiq);
    r.evaluatedTo = from.evaluatedTo;
    r.seenEpoch = NaN;
    return r;
  }

  /**
   * A restored line level (migration): a line the timer model drives is set as the timer's (the
   * destination's arch timer drives it once the vCPU runs), any other as a device input.
   */
  restoreLine(ev: TraceEvent & { kind: EventKind.Line }, index: number): void {
    if (ev.cpu === null || !this.timer.drivesLine(ev.cpu, ev.intid)) {
      this.apply(ev, index);
      return;
    }
    this.deps.setEvent(index);
    const r = this.model.setLine(ev.intid, ev.cpu, this.timer.lineLevel(ev.cpu, ev.intid), 'timer');
    if (r.effect) this.sink({ op: 'write', index, cycle: ev.cycle, cpu: ev.cpu, src: 'timer', via: 'line', reg: r.reg, offset: null, size: 0, value: BigInt(ev.level), effect: r.effect });
    this.emitOutputChanges(ev.cycle, index);
  }

  /** What the model did on its own while applying the event (ITS commands, memory it wrote), in order. */
  private emitSideRecords(cycle: bigint, cpu: number | null, index: number): void {
    const side = this.model.takeSideRecords!();
    if (!side) return;
    for (const r of side) {
      if (r.kind === 'its-cmd') this.sink({ op: 'its-cmd', index, cycle, cpu, at: r.at, command: r.command, result: r.result });
      else this.sink({ op: 'mem-write', index, cycle, addr: r.addr, bytes: r.bytes, why: r.why });
    }
  }
}

/** Replay an in-memory sequence of events. */
/**
 * Replay events built in memory. They get the reader's checks first (EventValidator): an event
 * no trace file could hold is an InputError naming its index, never a model crash or a record of
 * something impossible.
 */
export function replayEvents(header: TraceHeader, events: Iterable<TraceEvent>, opts: ReplayOptions, sink: ReplaySink): ReplaySummary {
  const v = new EventValidator(header, 'in-memory events');
  const r = new Replayer(header, opts, sink);
  let i = 0;
  for (const ev of events) {
    v.check(ev, i);
    r.apply(ev, i++);
  }
  return r.summary;
}

/** What a streaming caller does with each event, built once the trace's header is known. */
export type EventStep = (ev: TraceEvent, index: number) => void;

/**
 * The one loop every streaming replay runs (replay, check, diff, matrix, the QEMU fidelity
 * report): reads `reader` to its end and hands each event to the step `start` builds from the
 * header. Every error leaves it with its place: a model refusing the header's configuration
 * names {file, byte offset 0}, a model refusing an event names {file, event index, byte offset},
 * a decoder failure names the event index. Returns the number of events.
 */
export function streamTrace(reader: TraceReader, start: (header: TraceHeader) => EventStep): number {
  const file = reader.file;
  let step: EventStep;
  try {
    step = start(reader.header);
  } catch (e) {
    // The header describes a GIC the model cannot build (e.g. an SPI count KVM rejects).
    if (e instanceof InputError && !e.location) throw new InputError(`trace header: ${e.detail}`, { file, byteOffset: 0 }, e.expected);
    throw e;
  }
  for (let i = 0; ; i++) {
    let ev: TraceEvent | null;
    const at = reader.offset;
    try {
      ev = reader.next();
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot decode event: ${(e as Error).message}`, { file, eventIndex: i, byteOffset: at });
    }
    if (!ev) return i;
    try {
      step(ev, i);
    } catch (e) {
      // A model refusing an event (unknown register, impossible access) is bad input too: say where.
      if (e instanceof InputError && !e.location) throw new InputError(e.detail, { file, eventIndex: i, byteOffset: at }, e.expected);
      throw e;
    }
  }
}

/** Replay an open trace under one policy, streaming; a truncated trace (allowTruncated) ends with a 'truncated' record. */
export function replayStream(reader: TraceReader, opts: ReplayOptions, sink: ReplaySink): ReplaySummary {
  let r: Replayer | undefined;
  streamTrace(reader, (header) => {
    const replayer = new Replayer(header, opts, sink);
    r = replayer;
    return (ev, i) => replayer.apply(ev, i);
  });
  const summary = r!.summary;
  if (reader.truncation) {
    summary.truncated = true;
    sink({ op: 'truncated', index: reader.nextIndex, reason: `truncated at event ${reader.nextIndex}: ${reader.truncation}` });
  }
  return summary;
}

/** Replay a trace file, streaming, in bounded memory. */
export function replayFile(file: string, opts: ReplayOptions & ReadOptions, sink: ReplaySink): ReplaySummary {
  const reader = openTrace(file, { allowTruncated: opts.allowTruncated });
  try {
    return replayStream(reader, opts, sink);
  } finally {
    reader.close();
  }
}
