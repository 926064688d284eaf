// `gicreplay trace ...` through the real CLI (node bin/gicreplay, built by `npx tsc -p
// tsconfig.json`, which `npm test` runs first): exit codes and the messages users see.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { projectRoot } from '../util/project-root';
import { EventKind } from './events';
import { buildRaw, everyKindV3, tempDir, writeRaw } from './testing/fixtures';
import { headerToWire } from './header';
import { synthHeader } from './synth';
import { writeTrace } from './writer';

const root = projectRoot();
const bin = path.join(root, 'bin', 'gicreplay');
const dir = tempDir('gtr-cli-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'dist', 'tools', 'cli', 'commands', 'trace.js'))) {
    throw new Error('dist/ is missing the trace command: run `npx tsc -p tsconfig.json` (npm test does) before these tests');
  }
});

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const good = path.join(dir, 'good.gtr');
// Every kind except the deliberately unnamed system register, which `validate` refuses.
const goodEvents = everyKindV3().filter((e) => !(e.kind === EventKind.SysregRead && e.enc === 0x30cf7));
beforeAll(() => writeTrace(good, synthHeader(4, 3), goodEvents));

const mw = (cycle: number) => [EventKind.MmioWrite, cycle, 0, 0, 0, 0x100, 4, 1];

test('validate: a good trace exits 0', () => {
  const r = cli('trace', 'validate', good);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('valid, 16 events');
});

test('info and dump exit 0 and print', () => {
  const i = cli('trace', 'info', good);
  expect(i.code).toBe(0);
  expect(i.stdout).toContain('events:     16');
  const d = cli('trace', 'dump', good);
  expect(d.code).toBe(0);
  expect(d.stdout.trim().split('\n')).toHaveLength(16);
  const j = cli('trace', 'dump', '--json', good);
  expect(j.code).toBe(0);
  expect(j.stdout.trim().split('\n')).toHaveLength(18);
});

test('from-json round trip through the CLI', () => {
  const jsonl = path.join(dir, 'good.jsonl');
  fs.writeFileSync(jsonl, cli('trace', 'dump', '--json', good).stdout);
  const out = path.join(dir, 'rebuilt.gtr');
  const r = cli('trace', 'from-json', jsonl, '-o', out);
  expect(r.code).toBe(0);
  expect(fs.readFileSync(out).equals(fs.readFileSync(good))).toBe(true);
});

describe('bad input exits 2 with the file, byte offset, event and expectation', () => {
  const cases: [string, () => { file: string; offset: number; event?: number }, RegExp][] = [
    ['truncated (no trailer)', () => {
      const t = writeRaw(dir, 'notrailer.gtr', { events: [mw(1), mw(2)], trailer: null });
      return { file: t.file, offset: t.trailerOffset, event: 2 };
    }, /trace is truncated after 2 events/],
    ['cut mid-event', () => {
      const b = buildRaw({ events: [mw(1), mw(2)] });
      const f = path.join(dir, 'cut.gtr');
      fs.writeFileSync(f, b.bytes.subarray(0, b.eventOffsets[1] + 3));
      return { file: f, offset: b.eventOffsets[1], event: 1 };
    }, /event 1 is truncated or corrupt/],
    ['newer format major', () => {
      const t = writeRaw(dir, 'v2.gtr', { header: { ...headerToWire(synthHeader()), formatMajor: 2 }, events: [] });
      return { file: t.file, offset: 0 };
    }, /trace format 2\.0 is newer than this gicreplay reads \(format 1\.2\)/],
    ['a 4 GiB string', () => {
      const t = writeRaw(dir, 'hostile.gtr', { events: [Buffer.from([0x94, 0x08, 0x01, 0xc0, 0xdb, 0xff, 0xff, 0xff, 0xff])] });
      return { file: t.file, offset: t.eventOffsets[0], event: 0 };
    }, /4294967295-byte payload/],
    ['cycle backwards', () => {
      const t = writeRaw(dir, 'backwards.gtr', { events: [mw(5), mw(4)] });
      return { file: t.file, offset: t.eventOffsets[1], event: 1 };
    }, /cycle 4 goes backwards/],
    ['offset outside the frame', () => {
      const t = writeRaw(dir, 'offset.gtr', { events: [[EventKind.MmioWrite, 1, 0, 0, 0, 0x10000, 4, 1]] });
      return { file: t.file, offset: t.eventOffsets[0], event: 0 };
    }, /outside the dist frame/],
  ];
  test.each(cases)('%s', (_name, make, message) => {
    const { file, offset, event } = make();
    // The reader's checks are the same for every command; validate covers them all, dump one.
    for (const cmd of _name === 'truncated (no trailer)' ? ['validate', 'dump', 'info'] : ['validate']) {
      const r = cli('trace', cmd, file);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(`${file}, byte offset ${offset}`);
      if (event !== undefined) expect(r.stderr).toContain(`event ${event}:`);
      expect(r.stderr).toContain('(expected ');
    }
  });

  test('validate: a wrongly sized access (register tables) exits 2', () => {
    // GICD_CTLR is 32-bit only in KVM; a byte write is refused by the register-level check.
    const t = writeRaw(dir, 'size.gtr', { events: [[EventKind.MmioWrite, 1, 0, 0, 0, 0x0, 1, 1]] });
    const r = cli('trace', 'validate', t.file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`byte offset ${t.eventOffsets[0]}, event 0: GICD_CTLR`);
    // The structural reader accepts it: the size rule is the register's, not the format's.
    expect(cli('trace', 'dump', t.file).code).toBe(0);
  });

  test('validate: an unknown system register exits 2', () => {
    const t = writeRaw(dir, 'sysreg.gtr', { events: [[EventKind.SysregRead, 1, 0, 0x30cf7, null]] });
    const r = cli('trace', 'validate', t.file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/event 0: unknown system register S3_0_C12_C15_7/);
  });

  test('missing file', () => {
    const r = cli('trace', 'dump', path.join(dir, 'nope.gtr'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.gtr: cannot read trace/);
  });

  test('from-json with a bad line exits 2 and writes nothing', () => {
    const jsonl = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(jsonl, `${cli('trace', 'dump', '--json', good).stdout.split('\n')[0]}\n{"kind":"line"}\n`);
    const out = path.join(dir, 'bad-out.gtr');
    const r = cli('trace', 'from-json', jsonl, '-o', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${jsonl}, line 2`);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('usage errors exit 2', () => {
    expect(cli('trace').code).toBe(2);
    expect(cli('trace', 'from-json', good).code).toBe(2);
  });
});
