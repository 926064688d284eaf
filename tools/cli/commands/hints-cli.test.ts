// Every command a report prints works when pasted: each "  gicreplay …" line of a failing check is
// run through a shell, as a user would paste it, and the next check is clean. Also the usage
// errors people hit first (an unknown command or flag) and the colour switches. Real CLI (dist/).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthEvents, synthHeader } from '../../../engine/trace/synth';
import { writeTrace } from '../../../engine/trace/writer';
import { CLI_BIN, requireBuiltCli } from '../testing/run';

jest.setTimeout(300_000);

function run(cwd: string, args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const e: Record<string, string> = { ...(process.env as Record<string, string>), ...env };
  if (!('CI' in env)) delete e.CI;
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) if (!(k in env)) delete e[k];
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, env: e, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The commands a report ends with, pasted into a shell where `gicreplay` is this build. */
function pasteHints(cwd: string, report: string): string[] {
  const cmds = report.split('\n').filter((l) => l.startsWith('  gicreplay ')).map((l) => l.trim());
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-bin-'));
  fs.writeFileSync(path.join(bin, 'gicreplay'), `#!/bin/sh\nexec "${process.execPath}" "${CLI_BIN}" "$@"\n`, { mode: 0o755 });
  for (const c of cmds) {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PATH: `${bin}:${process.env.PATH}` };
    delete env.CI;
    const r = spawnSync('sh', ['-c', c], { cwd, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pasted \`${c}\` failed (exit ${r.status}): ${r.stderr}`);
  }
  fs.rmSync(bin, { recursive: true, force: true });
  return cmds;
}

describe('pasted hints run', () => {
  beforeAll(requireBuiltCli);
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-hints-'));
    fs.mkdirSync(path.join(root, 'golden'));
    fs.mkdirSync(path.join(root, 'traces', 'synth'), { recursive: true });
    writeTrace(path.join(root, 'traces', 'synth', 'a.gtr'), synthHeader(2, 3), synthEvents(200, 1));
    writeTrace(path.join(root, 'traces', 'synth', 'b.gtr'), synthHeader(2, 3), synthEvents(100, 2));
    expect(run(root, ['bless', '--reason', 'first goldens']).code).toBe(0);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a new trace: one `bless TRACE`, pasted from a subfolder', () => {
    writeTrace(path.join(root, 'traces', 'synth', 'c.gtr'), synthHeader(3, 3), synthEvents(50, 3));
    const sub = path.join(root, 'traces');
    const r = run(sub, ['check']);
    expect(r.code).toBe(1);
    expect(pasteHints(sub, r.out)).toEqual(['gicreplay bless synth/c.gtr --reason "…"']);
    expect(run(root, ['check']).code).toBe(0);
  });

  test('a new policy from a file: one `bless --policy-file F`', () => {
    const rev3 = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'engine', 'policy', 'builtin', 'rev3.json'), 'utf8'));
    fs.writeFileSync(path.join(root, 'vendor.json'), JSON.stringify({ ...rev3, $schema: undefined, id: 'vendor-rev3-noces', gicrCtlrIrCes: { minRevision: 4 } }));
    const r = run(root, ['check', '--policy-file', 'vendor.json']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('MISSING 2 goldens, new policy vendor-rev3-noces');
    expect(pasteHints(root, r.out)).toEqual(['gicreplay bless --policy-file vendor.json --reason "…"']);
    expect(run(root, ['check', '--policy-file', 'vendor.json']).code).toBe(0);
    // The per-pair hints (--json) name the file too, and work as well.
    fs.rmSync(path.join(root, 'golden', 'synth', 'a', 'vendor-rev3-noces.golden'));
    const j = JSON.parse(run(root, ['check', '--json', '--policy-file', 'vendor.json']).out);
    const hint = /`(gicreplay bless [^`]+)`/.exec(j.results[0].message)![1];
    expect(hint).toBe('gicreplay bless traces/synth/a.gtr --policy-file vendor.json --reason "…"');
    pasteHints(root, `  ${hint}`);
    expect(run(root, ['check', '--policy-file', 'vendor.json']).code).toBe(0);
  });

  test('a hand-edited golden: export and minimize --golden refuse it (exit 2) as check does, and the printed bless repairs it', () => {
    fs.copyFileSync(path.join(__dirname, '..', '..', '..', 'traces', 'guests', 'igroupr-rw-v3.gtr'), path.join(root, 'traces', 'ig.gtr'));
    expect(run(root, ['bless', 'traces/ig.gtr', '--policy', 'rev3', '--reason', 'an exportable guest']).code).toBe(0);
    const g = path.join(root, 'golden', 'ig', 'rev3.golden');
    const text = fs.readFileSync(g, 'utf8');
    const at = text.indexOf('\n---\n') + 5;
    // One hex digit of the first body line's value, changed: the header's body-sha256 no longer holds.
    const m = /0x[0-9a-f]+/.exec(text.slice(at))!;
    const i = at + m.index + m[0].length - 1;
    fs.writeFileSync(g, text.slice(0, i) + (text[i] === '0' ? '1' : '0') + text.slice(i + 1));
    const hint = 'gicreplay bless traces/ig.gtr --policy rev3 --reason "…"';
    for (const args of [['export', 'traces/ig.gtr', '--policy', 'rev3', '-o', 'r.c'], ['minimize', 'traces/ig.gtr', '--golden', '--policy', 'rev3', '-o', 'm.gtr']]) {
      const r = run(root, args);
      expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: '' });
      expect(r.err).toContain('golden/ig/rev3.golden: golden was edited by hand');
      expect(/`(gicreplay bless [^`]+)`/.exec(r.err)![1]).toBe(hint);
    }
    expect(fs.existsSync(path.join(root, 'r.c'))).toBe(false);
    pasteHints(root, `  ${hint}`);
    expect(run(root, ['export', 'traces/ig.gtr', '--policy', 'rev3', '-o', 'r.c']).code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'r.c'), 'utf8')).toContain('golden/ig/rev3.golden');
    expect(run(root, ['check', 'traces/ig.gtr', '--policy', 'rev3']).code).toBe(0);
  });

  test('drift in one trace: the printed bless accepts exactly it', () => {
    writeTrace(path.join(root, 'traces', 'synth', 'a.gtr'), synthHeader(2, 3), synthEvents(260, 1));
    const r = run(root, ['check']);
    expect(r.code).toBe(1);
    expect(pasteHints(root, r.out)).toEqual(['gicreplay bless traces/synth/a.gtr --reason "…"']);
    expect(run(root, ['check']).code).toBe(0);
  });

  test('a clean check is two lines, on CI too; colour follows FORCE_COLOR and NO_COLOR', () => {
    for (const env of [{}, { CI: 'true' }] as Record<string, string>[]) {
      const r = run(root, ['check'], env);
      expect(r.code).toBe(0);
      expect(r.out.trim().split('\n')).toHaveLength(2);
    }
    writeTrace(path.join(root, 'traces', 'synth', 'a.gtr'), synthHeader(2, 3), synthEvents(260, 1));
    expect(run(root, ['check'], { FORCE_COLOR: '1' }).out).toContain('\x1b[');
    expect(run(root, ['check'], { FORCE_COLOR: '1', NO_COLOR: '1' }).out).not.toContain('\x1b[');
    expect(run(root, ['check', '--color', 'never'], { FORCE_COLOR: '1' }).out).not.toContain('\x1b[');
    expect(run(root, ['check']).out).not.toContain('\x1b[');
  });
});

describe('usage errors', () => {
  test('an unknown command says so; an unknown flag is named once', () => {
    const cmd = run(os.tmpdir(), ['bogus']);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toContain('unknown command "bogus"');
    const flag = run(os.tmpdir(), ['check', '--bogus-flag']);
    expect(flag.code).toBe(2);
    expect(flag.err).toBe('gicreplay: unknown option --bogus-flag (`--help` lists what the command takes)\n');
  });
});
