// Read/write dependencies between trace events, through model state.
// Models name each piece of state they touch with a key and report reads, writes and dropped
// writes; the policy-divergence report follows these to explain why a value differs
// ("IGROUPR1 write at event 212 was dropped under rev1"). Replay runs with the no-op tracker
// unless a report needs the slice, so the hot path pays one predictable branch.
//
// Key convention (keep it stable, reports print keys):
//   irq:<intid>:<field>            SPI state (field: group, enabled, pending (the latch), level (the input line),
//                                  active, priority, config, route, targets)
//   irq:<intid>@<cpu>:<field>      SGI/PPI state of vCPU <cpu>
//   dist:<name>                    distributor-wide state (ctlr, revision, user-iidr-written, propbaser)
//   redist<n>:<name>               redistributor state (ctlr, pendbaser)
//   cpu<n>:<name>                  CPU interface state (pmr, bpr0, bpr1, ctlr, igrpen0, igrpen1, ap0r0, ap1r0, …)
//   cpu<n>:aplist                  vCPU <n>'s ap_list (members and order), what IAR/HPPIR choose from
//
// engine/divergence/slice.property.test.ts checks these reports as properties over random traces:
// a read's backward slice must reproduce it, and removing the last writer that changed what it
// shows must change it. Run it with SLICE_RUNS=30000 after touching a handler.
//   timer<n>:<v|p>:<name>          timer state (ctl, cval; cnt for dropped counter writes)
//   timer<n>:cntkctl               CNTKCTL_EL1 of vCPU <n> (timer<n>:cntfrq for dropped CNTFRQ writes)
//   its:<name>                     vITS state (ctlr, cmdq, baser0, baser1, abi, map); LPIs use irq:<intid>:<field>

export interface DepTracker {
  readonly enabled: boolean;
  /** The event whose access is being applied; set by replay before each event (-1 = timer or setup). */
  setEvent(index: number): void;
  read(key: string): void;
  write(key: string): void;
  /**
   * A write to `key` that the model dropped, with the reason (policy, RAZ/WI, …). Dropping keeps
   * the value, so the event also depends on it: RecordingDeps counts a drop as a read of `key`.
   */
  drop(key: string, reason: string): void;
}

export const NO_DEPS: DepTracker = {
  enabled: false,
  setEvent() {},
  read() {},
  write() {},
  drop() {},
};

export interface DroppedWrite {
  index: number;
  reason: string;
}

/** Records, per event, the keys it read, and per key the events that wrote it or had a write dropped. */
export class RecordingDeps implements DepTracker {
  readonly enabled = true;
  private current = -1;
  /** key -> indices of events that wrote it, in order. */
  readonly writers = new Map<string, number[]>();
  /** key -> dropped writes, in order. */
  readonly dropped = new Map<string, DroppedWrite[]>();
  /** event index -> keys it read (deduplicated, in first-read order). */
  readonly readsByEvent = new Map<number, string[]>();
  /** event index -> keys it wrote. */
  readonly writesByEvent = new Map<number, string[]>();

  setEvent(index: number): void {
    this.current = index;
  }

  read(key: string): void {
    let l = this.readsByEvent.get(this.current);
    if (!l) this.readsByEvent.set(this.current, (l = []));
    if (!l.includes(key)) l.push(key);
  }

  write(key: string): void {
    let w = this.writers.get(key);
    if (!w) this.writers.set(key, (w = []));
    if (w[w.length - 1] !== this.current) w.push(this.current);
    let l = this.writesByEvent.get(this.current);
    if (!l) this.writesByEvent.set(this.current, (l = []));
    if (!l.includes(key)) l.push(key);
  }

  drop(key: string, reason: string): void {
    this.read(key);
    let d = this.dropped.get(key);
    if (!d) this.dropped.set(key, (d = []));
    d.push({ index: this.current, reason });
  }

  /** Index of the last event at or before `before` that wrote `key`, or undefined. */
  lastWriter(key: string, before: number): number | undefined {
    const w = this.writers.get(key);
    if (!w) return undefined;
    for (let i = w.length - 1; i >= 0; i--) if (w[i] <= before) return w[i];
    return undefined;
  }
}
