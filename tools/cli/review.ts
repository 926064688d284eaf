// The interactive part of `gicreplay review` (cargo-insta's review, kept in the CLI as insta keeps
// it in cargo-insta): walk the pending goldens one item at a time — the pending goldens of one
// trace with the same new output are one item — show what each changes, ask accept / reject /
// skip. Decisions only; applying them is the command's job (engine acceptPending/removePending).
// Input and output are injected, so tests drive a session without a terminal.

import { canonicalJson, PendingChange, PendingGolden, renderDrift, Style, styleDiffLine } from '../../engine';

export type Decision = 'accept' | 'reject' | 'skip';

export interface ReviewItem {
  trace: string;
  /** The pending goldens of this trace with this exact new output, in suite order. */
  pending: PendingGolden[];
  change: PendingChange;
}

export interface ReviewIo {
  /** Show lines. */
  write(lines: readonly string[]): void;
  /** Ask for one of `keys`; resolves to the key, or null when the user stopped (Ctrl-C, end of input). */
  key(prompt: string, keys: readonly string[]): Promise<string | null>;
}

/** What makes two pending goldens one item: the same trace and the same change (difference for difference, or the same new body). */
function itemKey(p: PendingGolden, c: PendingChange): string {
  if (c.kind !== 'drift') return `${p.trace}\u0000${c.kind}\u0000${p.header.bodySha256}`;
  const d = c.drift!;
  const strip = <T extends { id: string }>(x: T) => ({ ...x, id: '' });
  return `${p.trace}\u0000drift\u0000${canonicalJson({ first: strip(d.first), total: d.total, groups: d.groups.map(strip), shown: d.shown.map(strip) })}`;
}

/** Group pending goldens: policies whose new output changes a trace's golden identically are reviewed once. */
export function reviewItems(pending: readonly PendingGolden[], change: (p: PendingGolden) => PendingChange): ReviewItem[] {
  const items: ReviewItem[] = [];
  const by = new Map<string, ReviewItem>();
  for (const p of pending) {
    const c = change(p);
    const k = itemKey(p, c);
    const it = by.get(k);
    if (it) it.pending.push(p);
    else {
      const n = { trace: p.trace, pending: [p], change: c };
      by.set(k, n);
      items.push(n);
    }
  }
  return items;
}

export function renderItem(it: ReviewItem, n: number, of: number, st: Style, full: boolean): string[] {
  const policies = it.pending.map((p) => p.policy).join(', ');
  const word = it.change.kind === 'new' ? st.warn('NEW') : it.change.kind === 'drift' ? st.bad('DRIFT') : st.warn('RESTAMP');
  const same = it.pending.length > 1 ? ` (the same change under ${it.pending.length === 2 ? 'both' : `all ${it.pending.length}`}; accepting accepts each one's own new output)` : '';
  const out = [`${st.dim(`[${n}/${of}]`)} ${word} traces/${it.trace} under ${policies}${same}`];
  const c = it.change;
  if (c.kind === 'new') {
    out.push(`  a new golden of ${c.lines} line${c.lines === 1 ? '' : 's'}${c.preview!.length < c.lines ? `, the first ${c.preview!.length}:` : ':'}`);
    for (const l of c.preview!) out.push(`  ${styleDiffLine(`+${l}`, st)}`);
  } else if (c.kind === 'drift') {
    out.push(...renderDrift(c.drift!, '  ', full ? { style: st } : { style: st, maxDiffLines: 40, maxGroups: 12 }));
  } else {
    out.push('  the same output as the golden; accepting restamps it (its trace, policy or model version changed)');
  }
  return out;
}

const HELP = 'a accept · r reject · s skip · d whole diff · q stop here';

/** Walk the items; returns a decision per item (items after a stop are skipped). */
export async function reviewSession(items: readonly ReviewItem[], io: ReviewIo, st: Style): Promise<{ decisions: Decision[]; stopped: boolean }> {
  const decisions: Decision[] = items.map(() => 'skip');
  for (let i = 0; i < items.length; i++) {
    io.write(['', ...renderItem(items[i], i + 1, items.length, st, false)]);
    for (;;) {
      const k = await io.key(`${HELP} › `, ['a', 'r', 's', 'd', 'q']);
      if (k === null || k === 'q') return { decisions, stopped: true };
      if (k === 'd') {
        io.write(renderItem(items[i], i + 1, items.length, st, true));
        continue;
      }
      decisions[i] = k === 'a' ? 'accept' : k === 'r' ? 'reject' : 'skip';
      break;
    }
  }
  return { decisions, stopped: false };
}
