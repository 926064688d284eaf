// Unit tables for the small pure pieces: mode resolution and the write decision, the body-line
// grammar, block alignment in the comparison, JUnit escaping, golden header parsing.

import { decideWrite, isCi, resolveConfig } from './config';
import { StreamCompare } from './compare';
import { parseHeader, renderHeader } from './format';
import { xmlEscape } from './junit';
import { parseLine, renderRecord } from './render';

describe('modes are decided once', () => {
  test.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['0', false],
    ['true', true],
    ['1', true],
    ['yes', true],
  ])('CI=%p is CI: %p', (v, ci) => expect(isCi({ CI: v })).toBe(ci));

  test('progress only on a TTY outside CI', () => {
    expect(resolveConfig({ mode: 'check', env: {}, tty: true }).progress).toBe(true);
    expect(resolveConfig({ mode: 'check', env: { CI: 'true' }, tty: true }).progress).toBe(false);
    expect(resolveConfig({ mode: 'check', env: {}, tty: false }).progress).toBe(false);
    expect(() => resolveConfig({ mode: 'check', env: { GICREPLAY_WORKERS: 'many' }, tty: false })).toThrow(/GICREPLAY_WORKERS/);
  });

  test('decideWrite: check never writes; bless writes only named, changed goldens; prune deletes', () => {
    const states = ['match', 'drift', 'missing', 'stale', 'obsolete'] as const;
    const table = states.map((s) => [s, decideWrite('check', s, true, true), decideWrite('bless', s, false, true), decideWrite('bless', s, true, false), decideWrite('bless', s, true, true)]);
    expect(table).toEqual([
      ['match', 'none', 'none', 'none', 'none'],
      ['drift', 'none', 'none', 'write', 'write'],
      ['missing', 'none', 'none', 'write', 'write'],
      ['stale', 'none', 'none', 'write', 'write'],
      ['obsolete', 'none', 'none', 'none', 'delete'],
    ]);
  });
});

describe('body lines', () => {
  const none = () => undefined;
  test('every record kind renders on one line and parses back', () => {
    const lines = [
      renderRecord({ op: 'read', index: 3, cycle: 0x10n, cpu: 1, src: 'guest', via: 'mmio', reg: 'GICD_IGROUPR1', offset: 0x84, size: 4, value: 0xffffffffn, recorded: 0n }, () => 'X=1'),
      renderRecord({ op: 'read', index: 4, cycle: 1n << 63n, cpu: null, src: 'guest', via: 'sysreg', reg: 'ICC_IAR1_EL1', offset: null, size: 8, value: 1023n, recorded: null, unmodelled: true, note: 'not in goldens' }, none),
      renderRecord({ op: 'write', index: 5, cycle: 0x11n, cpu: 0, src: 'user', via: 'user', reg: 'GICD_IIDR', offset: 8, size: 4, value: 0x43bn, effect: 'ignored: "rev"\nx' }, none),
      renderRecord({ op: 'irq', cpu: 2, level: 1, cycle: 0x12n, index: -1 }, none),
      renderRecord({ op: 'marker', index: 6, cycle: 0x13n, cpu: null, text: 'two\nlines' }, none),
      renderRecord({ op: 'truncated', index: 7, reason: 'cut' }, none),
    ];
    expect(lines).toEqual([
      '3 0x10 cpu1 read mmio GICD_IGROUPR1/4 = 0xffffffff (recorded 0x0) {X=1} [INTIDs 32-63]',
      '4 0x8000000000000000 - read sysreg ICC_IAR1_EL1/8 = 0x3ff unmodelled',
      '5 0x11 cpu0 write user GICD_IIDR/4 0x43b -> "ignored: \\"rev\\"\\nx"',
      '- 0x12 cpu2 irq 1',
      '6 0x13 - marker "two\\nlines"',
      '7 - - truncated "cut"',
    ]);
    expect(parseLine(lines[0])).toMatchObject({ index: 3, cycle: '0x10', cpu: 1, op: 'read', via: 'mmio', reg: 'GICD_IGROUPR1', size: 4, value: '0xffffffff', core: '3 0x10 cpu1 read mmio GICD_IGROUPR1/4 = 0xffffffff (recorded 0x0)' });
    expect(parseLine(lines[3])).toMatchObject({ index: -1, cpu: 2, op: 'irq', value: '1' });
  });
});

describe('streaming comparison', () => {
  function compare(a: string[], b: string[]) {
    let i = 0;
    const c = new StreamCompare({ next: () => (i < a.length ? a[i++] : null) }, { pairId: 'p', fields: () => undefined, firstBodyLine: 1, goldenName: 'g', newName: 'n' });
    for (const l of b) c.push(l, l.startsWith('-') ? -1 : Number(l.split(' ')[0]));
    return c.finish();
  }
  const r = (i: number, v: string) => `${i} 0x${i.toString(16)} cpu0 read mmio GICD_CTLR/4 = ${v}`;

  test('identical bodies give no drift', () => {
    expect(compare([r(0, '0x1'), '- 0x5 cpu0 irq 1', r(1, '0x2')], [r(0, '0x1'), '- 0x5 cpu0 irq 1', r(1, '0x2')])).toBeNull();
  });

  test('an inserted record is one difference, not a cascade', () => {
    const old = [r(0, '0x1'), r(1, '0x1'), r(2, '0x1'), r(3, '0x1')];
    const neu = [r(0, '0x1'), r(1, '0x1'), '1 0x1 cpu0 irq 1', r(2, '0x1'), r(3, '0x1')];
    const d = compare(old, neu)!;
    expect(d.total).toBe(1);
    expect(d.first).toMatchObject({ kind: 'added', index: 1, op: 'irq' });
  });

  test('records gone at the end and whole events missing are "removed"', () => {
    const d = compare([r(0, '0x1'), r(1, '0x1'), r(2, '0x1')], [r(0, '0x1')])!;
    expect(d.shown.map((x) => [x.kind, x.index])).toEqual([
      ['removed', 1],
      ['removed', 2],
    ]);
  });

  test('a change in decorations only is reported as rendering', () => {
    const d = compare([r(0, '0x1') + ' {A=1}'], [r(0, '0x1') + ' {A=1 B=0}'])!;
    expect(d.first.kind).toBe('rendering');
  });

  test('a huge block falls back to position-by-position and stays bounded', () => {
    const old = Array.from({ length: 5000 }, () => '- 0x1 cpu0 irq 1');
    const neu = Array.from({ length: 5000 }, (_, i) => (i === 10 ? '- 0x1 cpu0 irq 0' : '- 0x1 cpu0 irq 1'));
    const d = compare(['0 0x0 - marker "x"', ...old], ['0 0x0 - marker "x"', ...neu])!;
    expect(d.total).toBe(1);
    expect(d.first).toMatchObject({ kind: 'changed', op: 'irq', old: '1', new: '0' });
  });
});

describe('golden header', () => {
  const h = { format: 1, trace: 'a.gtr', traceDigest: 'a'.repeat(64), policy: 'rev3', policyDigest: 'b'.repeat(64), gicreplay: '0.1.0', model: 1, bodyLines: 2, bodySha256: 'c'.repeat(64) };
  test('round trip; unknown and duplicate keys are bad input; not ours is null', () => {
    const lines = renderHeader(h).split('\n').slice(0, -2);
    expect(parseHeader(lines, 'f')).toEqual(h);
    expect(() => parseHeader([...lines, '# colour: red'], 'f')).toThrow(/unknown golden header key "colour"/);
    expect(() => parseHeader([...lines, '# model: 2'], 'f')).toThrow(/given twice/);
    expect(parseHeader(['// Jest Snapshot v1'], 'f')).toBeNull();
  });
});

test('JUnit text is escaped, control characters made visible', () => {
  expect(xmlEscape(`<a href="x">&'\u0001`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;\\u0001');
});
