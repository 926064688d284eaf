import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { registryFor } from '../gic';
import { DepTracker } from '../model/deps';
import { GicModel, ReadResult, WriteResult } from '../model/model';
import { getPolicy, parsePolicy, Policy } from '../policy/policy';
import { EventKind, Frame, GicConfig, kvmMpidr, TraceEvent, TraceHeader } from '../trace/events';
import { writeTrace } from '../trace/writer';
import { diffPolicies } from './diff';
import { lockstepFile } from './lockstep';
import { causalSlice } from './slice';
import { checkInvariants } from './invariants';
import { traceMatrix } from './matrix';
import { renderDiffText } from './render';
import { renderMatrixReport } from './render-matrix';

// A deliberately tiny GICv3-like model: GICD_IIDR by revision and one IGROUPR word whose writes
// the policy may drop, reporting dependencies the way the real models do. It keeps these tests
// about the divergence machinery, independent of the full models.
class TinyModel implements GicModel {
  readonly gicVersion = 3 as const;
  readonly cpuCount = 1;
  private group1 = 0xffffffffn;
  constructor(private readonly policy: Policy, readonly deps: DepTracker) {}
  mmioRead(_cpu: number | null, frame: Frame, _i: number, offset: number): ReadResult {
    if (frame === Frame.Dist && offset === 0x8) {
      this.deps.read('dist:revision');
      return { reg: 'GICD_IIDR', value: BigInt(0x4b00043b | (this.policy.defaultRevision << 12)) };
    }
    if (frame === Frame.Dist && offset === 0x84) {
      this.deps.read('irq:32:group');
      return { reg: 'GICD_IGROUPR1', value: this.group1 };
    }
    return { reg: `GICD+0x${offset.toString(16)}`, value: 0n };
  }
  mmioWrite(_cpu: number | null, frame: Frame, _i: number, offset: number, _s: number, value: bigint): WriteResult {
    if (frame === Frame.Dist && offset === 0x84) {
      this.deps.read('dist:revision');
      if (!this.policy.guestGroupWriteHonoured(this.policy.defaultRevision)) {
        this.deps.drop('irq:32:group', `policy ${this.policy.id} drops IGROUPR writes at revision ${this.policy.defaultRevision}`);
        return { reg: 'GICD_IGROUPR1', effect: `ignored: policy ${this.policy.id} drops IGROUPR writes` };
      }
      this.group1 = value;
      this.deps.write('irq:32:group');
      return { reg: 'GICD_IGROUPR1' };
    }
    return { reg: `GICD+0x${offset.toString(16)}` };
  }
  sysregRead(): ReadResult {
    return { reg: 'ICC_X', value: 0n };
  }
  sysregWrite(): WriteResult {
    return { reg: 'ICC_X' };
  }
  userRead(): ReadResult {
    return { reg: 'U', value: 0n };
  }
  userWrite(): WriteResult {
    return { reg: 'U' };
  }
  setLine(): WriteResult {
    return { reg: 'line' };
  }
  irqOutput(): 0 | 1 {
    return 0;
  }
  fiqOutput(): 0 | 1 {
    return 0;
  }
}

const modelFactory = (_gic: GicConfig, policy: Policy, deps: DepTracker) => new TinyModel(policy, deps);

function header(): TraceHeader {
  return {
    magic: 'gicreplay-trace',
    formatMajor: 1,
    formatMinor: 0,
    writer: 'test',
    gic: { version: 3, cpus: [{ mpidr: kvmMpidr(0) }], spis: 32, its: false, frames: { dist: 0x8000000n } },
    timer: { cntfrq: 62500000n, counterPerCycle: { num: 1n, den: 1n }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: { kind: 'hand', tool: 'test', command: 'test', blindSpots: [], cycles: 'hand-written', details: { policy: 'rev3' } },
  };
}

const rd = (cycle: number, offset: number, observed: bigint | null = null): TraceEvent => ({ kind: EventKind.MmioRead, cycle: BigInt(cycle), cpu: 0, frame: Frame.Dist, index: 0, offset, size: 4, observed });
const wr = (cycle: number, offset: number, value: bigint): TraceEvent => ({ kind: EventKind.MmioWrite, cycle: BigInt(cycle), cpu: 0, frame: Frame.Dist, index: 0, offset, size: 4, value });

let dir: string;
let groupTrace: string;
let quietTrace: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-div-'));
  groupTrace = path.join(dir, 'group.gtr');
  // event 0: write IGROUPR1 (move INTID 38 to Group 0); event 1: marker; event 2: read it back
  writeTrace(groupTrace, header(), [wr(10, 0x84, 0xffffffbfn), { kind: EventKind.Marker, cycle: 11n, cpu: 0, text: 'moved' }, rd(12, 0x84, 0xffffffbfn)]);
  quietTrace = path.join(dir, 'quiet.gtr');
  writeTrace(quietTrace, header(), [wr(10, 0x84, 0xffffffffn), rd(12, 0x84)]);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('gicreplay diff', () => {
  it('is empty for identical policies', () => {
    const d = diffPolicies(groupTrace, getPolicy('rev3'), getPolicy('rev3'), { modelFactory });
    expect(d.identical).toBe(true);
    expect(d.count).toBe(0);
    expect(d.first).toBeNull();
  });

  it('finds the IGROUPR read-back where rev1 and rev3 differ, with the INTID decoded', () => {
    const d = diffPolicies(groupTrace, getPolicy('rev1'), getPolicy('rev3'), { modelFactory });
    expect(d.identical).toBe(false);
    // The write is dropped at event 0 (a side effect); the guest sees the difference at event 2.
    expect(d.differences.map((x) => [x.kind, x.index])).toEqual([['write', 0], ['read', 2]]);
    expect(d.visibleCount).toBe(1);
    expect(d.first).toMatchObject({ kind: 'read', index: 2, reg: 'GICD_IGROUPR1', a: 0xffffffffn, b: 0xffffffbfn, intids: [38] });
  });

  it('without analysis (what invariants use) finds the same differences, with no causal slice', () => {
    const full = diffPolicies(groupTrace, getPolicy('rev1'), getPolicy('rev3'), { modelFactory });
    const quick = diffPolicies(groupTrace, getPolicy('rev1'), getPolicy('rev3'), { modelFactory, analysis: false });
    expect(full.slice).not.toBeNull();
    expect(quick.slice).toBeNull();
    expect(quick.replayCaveat).toBeNull();
    expect({ ...quick, slice: null, replayCaveat: null }).toEqual({ ...full, slice: null, replayCaveat: null });
  });

  it("names the dropped write in the read's causal slice", () => {
    const d = diffPolicies(groupTrace, getPolicy('rev1'), getPolicy('rev3'), { modelFactory, maxListed: 10 });
    expect(d.slice!.policySwitches).toContain('revision: 1 → 3');
    // rev1 and rev1-iidr-only report the same revision, so only the dropped write explains the read.
    const readOnly = path.join(dir, 'readback.gtr');
    writeTrace(readOnly, header(), [wr(10, 0x84, 0xffffffbfn), rd(12, 0x84, 0xffffffbfn)]);
    const r = diffPolicies(readOnly, getPolicy('rev1-iidr-only'), getPolicy('rev1'), { modelFactory });
    const readDiff = r.differences.find((x) => x.kind === 'read')!;
    expect(readDiff.index).toBe(1);
    expect(r.slice).not.toBeNull();
    const text = renderDiffText(r);
    expect(text).toContain('dropped: policy rev1 drops IGROUPR writes at revision 1');
  });

  it('slices a read difference back to the write event that one policy dropped', () => {
    const d = diffPolicies(groupTrace, getPolicy('rev3'), getPolicy('rev1'), { modelFactory });
    // The read at event 2 depends on irq:32:group, written at event 0 under rev3 and dropped under rev1.
    expect(d.slice!.keys).toEqual(['irq:32:group']);
    expect(d.slice!.events).toEqual([expect.objectContaining({ index: 0, key: 'irq:32:group', a: 'applied', b: 'dropped: policy rev1 drops IGROUPR writes at revision 1' })]);
    expect(d.slice!.events[0].event).toBe('cpu0 write GICD_IGROUPR1 = 0xffffffbf');
    expect(diffFromRead(groupTrace, 'rev3', 'rev1').events.map((e) => [e.index, e.key, e.a, e.b])).toEqual(d.slice!.events.map((e) => [e.index, e.key, e.a, e.b]));
  });

  it('warns that events after the first divergence are a replay of what the recorded guest did', () => {
    const d = diffPolicies(groupTrace, getPolicy('rev3'), getPolicy('rev1'), { modelFactory });
    expect(d.replayCaveat).toMatch(/^From event 2 on, the guest \(recorded under rev3\) had already seen GICD_IGROUPR1 = 0xffffffbf/);
  });
});

function diffFromRead(trace: string, a: string, b: string) {
  // The slice of the read at event 2 (the first divergence is the write at event 0).
  const events = new Map<number, TraceEvent>();
  const run = lockstepFile(trace, getPolicy(a), getPolicy(b), { trackDeps: true, modelFactory }, () => (i, ev) => {
    if (ev) events.set(i, ev);
  });
  return causalSlice(2, run.lockstep.a.deps, run.lockstep.b.deps, events, registryFor(run.header.gic), getPolicy(a), getPolicy(b));
}

describe('gicreplay matrix', () => {
  it('puts policies that give identical output in one class and counts the rest', () => {
    const policies = ['rev3', 'rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3'].map(getPolicy);
    const m = traceMatrix(groupTrace, 'group.gtr', policies, { modelFactory });
    // Only rev1 drops the write; the tiny model exposes nothing else that differs.
    expect(m.classes).toEqual([['rev3', 'rev2', 'rev1-iidr-only', 'mainline-rev3'], ['rev1']]);
    expect(m.pairs.map((p) => `${p.a}/${p.b}`)).toEqual(['rev3/rev1', 'rev2/rev1', 'rev1/rev1-iidr-only', 'rev1/mainline-rev3']);
    expect(m.pairs[0]).toMatchObject({ differences: 1, sideEffects: 1 });
  });

  it('a trace that only writes the reset value makes every policy indistinguishable, and reports what it never exercises', () => {
    const m = traceMatrix(quietTrace, 'quiet.gtr', ['rev3', 'rev1'].map(getPolicy), { modelFactory });
    expect(m.classes).toEqual([['rev3', 'rev1']]);
    // rev1 drops the reset-value write, which no read can tell.
    expect(m.pairs).toEqual([expect.objectContaining({ a: 'rev3', b: 'rev1', differences: 0, sideEffects: 1 })]);
    expect(m.coverage.find((c) => c.switch === 'revision')!.events).toBe(0);
    expect(m.coverage.find((c) => c.switch === 'guestGroupWrites')!.events).toBe(1);
  });

  it('the Markdown report answers the two-readings question per trace', () => {
    const policies = ['rev3', 'rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3'].map(getPolicy);
    const report = renderMatrixReport([traceMatrix(groupTrace, 'group.gtr', policies, { modelFactory }), traceMatrix(quietTrace, 'quiet.gtr', policies, { modelFactory })]);
    expect(report).toContain('1 of 2 traces see a difference; 1 write IGROUPR but only values nothing reads back differently');
    expect(report).toMatch(/- `group\.gtr` \(GICv3, hand, 3 events\): 1 differences in GICD_IGROUPR; first at event 2: GICD_IGROUPR1 INTID 38 0xffffffff vs 0xffffffbf/);
    expect(report).toMatch(/- `quiet\.gtr` \(GICv3, hand, 2 events\): 1 writes dropped/);
  });
});

describe('invariants', () => {
  it('pass when the stated policies differ, and fail when a change makes them agree', () => {
    const inv = [{ trace: 'group.gtr', policies: ['rev1', 'rev3'] as [string, string], expect: 'differ' as const, register: 'GICD_IGROUPR', reason: 'rev1 freezes IGROUPR' }];
    expect(checkInvariants(dir, inv, getPolicy, { modelFactory })[0].ok).toBe(true);
    const broken = checkInvariants(dir, [{ ...inv[0], trace: 'quiet.gtr' }], getPolicy, { modelFactory });
    expect(broken[0].ok).toBe(false);
    expect(broken[0].message).toMatch(/must differ on quiet\.gtr \(rev1 freezes IGROUPR\) but the guest sees identical output/);
  });

  it('fail when policies that must agree differ', () => {
    const r = checkInvariants(dir, [{ trace: 'group.gtr', policies: ['rev3', 'rev1'], expect: 'agree', reason: 'r' }], getPolicy, { modelFactory });
    expect(r[0].ok).toBe(false);
    expect(r[0].message).toMatch(/must agree/);
  });
});

describe('write effects that differ only in the policy they name are the same treatment', () => {
  const repo = path.resolve(__dirname, '../..');
  const renamed = (id: string, as: string): Policy => {
    const file = path.join(repo, 'engine', 'policy', 'builtin', `${id}.json`);
    return parsePolicy({ ...JSON.parse(fs.readFileSync(file, 'utf8')), id: as }, `/tmp/${as}.json`);
  };

  test('a renamed copy of rev1 is identical to rev1 on a trace whose IGROUPR writes rev1 drops', () => {
    const trace = path.join(repo, 'traces', 'guests', 'igroupr-rw-v3.gtr');
    const copy = diffPolicies(trace, getPolicy('rev1'), renamed('rev1', 'my-kernel'));
    expect(copy.identical).toBe(true);
    expect(copy.count).toBe(0);
    // The same trace does tell rev1 and rev3 apart, so the trace exercises the drops.
    expect(diffPolicies(trace, getPolicy('rev1'), getPolicy('rev3')).identical).toBe(false);
  });

  test('rev1-iidr-only and mainline-rev3 drop a VMM restore of IGROUPR for the same reason', () => {
    const trace = path.join(repo, 'traces', 'guests', 'vmm-restore-v2.gtr');
    expect(diffPolicies(trace, getPolicy('rev1-iidr-only'), getPolicy('mainline-rev3')).identical).toBe(true);
    // rev1 drops it for another reason (its revision), which is still a side-effect difference.
    const r = diffPolicies(trace, getPolicy('rev1'), getPolicy('mainline-rev3'));
    expect(r.identical).toBe(false);
    expect(r.visibleCount).toBe(0);
  });
});
