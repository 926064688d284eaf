// `gicreplay migrate --backend kvm`: the same migration as the model's (engine/divergence/migrate),
// performed by real KVM. One kernel plays both hosts: the source VM replays the trace up to the
// migration point under policy P and the VMM's save recipe reads its vGIC through the device
// attributes; a fresh destination VM, put into Q's revision through GICD_IIDR (or left at the
// kernel's own when the recipe writes no GICD_IIDR and Q's revision is the kernel's), gets the
// recipe's restore and then the rest of the trace. A third VM replays the whole trace under P
// (staying). What the guest sees after the point is compared, access by access, between staying
// and the destination — the question the model's migrate answers, now asked of the kernel.

import { registryFor } from '../../gic';
import { InputError } from '../../errors';
import { compareBatch, Difference, DifferenceCollector, DifferenceGroup } from '../../divergence/pairwise';
import { LineLevel, recipeFor, SaveRead, saveKey, VmmRecipeId } from '../../divergence/migrate-recipe';
import { Policy } from '../../policy/policy';
import { OutputRecord, ReplayRecord } from '../../replay/records';
import { EventKind, TraceEvent, TraceHeader, UserGroup } from '../../trace/events';
import { readTrace } from '../../trace/reader';
import { errnoName } from '../../util/errno';
import { KvmTraceResult, LoadedTrace, runOnKvm } from './backend';
import { KvmHost } from './host';

export interface KvmMigrateOptions {
  host: KvmHost;
  from: Policy;
  to: Policy;
  /** The migration happens after this event. */
  at: number;
  vmm?: VmmRecipeId;
  runTimeoutMs?: number;
  maxListed?: number;
}

/** A restore step the destination kernel refused (KVM_SET_DEVICE_ATTR failed). */
export interface RefusedStep {
  step: number;
  reg: string;
  cpu: number | null;
  errno: string;
}

export interface KvmMigrationReport {
  trace: string;
  from: string;
  to: string;
  at: number;
  vmm: VmmRecipeId;
  host: string;
  /** Nested boots (or native job runs) it took. */
  boots: number;
  /** Device-attribute reads of the save, and how many KVM refused. */
  saved: number;
  saveRefused: number;
  /** The restore, as user events, and the steps of it the destination refused. */
  restoreSteps: number;
  refused: RefusedStep[];
  /** The destination VM kept the kernel's own revision (no GICD_IIDR write), as QEMU's restore does. */
  destinationRevision: number | 'kernel';
  invisible: boolean;
  count: number;
  visibleCount: number;
  first: Difference | null;
  groups: DifferenceGroup[];
  differences: Difference[];
}

/** Save reads can depend on values read before them (GICD_TYPER's line count, ICC_CTLR_EL1's PRIbits): at most this many rounds. */
const SAVE_ROUNDS = 3;

const userRead = (r: SaveRead, cycle: bigint): TraceEvent => ({ kind: EventKind.UserRead, cycle, group: r.group, cpu: r.cpu, offset: r.offset, size: 4, observed: null });

function highLines(events: readonly TraceEvent[], upTo: number): LineLevel[] {
  const levels = new Map<string, LineLevel & { level: number }>();
  for (let i = 0; i <= upTo; i++) {
    const ev = events[i];
    if (ev.kind === EventKind.Line) levels.set(`${ev.intid}@${ev.cpu ?? -1}`, { intid: ev.intid, cpu: ev.cpu, level: ev.level });
  }
  return [...levels.values()]
    .filter((l) => l.level)
    .sort((a, b) => a.intid - b.intid || (a.cpu ?? -1) - (b.cpu ?? -1))
    .map(({ intid, cpu }) => ({ intid, cpu }));
}

/** Records by event index. */
function byIndex(records: readonly ReplayRecord[]): Map<number, ReplayRecord[]> {
  const m = new Map<number, ReplayRecord[]>();
  for (const r of records) {
    let l = m.get(r.index);
    if (!l) m.set(r.index, (l = []));
    l.push(r);
  }
  return m;
}

/** A value KVM cannot give comparably (it depends on when a host timer fired) counts as agreeing. */
function comparableBatches(a: readonly ReplayRecord[], b: readonly ReplayRecord[]): [ReplayRecord[], ReplayRecord[]] {
  const keep = (l: readonly ReplayRecord[]) => l.filter((r) => !((r.op === 'irq' || r.op === 'fiq') && r.notComparable));
  const ra = keep(a);
  const readsA = ra.filter((r) => r.op === 'read');
  let k = 0;
  // compareBatch pairs the k-th reads of each side; where either is not comparable, B takes A's value.
  const rb = keep(b).map((r) => {
    if (r.op !== 'read') return r;
    const rA = readsA[k++];
    return rA && rA.op === 'read' && (rA.notComparable || r.notComparable) ? { ...r, value: rA.value } : r;
  });
  return [ra, rb];
}

/** Each vCPU's IRQ and FIQ level after the records with index < `end` ("cpu|irq" -> level). */
function levelsBefore(records: readonly ReplayRecord[], end: number): Map<string, 0 | 1> {
  const m = new Map<string, 0 | 1>();
  for (const r of records) if ((r.op === 'irq' || r.op === 'fiq') && r.index < end) m.set(`${r.cpu}|${r.op}`, r.level);
  return m;
}

/**
 * The outputs at the migration point: staying, the lines keep their level; the destination's
 * come from the restore. Each line whose level differs becomes one output record per side.
 */
function pointOutputs(stay: Map<string, 0 | 1>, dest: Map<string, 0 | 1>, cycle: bigint, index: number): [OutputRecord[], OutputRecord[]] {
  const a: OutputRecord[] = [];
  const b: OutputRecord[] = [];
  for (const k of [...new Set([...stay.keys(), ...dest.keys()])].sort()) {
    const la = stay.get(k) ?? 0;
    const lb = dest.get(k) ?? 0;
    if (la === lb) continue;
    const [cpu, op] = k.split('|');
    a.push({ op: op as 'irq' | 'fiq', cpu: Number(cpu), level: la, cycle, index });
    b.push({ op: op as 'irq' | 'fiq', cpu: Number(cpu), level: lb, cycle, index });
  }
  return [a, b];
}

export function migrateOnKvm(file: string, o: KvmMigrateOptions): KvmMigrationReport {
  const vmm = o.vmm ?? 'qemu';
  const t = readTrace(file);
  const header: TraceHeader = t.header;
  const events = t.events;
  if (!Number.isInteger(o.at) || o.at < 0 || o.at >= events.length - 1) {
    throw new InputError(`cannot migrate after event ${o.at}`, { file }, `an event index from 0 to ${events.length - 2} (the trace has ${events.length} events; something must run after the migration)`);
  }
  const recipe = recipeFor(vmm, header.gic.version, header.gic.its);
  const prefix = events.slice(0, o.at + 1);
  const cycle = events[o.at].cycle;
  const loaded = (name: string, evs: readonly TraceEvent[], revision?: number | null): LoadedTrace => ({ file: `${file} (${name})`, header, events: evs, digest: '', revision });

  // Save: replay the prefix and read what the recipe reads; repeat while KVM's answers make the
  // recipe read more (its reads depend on GICD_TYPER and ICC_CTLR_EL1).
  const values = new Map<string, bigint>();
  const refusedKeys = new Set<string>();
  let saved: number;
  let stay: KvmTraceResult | undefined;
  let boots = 0;
  let host = '';
  for (let round = 0; ; round++) {
    const want: SaveRead[] = [];
    recipe.save(header, (r) => {
      want.push(r);
      return values.get(saveKey(r.group, r.cpu, r.offset)) ?? 0n;
    });
    const unknown = want.filter((r) => !values.has(saveKey(r.group, r.cpu, r.offset)) && !refusedKeys.has(saveKey(r.group, r.cpu, r.offset)));
    saved = want.length;
    if (unknown.length === 0 && stay) break;
    if (round >= SAVE_ROUNDS) throw new InputError(`the ${vmm} save recipe kept asking for new device attributes after ${SAVE_ROUNDS} rounds`, { file });
    const runs: LoadedTrace[] = [loaded('source', [...prefix, ...unknown.map((r) => userRead(r, cycle))])];
    if (!stay) runs.push(loaded('staying', events));
    const res = runOnKvm(runs, { host: o.host, policy: o.from, runTimeoutMs: o.runTimeoutMs });
    boots += res.jobs;
    host = res.host;
    if (!stay) stay = res.traces[1];
    const saveRecords = res.traces[0].records.filter((r) => r.op === 'read' && r.index > o.at);
    saveRecords.forEach((r, k) => {
      if (r.op !== 'read') return;
      const q = unknown[k];
      const key = saveKey(q.group, q.cpu, q.offset);
      if (r.result) refusedKeys.add(key);
      else values.set(key, r.value);
    });
  }

  // Restore into a fresh VM under Q, then the rest of the trace.
  const restore = recipe.restore(header, values, highLines(events, o.at), cycle);
  const rest = events.slice(o.at + 1);
  const kernelRevision = stay!.kernelIidr !== undefined ? (stay!.kernelIidr >> 12) & 0xf : undefined;
  const writesIidr = restore.some((ev) => ev.kind === EventKind.UserWrite && ev.group === UserGroup.DistRegs && ev.offset === 0x8);
  const keepKernel = !writesIidr && kernelRevision === o.to.data.revision;
  const dest = runOnKvm([loaded('destination', [...restore, ...rest], keepKernel ? null : undefined)], { host: o.host, policy: o.to, runTimeoutMs: o.runTimeoutMs });
  boots += dest.jobs;
  const destRecords = dest.traces[0].records;

  const registry = registryFor(header.gic);
  const refused: RefusedStep[] = [];
  for (const r of destRecords) {
    if (r.index >= restore.length) break;
    if (r.op === 'write' && r.src === 'user' && r.result) refused.push({ step: r.index + 1, reg: r.reg, cpu: r.cpu, errno: errnoName(r.result) });
  }

  // Compare what the guest sees after the point: staying (event i) and the destination (event i - at - 1 + restore.length).
  const found = new DifferenceCollector(o.maxListed ?? 200);
  const a = byIndex(stay!.records);
  const b = byIndex(destRecords);
  const ids = [o.from.id, o.to.id] as const;
  const [pa, pb] = pointOutputs(levelsBefore(stay!.records, o.at + 1), levelsBefore(destRecords, restore.length), cycle, o.at);
  compareBatch(header, registry, o.at, pa, pb, found.add, ids);
  for (let i = o.at + 1; i < events.length; i++) {
    const [ra, rb] = comparableBatches(a.get(i) ?? [], b.get(i - o.at - 1 + restore.length) ?? []);
    compareBatch(header, registry, i, ra, rb, found.add, ids);
  }
  return {
    trace: file,
    from: o.from.id,
    to: o.to.id,
    at: o.at,
    vmm,
    host,
    boots,
    saved,
    saveRefused: refusedKeys.size,
    restoreSteps: restore.length,
    refused,
    destinationRevision: keepKernel ? 'kernel' : o.to.data.revision,
    invisible: found.visibleCount === 0,
    count: found.count,
    visibleCount: found.visibleCount,
    first: found.first ?? found.firstAny,
    groups: found.groups.list(),
    differences: found.differences,
  };
}
