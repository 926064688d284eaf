// Streaming, semantic comparison of a replay's body lines with a golden's body lines.
// Both sides are cut into blocks by event index (timer/reset records join the block before
// them), blocks are merge-joined by index, and only differing blocks are diffed (package
// `diff`), so an inserted record does not shift every later line into a false difference.
// Memory is bounded: one block per side, a few context lines, and capped report lists.
// Rendering of the result lives in report.ts; this module only builds result objects.

import { diffArrays } from 'diff';
import { differingIntids, formatIntidRanges, registerIntids } from '../arch/intids';
import { DiffGroup, Difference, DifferenceKind, DriftReport, FieldChange } from './results';
import { FieldFormatter, lineIndex, parseLine, ParsedLine } from './render';

export interface LineSource {
  next(): string | null;
}

export interface CompareOptions {
  pairId: string;
  fields: FieldFormatter;
  /** True when the trace's source could not observe the register of this (read) line. */
  unobservable?: (p: ParsedLine) => boolean;
  /** File line number of the first body line (header lines + 1), for unified-diff hunk headers. */
  firstBodyLine: number;
  goldenName: string;
  newName: string;
  maxShown?: number;
  maxGroups?: number;
  maxUnifiedLines?: number;
  context?: number;
  /** Blocks larger than this are compared position by position instead of diffed. */
  maxBlock?: number;
}

interface Block {
  key: number;
  lines: string[];
}

export class StreamCompare {
  private readonly o: Required<Omit<CompareOptions, 'unobservable'>> & Pick<CompareOptions, 'unobservable'>;
  // new side
  private newBlock: Block | null = null;
  private newKey = -1;
  // old side
  private oldPeek: string | null | undefined = undefined;
  private oldKey = -1;
  private peekKey = -1;
  // line numbers (0-based body positions)
  private oldPos = 0;
  private newPos = 0;
  // report state
  private total = 0;
  private first: Difference | null = null;
  private readonly shown: Difference[] = [];
  private readonly groups = new Map<string, DiffGroup & { intidSet: Set<number> }>();
  private groupsOmitted = 0;
  private lastDiffIndex = Number.NaN;
  /** INTIDs of a difference, for the group's union (kept off the JSON object). */
  private readonly ids = new WeakMap<Difference, number[]>();
  private diffCounter = 0;
  // unified diff state
  private readonly unified: string[] = [];
  private unifiedOmitted = 0;
  private unifiedBudget: number;
  private ring: string[] = [];
  private hunk: { oldStart: number; newStart: number; oldCount: number; newCount: number; lines: string[]; trailing: number } | null = null;

  constructor(private readonly old: LineSource | null, opts: CompareOptions) {
    this.o = { maxShown: 20, maxGroups: 200, maxUnifiedLines: 200, context: 3, maxBlock: 4000, unobservable: undefined, ...opts };
    this.unifiedBudget = this.o.maxUnifiedLines;
  }

  /** Feed the next new line; `index` is its record's event index (-1 for timer/reset records). */
  push(line: string, index: number): void {
    const key = index >= 0 ? index : this.newKey;
    this.newKey = key;
    if (this.newBlock && this.newBlock.key !== key) {
      this.flushNew(this.newBlock);
      this.newBlock = null;
    }
    if (!this.newBlock && this.peek() === line) {
      // In step with the golden (the common case): consume both sides without building blocks.
      this.oldKey = this.peekKey;
      this.oldPeek = undefined;
      this.equalLine(line);
      return;
    }
    if (!this.newBlock) this.newBlock = { key, lines: [] };
    this.newBlock.lines.push(line);
  }

  /** Drain the golden side and return the drift, or null when both sides are identical. */
  finish(): DriftReport | null {
    if (this.newBlock) this.flushNew(this.newBlock);
    this.newBlock = null;
    for (;;) {
      const b = this.takeOldBlock(Number.POSITIVE_INFINITY);
      if (!b) break;
      this.compareBlock(b.lines, []);
    }
    this.closeHunk();
    if (!this.first) return null;
    const groups = [...this.groups.values()]
      .sort((a, b) => a.firstIndex - b.firstIndex || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(({ intidSet, ...g }) => (intidSet.size ? { ...g, intids: formatIntidRanges([...intidSet]) } : g));
    const unified = this.unified.length ? [`--- ${this.o.goldenName}`, `+++ ${this.o.newName}`, ...this.unified] : [];
    return { first: this.first, total: this.total, shown: this.shown, groups, groupsOmitted: this.groupsOmitted, unified, unifiedOmitted: this.unifiedOmitted };
  }

  private peek(): string | null {
    if (this.oldPeek === undefined) {
      this.oldPeek = this.old ? this.old.next() : null;
      if (this.oldPeek !== null) {
        const i = lineIndex(this.oldPeek);
        this.peekKey = i >= 0 ? i : this.oldKey;
      }
    }
    return this.oldPeek;
  }

  /** The next old block whose key is <= limit, or null. */
  private takeOldBlock(limit: number): Block | null {
    const l = this.peek();
    if (l === null || this.peekKey > limit) return null;
    const key = this.peekKey;
    const lines: string[] = [];
    for (;;) {
      const x = this.peek();
      if (x === null || this.peekKey !== key) break;
      lines.push(x);
      this.oldKey = key;
      this.oldPeek = undefined;
    }
    return { key, lines };
  }

  private flushNew(nb: Block): void {
    for (;;) {
      const ob = this.takeOldBlock(nb.key);
      if (!ob) {
        this.compareBlock([], nb.lines);
        return;
      }
      if (ob.key < nb.key) {
        this.compareBlock(ob.lines, []);
        continue;
      }
      this.compareBlock(ob.lines, nb.lines);
      return;
    }
  }

  private compareBlock(a: string[], b: string[]): void {
    if (a.length === b.length) {
      let same = true;
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        for (const l of a) this.equalLine(l);
        return;
      }
    }
    if (a.length > this.o.maxBlock || b.length > this.o.maxBlock) {
      // Pathological block (a timer storm): position-by-position keeps memory and time bounded.
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        if (i < a.length && i < b.length && a[i] === b[i]) this.equalLine(a[i]);
        else this.changeChunk(i < a.length ? [a[i]] : [], i < b.length ? [b[i]] : []);
      }
      return;
    }
    const parts = diffArrays(a, b);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (!p.added && !p.removed) {
        for (const l of p.value) this.equalLine(l);
        continue;
      }
      let removed: string[] = [];
      let added: string[] = [];
      if (p.removed) {
        removed = p.value;
        if (i + 1 < parts.length && parts[i + 1].added) added = parts[++i].value;
      } else {
        added = p.value;
      }
      this.changeChunk(removed, added);
    }
  }

  private equalLine(l: string): void {
    const h = this.hunk;
    if (h) {
      if (h.trailing < this.o.context) {
        h.lines.push(' ' + l);
        h.oldCount++;
        h.newCount++;
        h.trailing++;
      } else {
        this.closeHunk();
      }
    }
    if (!this.hunk) {
      this.ring.push(l);
      if (this.ring.length > this.o.context) this.ring.shift();
    }
    this.oldPos++;
    this.newPos++;
  }

  private changeChunk(removed: string[], added: string[]): void {
    this.unifiedChange(removed, added);
    const ra = removed.map(parseLine);
    const aa = added.map(parseLine);
    const usedA = new Array<boolean>(aa.length).fill(false);
    let ai = 0;
    const out: Difference[] = [];
    for (const r of ra) {
      let match = -1;
      for (let j = ai; j < aa.length; j++) {
        if (!usedA[j] && aa[j].slot === r.slot) {
          match = j;
          break;
        }
      }
      if (match >= 0) {
        for (let j = ai; j < match; j++) {
          if (usedA[j]) continue;
          usedA[j] = true;
          out.push(this.describe('added', null, aa[j], added[j]));
        }
        usedA[match] = true;
        ai = match + 1;
        out.push(this.describe(r.core === aa[match].core ? 'rendering' : 'changed', r, aa[match], added[match], removed[ra.indexOf(r)]));
      } else {
        out.push(this.describe('removed', r, null, undefined, removed[ra.indexOf(r)]));
      }
    }
    for (let j = 0; j < aa.length; j++) if (!usedA[j]) out.push(this.describe('added', null, aa[j], added[j]));
    for (const d of out) this.record(d);
  }

  private describe(kind: DifferenceKind, o: ParsedLine | null, n: ParsedLine | null, newLine?: string, oldLine?: string): Difference {
    const p = (n ?? o)!;
    const d: Difference = { id: '', kind, index: p.index, cycle: p.cycle, cpu: p.cpu, op: p.op };
    if (p.via) d.via = p.via;
    if (p.reg) d.reg = p.reg;
    if (kind === 'changed' && o && n) {
      if (o.op === 'write') {
        d.old = effectOf(o.core);
        d.new = effectOf(n.core);
      } else {
        d.old = o.value;
        d.new = n.value;
        if (o.value === n.value) {
          // Same value, different annotation (recorded / unmodelled): show the whole line.
          d.old = o.core.slice(o.core.indexOf(' = ') + 3);
          d.new = n.core.slice(n.core.indexOf(' = ') + 3);
        }
      }
      if (o.op === 'read' && o.reg && o.value && n.value && /^0x/.test(o.value) && /^0x/.test(n.value) && o.value !== n.value) {
        const fo = BigInt(o.value);
        const fn = BigInt(n.value);
        const fc = fieldChanges(this.o.fields(o.reg, fo), this.o.fields(o.reg, fn));
        if (fc.length) d.fields = fc;
        const info = registerIntids(o.reg, o.size ?? 4);
        if (info) {
          const ids = differingIntids(info, fo, fn);
          if (ids.length) {
            d.intids = formatIntidRanges(ids);
            this.ids.set(d, ids);
          }
        }
      }
    } else if (kind === 'removed') {
      d.old = o!.value ?? o!.core;
    } else if (kind === 'added') {
      d.new = n!.value ?? n!.core;
    }
    if ((kind === 'added' || kind === 'removed') && p.reg && p.size) {
      // A record only one side has concerns every INTID its register access covers.
      const info = registerIntids(p.reg, p.size);
      if (info) {
        const ids: number[] = [];
        for (let k = 0; k < info.count; k++) ids.push(info.first + k);
        d.intids = formatIntidRanges(ids);
        this.ids.set(d, ids);
      }
    }
    if (oldLine !== undefined) d.oldLine = oldLine;
    if (newLine !== undefined) d.newLine = newLine;
    if (this.o.unobservable && p.op === 'read' && this.o.unobservable(p)) d.unobservable = true;
    return d;
  }

  private record(d: Difference): void {
    if (d.index !== this.lastDiffIndex) {
      this.lastDiffIndex = d.index;
      this.diffCounter = 0;
    }
    d.id = `${this.o.pairId}@${d.index < 0 ? 't' : d.index}:${this.diffCounter++}`;
    this.total++;
    if (!this.first) this.first = d;
    if (this.shown.length < this.o.maxShown) this.shown.push(d);
    const fam = familyOf(d.reg, d.op);
    const gid = `${this.o.pairId}#${d.kind}:${d.op}:${fam}:${d.old ?? ''}:${d.new ?? ''}`;
    let g = this.groups.get(gid);
    if (!g) {
      if (this.groups.size >= this.o.maxGroups) {
        this.groupsOmitted++;
        return;
      }
      g = { id: gid, kind: d.kind, op: d.op, reg: fam, count: 0, firstIndex: d.index, unobservable: false, intidSet: new Set() };
      if (d.old !== undefined) g.old = d.old;
      if (d.new !== undefined) g.new = d.new;
      if (d.fields) g.fields = d.fields;
      this.groups.set(gid, g);
    }
    g.count++;
    if (d.unobservable) g.unobservable = true;
    const ids = this.ids.get(d);
    if (ids) for (const id of ids) g.intidSet.add(id);
  }

  private unifiedChange(removed: string[], added: string[]): void {
    if (!this.hunk) {
      const c = this.ring.length;
      this.hunk = {
        oldStart: this.oldPos - c,
        newStart: this.newPos - c,
        oldCount: c,
        newCount: c,
        lines: this.ring.map((l) => ' ' + l),
        trailing: 0,
      };
      this.ring = [];
    }
    const h = this.hunk;
    h.trailing = 0;
    for (const l of removed) {
      if (this.unifiedBudget > 0) {
        h.lines.push('-' + l);
        this.unifiedBudget--;
      } else this.unifiedOmitted++;
      h.oldCount++;
    }
    for (const l of added) {
      if (this.unifiedBudget > 0) {
        h.lines.push('+' + l);
        this.unifiedBudget--;
      } else this.unifiedOmitted++;
      h.newCount++;
    }
    this.oldPos += removed.length;
    this.newPos += added.length;
  }

  private closeHunk(): void {
    const h = this.hunk;
    if (!h) return;
    this.hunk = null;
    this.ring = [];
    if (!h.lines.some((l) => l[0] === '-' || l[0] === '+')) return;
    const base = this.o.firstBodyLine;
    const range = (start: number, count: number) => (count === 0 ? `${start + base - 1},0` : count === 1 ? `${start + base}` : `${start + base},${count}`);
    this.unified.push(`@@ -${range(h.oldStart, h.oldCount)} +${range(h.newStart, h.newCount)} @@`, ...h.lines);
  }
}

function effectOf(core: string): string {
  const i = core.indexOf(' -> ');
  return i < 0 ? core : core.slice(i + 4);
}

/** GICD_IGROUPR1 -> GICD_IGROUPR (per-interrupt registers group across indices); others stay. */
export function familyOf(reg: string | undefined, op: string): string {
  if (!reg) return op;
  const info = registerIntids(reg, 4);
  if (!info) return reg;
  return `${reg.slice(0, reg.indexOf('_'))}_${info.family}`;
}

/** Field-by-field changes between two "A=1 B=0x3" strings. */
export function fieldChanges(a: string | undefined, b: string | undefined): FieldChange[] {
  if (!a || !b || a === b) return [];
  const pa = parseFields(a);
  const pb = parseFields(b);
  const names: string[] = [];
  for (const k of pa.keys()) names.push(k);
  for (const k of pb.keys()) if (!pa.has(k)) names.push(k);
  const out: FieldChange[] = [];
  for (const n of names) {
    // Registries leave zero-valued fields out of the breakdown.
    const x = pa.get(n) ?? '0';
    const y = pb.get(n) ?? '0';
    if (x !== y) out.push({ field: n, old: x, new: y });
  }
  return out;
}

function parseFields(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const tok of s.split(/\s+/)) {
    if (!tok) continue;
    // Only NAME=value tokens are fields; prose such as "all fields 0" is not.
    const eq = tok.indexOf('=');
    if (eq > 0) m.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  return m;
}
