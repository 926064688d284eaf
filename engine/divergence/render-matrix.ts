// Rendering of the policy matrix: an aligned terminal table grouped by guest kind (default), the
// generated Markdown report answering "which guests see any difference between rev1,
// rev1-iidr-only and rev3, and where" (--markdown), and JSON (--json).

import Table from 'cli-table3';
import { intidLabel } from '../arch/intids';
import { hex } from '../util/hex';
import { PLAIN, Style } from '../util/style';
import { UNTAGGED } from '../util/trace-tags';
import { ClassPair, GroupSummary, matrixPolicies, pairOf, summarizeBy } from './groups';
import { Difference } from './pairwise';
import { TraceMatrix } from './matrix';

function firstText(d: Difference | null): string {
  if (!d) return '';
  if (d.kind === 'read') {
    const ints = d.intids && d.intids.length ? ` ${intidLabel(d.intids)}` : '';
    return `event ${d.index}: ${d.reg}${ints} ${hex(d.a)} vs ${hex(d.b)}`;
  }
  if (d.kind === 'write') return `event ${d.index}: ${d.reg} write effect differs`;
  return `event ${d.index}: cpu${d.cpu} ${d.line.toUpperCase()} output differs`;
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');
const guestOf = (m: TraceMatrix) => m.guest ?? UNTAGGED;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const className = (c: readonly string[]) => c.join(' ≡ ');

/** "rev1 ≡ rev1-iidr-only vs rev3 ≡ mainline-rev3: GICD_IIDR, GICR_CTLR (13 of 13 traces)". */
function classPairText(p: ClassPair, of: number): string {
  const where = of > 1 ? ` (${p.traces === of ? (of === 2 ? 'both' : `all ${of}`) : `${p.traces} of ${of}`} traces)` : '';
  return `${className(p.a)} vs ${className(p.b)}: ${p.subjects.join(', ')}${where}`;
}

/** "cpu0 FIQ, cpu0 IRQ, cpu1 IRQ" as "cpu0 FIQ/IRQ, cpu1 IRQ": a table cell stays short. */
function compactSubjects(subjects: readonly string[]): string[] {
  const lines = new Map<string, string[]>();
  const out: string[] = [];
  for (const s of subjects) {
    const m = /^(cpu\d+) (IRQ|FIQ)$/.exec(s);
    if (!m) out.push(s);
    else {
      if (!lines.has(m[1])) lines.set(m[1], []);
      lines.get(m[1])!.push(m[2]);
    }
  }
  for (const [cpu, ls] of lines) out.push(`${cpu} ${ls.join('/')}`);
  return out;
}

/** The per-group answer, one entry per group: its classes, then what separates each two. */
export function renderGroups(gs: readonly GroupSummary[], st: Style = PLAIN, indent = '  '): string[] {
  const out: string[] = [];
  for (const g of gs) {
    const alike = g.classes.length === 1 ? ` ${st.good('no policy can be told apart')}` : '';
    out.push(`${indent}${st.strong(g.key)} (${plural(g.traces.length, 'trace')}): ${g.classes.map(className).join(' · ')}${alike}`);
    for (const p of g.pairs) out.push(`${indent}  ${classPairText(p, g.traces.length)}`);
  }
  return out;
}

export interface MatrixTerminalOptions {
  style?: Style;
  /** Terminal width (80 when not a terminal). */
  columns?: number;
  /** Also list the policy switches each trace never exercises. */
  verbose?: boolean;
}

/**
 * The default view: an aligned table (cli-table3), one row per trace grouped by guest kind, each
 * row naming the classes of policies its guest cannot tell apart and what separates the classes
 * (named "first policy ≡ …"); then the answer per guest kind and per source.
 */
export function renderMatrixTerminal(ms: readonly TraceMatrix[], o: MatrixTerminalOptions = {}): string[] {
  const st = o.style ?? PLAIN;
  const width = Math.max(64, o.columns ?? 80);
  const policies = matrixPolicies(ms);
  // Widths include cli-table3's one-space padding each side; "rev1-iidr-only" fits a class column.
  const traceW = Math.max(7, ...ms.map((m) => m.trace.length)) + 2;
  const eventsW = Math.max(8, ...ms.map((m) => String(m.events).length + 2));
  const MIN_CLASSES = 16;
  const MIN_DIFF = 16;
  // Wide: trace, GIC, events, classes, differences in one row. Narrow (a pipe's 80 columns): the
  // trace with its GIC and events on a row of its own above its classes and differences.
  const wide = width - traceW - 5 - eventsW - 6 >= MIN_CLASSES + MIN_DIFF; // 6 = the borders of five columns
  const rest = wide ? width - traceW - 5 - eventsW - 6 : width - 3;
  const classesW = Math.max(MIN_CLASSES, Math.floor(rest * 0.4));
  const diffW = Math.max(MIN_DIFF, rest - classesW);
  const span = wide ? 5 : 2;
  const diffHead = o.verbose ? 'what differs between them (count)' : 'the others differ in';
  const t = new Table({
    head: (wide ? ['trace', 'GIC', 'events', 'policies alike', diffHead] : ['policies alike', diffHead]).map((h) => st.strong(h)),
    colWidths: wide ? [traceW, 5, eventsW, classesW, diffW] : [classesW, diffW],
    colAligns: wide ? ['left', 'left', 'right', 'left', 'left'] : ['left', 'left'],
    wordWrap: true,
    // Colour is decided once by the caller's Style, never by cli-table3's own terminal detection.
    style: { head: [], border: [] },
  });
  const byGuest = summarizeBy(ms, guestOf, policies);
  for (const g of byGuest) {
    t.push([{ colSpan: span, content: st.strong(`${g.key} (${plural(g.traces.length, 'trace')})`) }]);
    for (const m of ms.filter((x) => guestOf(x) === g.key)) {
      const classes = m.classes.length === 1 && m.classes[0].length > 1 ? [st.good('all alike')] : m.classes.map(className);
      const diffs: string[] = [];
      if (o.verbose) {
        for (let i = 0; i < m.classes.length; i++) {
          for (let j = i + 1; j < m.classes.length; j++) {
            const p = pairOf(m, m.classes[i][0], m.classes[j][0]);
            if (p && p.differences > 0) diffs.push(`${m.classes[i][0]} vs ${m.classes[j][0]}: ${p.subjects.join(', ')} (${p.differences})`);
          }
        }
        for (const p of m.pairs) if (p.differences === 0) diffs.push(st.dim(`${p.a} vs ${p.b}: ${plural(p.sideEffects, 'write')} kept by one, dropped by the other; never read back`));
      } else {
        // What any two classes differ in, once: the per-pair detail is --verbose, `gicreplay diff` and the per-kind answer below.
        const subjects = [...new Set(m.pairs.filter((p) => p.differences > 0).flatMap((p) => p.subjects))].sort();
        if (subjects.length) diffs.push(compactSubjects(subjects).join(', '));
        const side = m.pairs.filter((p) => p.differences === 0);
        if (side.length) diffs.push(st.dim(`(${side.map((p) => `${p.a}/${p.b}`).join(', ')}: writes differ, none read back)`));
      }
      if (wide) t.push([m.trace, `v${m.gic}`, String(m.events), classes.join('\n'), diffs.join('\n') || '—']);
      else t.push([{ colSpan: 2, content: `${m.trace}  ${st.dim(`GICv${m.gic}, ${plural(m.events, 'event')}`)}` }], [classes.join('\n'), diffs.join('\n') || '—']);
    }
  }
  const out = t.toString().split('\n');
  out.push('');
  out.push('By guest kind (traces/TAGS.json): policies no trace of the kind tells apart (≡), and what differs:');
  out.push(...renderGroups(byGuest, st));
  out.push('');
  out.push('By source (the trace header\'s provenance):');
  out.push(...renderGroups(summarizeBy(ms, (m) => m.source, policies), st));
  const blind = ms.filter((m) => m.coverage.some((c) => c.events === 0));
  if (blind.length) {
    out.push('');
    if (o.verbose) {
      out.push('Policy switches a trace never exercises (it cannot tell policies apart there):');
      for (const m of blind) out.push(`  ${m.trace}: ${m.coverage.filter((c) => c.events === 0).map((c) => c.switch).join(', ')}`);
    } else {
      const who = blind.length === ms.length ? (ms.length === 1 ? 'The trace never exercises' : `Each of the ${ms.length} traces leaves`) : `${plural(blind.length, 'trace')} of ${ms.length} leave`;
      out.push(`${who}${blind.length === ms.length && ms.length === 1 ? '' : ' unexercised'} some policy switch (it cannot tell policies apart there); \`gicreplay matrix --verbose\` names them`);
    }
  }
  return out;
}

/** The full matrix as a Markdown table (the last section of the --markdown report). */
export function renderMatrixTable(ms: readonly TraceMatrix[]): string {
  const out: string[] = [];
  out.push('| trace | guest | GIC | events | indistinguishable policies | differing pairs (count, first divergence) | never exercised |');
  out.push('|---|---|---|---|---|---|---|');
  for (const m of ms) {
    const classes = m.classes.map((c) => `{${c.join(', ')}}`).join(' ');
    const pairs =
      m.pairs
        .map((p) => (p.differences > 0 ? `${p.a}/${p.b}: ${p.differences} (${firstText(p.first)})` : `${p.a}/${p.b}: side effects only (${p.sideEffects} writes treated differently)`))
        .join('<br>') || '—';
    const blind = m.coverage.filter((c) => c.events === 0).map((c) => c.switch).join(', ') || '—';
    out.push(`| ${mdEscape(m.trace)} | ${mdEscape(guestOf(m))} | v${m.gic} | ${m.events} | ${mdEscape(classes)} | ${mdEscape(pairs)} | ${mdEscape(blind)} |`);
  }
  return out.join('\n') + '\n';
}

const THREAD_POLICIES = ['rev1', 'rev1-iidr-only', 'rev3'];
/** Registers that carry the revision itself rather than behaviour that depends on it. */
const IDENTITY = new Set(['GICD_IIDR', 'GICR_CTLR']);

function line(m: TraceMatrix, extra: string): string {
  const guest = guestOf(m) === UNTAGGED ? '' : `${guestOf(m)}, `;
  return `- \`${m.trace}\` (GICv${m.gic}, ${guest}${m.source}, ${m.events} events)${extra}`;
}

function markdownGroups(gs: readonly GroupSummary[]): string[] {
  const out: string[] = [];
  for (const g of gs) {
    out.push(`- **${g.key}** (${plural(g.traces.length, 'trace')}): ${g.classes.map((c) => c.map((p) => `\`${p}\``).join(' ≡ ')).join('; ')}${g.classes.length === 1 ? ' — no policy can be told apart' : ''}`);
    for (const p of g.pairs) out.push(`  - ${classPairText(p, g.traces.length)}`);
  }
  return out;
}

/** The report for the May 2026 question: does any guest see rev1, rev1-iidr-only and rev3 differently, and where? */
export function renderMatrixReport(ms: readonly TraceMatrix[]): string {
  const out: string[] = [];
  out.push('# Which guests see a difference between rev1, rev1-iidr-only and rev3?');
  out.push('');
  out.push('Generated by `gicreplay matrix --markdown` over every trace in `traces/`. Each trace is replayed under');
  out.push('every policy; two policies are *indistinguishable* on a trace when every value the guest read and every');
  out.push('change of its IRQ/FIQ outputs is identical. A write one policy drops and the other keeps is a *side');
  out.push('effect*: the guest cannot see it unless it reads the register back. Traces are replays of recorded');
  out.push('guests: after the first divergence, a live guest may have done something else.');
  out.push('');

  out.push('## The two readings of revision 1: `rev1` (groups frozen) vs `rev1-iidr-only` (only IIDR changes)');
  out.push('');
  const r1 = ms.map((m) => ({ m, p: pairOf(m, 'rev1', 'rev1-iidr-only') }));
  const r1Visible = r1.filter((x) => x.p && x.p.differences > 0);
  const r1Side = r1.filter((x) => x.p && x.p.differences === 0 && x.p.sideEffects > 0);
  const r1Blind = r1.filter((x) => !x.p && (x.m.coverage.find((c) => c.switch === 'guestGroupWrites')?.events ?? 0) === 0);
  out.push(`${r1Visible.length} of ${ms.length} traces see a difference; ${r1Side.length} write IGROUPR but only values nothing reads back differently (side effects only); ${r1Blind.length} never write IGROUPR at all.`);
  out.push('');
  if (r1Visible.length) {
    out.push('Traces that see a difference, and what differs:');
    for (const { m, p } of r1Visible) out.push(line(m, `: ${p!.differences} differences in ${p!.subjects.join(', ')}; first at ${firstText(p!.first)}`));
    out.push('');
  }
  if (r1Side.length) {
    out.push('Traces whose IGROUPR writes rev1 drops, with no visible effect:');
    for (const { m, p } of r1Side) out.push(line(m, `: ${p!.sideEffects} writes dropped`));
    out.push('');
  }

  out.push('## Revision 1 vs today\'s default: `rev1-iidr-only` vs `rev3`');
  out.push('');
  const rv = ms.map((m) => ({ m, p: pairOf(m, 'rev1-iidr-only', 'rev3') }));
  const identityOnly = rv.filter((x) => x.p && x.p.differences > 0 && x.p.subjects.every((s) => IDENTITY.has(s)));
  const behaviour = rv.filter((x) => x.p && x.p.differences > 0 && !x.p.subjects.every((s) => IDENTITY.has(s)));
  const none = rv.filter((x) => !x.p || x.p.differences === 0);
  out.push(`${identityOnly.length} traces differ only in the registers that report the revision (GICD_IIDR, GICR_CTLR.{IR,CES}); ${behaviour.length} differ in more; ${none.length} see no difference.`);
  out.push('');
  for (const { m, p } of behaviour) out.push(line(m, `: ${p!.differences} differences in ${p!.subjects.join(', ')}; first at ${firstText(p!.first)}`));
  if (behaviour.length) out.push('');

  out.push('## `rev1` vs `rev3`');
  out.push('');
  for (const m of ms) {
    const p = pairOf(m, 'rev1', 'rev3');
    if (p && p.differences > 0 && !p.subjects.every((s) => IDENTITY.has(s))) out.push(line(m, `: ${p.differences} differences in ${p.subjects.join(', ')}`));
  }
  out.push('');
  out.push('Every other trace differs between `rev1` and `rev3` at most in GICD_IIDR and GICR_CTLR.');
  out.push('');

  out.push('## A guest on the backend\'s kernels against mainline: `linux-6.1` and `linux-6.12` vs `mainline-rev3`');
  out.push('');
  out.push('Same revision rules; what differs is behaviour kernels changed without an IIDR change (the policies\' `kernel` block).');
  out.push('');
  for (const k of ['linux-6.1', 'linux-6.12']) {
    const seen = ms.map((m) => ({ m, p: pairOf(m, k, 'mainline-rev3') })).filter((x) => x.p && (x.p.differences > 0 || x.p.sideEffects > 0));
    if (!ms.some((m) => m.classes.some((c) => c.includes(k)))) continue;
    out.push(`\`${k}\`: ${seen.length} of ${ms.length} traces see a difference${seen.length ? ':' : '.'}`);
    for (const { m, p } of seen) out.push(line(m, p!.differences ? `: ${p!.differences} differences in ${p!.subjects.join(', ')}; first at ${firstText(p!.first)}` : `: side effects only (${p!.sideEffects} writes treated differently)`));
    out.push('');
  }
  const policies = matrixPolicies(ms);
  out.push('## By guest kind');
  out.push('');
  out.push('Guest kinds are the tags in `traces/TAGS.json`. Policies joined by ≡ are ones no trace of the kind can tell');
  out.push('apart; below each kind, what separates the others over all its traces.');
  out.push('');
  out.push(...markdownGroups(summarizeBy(ms, guestOf, policies)));
  out.push('');
  out.push('## By source');
  out.push('');
  out.push(...markdownGroups(summarizeBy(ms, (m) => m.source, policies)));
  out.push('');

  const witnesses = ms.filter((m) => m.witness);
  if (witnesses.length) {
    out.push('## Minimal witnesses');
    out.push('');
    out.push('Regression traces made by `gicreplay minimize` (traces/witnesses/README.md): the smallest trace that still shows one');
    out.push('difference, each with goldens under every policy; `gicreplay export WITNESS --policy P --format c` makes it a C program');
    out.push('that checks the same answers on real KVM.');
    out.push('');
    for (const m of witnesses) out.push(line(m, `: ${m.witness!.difference.replace(/ \(original event (\d+)\)$/, '')} — from ${m.witness!.from.replace(/ \(trace digest [0-9a-f]+\)$/, '')}`));
    out.push('');
  }

  out.push('## Blind spots');
  out.push('');
  out.push('Policy switches a trace never exercises (it cannot tell policies apart there):');
  out.push('');
  for (const m of ms) {
    const blind = m.coverage.filter((c) => c.events === 0).map((c) => c.switch);
    if (blind.length) out.push(line(m, `: ${blind.join(', ')}`));
  }
  out.push('');
  out.push('## Full matrix');
  out.push('');
  out.push(renderMatrixTable(ms));
  return out.join('\n');
}

void THREAD_POLICIES;

/** `{traces, byGuest, bySource}`: every trace's matrix, and the per-group answers. */
export function matrixToJson(ms: readonly TraceMatrix[]): string {
  const policies = matrixPolicies(ms);
  const traces = ms.map((m) => ({ ...m, guest: guestOf(m) }));
  return JSON.stringify({ traces, byGuest: summarizeBy(ms, guestOf, policies), bySource: summarizeBy(ms, (m) => m.source, policies) }, (_k, v) => (typeof v === 'bigint' ? hex(v) : v));
}
