// Compact goldens (format 2, a deflate-compressed body in base64 lines): a round trip gives the
// plain body back byte for byte, the same body compresses to the same bytes every time, a
// check of a compact golden matches or drifts exactly as the plain golden does (its drift report
// names the same first difference), and a damaged compact body is bad input (exit 2).

import * as fs from 'fs';
import * as path from 'path';
import { blessGoldens, checkGoldens, renderReport } from '.';
import { CheckOptions } from './run';
import { EventKind, Frame, TraceEvent } from '../trace/events';
import { blessConfig, checkConfig, fake, FakeBehaviour, tempProject, writeTraceAt } from './testing/project';
import { CheckedBody, openGolden } from './store';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A few thousand events, so the body spans many compressed lines and the drift many blocks. */
function events(): TraceEvent[] {
  const ev: TraceEvent[] = [];
  let c = 10n;
  for (let i = 0; i < 1500; i++) {
    ev.push({ kind: EventKind.MmioWrite, cycle: (c += 7n), cpu: i % 2, frame: Frame.Dist, index: 0, offset: 0, size: 4, value: BigInt(i & 0x53) });
    ev.push({ kind: EventKind.MmioRead, cycle: (c += 5n), cpu: i % 2, frame: Frame.Dist, index: 0, offset: 0, size: 4, observed: null });
    ev.push({ kind: EventKind.MmioRead, cycle: (c += 3n), cpu: 0, frame: Frame.Dist, index: 0, offset: 0x84, size: 4, observed: null });
    if (i % 100 === 0) ev.push({ kind: EventKind.Marker, cycle: (c += 1n), cpu: 0, text: `step ${i} ✓` });
  }
  return ev;
}

async function project(compactAbove?: number): Promise<string> {
  const root = tempProject();
  roots.push(root);
  writeTraceAt(root, 'long.gtr', events());
  const r = await blessGoldens({ root, cwd: root, config: blessConfig(), replay: fake(), reason: 'compact test', policies: ['rev3'], hooks: compactAbove === undefined ? {} : { compactAbove } });
  expect(r.outcomes.map((x) => x.action)).toEqual(['create']);
  return root;
}

const goldenOf = (root: string) => path.join(root, 'golden', 'long', 'rev3.golden');
const check = (root: string, b: FakeBehaviour = {}, o: Partial<CheckOptions> = {}) => checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake(b), policies: ['rev3'], ...o });

function bodyLines(file: string): string[] {
  const g = openGolden(file)!;
  const body = new CheckedBody(g, file);
  const out: string[] = [];
  for (let l = body.next(); l !== null; l = body.next()) out.push(l);
  g.reader.close();
  return out;
}

describe('compact goldens', () => {
  let plain: string;
  let compact: string;
  beforeAll(async () => {
    plain = await project();
    compact = await project(1);
  });

  test('a large body is written compact, a small one plain; both describe the same body', () => {
    const p = fs.readFileSync(goldenOf(plain), 'utf8');
    const c = fs.readFileSync(goldenOf(compact), 'utf8');
    expect(p.split('\n')[0]).toBe('# gicreplay golden 1');
    expect(p).not.toContain('body-encoding');
    expect(c.split('\n')[0]).toBe('# gicreplay golden 2');
    expect(c).toContain('# body-encoding: deflate-base64\n');
    expect(c).toContain('`gicreplay check` compares it record by record');
    const key = (t: string, k: string) => new RegExp(`^# ${k}: (.*)$`, 'm').exec(t)![1];
    expect(key(c, 'body-sha256')).toBe(key(p, 'body-sha256'));
    expect(key(c, 'body-lines')).toBe(key(p, 'body-lines'));
    const stored = c.slice(c.indexOf('\n---\n') + 5).split('\n');
    expect(stored.pop()).toBe('');
    expect(stored.slice(0, -1).every((l) => /^[A-Za-z0-9+/]{76}$/.test(l))).toBe(true);
    expect(c.length).toBeLessThan(p.length / 3);
  });

  test('round trip: the compact body reads back as the plain body, line for line', () => {
    const a = bodyLines(goldenOf(plain));
    expect(a.length).toBeGreaterThan(3000);
    expect(bodyLines(goldenOf(compact))).toEqual(a);
  });

  test('the same body compresses to the same bytes (a second bless from scratch)', async () => {
    const again = await project(1);
    expect(fs.readFileSync(goldenOf(again)).equals(fs.readFileSync(goldenOf(compact)))).toBe(true);
  });

  test('a check of the compact golden matches; a drift report names the same first difference as the plain golden', async () => {
    expect((await check(compact)).verdict.exit).toBe(0);
    const dp = (await check(plain, { ctlrClear: 0x40n })).results[0];
    const dc = (await check(compact, { ctlrClear: 0x40n })).results[0];
    expect(dp.status).toBe('drift');
    expect(dc.status).toBe('drift');
    expect(dc.drift!.first).toEqual(dp.drift!.first);
    expect(dc.drift!.first).toMatchObject({ kind: 'changed', op: 'read', reg: 'GICD_CTLR' });
    expect({ total: dc.drift!.total, shown: dc.drift!.shown, groups: dc.drift!.groups }).toEqual({ total: dp.drift!.total, shown: dp.drift!.shown, groups: dp.drift!.groups });
    // The diff lines are the plain body's; only hunk positions count the longer header.
    const noHunks = (u: string[]) => u.filter((l) => !l.startsWith('@@'));
    expect(noHunks(dc.drift!.unified)).toEqual(noHunks(dp.drift!.unified));
    const text = renderReport(await check(compact, { ctlrClear: 0x40n })).join('\n');
    expect(text).toContain(`first difference: event ${dp.drift!.first.index}, `);
  });

  test('a damaged compact body is bad input (exit 2), never a match', async () => {
    const root = await project(1);
    const file = goldenOf(root);
    const t = fs.readFileSync(file, 'utf8');
    const at = t.indexOf('\n---\n') + 5 + 80;
    const flipped = t.slice(0, at) + (t[at] === 'A' ? 'B' : 'A') + t.slice(at + 1);
    fs.writeFileSync(file, flipped);
    const r = await check(root);
    expect(r.verdict.exit).toBe(2);
    expect(r.results[0].message).toMatch(/damaged|edited by hand/);
    // Cut after a few stored lines: truncated.
    fs.writeFileSync(file, t.slice(0, t.indexOf('\n---\n') + 5 + 77 * 3));
    const cut = await check(root);
    expect(cut.verdict.exit).toBe(2);
    expect(cut.results[0].message).toMatch(/damaged|truncated/);
  });
});
