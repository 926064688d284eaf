// The library behind `gicreplay record guest`: which guests, where the traces go, exit codes.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../errors';
import { defineGuest, GuestDefinition } from './api';
import { recordSet } from './record-set';
import { FakeGic, FakeTimer } from './testing/fake-gic';

const models = { modelFactory: (gic: ConstructorParameters<typeof FakeGic>[0]) => new FakeGic(gic), timerFactory: (h: { gic: { cpus: unknown[] } }) => new FakeTimer(h.gic.cpus.length) };

const mk = (name: string, ok: boolean): GuestDefinition =>
  defineGuest({
    name,
    title: name,
    scenario: 'unit test',
    gic: { version: 3, cpus: 1, spis: 32 },
    program: () =>
      function* (c) {
        yield* c.assertEq(yield* c.read('GICD_TYPER'), ok ? 1 : 2, 'TYPER'); // RECORD-SET-ASSERT
      },
  });

const catalogue = [mk('good-a', true), mk('bad-b', false), mk('good-c', true)];

describe('recordSet', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'record-set-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--all writes every passing guest, skips the failing one, and exits 1 naming it', () => {
    const out = path.join(dir, 'all');
    const r = recordSet(catalogue, { names: [], all: true, outDir: out, models });
    expect(r.exitCode).toBe(1);
    expect(fs.readdirSync(out).sort()).toEqual(['good-a.gtr', 'good-c.gtr']);
    expect(r.out).toEqual([expect.stringMatching(/^good-a: 2 events under rev3 -> /), expect.stringMatching(/^good-c: 2 events under rev3 -> /)]);
    expect(r.err[0]).toMatch(/^guest bad-b failed under policy rev3 on vCPU 0 at cycle 1510: TYPER: got 0x1, expected 0x2 \(engine\/guests\/record-set\.test\.ts:\d+\)$/);
    expect(r.err[1]).toBe('guest bad-b: trace not written');
  });

  test('one named guest to -o, under the policy given', () => {
    const file = path.join(dir, 'one.gtr');
    const r = recordSet(catalogue, { names: ['good-c'], all: false, policy: 'rev1', output: file, outDir: dir, models });
    expect(r.exitCode).toBe(0);
    expect(r.out).toEqual([`good-c: 2 events under rev1 -> ${file}`]);
    expect(fs.existsSync(file)).toBe(true);
  });

  test('--check compares fresh recordings with the traces on disk', () => {
    const out = path.join(dir, 'check');
    recordSet([catalogue[0]], { names: [], all: true, outDir: out, models });
    const same = recordSet([catalogue[0]], { names: [], all: true, outDir: out, models, check: true });
    expect(same.exitCode).toBe(0);
    expect(same.out).toEqual([`good-a: ${path.join(out, 'good-a.gtr')} is up to date`]);
    const before = fs.readFileSync(path.join(out, 'good-a.gtr'));
    const changed = defineGuest({ ...catalogue[0], program: () => function* (c) { yield* c.read('GICD_CTLR'); } });
    const r = recordSet([changed, catalogue[2]], { names: [], all: true, outDir: out, models, check: true });
    expect(r.exitCode).toBe(1);
    expect(r.err).toEqual([
      `guest good-a: ${path.join(out, 'good-a.gtr')} differs from a fresh recording; re-record it with \`gicreplay record guest good-a\` and re-bless its goldens`,
      `guest good-c: ${path.join(out, 'good-c.gtr')} is missing; re-record it with \`gicreplay record guest good-c\` and re-bless its goldens`,
    ]);
    expect(fs.readFileSync(path.join(out, 'good-a.gtr')).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(out, 'good-c.gtr'))).toBe(false);
  });

  test('usage errors', () => {
    expect(() => recordSet(catalogue, { names: ['nope'], all: false, outDir: dir, models })).toThrow(new UsageError('unknown guest "nope"; guests: good-a, bad-b, good-c'));
    expect(() => recordSet(catalogue, { names: ['good-a'], all: true, outDir: dir, models })).toThrow('give guest names or --all, not both');
    expect(() => recordSet(catalogue, { names: [], all: true, output: 'x.gtr', outDir: dir, models })).toThrow('-o/--output needs exactly one guest');
    expect(() => recordSet(catalogue, { names: ['good-a'], all: false, policy: 'rev9', outDir: dir, models })).toThrow(/unknown policy "rev9"/);
  });
});
