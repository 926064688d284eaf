// The closed-loop machine a scripted guest runs on: the vCPUs, a deterministic scheduler, device
// lines, and the same Replayer that open-loop replay uses (recording and replay share one code
// path: every guest access becomes a trace event fed to Replayer.apply, and the value the guest
// sees is the one in the ReplaySink's read record).
//
// Scheduling: always resume the runnable vCPU with the lowest cycle, ties by vCPU index. Device
// line changes and timer output changes due at or before that cycle happen first (device before
// timer on a tie). No host time, no real concurrency, no Map/Set order: same guest => same events.

import { InputError } from '../errors';
import { DepTracker } from '../model/deps';
import { GicModel } from '../model/model';
import { Policy } from '../policy/policy';
import { ReplayRecord, ReplaySink } from '../replay/records';
import { Replayer } from '../replay/replay';
import { TimerModel } from '../timer/types';
import { EventKind, TraceEvent, TraceHeader, UserGroup } from '../trace/events';
import { GuestDefinition } from './api';
import { GuestGic, VcpuHost } from './host';
import { CostModel, DEFAULT_COSTS } from './costs';
import { GuestError, guestSite, GuestSite } from './site';
import { Vcpu } from './vcpu';

export interface MachineOptions {
  policy: Policy;
  costs?: CostModel;
  /** Tests inject fake models, as with ReplayOptions. */
  modelFactory?: (gic: TraceHeader['gic'], policy: Policy, deps: DepTracker) => GicModel;
  timerFactory?: (header: TraceHeader, deps: DepTracker) => TimerModel;
  /** Sees every replay record the recording produced (same records an open-loop replay emits). */
  sink?: ReplaySink;
}

export interface GuestFailure {
  guest: string;
  cpu: number | null;
  cycle: bigint;
  /** Index of the marker event that recorded the failure, or of the last event. */
  eventIndex: number;
  message: string;
  site: GuestSite | undefined;
}

interface DeviceLine {
  cycle: bigint;
  seq: number;
  intid: number;
  cpu: number | null;
  level: 0 | 1;
}

const DEFAULT_MAX_EVENTS = 100000;
/** Scheduler turns in a row without a single event before the guest counts as stuck. */
const MAX_IDLE_TURNS = 200000;

class BudgetExceeded extends Error {}

export class Machine implements VcpuHost {
  readonly gic: GuestGic;
  readonly guestName: string;
  readonly events: TraceEvent[] = [];
  readonly failures: GuestFailure[] = [];
  readonly vcpus: Vcpu[];
  private readonly replayer: Replayer;
  private readonly irq: Uint8Array;
  private readonly fiq: Uint8Array;
  private readonly costs: CostModel;
  private readonly maxEvents: number;
  private readonly devices: DeviceLine[] = [];
  private deviceSeq = 0;
  private lastRead: bigint | null = null;
  /** The errno of the last userspace access's record (a VMM sees it), for guests that trace the init point. */
  private lastResult = 0;
  /** What the last KVM_SIGNAL_MSI or control attribute returned (1/0/-errno), for the VMM's steps. */
  private lastReturn = 0;
  /** Cycle of the last thing applied to the model. */
  private now = 0n;

  constructor(
    private readonly def: GuestDefinition,
    readonly header: TraceHeader,
    private readonly opts: MachineOptions,
  ) {
    this.gic = def.gic;
    this.guestName = def.name;
    this.costs = opts.costs ?? DEFAULT_COSTS;
    this.maxEvents = def.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.irq = new Uint8Array(def.gic.cpus);
    this.fiq = new Uint8Array(def.gic.cpus);
    this.vcpus = [];
    for (let i = 0; i < def.gic.cpus; i++) this.vcpus.push(new Vcpu(i, this, this.costs));
    this.replayer = new Replayer(header, { policy: opts.policy, modelFactory: opts.modelFactory, timerFactory: opts.timerFactory }, (r) => this.onRecord(r));
  }

  mpidr(cpu: number): bigint {
    return this.header.gic.cpus[cpu].mpidr;
  }

  irqLevel(cpu: number): boolean {
    return this.irq[cpu] === 1;
  }

  fiqLevel(cpu: number): boolean {
    return this.fiq[cpu] === 1;
  }

  private onRecord(r: ReplayRecord): void {
    if ((r.op === 'read' || r.op === 'write') && r.src === 'user') this.lastResult = r.result ?? 0;
    // KVM_SIGNAL_MSI and the control attributes return an int the VMM sees (1/0/-errno, 0/-errno).
    else if (r.op === 'msi' || r.op === 'ctrl') {
      this.lastReturn = r.result;
      if (r.op === 'ctrl') this.lastResult = -r.result;
    }
    if (r.op === 'read') this.lastRead = r.value;
    else if (r.op === 'irq') this.irq[r.cpu] = r.level;
    else if (r.op === 'fiq') this.fiq[r.cpu] = r.level;
    this.opts.sink?.(r);
  }

  /** Apply one guest or device event to the model; returns the value a read saw (0 otherwise). */
  emit(ev: TraceEvent): bigint {
    if (ev.cycle < this.now) throw new Error(`internal: event at cycle ${ev.cycle} before cycle ${this.now}`);
    if (this.events.length >= this.maxEvents) throw new BudgetExceeded(`the guest made more than ${this.maxEvents} events (an endless loop?)`);
    const index = this.events.length;
    this.events.push(ev);
    this.lastRead = null;
    this.lastResult = 0;
    this.lastReturn = 0;
    try {
      this.replayer.apply(ev, index);
    } catch (e) {
      if (e instanceof GuestError) throw e;
      const msg = `event ${index} (cycle ${ev.cycle}): the model rejected the access: ${(e as Error).message}`;
      if (e instanceof InputError || e instanceof Error) throw new GuestError(this.guestName, msg, guestSite(new Error(msg)));
      throw e;
    }
    this.now = ev.cycle;
    let value = 0n;
    if (ev.kind === EventKind.MmioRead || ev.kind === EventKind.SysregRead || ev.kind === EventKind.UserRead) {
      if (this.lastRead === null) throw new Error(`internal: no read record for event ${index}`);
      ev.observed = this.lastRead;
      value = this.lastRead;
    } else if (ev.kind === EventKind.Msi || (ev.kind === EventKind.UserWrite && (ev.group === UserGroup.ItsCtrl || ev.group === UserGroup.Ctrl))) {
      value = BigInt(this.lastReturn);
    }
    // A VMM sees what each device-attribute call returned: recorded with the init point (format 1.1).
    if (this.header.gic.init === 'traced' && (ev.kind === EventKind.UserRead || ev.kind === EventKind.UserWrite)) ev.result = this.lastResult;
    this.afterChange(ev.cycle);
    return value;
  }

  scheduleLine(cycle: bigint, intid: number, cpu: number | null, level: 0 | 1): void {
    const d: DeviceLine = { cycle, seq: this.deviceSeq++, intid, cpu, level };
    let i = this.devices.length;
    while (i > 0 && (this.devices[i - 1].cycle > cycle || (this.devices[i - 1].cycle === cycle && this.devices[i - 1].seq > d.seq))) i--;
    this.devices.splice(i, 0, d);
  }

  failure(cpu: number | null, message: string, site: GuestSite | undefined): void {
    this.failures.push({ guest: this.guestName, cpu, cycle: this.now, eventIndex: this.events.length - 1, message, site });
  }

  /** Wake vCPUs an output change at `cycle` concerns. */
  private afterChange(cycle: bigint): void {
    for (const v of this.vcpus) {
      if ((v.state === 'wfi' || v.state === 'idle') && (this.irq[v.id] || this.fiq[v.id])) {
        v.state = 'ready';
        v.cycle = (v.cycle > cycle ? v.cycle : cycle) + this.costs.wfiWake;
      } else if (v.state === 'busy' && v.cycle > cycle && v.pendingException()) {
        // An unmasked interrupt arrives during a busy-wait: the vCPU takes it at once.
        v.cycle = cycle;
      }
    }
  }

  private nextVcpu(): Vcpu | undefined {
    let best: Vcpu | undefined;
    for (const v of this.vcpus) {
      if (v.state !== 'ready' && v.state !== 'busy') continue;
      if (!best || v.cycle < best.cycle) best = v;
    }
    return best;
  }

  /** Run the guest to the end: every vCPU returned, or idles with nothing left to wake it. */
  run(): void {
    const program = this.def.program();
    const gens = this.vcpus.map((v) => program(v));
    let idleTurns = 0;
    let seen = 0;
    try {
      for (;;) {
        if (this.events.length !== seen) {
          seen = this.events.length;
          idleTurns = 0;
        } else if (++idleTurns > MAX_IDLE_TURNS) {
          throw new BudgetExceeded(`the guest made no GIC access in ${MAX_IDLE_TURNS} scheduler turns (a wait loop whose condition never comes true, or WFI with the pending interrupt masked?)`);
        }
        const v = this.nextVcpu();
        const dev = this.devices.length ? this.devices[0] : undefined;
        const t = this.replayer.timer.nextChange(this.now);
        const ext = dev && (t === null || dev.cycle <= t) ? dev.cycle : t;
        if (ext !== null && ext !== undefined && (!v || ext <= v.cycle)) {
          if (dev && ext === dev.cycle) {
            this.devices.shift();
            this.emit({ kind: EventKind.Line, cycle: dev.cycle < this.now ? this.now : dev.cycle, intid: dev.intid, cpu: dev.cpu, level: dev.level });
          } else {
            this.replayer.advance(ext);
            this.now = ext;
            this.afterChange(ext);
          }
          continue;
        }
        if (!v) break;
        const r = gens[v.id].next();
        if (r.done) {
          v.state = 'done';
          v.checkForgotten();
        }
      }
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      this.failure(null, e.message, undefined);
      return;
    }
    for (const v of this.vcpus) {
      if (v.state === 'wfi') this.failures.push({ guest: this.guestName, cpu: v.id, cycle: v.cycle, eventIndex: this.events.length - 1, message: `vCPU ${v.id} waits in WFI forever: no interrupt, timer or device can wake it`, site: v.waitSite });
    }
  }
}
