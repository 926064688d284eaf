// Replay one trace under two policies side by side, event by event, and hand each event's two
// batches of output records to a visitor. Both replays see the same events, so batch i of A and
// batch i of B answer the same guest access: that is what makes a per-event comparison exact.

import { RecordingDeps } from '../model/deps';
import { Policy } from '../policy/policy';
import { ReplayRecord } from '../replay/records';
import { Replayer, ReplayOptions, streamTrace } from '../replay/replay';
import { TraceEvent, TraceHeader } from '../trace/events';
import { openTrace } from '../trace/reader';

export interface LockstepSide {
  policy: Policy;
  deps: RecordingDeps;
  replayer: Replayer;
}

export type LockstepVisitor = (index: number, ev: TraceEvent | null, a: ReplayRecord[], b: ReplayRecord[]) => void;

export interface LockstepOptions {
  /** Test hook, as in ReplayOptions. */
  modelFactory?: ReplayOptions['modelFactory'];
  timerFactory?: ReplayOptions['timerFactory'];
  /** Record read/write dependencies (needed for causal slices). */
  trackDeps: boolean;
}

export class Lockstep {
  readonly a: LockstepSide;
  readonly b: LockstepSide;
  private bufA: ReplayRecord[] = [];
  private bufB: ReplayRecord[] = [];

  constructor(readonly header: TraceHeader, pa: Policy, pb: Policy, opts: LockstepOptions) {
    const mk = (policy: Policy, buf: () => ReplayRecord[]): LockstepSide => {
      const deps = new RecordingDeps();
      const replayer = new Replayer(
        header,
        { policy, deps: opts.trackDeps ? deps : undefined, modelFactory: opts.modelFactory, timerFactory: opts.timerFactory },
        (r) => buf().push(r),
      );
      return { policy, deps, replayer };
    };
    this.a = mk(pa, () => this.bufA);
    this.b = mk(pb, () => this.bufB);
  }

  /** Records the two replays produced before the first event (reset state). */
  takeInitial(visit: LockstepVisitor): void {
    this.flush(-1, null, visit);
  }

  step(ev: TraceEvent, index: number, visit: LockstepVisitor): void {
    this.a.replayer.apply(ev, index);
    this.b.replayer.apply(ev, index);
    this.flush(index, ev, visit);
  }

  private flush(index: number, ev: TraceEvent | null, visit: LockstepVisitor): void {
    const a = this.bufA;
    const b = this.bufB;
    this.bufA = [];
    this.bufB = [];
    visit(index, ev, a, b);
  }
}

/** Run a whole trace file through a lockstep pair. Events are passed to the visitor, not kept. */
export function lockstepFile(
  file: string,
  pa: Policy,
  pb: Policy,
  opts: LockstepOptions,
  makeVisitor: (header: TraceHeader) => LockstepVisitor,
): { header: TraceHeader; lockstep: Lockstep; events: number } {
  const reader = openTrace(file);
  try {
    let ls: Lockstep | undefined;
    const events = streamTrace(reader, (header) => {
      const pair = new Lockstep(header, pa, pb, opts);
      ls = pair;
      const visit = makeVisitor(header);
      pair.takeInitial(visit);
      return (ev, i) => pair.step(ev, i, visit);
    });
    return { header: reader.header, lockstep: ls!, events };
  } finally {
    reader.close();
  }
}
