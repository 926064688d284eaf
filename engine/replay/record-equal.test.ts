// sameRecord decides whether a shared-body pair may skip rendering: a false "equal" would let a
// drift through. Each test replays real suite traces and mutates single fields.

import * as path from 'path';
import { getPolicy } from '../policy/policy';
import { renderRecord, fieldFormatterFor } from '../golden/render';
import { readTrace } from '../trace/reader';
import { ReplayRecord } from './records';
import { OUTPUT_FIELDS, READ_FIELDS, sameRecord, WRITE_FIELDS } from './record-equal';
import { replayEvents } from './replay';

const TRACES = path.join(__dirname, '..', '..', 'traces');

function replay(trace: string, policy: string): { recs: ReplayRecord[]; render: (r: ReplayRecord) => string } {
  const t = readTrace(path.join(TRACES, trace));
  const recs: ReplayRecord[] = [];
  replayEvents(t.header, t.events, { policy: getPolicy(policy) }, (r) => recs.push(r));
  const fields = fieldFormatterFor(t.header.gic);
  return { recs, render: (r) => renderRecord(r, fields) };
}

describe('sameRecord', () => {
  test('two replays of a trace give equal records, one by one; different records render differently (lnx-v3, its-msi-v3)', () => {
    for (const trace of ['guests/lnx-v3.gtr', 'guests/its-msi-v3.gtr']) {
      const a = replay(trace, 'rev3');
      const b = replay(trace, 'rev3');
      expect(b.recs.length).toBe(a.recs.length);
      expect(a.recs.every((r, i) => sameRecord(r, b.recs[i]))).toBe(true);
      // Neighbours differ (their index or cycle at least): each such pair renders differently.
      for (let i = 1; i < a.recs.length; i++) {
        if (!sameRecord(a.recs[i], a.recs[i - 1])) expect(a.render(a.recs[i])).not.toBe(a.render(a.recs[i - 1]));
      }
      expect(new Set(a.recs.map((r) => r.op)).size).toBeGreaterThan(2);
    }
  });

  test('policies that change a read give unequal records exactly where the golden lines differ (igroupr-rw-v3, rev3 vs rev1)', () => {
    const a = replay('guests/igroupr-rw-v3.gtr', 'rev3');
    const b = replay('guests/igroupr-rw-v3.gtr', 'rev1');
    const n = Math.min(a.recs.length, b.recs.length);
    let unequal = 0;
    for (let i = 0; i < n; i++) {
      const same = sameRecord(a.recs[i], b.recs[i]);
      expect(same).toBe(a.render(a.recs[i]) === b.render(b.recs[i]));
      if (!same) unequal++;
    }
    expect(unequal).toBeGreaterThan(0);
  });

  test('a change of any one field makes a record unequal: reads, write effects, output changes, ITS side records', () => {
    const recs = [...replay('guests/lnx-v3.gtr', 'rev3').recs, ...replay('guests/its-msi-v3.gtr', 'rev3').recs];
    const seen = new Set<string>();
    for (const r of recs) {
      if (seen.has(r.op)) continue;
      seen.add(r.op);
      const listed: readonly string[] = r.op === 'read' ? READ_FIELDS : r.op === 'write' ? WRITE_FIELDS : r.op === 'irq' || r.op === 'fiq' ? OUTPUT_FIELDS : [];
      for (const k of new Set([...Object.keys(r), ...listed])) {
        const v = (r as unknown as Record<string, unknown>)[k];
        const changed = v === undefined ? 1 : typeof v === 'bigint' ? v + 1n : typeof v === 'number' ? v + 1 : typeof v === 'string' ? `${v}x` : v instanceof Uint8Array ? Uint8Array.from(v, (x, i) => (i === 0 ? x ^ 1 : x)) : v === null ? 0 : typeof v === 'boolean' ? !v : undefined;
        if (changed === undefined || (v instanceof Uint8Array && v.length === 0)) continue;
        expect([r.op, k, sameRecord(r, { ...r, [k]: changed } as ReplayRecord)]).toEqual([r.op, k, false]);
      }
      // A field present on one side only (the listed optional ones above; here one the structural compare must see).
      if (!listed.length) expect(sameRecord(r, { ...r, extra: 1 } as unknown as ReplayRecord)).toBe(false);
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining(['irq', 'its-cmd', 'read', 'write']));
  });
});
