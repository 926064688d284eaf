import { spawnSync } from 'child_process';
import * as path from 'path';
import { projectRoot } from '../../../engine/util/project-root';
import { resolveCliContext } from '../context';
import { progressLine } from '../progress';
import { requireBuiltCli } from '../testing/run';

// Colour in replay and diff (human format) comes from the one decision in tools/cli/context.ts;
// progress lines from tools/cli/progress.ts, on a terminal outside CI only. The real CLI on dist/.
const root = projectRoot();
const cli = path.join(root, 'bin', 'gicreplay');
const env = (extra: Record<string, string>) => {
  const e: Record<string, string | undefined> = { ...process.env, ...extra };
  if (!('NO_COLOR' in extra)) delete e.NO_COLOR;
  if (!('FORCE_COLOR' in extra)) delete e.FORCE_COLOR;
  return e as NodeJS.ProcessEnv;
};
const run = (extra: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: env(extra) });
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;
const witness = 'traces/witnesses/gicr-ctlr-ir-ces-rev2-v3.gtr';
const guest = 'traces/guests/grp1-ackctl-v2.gtr';

beforeAll(requireBuiltCli);

test.each([
  ['replay', ['replay', guest, '--policy', 'rev2'], 0],
  ['diff', ['diff', witness, '--policy', 'rev3,rev1'], 1],
])('%s: colour with FORCE_COLOR, the same words as without; none under NO_COLOR or in a pipe', (_n, args, code) => {
  const plain = run({}, ...(args as string[]));
  const forced = run({ FORCE_COLOR: '1' }, ...(args as string[]));
  const off = run({ FORCE_COLOR: '1', NO_COLOR: '1' }, ...(args as string[]));
  expect([plain.status, forced.status, off.status]).toEqual([code, code, code]);
  expect(plain.stdout).not.toMatch(SGR);
  expect(off.stdout).toBe(plain.stdout);
  expect(forced.stdout).toMatch(SGR);
  expect(forced.stdout.replace(SGR, '')).toBe(plain.stdout);
});

test('diff colours the register and each side of a difference', () => {
  const r = run({ FORCE_COLOR: '1' }, 'diff', witness, '--policy', 'rev3,rev1');
  expect(r.stdout).toContain('\x1b[1mGICR_CTLR\x1b[22m: \x1b[31mrev3 0x6 (CES=1 IR=1)\x1b[39m, \x1b[32mrev1 0x0 (all fields 0)\x1b[39m');
});

test('--json never has colour, even with FORCE_COLOR', () => {
  for (const args of [['replay', guest, '--policy', 'rev2', '--json'], ['diff', witness, '--policy', 'rev3,rev1', '--json']]) {
    const r = run({ FORCE_COLOR: '1' }, ...args);
    expect(r.stdout.includes('\x1b')).toBe(false);
    for (const l of r.stdout.trim().split('\n')) expect(() => JSON.parse(l)).not.toThrow();
  }
});

test('check writes no progress line (no carriage return, no escape) to a pipe, with or without CI', () => {
  for (const extra of [{ CI: 'true' }, { CI: '' }]) {
    const r = run(extra, 'check', '--policy', 'rev2', 'traces/guests');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect([r.stdout.includes('\r'), r.stdout.includes('\x1b')]).toEqual([false, false]);
  }
});

describe('progress lines', () => {
  function fakeTty(columns = 20) {
    const calls: string[] = [];
    const s = { isTTY: true, columns, cursorTo: (x: number) => (calls.push(`cursorTo ${x}`), true), clearLine: (d: number) => (calls.push(`clearLine ${d}`), true), write: (t: string) => (calls.push(`write ${t}`), true) };
    return { s: s as unknown as NodeJS.WriteStream, calls };
  }

  it('rewrite one terminal line through the stream, cut to its width, and erase it when done', () => {
    const { s, calls } = fakeTty(20);
    const p = progressLine(true, s)!;
    p.update('[1/441] guests/a-very-long-trace-name.gtr × rev3');
    p.update('[2/441] b');
    p.done();
    expect(calls).toEqual(['cursorTo 0', 'clearLine 0', 'write [1/441] guests/a-ve', 'cursorTo 0', 'clearLine 0', 'write [2/441] b', 'cursorTo 0', 'clearLine 0']);
  });

  it('are off when not asked for, and on a stream that is no terminal', () => {
    expect(progressLine(false, fakeTty().s)).toBeUndefined();
    expect(progressLine(true, { isTTY: false } as unknown as NodeJS.WriteStream)).toBeUndefined();
  });

  it('are decided once: standard error a terminal and not CI', () => {
    const ctx = (e: Record<string, string>, tty: boolean) => resolveCliContext([], e, { isTTY: false }, { isTTY: tty }).progress;
    expect(ctx({}, true)).toBe(true);
    expect(ctx({ CI: 'true' }, true)).toBe(false);
    expect(ctx({}, false)).toBe(false);
  });
});
