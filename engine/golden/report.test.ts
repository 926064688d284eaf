// The check report people read: a clean run is a couple of lines; a one-register model change
// leads with its cause (register, field, old → new, traces × policies) on the first screen, shows
// each distinct drift once, and ends with one command per fix. Real model and real traces for the
// model change; the fake project of testing/project.ts for the fixes.

import * as fs from 'fs';
import * as path from 'path';
import { blessGoldens, checkGoldens, renderReport, summarize } from '.';
import { createModel } from '../gic';
import { ReplayInjection } from './pair';
import { blessConfig, checkConfig, fake, tempProject, writeTraceAt } from './testing/project';
import { makeStyle } from '../util/style';
import { guestKindOf, readTraceTags, UNTAGGED } from '../util/trace-tags';
import { BUILTIN_POLICY_IDS } from '../policy/policy';

const REPO = path.join(__dirname, '..', '..');
jest.setTimeout(120_000);

/** The real model with one change: GICD_TYPER reads one more ITLinesNumber (32 more SPIs). */
const typerPlusOne: ReplayInjection = {
  modelFactory: (gic, policy, deps) => {
    const m = createModel(gic, policy, { deps });
    const read = m.mmioRead.bind(m);
    m.mmioRead = (...a: Parameters<typeof read>) => {
      const r = read(...a);
      return r.reg === 'GICD_TYPER' ? { ...r, value: r.value + 1n } : r;
    };
    return m;
  },
};

describe('the repository suite', () => {
  test('a clean check is two lines: what was checked, and the verdict', async () => {
    const r = await checkGoldens({ root: REPO, cwd: REPO, config: checkConfig() });
    expect(r.verdict.exit).toBe(0);
    const lines = renderReport(r);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines[0]).toMatch(new RegExp(`^checked \\d+ traces × ${BUILTIN_POLICY_IDS.length} policies against golden/`));
    expect(lines[lines.length - 1]).toMatch(/^\d+ \(trace × policy\) pairs: \d+ match$/);
  });

  test('a one-register model change: the first screen names register, field, old → new and the counts', async () => {
    const r = await checkGoldens({ root: REPO, cwd: REPO, config: checkConfig(), replay: typerPlusOne });
    expect(r.verdict.exit).toBe(1);
    const drifting = r.results.filter((x) => x.status === 'drift');
    const traces = new Set(drifting.map((x) => x.trace));
    expect(drifting.length).toBe(traces.size * BUILTIN_POLICY_IDS.length); // every policy sees it
    const lines = renderReport(r);
    const screen = lines.slice(0, 24).join('\n');
    expect(screen).toContain(`GICD_TYPER.ITLinesNumber`);
    expect(screen).toContain(`${traces.size} traces × ${BUILTIN_POLICY_IDS.length} policies`);
    expect(screen).toMatch(/8 → 9 in \d+ traces/);
    // One cause, one entry: no other register is named in the summary.
    expect(summarize(r).causes.map((c) => `${c.reg}.${c.fields.join(',')}`)).toEqual(['GICD_TYPER.ITLinesNumber']);
    // Details once per trace (all policies drift identically), not once per pair.
    expect(lines.filter((l) => l.startsWith('DRIFT ')).length).toBe(traces.size);
    expect(lines.filter((l) => l.startsWith('DRIFT ')).every((l) => l.includes(`under ${BUILTIN_POLICY_IDS.join(', ')}`))).toBe(true);
    // A tenth of the old per-pair report, and the verdict and the one command come last.
    expect(lines.length).toBeLessThan(drifting.length * 4);
    expect(lines.slice(-4)).toEqual([`FAIL ${r.verdict.summary}`, 'To accept the drift above (GICD_TYPER.ITLinesNumber):', '  gicreplay bless --reason "…"', 'Or review each new output first: gicreplay check --pending; gicreplay review']);

    // With the trace tags (traces/TAGS.json), the cause says which guest kinds it hits, counted
    // from the tags, right below it; the report is otherwise the same lines.
    const tags = readTraceTags(path.join(REPO, 'traces'));
    const tagged = renderReport(r, { guestKind: (t) => guestKindOf(tags, t) });
    const kinds = new Map<string, number>();
    for (const t of traces) kinds.set(guestKindOf(tags, t), (kinds.get(guestKindOf(tags, t)) ?? 0) + 1);
    expect(kinds.has(UNTAGGED)).toBe(false);
    expect(kinds.size).toBeGreaterThan(1);
    const at = tagged.findIndex((l) => l.includes('GICD_TYPER.ITLinesNumber'));
    const guestLine = tagged.slice(at + 1).find((l) => l.startsWith('    guests: '))!;
    expect(tagged.indexOf(guestLine)).toBeLessThanOrEqual(at + 2);
    const listed = guestLine.replace('    guests: ', '').split(', ').map((x) => x.match(/^([a-z0-9-]+) \((\d+)( traces?)?\)$/)!);
    expect(listed.map((m) => [m[1], Number(m[2])])).toEqual([...kinds].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
    expect(tagged.filter((l) => l !== guestLine)).toEqual(lines);
  });
});

describe('fixes: one command per fix', () => {
  let root: string;
  beforeEach(() => {
    root = tempProject();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a new trace is one `bless TRACE`, a new policy file one `bless --policy-file F`', async () => {
    writeTraceAt(root, 'a.gtr');
    writeTraceAt(root, 'sub/b.gtr');
    await blessGoldens({ root, cwd: root, config: blessConfig(), replay: fake(), reason: 'first' });
    writeTraceAt(root, 'sub/c.gtr');
    const vendor = path.join(root, 'vendor.json');
    const rev3 = JSON.parse(fs.readFileSync(path.join(REPO, 'engine', 'policy', 'builtin', 'rev3.json'), 'utf8'));
    fs.writeFileSync(vendor, JSON.stringify({ ...rev3, $schema: undefined, id: 'vendor', gicrCtlrIrCes: { minRevision: 4 } }));
    const newTrace = await checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake() });
    expect(renderReport(newTrace, { root, cwd: root }).slice(-3, -1)).toEqual(['To accept the new trace:', '  gicreplay bless traces/sub/c.gtr --reason "…"']);
    const both = await checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake(), policies: ['rev3'], policyFiles: [vendor] });
    const text = renderReport(both, { root, cwd: path.join(root, 'sub'), adHocPolicyFiles: { vendor } });
    // Two fixes (new policy, new trace), each one command, paths relative to where it is pasted.
    expect(text).toContain('To accept the new policy vendor:');
    expect(text).toContain('  gicreplay bless --policy-file ../vendor.json --reason "…"');
    expect(text).toContain('To accept the new trace:');
    expect(text).toContain('  gicreplay bless ../traces/sub/c.gtr --policy rev3 --reason "…"');
    // The per-pair hint (JSON, JUnit) names the file too.
    expect(both.results.find((x) => x.policy === 'vendor')!.message).toContain('--policy-file vendor.json');
  });

  test('colour only when asked for, and the same words either way', async () => {
    writeTraceAt(root, 'a.gtr');
    const r = await checkGoldens({ root, cwd: root, config: checkConfig(), replay: fake() });
    const plain = renderReport(r).join('\n');
    const coloured = renderReport(r, { style: makeStyle(true) }).join('\n');
    const ESC = '\u001b[';
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(ESC);
    expect(coloured.split(ESC).map((p, i) => (i === 0 ? p : p.replace(/^[0-9;]*m/, ''))).join('')).toBe(plain);
  });
});
