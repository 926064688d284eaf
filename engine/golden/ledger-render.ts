// `gicreplay ledger`: the bless history as text. Selection by path (a trace, a golden, a folder of
// either) and rendering only; reading is ledger.ts.

import { PLAIN, Style } from '../util/style';
import { LedgerBless, LedgerEntry } from './ledger';

/**
 * Which goldens a project-relative path names: a trace (traces/x.gtr → golden/x/), a folder under
 * traces/ or golden/, or one golden file. Returns a predicate over golden paths.
 */
export function goldenSelector(paths: readonly string[]): (golden: string) => boolean {
  if (!paths.length) return () => true;
  const tests = paths.map((p) => {
    const q = p.replace(/\/+$/, '');
    if (q === 'traces' || q === 'golden' || q === '' || q === '.') return () => true;
    const g = q.startsWith('traces/') ? `golden/${q.slice('traces/'.length).replace(/\.gtr$/, '')}` : q;
    return (golden: string) => golden === g || golden.startsWith(`${g}/`);
  });
  return (golden) => tests.some((t) => t(golden));
}

const short = (d: string | null | undefined) => (d ? d.slice(0, 12) : '∅');

function stampText(b: Pick<LedgerBless, 'at' | 'by' | 'commit'>, st: Style): string {
  if (!b.at && !b.by && !b.commit) return st.dim('(undated)');
  return [b.at ?? '(no date)', b.by ?? '(unknown)', b.commit ? `at ${b.commit.slice(0, 12)}` : '(no commit)'].join('  ');
}

function change(e: LedgerEntry): string {
  if (e.action === 'delete') return `delete ${short(e.oldBody)}`;
  const share = e.sameAs ? ` (same as ${e.sameAs})` : '';
  if (e.action === 'create') return `create → ${short(e.newBody)}${share}`;
  if (e.action === 'restamp') return `restamp ${short(e.newBody)}${share}`;
  return `update ${short(e.oldBody)} → ${short(e.newBody)}${share}`;
}

/** The history of each selected golden, newest first. */
export function renderGoldenHistory(blesses: readonly LedgerBless[], select: (golden: string) => boolean, st: Style = PLAIN): string[] {
  const by = new Map<string, Array<{ b: LedgerBless; e: LedgerEntry }>>();
  for (const b of blesses) for (const e of b.goldens) if (select(e.golden)) by.set(e.golden, [...(by.get(e.golden) ?? []), { b, e }]);
  const out: string[] = [];
  for (const g of [...by.keys()].sort()) {
    out.push(st.strong(g));
    for (const { b, e } of [...by.get(g)!].reverse()) {
      out.push(`  ${stampText(b, st)}  ${change(e)}${e.wide ? ' [--wide]' : ''}`);
      out.push(`      ${JSON.stringify(b.reason)}`);
    }
  }
  return out;
}

/** Every bless touching the selection, newest first, one entry each with its counts. */
export function renderBlessLog(blesses: readonly LedgerBless[], select: (golden: string) => boolean, st: Style = PLAIN): string[] {
  const out: string[] = [];
  for (const b of [...blesses].reverse()) {
    const mine = b.goldens.filter((e) => select(e.golden));
    if (!mine.length) continue;
    const counts = new Map<string, number>();
    for (const e of mine) counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
    const what = [...counts].map(([a, n]) => `${n} ${a === 'create' ? 'created' : a === 'update' ? 'updated' : a === 'restamp' ? 'restamped' : 'deleted'}`).join(', ');
    out.push(`${stampText(b, st)}  ${b.command}: ${JSON.stringify(b.reason)}`);
    const names = mine.slice(0, 3).map((e) => e.golden).join(', ');
    out.push(`    ${what}: ${names}${mine.length > 3 ? `, … ${mine.length - 3} more` : ''}`);
  }
  return out;
}
