// Test support for the golden suite: a throw-away project (traces/, golden/) in a temp folder,
// small traces, and a fake GICv3 model whose behaviour a test can change one register at a time.
// Used by the *.test.ts files here; never at run time.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../../errors';
import { DepTracker } from '../../model/deps';
import { GicModel, ReadResult, WriteResult } from '../../model/model';
import { Policy } from '../../policy/policy';
import { EventKind, Frame, GicConfig, TraceEvent, TraceHeader } from '../../trace/events';
import { synthHeader } from '../../trace/synth';
import { writeTrace } from '../../trace/writer';
import { TimerModel } from '../../timer/types';
import { resolveConfig } from '../config';
import { ReplayInjection } from '../pair';

export function tempProject(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-golden-'));
  fs.mkdirSync(path.join(root, 'traces'));
  fs.mkdirSync(path.join(root, 'golden'));
  return root;
}

export function header(): TraceHeader {
  return synthHeader(2, 3);
}

const rd = (cycle: bigint, offset: number, cpu = 0): TraceEvent => ({ kind: EventKind.MmioRead, cycle, cpu, frame: Frame.Dist, index: 0, offset, size: 4, observed: null });
const wr = (cycle: bigint, offset: number, value: bigint, cpu = 0): TraceEvent => ({ kind: EventKind.MmioWrite, cycle, cpu, frame: Frame.Dist, index: 0, offset, size: 4, value });

/** A boot-like sequence: CTLR write/read, IGROUPR1 write and reads, a line, a marker. */
export function bootEvents(readIidr = false): TraceEvent[] {
  const ev: TraceEvent[] = [
    wr(10n, 0x0, 0x52n),
    rd(20n, 0x0),
    wr(30n, 0x84, 0xffffffffn),
    rd(40n, 0x84),
    rd(41n, 0x84, 1),
    { kind: EventKind.Line, cycle: 50n, intid: 40, cpu: null, level: 1 },
    rd(60n, 0x84),
    { kind: EventKind.Marker, cycle: 70n, cpu: 0, text: 'boot done' },
  ];
  if (readIidr) ev.splice(1, 0, rd(15n, 0x8));
  return ev;
}

export function writeTraceAt(root: string, rel: string, events: TraceEvent[] = bootEvents(), h: TraceHeader = header()): string {
  const file = path.join(root, 'traces', ...rel.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeTrace(file, h, events);
  return file;
}

export interface FakeBehaviour {
  /** GICD_CTLR reads return the stored value with these bits cleared (a "model change"). */
  ctlrClear?: bigint;
  /** GICD_IGROUPR1 writes are dropped under policies with revision < this (like KVM's rev < 2). */
  groupMinRevision?: number;
  /** GICD_IGROUPR1 writes are dropped under these policies, with an effect that names none (so their bodies can be one). */
  groupDropIn?: readonly string[];
  /** Value every ICC system-register read returns (reported as ICC_PMR_EL1). */
  iccValue?: bigint;
  /** A read of this GICD offset is refused with an InputError, as a model refuses an access it cannot decode. */
  refuseOffset?: number;
}

/** A tiny GICv3 distributor: CTLR, IIDR (revision from the policy), IGROUPR1, SPI 40 raising IRQ. */
export class FakeGic implements GicModel {
  readonly gicVersion = 3 as const;
  readonly cpuCount: number;
  private ctlr = 0n;
  private igroupr1 = 0n;
  private line40 = 0;

  constructor(gic: GicConfig, private readonly policy: Policy, readonly deps: DepTracker, private readonly b: FakeBehaviour) {
    this.cpuCount = gic.cpus.length;
  }

  private name(offset: number): string {
    return offset === 0 ? 'GICD_CTLR' : offset === 8 ? 'GICD_IIDR' : offset === 0x84 ? 'GICD_IGROUPR1' : `GICD_RSVD_${offset.toString(16)}`;
  }

  mmioRead(_cpu: number | null, _f: Frame, _i: number, offset: number): ReadResult {
    const reg = this.name(offset);
    if (offset === this.b.refuseOffset) throw new InputError(`${reg} is not a register the fake model decodes`, undefined, 'GICD_CTLR, GICD_IIDR or GICD_IGROUPR1');
    if (offset === 0) return { reg, value: this.ctlr & ~(this.b.ctlrClear ?? 0n) };
    if (offset === 8) return { reg, value: BigInt((this.policy.defaultRevision << 12) | 0x43b) };
    if (offset === 0x84) return { reg, value: this.igroupr1 };
    return { reg, value: 0n };
  }

  mmioWrite(_cpu: number | null, _f: Frame, _i: number, offset: number, _s: number, value: bigint): WriteResult {
    const reg = this.name(offset);
    if (offset === 0) this.ctlr = value & 0x53n;
    if (offset === 0x84) {
      if (this.policy.defaultRevision < (this.b.groupMinRevision ?? 0)) return { reg, effect: `ignored: policy ${this.policy.id} drops IGROUPR writes` };
      if (this.b.groupDropIn?.includes(this.policy.id)) return { reg, effect: 'ignored: this policy drops IGROUPR writes' };
      this.igroupr1 = value;
    }
    return { reg };
  }

  sysregRead(): ReadResult {
    return { reg: 'ICC_PMR_EL1', value: this.b.iccValue ?? 0n };
  }
  sysregWrite(): WriteResult {
    return { reg: 'ICC_UNKNOWN' };
  }
  userRead(): ReadResult {
    return { reg: 'GICD_USER', value: 0n };
  }
  userWrite(): WriteResult {
    return { reg: 'GICD_USER' };
  }
  setLine(intid: number, _cpu: number | null, level: 0 | 1): WriteResult {
    if (intid === 40) this.line40 = level;
    return { reg: `SPI${intid}` };
  }
  irqOutput(cpu: number): 0 | 1 {
    return cpu === 0 && this.line40 && this.ctlr & 2n ? 1 : 0;
  }
  fiqOutput(): 0 | 1 {
    return 0;
  }
}

const NO_TIMER: TimerModel = {
  serves: () => false,
  read: () => ({ reg: 'CNT', value: 0n }),
  write: () => ({ reg: 'CNT' }),
  nextChange: () => null,
  evaluate: () => [],
  drivesLine: () => false,
  lineLevel: () => 0,
};

export function fake(b: FakeBehaviour = {}): ReplayInjection {
  return { modelFactory: (gic, policy, deps) => new FakeGic(gic, policy, deps, b), timerFactory: () => NO_TIMER };
}

export const checkConfig = () => resolveConfig({ mode: 'check', env: {}, tty: false, workers: 0 });
export const blessConfig = (env: Record<string, string> = {}) => resolveConfig({ mode: 'bless', env, tty: false, workers: 0 });

export function read(root: string, rel: string): string {
  return fs.readFileSync(path.join(root, ...rel.split('/')), 'utf8');
}

export function write(root: string, rel: string, text: string): void {
  fs.writeFileSync(path.join(root, ...rel.split('/')), text);
}
