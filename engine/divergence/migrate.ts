// `gicreplay migrate`: a guest runs under policy P up to a migration point, the VMM saves its
// vGIC through the device-attribute interface (migrate-recipe.ts), restores it into a fresh vGIC
// under policy Q, and the guest carries on. Compared with the same guest staying on P: what it
// sees differently afterwards (first divergence, causal slice, grouping, as `diff`), which restore
// steps the destination treated differently from P, and which registers it restored differently.
//
// Two sides run in lockstep. "stay": one replay under P from start to end. "migrated": a second
// replay under P to the migration point, the save from it, then a replayer on a fresh Q model that
// takes over its timers and output levels (Replayer.continuing), applies the restore, and goes on.
// Event indices after the point are shifted by the restore's length on both sides, so the
// dependency trackers see restore step k at index N+k and the causal slice can follow a value
// back through the restore; reports shift them back.

import { registryFor } from '../gic';
import { RecordingDeps } from '../model/deps';
import { GicModel } from '../model/model';
import { Policy } from '../policy/policy';
import { OutputRecord, ReplayRecord, WriteEffectRecord } from '../replay/records';
import { Replayer, streamTrace } from '../replay/replay';
import { EventKind, TraceEvent, TraceHeader } from '../trace/events';
import { USER_GROUP_NAMES } from '../trace/names';
import { openTrace } from '../trace/reader';
import { InputError } from '../errors';
import { ERRNO, errnoName } from '../util/errno';
import { DiffOptions, PolicyDiff, replayCaveat } from './diff';
import { describeEvent } from './describe';
import { LineLevel, recipeFor, SaveRead, saveKey, VmmRecipeId } from './migrate-recipe';
import { compareBatch, Difference, DifferenceCollector, sameEffect } from './pairwise';
import { CausalSlice, causalSlice } from './slice';

export interface MigrationPoint {
  /** Migrate after this event (0-based). */
  index?: number;
  /** Migrate after the first marker event with exactly this text. */
  marker?: string;
}

export interface MigrateOptions extends DiffOptions {
  at: MigrationPoint;
  vmm?: VmmRecipeId;
}

/** A register as the VMM reads it through its device attribute. */
export interface AttrValue {
  reg: string;
  group: string;
  cpu: number | null;
  offset: number;
}

export interface RestoreStep extends AttrValue {
  /** 1-based position in the restore. */
  step: number;
  event: string;
  value: bigint;
  /** What the destination (Q) did with it, as a VMM sees it: the errno KVM_SET_DEVICE_ATTR returns, or null. */
  errno: string | null;
  /** The destination's treatment ("applied" or the model's effect sentence). */
  to: string;
  /** The same step restored into a fresh vGIC under the source's policy. */
  from: string;
}

export interface SavedValue extends AttrValue {
  value: bigint;
}

export interface StateDifference extends AttrValue {
  /** Left: the saved value (restore check) or the value staying on P (end of trace). */
  a: bigint;
  b: bigint;
  fieldsA?: string;
  fieldsB?: string;
}

/** The divergence part (identical, count, visibleCount, first, slice, replayCaveat, groups, differences) is diff's, over the events after the migration. */
export interface MigrationReport extends Pick<PolicyDiff, 'identical' | 'count' | 'visibleCount' | 'first' | 'slice' | 'replayCaveat' | 'groups' | 'differences'> {
  trace: string;
  from: string;
  to: string;
  vmm: VmmRecipeId;
  at: { index: number; cycle: bigint; marker: string | null };
  events: number;
  recipe: string[];
  save: { reads: number; refused: number; note: string | null; values: SavedValue[] };
  /** The restore as a trace segment (what `--save` writes); header = the trace's, provenance aside. */
  segment: TraceEvent[];
  restore: {
    steps: number;
    /** Steps the destination treated differently from how a vGIC under the source policy treats them. */
    changed: RestoreStep[];
    /** Steps a vGIC under the source policy does not apply either (read-only registers, the recipe's own clears). */
    inherent: number;
  };
  /** Registers the destination reads back, right after the restore, differently from what was saved. */
  restoredDifferently: StateDifference[];
  /** Registers that differ at the end of the trace between staying on P and migrating (what a guest would read next). */
  stateAtEnd: StateDifference[];
  /** No guest-visible difference after the migration and no register left different at the end. */
  invisible: boolean;
}

const GROUP_NAMES = USER_GROUP_NAMES;

/** Save reads use this tracker event, so they leave no dependency on any trace event. */
const SAVE_EVENT = -2;

interface Saved {
  reads: SaveRead[];
  values: Map<string, bigint>;
  refused: number;
  notInitialised: boolean;
}

/** The VMM's save: the recipe's reads against `model`, read-only. */
function saveFrom(model: GicModel, header: TraceHeader, vmm: VmmRecipeId): Saved {
  const s: Saved = { reads: [], values: new Map(), refused: 0, notInitialised: false };
  recipeFor(vmm, header.gic.version, header.gic.its).save(header, (r) => {
    const res = model.userRead(r.group, r.cpu, r.offset, 4, null);
    s.reads.push(r);
    if (res.result) {
      s.refused++;
      if (res.result === ERRNO.EBUSY) s.notInitialised = true;
      return 0n;
    }
    s.values.set(saveKey(r.group, r.cpu, r.offset), res.value);
    return res.value;
  });
  return s;
}

/** Read the same attributes from two models; the ones whose values differ. */
function compareState(header: TraceHeader, reads: readonly SaveRead[], a: (r: SaveRead) => bigint | null, b: (r: SaveRead) => bigint | null, name: (r: SaveRead) => string): StateDifference[] {
  const registry = registryFor(header.gic);
  const out: StateDifference[] = [];
  const seen = new Set<string>();
  for (const r of reads) {
    const k = saveKey(r.group, r.cpu, r.offset);
    if (seen.has(k)) continue;
    seen.add(k);
    const va = a(r);
    const vb = b(r);
    if (va === null || vb === null || va === vb) continue;
    const reg = name(r);
    const d: StateDifference = { reg, group: GROUP_NAMES[r.group], cpu: r.cpu, offset: r.offset, a: va, b: vb };
    const fa = registry.formatFields(reg, va);
    const fb = registry.formatFields(reg, vb);
    if (fa !== undefined) d.fieldsA = fa;
    if (fb !== undefined) d.fieldsB = fb;
    out.push(d);
  }
  return out;
}

function userValue(model: GicModel, r: SaveRead): bigint | null {
  const res = model.userRead(r.group, r.cpu, r.offset, 4, null);
  return res.result ? null : res.value;
}

function treatmentOf(records: readonly ReplayRecord[]): { text: string; errno: string | null } {
  const eff = records.filter((x): x is WriteEffectRecord => x.op === 'write');
  if (eff.length === 0) return { text: 'applied', errno: null };
  const res = eff.find((x) => x.result);
  return { text: eff.map((x) => x.effect).join('; '), errno: res?.result ? errnoName(res.result) : null };
}

export function migrate(trace: string, from: Policy, to: Policy, opts: MigrateOptions): MigrationReport {
  const vmm = opts.vmm ?? 'qemu';
  const maxListed = opts.maxListed ?? 200;
  const ids = [from.id, to.id] as const;
  if (opts.at.index === undefined && opts.at.marker === undefined) throw new InputError('no migration point', { file: trace }, '--at N or --at-marker TEXT');

  const events = new Map<number, TraceEvent>();

  const analysis = opts.analysis ?? true;
  const depsA = new RecordingDeps();
  const depsB = new RecordingDeps();
  const tracked = (d: RecordingDeps) => (analysis ? d : undefined);
  let bufA: ReplayRecord[] = [];
  let bufB: ReplayRecord[] = [];
  let header!: TraceHeader;
  let stay!: Replayer;
  let pre!: Replayer;
  let dest: Replayer | null = null;
  let point = -1;
  let pointCycle = 0n;
  let shift = 0;
  const levels = new Map<string, LineLevel & { level: 0 | 1 }>();
  let saved!: Saved;
  let segment: TraceEvent[] = [];
  const changed: RestoreStep[] = [];
  let inherent = 0;
  let restoredDifferently: StateDifference[] = [];
  let marker: string | null = null;

  /** Report indices: trace event indices (restore steps and the migration's output changes fold onto the point). */
  const unshift = (i: number) => (point < 0 || i <= point ? i : i <= point + shift ? point : i - shift);
  const found = new DifferenceCollector(maxListed, (d) => ({ ...d, index: unshift(d.index) }) as Difference);
  const add = found.add;

  const doMigrate = (index: number, cycle: bigint) => {
    point = index;
    pointCycle = cycle;
    const registry = registryFor(header.gic);
    depsB.setEvent(SAVE_EVENT);
    saved = saveFrom(pre.model, header, vmm);
    const recipe = recipeFor(vmm, header.gic.version, header.gic.its);
    const high: LineLevel[] = [];
    for (const k of [...levels.keys()].sort(compareLineKeys)) {
      const l = levels.get(k)!;
      if (l.level) high.push({ intid: l.intid, cpu: l.cpu });
    }
    // A vGIC the VMM has not initialised has nothing to save (KVM: -EBUSY), and QEMU creates the
    // destination's the same way: uninitialised, so the guest's own CTRL_INIT still comes.
    segment = saved.notInitialised ? [] : recipe.restore(header, saved.values, high, cycle);
    shift = segment.length;

    let ctlCur: ReplayRecord[] = [];
    // The same restore into a fresh vGIC under the source's policy: what "not lost" looks like.
    const ctlDeps = new RecordingDeps();
    const controlSide = Replayer.continuing(pre, { policy: from, deps: tracked(ctlDeps), modelFactory: opts.modelFactory }, (r) => ctlCur.push(r));
    dest = Replayer.continuing(pre, { policy: to, deps: tracked(depsB), modelFactory: opts.modelFactory }, (r) => bufB.push(r));
    const outputs: OutputRecord[] = [];
    segment.forEach((ev, k) => {
      const idx = index + 1 + k;
      events.set(idx, ev);
      bufB = [];
      ctlCur = [];
      if (ev.kind === EventKind.Line) {
        dest!.restoreLine(ev, idx);
        controlSide.restoreLine(ev, idx);
      } else {
        dest!.apply(ev, idx);
        controlSide.apply(ev, idx);
      }
      for (const r of bufB) if (r.op === 'irq' || r.op === 'fiq') outputs.push(r);
      const tb = treatmentOf(bufB);
      const ta = treatmentOf(ctlCur);
      if (ev.kind === EventKind.UserWrite || ev.kind === EventKind.Line) {
        if (!sameEffect(ta.text, tb.text, ids)) {
          const reg = bufB.find((r): r is WriteEffectRecord => r.op === 'write')?.reg ?? describeEvent(ev, registry);
          const step: RestoreStep = {
            step: k + 1,
            event: describeEvent(ev, registry),
            reg,
            group: ev.kind === EventKind.Line ? 'LINE' : GROUP_NAMES[ev.group],
            cpu: ev.cpu,
            offset: ev.kind === EventKind.Line ? ev.intid : ev.offset,
            value: ev.kind === EventKind.Line ? BigInt(ev.level) : ev.value,
            errno: tb.errno,
            to: tb.text,
            from: ta.text,
          };
          changed.push(step);
        } else if (ta.text !== 'applied') inherent++;
      }
      // Staying on P the state a step carries was never lost: the stay side's tracker gets the
      // step as the source's policy treats it (written, or dropped for the same reason), so the
      // causal slice passes over steps both policies treat alike and stops at one they do not.
      if (!analysis) return;
      depsA.setEvent(idx);
      for (const key of ctlDeps.writesByEvent.get(idx) ?? []) depsA.write(key);
      for (const key of ctlDeps.readsByEvent.get(idx) ?? []) {
        const d = ctlDeps.dropped.get(key)?.find((x) => x.index === idx);
        if (d) depsA.drop(key, d.reason);
      }
    });
    bufB = [];

    // The guest sees the destination's IRQ/FIQ levels once it runs: compare them with P's.
    const final = new Map<string, OutputRecord>();
    for (const r of outputs) final.set(`${r.cpu}|${r.op}`, r);
    const diffOut: OutputRecord[] = [];
    for (const k of [...final.keys()].sort()) {
      const r = final.get(k)!;
      const before = r.op === 'irq' ? stay.model.irqOutput(r.cpu) : stay.model.fiqOutput(r.cpu);
      if (r.level !== before) diffOut.push({ ...r, cycle });
    }
    if (diffOut.length) compareBatch(header, registry, index + shift, [], diffOut, add, ids);

    depsB.setEvent(SAVE_EVENT);
    restoredDifferently = saved.notInitialised
      ? []
      : compareState(header, saved.reads, (r) => saved.values.get(saveKey(r.group, r.cpu, r.offset)) ?? null, (r) => userValue(dest!.model, r), (r) => dest!.model.userRead(r.group, r.cpu, r.offset, 4, null).reg);
  };

  const reader = openTrace(trace);
  let total: number;
  try {
    total = streamTrace(reader, (h) => {
      header = h;
      stay = new Replayer(h, { policy: from, deps: tracked(depsA), modelFactory: opts.modelFactory, timerFactory: opts.timerFactory }, (r) => bufA.push(r));
      pre = new Replayer(h, { policy: from, deps: tracked(depsB), modelFactory: opts.modelFactory, timerFactory: opts.timerFactory }, () => undefined);
      const registry = registryFor(h.gic);
      return (ev, i) => {
        if (!dest) {
          if (analysis) events.set(i, ev);
          stay.apply(ev, i);
          pre.apply(ev, i);
          bufA = [];
          if (ev.kind === EventKind.Line) {
            const k = ev.cpu === null ? `${ev.intid}` : `${ev.intid}@${ev.cpu}`;
            levels.set(k, { intid: ev.intid, cpu: ev.cpu, level: ev.level });
          }
          const hit = opts.at.index !== undefined ? i === opts.at.index : ev.kind === EventKind.Marker && ev.text === opts.at.marker;
          if (hit) {
            if (ev.kind === EventKind.Marker) marker = ev.text;
            // Timer PPIs high now are driven by the destination's timers (Replayer.restoreLine).
            for (let c = 0; c < h.gic.cpus.length; c++) {
              for (let intid = 16; intid < 32; intid++) {
                if (pre.timer.drivesLine(c, intid)) levels.set(`${intid}@${c}`, { intid, cpu: c, level: pre.timer.lineLevel(c, intid) });
              }
            }
            doMigrate(i, ev.cycle);
          }
          return;
        }
        const idx = i + shift;
        if (analysis) events.set(idx, ev);
        bufA = [];
        bufB = [];
        stay.apply(ev, idx);
        dest.apply(ev, idx);
        compareBatch(h, registry, idx, bufA, bufB, add, ids);
      };
    });
  } finally {
    reader.close();
  }
  if (!dest) {
    if (opts.at.index !== undefined) {
      throw new InputError(`migration point: event ${opts.at.index} is past the end of the trace (${total} events)`, { file: trace }, total > 0 ? `--at 0..${total - 1}` : 'a trace with events');
    }
    throw new InputError(`migration point: no marker event with text ${JSON.stringify(opts.at.marker)}`, { file: trace }, 'the text of a marker in the trace (gicreplay trace dump shows them)');
  }
  const destModel = (dest as Replayer).model;

  depsA.setEvent(SAVE_EVENT);
  depsB.setEvent(SAVE_EVENT);
  const stateAtEnd = saved.notInitialised
    ? []
    : compareState(header, saved.reads, (r) => userValue(stay.model, r), (r) => userValue(destModel, r), (r) => stay.model.userRead(r.group, r.cpu, r.offset, 4, null).reg);

  const savedList: SavedValue[] = [];
  for (const r of saved.reads) {
    const v = saved.values.get(saveKey(r.group, r.cpu, r.offset));
    if (v === undefined || savedList.some((x) => x.group === GROUP_NAMES[r.group] && x.cpu === r.cpu && x.offset === r.offset)) continue;
    savedList.push({ reg: stay.model.userRead(r.group, r.cpu, r.offset, 4, null).reg, group: GROUP_NAMES[r.group], cpu: r.cpu, offset: r.offset, value: v });
  }
  const firstDiff = found.first ?? found.firstAny;
  let slice: CausalSlice | null = null;
  let caveat: string | null = null;
  if (firstDiff) caveat = replayCaveat(header, { ...firstDiff, index: unshift(firstDiff.index) }, from, to);
  if (firstDiff && analysis) {
    const s = causalSlice(firstDiff.index, depsA, depsB, events, registryFor(header.gic), from, to, header.gic.version);
    slice = {
      ...s,
      events: s.events.map((e) => (e.index > point && e.index <= point + shift ? { ...e, label: `restore step ${e.index - point}`, index: point } : { ...e, index: unshift(e.index) })),
    };
  }
  const firstOut = firstDiff ? ({ ...firstDiff, index: unshift(firstDiff.index) } as Difference) : null;
  return {
    trace,
    from: from.id,
    to: to.id,
    vmm,
    at: { index: point, cycle: pointCycle, marker },
    events: total,
    recipe: recipeFor(vmm, header.gic.version, header.gic.its).description,
    save: { reads: saved.reads.length, refused: saved.refused, values: savedList, note: saved.notInitialised ? 'the source vGIC is not initialised at the migration point (KVM returns -EBUSY): nothing to save; the destination is created uninitialised too' : null },
    segment,
    restore: { steps: segment.length, changed, inherent },
    restoredDifferently,
    stateAtEnd,
    invisible: found.visibleCount === 0 && stateAtEnd.length === 0,
    identical: found.count === 0 && stateAtEnd.length === 0 && changed.length === 0,
    count: found.count,
    visibleCount: found.visibleCount,
    first: firstOut,
    slice,
    replayCaveat: caveat,
    groups: found.groups.list(),
    differences: found.differences,
  };
}

/** Line keys in INTID order, SPIs ("40") and PPIs ("27@1") alike. */
function compareLineKeys(x: string, y: string): number {
  const [ix, cx] = x.split('@').map(Number);
  const [iy, cy] = y.split('@').map(Number);
  return ix - iy || (cx ?? -1) - (cy ?? -1);
}

/** The header of a saved segment: the trace's GIC and timers, provenance saying what it is. */
export function segmentHeader(source: TraceHeader, r: MigrationReport): TraceHeader {
  return {
    ...source,
    provenance: {
      kind: 'hand',
      tool: 'gicreplay migrate --save',
      command: `gicreplay migrate ${r.trace} --from ${r.from} --to ${r.to} --at ${r.at.index} --vmm ${r.vmm} --save`,
      blindSpots: ['the VMM restore of a vGIC saved at one event of the source trace: user writes (the saved values), CTRL_INIT and line levels only'],
      cycles: `every event at the migration point's cycle (${r.at.cycle})`,
      details: { migratedAt: String(r.at.index), migratedFrom: r.from, sourceTrace: r.trace, vmm: r.vmm },
    },
  };
}
