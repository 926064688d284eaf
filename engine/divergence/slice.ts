// Causal slice of a divergence: starting from the state the differing access read, follow the
// models' recorded dependencies back to the earlier events that one policy applied and the other
// dropped (or applied differently), and to state that only the policy itself defines.

import { RecordingDeps } from '../model/deps';
import { RegisterRegistry } from '../model/model';
import { Policy } from '../policy/policy';
import { TraceEvent } from '../trace/events';
import { describeEvent } from './describe';

export interface SliceEntry {
  index: number;
  /** How a report names the step when it is not a trace event ("restore step 12" of a migration). */
  label?: string;
  /** The event, decoded ("cpu0 write GICD_IGROUPR1 = 0xffffffbf"). */
  event: string;
  /** The model state the event acts on (engine/model/deps.ts key). */
  key: string;
  /** What each policy did with it ("applied", or "dropped: <reason>", or "no effect"). */
  a: string;
  b: string;
}

export interface CausalSlice {
  /** State the differing access read (under either policy). */
  keys: string[];
  /** Earlier events whose effect on that state differs between the policies, latest first. */
  events: SliceEntry[];
  /** State that no earlier event wrote under either policy: its value is the reset value or defined by the policy. */
  fromReset: string[];
  /** Policy fields that differ between A and B ("revision: 3 → 1"). */
  policySwitches: string[];
}

const MAX_DEPTH = 4;
/** Bounds on the search: raw (event, key) entries found, and entries reported after merging. */
const MAX_RAW_ENTRIES = 4096;
const MAX_ENTRIES = 25;

interface Treatment {
  applied: boolean;
  dropped?: string;
}

function treatment(deps: RecordingDeps, key: string, index: number): Treatment | undefined {
  const w = deps.writers.get(key);
  if (w && w.includes(index)) return { applied: true };
  const d = deps.dropped.get(key)?.find((x) => x.index === index);
  if (d) return { applied: false, dropped: d.reason };
  return undefined;
}

function describeTreatment(t: Treatment | undefined): string {
  if (!t) return 'no effect';
  return t.applied ? 'applied' : `dropped: ${t.dropped}`;
}

/**
 * The events (< before) that decide `key`'s value under either policy, latest first: under each
 * policy the last event that wrote it, and the last write it dropped after that one (the write
 * that would have decided the value). Earlier writes were overwritten and are not causes (the
 * causal-slice property test, slice.property.test.ts, found diff listing them).
 */
function touchingEvents(a: RecordingDeps, b: RecordingDeps, key: string, before: number): number[] {
  const s = new Set<number>();
  for (const deps of [a, b]) {
    const w = deps.lastWriter(key, before - 1);
    const last = w !== undefined && w >= 0 ? w : -1;
    if (last >= 0) s.add(last);
    let drop = -1;
    for (const d of deps.dropped.get(key) ?? []) if (d.index > last && d.index < before && d.index > drop) drop = d.index;
    if (drop >= 0) s.add(drop);
  }
  return [...s].sort((x, y) => y - x);
}

export function causalSlice(
  index: number,
  depsA: RecordingDeps,
  depsB: RecordingDeps,
  events: ReadonlyMap<number, TraceEvent>,
  registry: RegisterRegistry,
  pa: Policy,
  pb: Policy,
  gicVersion?: 2 | 3,
): CausalSlice {
  const startKeys = [...new Set([...(depsA.readsByEvent.get(index) ?? []), ...(depsB.readsByEvent.get(index) ?? [])])].sort();
  const entries: SliceEntry[] = [];
  const fromReset: string[] = [];
  const seenKeys = new Set<string>();
  const seenEntries = new Set<string>();
  let frontier: Array<{ key: string; before: number }> = startKeys.map((key) => ({ key, before: index }));

  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0 && entries.length < MAX_RAW_ENTRIES; depth++) {
    const next: Array<{ key: string; before: number }> = [];
    for (const { key, before } of frontier) {
      const tag = `${key}@${before}`;
      if (seenKeys.has(tag)) continue;
      seenKeys.add(tag);
      const touching = touchingEvents(depsA, depsB, key, before);
      if (touching.length === 0) {
        if (!fromReset.includes(key)) fromReset.push(key);
        continue;
      }
      // The latest event treated the same way under both policies ends the search on this key:
      // anything before it was overwritten identically.
      for (const i of touching) {
        const ta = treatment(depsA, key, i);
        const tb = treatment(depsB, key, i);
        const same = describeTreatment(ta) === describeTreatment(tb);
        if (same) {
          // Its inputs may still differ (e.g. an IAR that chose a different interrupt).
          for (const k of new Set([...(depsA.readsByEvent.get(i) ?? []), ...(depsB.readsByEvent.get(i) ?? [])])) next.push({ key: k, before: i });
          break;
        }
        const id = `${i}|${key}`;
        if (!seenEntries.has(id) && entries.length < MAX_RAW_ENTRIES) {
          seenEntries.add(id);
          const ev = events.get(i);
          entries.push({ index: i, event: ev ? describeEvent(ev, registry) : `event ${i}`, key, a: describeTreatment(ta), b: describeTreatment(tb) });
        }
      }
    }
    frontier = next;
  }
  return { keys: compactKeys(startKeys), events: mergeEntries(entries), fromReset: compactKeys(fromReset), policySwitches: policySwitches(pa, pb, gicVersion) };
}

const IRQ_KEY = /^irq:(\d+)(@\d+)?:(\w+)$/;

/** "irq:0@1:group, irq:1@1:group, …" → "irq:0-31@1:group": per-interrupt keys as INTID ranges. */
export function compactKeys(keys: readonly string[]): string[] {
  const ranges = new Map<string, number[]>();
  const other: string[] = [];
  for (const k of keys) {
    const m = IRQ_KEY.exec(k);
    if (!m) {
      other.push(k);
      continue;
    }
    const tag = `${m[2] ?? ''}:${m[3]}`;
    if (!ranges.has(tag)) ranges.set(tag, []);
    ranges.get(tag)!.push(Number(m[1]));
  }
  const out: string[] = [];
  for (const tag of [...ranges.keys()].sort()) {
    const ids = [...new Set(ranges.get(tag)!)].sort((a, b) => a - b);
    for (let i = 0; i < ids.length; ) {
      let j = i;
      while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
      out.push(`irq:${i === j ? ids[i] : `${ids[i]}-${ids[j]}`}${tag}`);
      i = j + 1;
    }
  }
  return [...out, ...other.sort()];
}

/** One entry per event and treatment, its keys compacted; latest event first. */
function mergeEntries(entries: readonly SliceEntry[]): SliceEntry[] {
  const groups = new Map<string, SliceEntry & { keys: string[] }>();
  for (const e of entries) {
    const id = `${e.index}|${e.a}|${e.b}`;
    const g = groups.get(id);
    if (g) g.keys.push(e.key);
    else groups.set(id, { ...e, keys: [e.key] });
  }
  return [...groups.values()]
    .map(({ keys, ...e }) => ({ ...e, key: compactKeys(keys).join(', ') }))
    .sort((x, y) => y.index - x.index || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    .slice(0, MAX_ENTRIES);
}

/**
 * The policy fields that differ, flattened ("userGroupWrites.v2.requireUserIidrWrite: false → true"),
 * leaving out fields that cannot matter for this GIC version.
 */
export function policySwitches(pa: Policy, pb: Policy, gicVersion?: 2 | 3): string[] {
  const fa = flatten(pa.data as unknown as Record<string, unknown>);
  const fb = flatten(pb.data as unknown as Record<string, unknown>);
  const irrelevant = (k: string) =>
    ['id', 'title', 'source', 'schema'].includes(k) ||
    (gicVersion === 3 && k.startsWith('userGroupWrites.v2.')) ||
    (gicVersion === 2 && (k.startsWith('userGroupWrites.v3.') || k.startsWith('gicrCtlrIrCes.')));
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].filter((k) => !irrelevant(k)).sort();
  const out: string[] = [];
  for (const k of keys) if (fa[k] !== fb[k]) out.push(`${k}: ${fa[k] ?? '(unset)'} → ${fb[k] ?? '(unset)'}`);
  return out;
}

function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const k of Object.keys(o)) {
    const v = o[k];
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = JSON.stringify(v);
  }
  return out;
}
