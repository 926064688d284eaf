// Per-event comparison of two policies' replay records, and grouping of the differences.

import { differingIntids, registerIntids } from '../arch/intids';
import { RegisterRegistry } from '../model/model';
import { OutputRecord, ReadRecord, ReplayRecord, WriteEffectRecord } from '../replay/records';
import { TraceHeader } from '../trace/events';
import { sourceCanObserve } from '../replay/observability';

export interface ReadDifference {
  kind: 'read';
  index: number;
  cycle: bigint;
  cpu: number | null;
  via: ReadRecord['via'];
  reg: string;
  offset: number | null;
  size: number;
  a: bigint;
  b: bigint;
  recorded: bigint | null;
  fieldsA?: string;
  fieldsB?: string;
  /** INTIDs whose field differs, for per-interrupt registers. */
  intids?: number[];
  /** False when the trace's source could not have observed this register. */
  observable: boolean;
}

export interface EffectDifference {
  kind: 'write';
  index: number;
  cycle: bigint;
  cpu: number | null;
  reg: string;
  /** The model's effect sentence under each policy; null = stored as written. */
  a: string | null;
  b: string | null;
  observable: boolean;
}

export interface OutputDifference {
  kind: 'output';
  index: number;
  cycle: bigint;
  cpu: number;
  line: 'irq' | 'fiq';
  /** The output changes of this line at this event ("1@0x1f4"), under each policy. */
  a: string[];
  b: string[];
  observable: boolean;
}

export type Difference = ReadDifference | EffectDifference | OutputDifference;

/**
 * Reads and output changes are what the guest sees. A write the model dropped under one policy
 * and kept under the other is a side effect: it matters only through a later read or output.
 */
export function isGuestVisible(d: Difference): boolean {
  return d.kind !== 'write';
}

const isRead = (r: ReplayRecord): r is ReadRecord => r.op === 'read';
const isEffect = (r: ReplayRecord): r is WriteEffectRecord => r.op === 'write';
const isOutput = (r: ReplayRecord): r is OutputRecord => r.op === 'irq' || r.op === 'fiq';

/**
 * Two effect sentences say the same thing when they differ only in the policy ID they name
 * ("ignored: policy rev1 drops …" and "ignored: policy my-kernel drops …"), so a copy of a
 * policy under another name is not reported as treating writes differently.
 */
export function sameEffect(ea: string | undefined, eb: string | undefined, ids: readonly [string, string] | undefined): boolean {
  if (ea === eb) return true;
  if (!ids || ea === undefined || eb === undefined) return false;
  return ea.split(`policy ${ids[0]} `).join('policy · ') === eb.split(`policy ${ids[1]} `).join('policy · ');
}

/**
 * Compare one event's two record batches; call `add` for each difference, in a fixed order.
 * `ids` are the two policies' IDs, for sameEffect.
 */
export function compareBatch(
  header: TraceHeader,
  registry: RegisterRegistry,
  index: number,
  a: readonly ReplayRecord[],
  b: readonly ReplayRecord[],
  add: (d: Difference) => void,
  ids?: readonly [string, string],
): void {
  const readsA = a.filter(isRead);
  const readsB = b.filter(isRead);
  const n = Math.min(readsA.length, readsB.length);
  for (let k = 0; k < n; k++) {
    const ra = readsA[k];
    const rb = readsB[k];
    if (ra.value === rb.value) continue;
    const d: ReadDifference = {
      kind: 'read',
      index,
      cycle: ra.cycle,
      cpu: ra.cpu,
      via: ra.via,
      reg: ra.reg,
      offset: ra.offset,
      size: ra.size,
      a: ra.value,
      b: rb.value,
      recorded: ra.recorded,
      observable: sourceCanObserve(header, ra),
    };
    const fa = registry.formatFields(ra.reg, ra.value);
    const fb = registry.formatFields(rb.reg, rb.value);
    if (fa !== undefined) d.fieldsA = fa;
    if (fb !== undefined) d.fieldsB = fb;
    const info = registerIntids(ra.reg, ra.size);
    if (info) d.intids = differingIntids(info, ra.value, rb.value);
    add(d);
  }

  const effA = a.filter(isEffect);
  const effB = b.filter(isEffect);
  const keyOf = (r: WriteEffectRecord) => `${r.via}|${r.reg}`;
  const mapB = new Map(effB.map((r) => [keyOf(r), r] as const));
  const seenA = new Set<string>();
  for (const ra of effA) {
    const k = keyOf(ra);
    seenA.add(k);
    const rb = mapB.get(k);
    if (rb && sameEffect(ra.effect, rb.effect, ids)) continue;
    add({ kind: 'write', index, cycle: ra.cycle, cpu: ra.cpu, reg: ra.reg, a: ra.effect, b: rb ? rb.effect : null, observable: true });
  }
  for (const rb of effB) {
    if (seenA.has(keyOf(rb))) continue;
    add({ kind: 'write', index, cycle: rb.cycle, cpu: rb.cpu, reg: rb.reg, a: null, b: rb.effect, observable: true });
  }

  const outA = a.filter(isOutput);
  const outB = b.filter(isOutput);
  if (outA.length === 0 && outB.length === 0) return;
  const lines = [...new Set([...outA, ...outB].map((r) => `${r.cpu}|${r.op}`))].sort();
  for (const line of lines) {
    const [cpuS, op] = line.split('|');
    const cpu = Number(cpuS);
    const pick = (rs: OutputRecord[]) => rs.filter((r) => r.cpu === cpu && r.op === op);
    const fmt = (rs: OutputRecord[]) => rs.map((r) => `${r.level}@0x${r.cycle.toString(16)}`);
    const sa = fmt(pick(outA));
    const sb = fmt(pick(outB));
    if (sa.join() === sb.join()) continue;
    const cyc = (pick(outA)[0] ?? pick(outB)[0]).cycle;
    add({ kind: 'output', index, cycle: cyc, cpu, line: op as 'irq' | 'fiq', a: sa, b: sb, observable: true });
  }
}

/** Strip the index from a register name: GICD_IGROUPR1 → GICD_IGROUPR, GICD_IPRIORITYR8.B1 → GICD_IPRIORITYR. */
export function registerFamily(reg: string): string {
  // System registers (ICC_IAR1_EL1) are single registers; their digits are part of the name.
  if (/_EL\d$/.test(reg)) return reg;
  return reg.replace(/\.(B\d|HI)$/, '').replace(/([A-Z_])\d+$/, '$1');
}

export interface DifferenceGroup {
  /** Stable ID derived from the group's content. */
  id: string;
  kind: Difference['kind'];
  /** Register family or output line the group is about. */
  subject: string;
  summary: string;
  count: number;
  firstIndex: number;
  intids: number[];
  observable: boolean;
}

export class GroupBuilder {
  private readonly groups = new Map<string, DifferenceGroup>();

  add(d: Difference): void {
    let key: string;
    let subject: string;
    let summary: string;
    if (d.kind === 'read') {
      subject = registerFamily(d.reg);
      key = `read|${subject}|${d.a}|${d.b}`;
      summary = `${subject} reads 0x${d.a.toString(16)} → 0x${d.b.toString(16)}`;
    } else if (d.kind === 'write') {
      subject = registerFamily(d.reg);
      key = `write|${subject}|${d.a}|${d.b}`;
      summary = `${subject} write: ${d.a ?? 'stored as written'} → ${d.b ?? 'stored as written'}`;
    } else {
      subject = `cpu${d.cpu} ${d.line.toUpperCase()}`;
      key = `output|${subject}`;
      summary = `${subject} output changes differ`;
    }
    let g = this.groups.get(key);
    if (!g) {
      g = { id: `g-${shortHash(key)}`, kind: d.kind, subject, summary, count: 0, firstIndex: d.index, intids: [], observable: d.observable };
      this.groups.set(key, g);
    }
    g.count++;
    if (d.kind === 'read' && d.intids) for (const i of d.intids) if (!g.intids.includes(i)) g.intids.push(i);
    g.observable = g.observable && d.observable;
  }

  /** Groups ordered by first appearance, then ID. */
  list(): DifferenceGroup[] {
    const out = [...this.groups.values()].map((g) => ({ ...g, intids: [...g.intids].sort((x, y) => x - y) }));
    out.sort((x, y) => x.firstIndex - y.firstIndex || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return out;
  }
}

/** FNV-1a 32-bit: stable, dependency-free IDs. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Collects the differences of a comparison: counted and grouped, the first guest-visible one (and
 * the first of any kind), and the first `maxListed` kept in order. `reported` maps a difference to
 * the form reports show (migrate shifts indices back); `first`/`firstAny` keep the original.
 */
export class DifferenceCollector {
  readonly groups = new GroupBuilder();
  readonly differences: Difference[] = [];
  first: Difference | null = null;
  firstAny: Difference | null = null;
  count = 0;
  visibleCount = 0;

  constructor(
    private readonly maxListed: number,
    private readonly reported: (d: Difference) => Difference = (d) => d,
  ) {}

  readonly add = (d: Difference): void => {
    const r = this.reported(d);
    this.count++;
    if (!this.firstAny) this.firstAny = d;
    if (isGuestVisible(d)) {
      this.visibleCount++;
      if (!this.first) this.first = d;
    }
    this.groups.add(r);
    if (this.differences.length < this.maxListed) this.differences.push(r);
  };
}
