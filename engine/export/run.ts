// Compile exported C reproducers with the aarch64 compiler (-static, libc and UAPI headers only)
// and run them on a KVM host: natively on an arm64 machine with /dev/kvm, or all of one GIC
// version in one boot of the nested host (Debian's arm64 kernel at EL2 under QEMU), with
// tools/kvm/repro-init.c as /init. Each program's TAP lines and exit status come back.

import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../errors';
import { cacheRoot, compilerFor, INSTALL_HINT } from '../backend/kvm/build';
import { cpioNewc } from '../backend/kvm/cpio';
import { KvmHost, NestedHost, tail } from '../backend/kvm/host';
import { projectRoot } from '../util/project-root';

export interface ReproSource {
  /** A name for reports (the file's base name). */
  name: string;
  text: string;
  /** A program built elsewhere (a kvm-selftest in a kernel tree): run as is, `text` only names it; `gic` then says which host GIC it needs. */
  bin?: string;
  gic?: 2 | 3;
}

export interface ReproRun {
  name: string;
  gic: 2 | 3;
  /** Exit status (0 all checks passed, 1 a mismatch, 2 KVM could not run it), null when killed. */
  exit: number | null;
  output: string[];
}

const FLAGS = ['-static', '-O2', '-Wall', '-Wextra', '-Werror'];

/** The GIC version a reproducer declares in its first comment ("gicreplay-repro gic=3"). */
export function reproGic(text: string, name: string): 2 | 3 {
  const m = /gicreplay-repro gic=([23])\b/.exec(text.slice(0, 2000));
  if (!m) throw new UsageError(`${name} is not a reproducer gicreplay exported (no "gicreplay-repro gic=N" line in its first comment)`);
  return Number(m[1]) as 2 | 3;
}

/** Compile C source to a static aarch64 binary, cached by the digest of source, compiler and flags. */
export function compileStatic(text: string, name: string): string {
  const cc = compilerFor();
  const v = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) throw new UsageError(`compiling ${name} needs the aarch64 C compiler \`${cc}\`: run \`${INSTALL_HINT}\``);
  const key = createHash('sha256').update(text).update(v.stdout.split('\n')[0]).update(FLAGS.join(' ')).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot(), 'repro');
  const out = path.join(dir, `bin-${key}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(dir, `src-${key}-${process.pid}.c`);
  const tmp = `${out}.tmp-${process.pid}`;
  fs.writeFileSync(src, text);
  try {
    const r = spawnSync(cc, [...FLAGS, '-o', tmp, src], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      const why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-10).join('\n');
      throw new UsageError(`compiling ${name} with ${cc} ${FLAGS.join(' ')} failed:\n${why}`);
    }
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(src, { force: true });
    fs.rmSync(tmp, { force: true });
  }
  return out;
}

function initBinary(): string {
  return compileStatic(fs.readFileSync(path.join(projectRoot(), 'tools', 'kvm', 'repro-init.c'), 'utf8'), 'tools/kvm/repro-init.c');
}

/** Parse repro-init's console lines ("@@name line"). */
export function parseReproConsole(text: string, names: readonly string[], gic: 2 | 3): { runs: ReproRun[]; done: boolean } {
  const runs = new Map<string, ReproRun>(names.map((n) => [n, { name: n, gic, exit: null, output: [] }]));
  let done = false;
  for (const raw of text.split('\n')) {
    const m = /@@(\S+) ?(.*)$/.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    if (m[1] === 'done') {
      done = true;
      continue;
    }
    const r = runs.get(m[1]);
    if (!r) continue;
    const ex = /^exit (\d+)$/.exec(m[2]);
    if (ex && r.exit === null) r.exit = Number(ex[1]);
    else if (/^signal \d+$/.test(m[2])) r.exit = null;
    else r.output.push(m[2]);
  }
  return { runs: names.map((n) => runs.get(n)!), done };
}

/** Compile and run reproducers; one nested boot per GIC version. */
export function runRepros(sources: readonly ReproSource[], host: KvmHost): ReproRun[] {
  const names = new Set<string>();
  const items = sources.map((s, i) => {
    const base = s.name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'repro';
    let name = `${String(i).padStart(3, '0')}-${base}`;
    while (names.has(name)) name += '_';
    names.add(name);
    return { src: s, name, gic: s.gic ?? reproGic(s.text, s.name), bin: s.bin ?? compileStatic(s.text, s.name) };
  });
  const out = new Map<string, ReproRun>();
  if (host.kind === 'native') {
    for (const it of items) {
      const r = spawnSync(it.bin, [], { encoding: 'utf8', timeout: 600_000 });
      out.set(it.name, { name: it.src.name, gic: it.gic, exit: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => l !== '') });
    }
  } else {
    const nested = host as NestedHost;
    const init = fs.readFileSync(initBinary());
    for (const gic of [3, 2] as const) {
      const mine = items.filter((it) => it.gic === gic);
      if (!mine.length) continue;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-repro-'));
      try {
        const initrd = path.join(dir, 'initrd.cpio');
        fs.writeFileSync(initrd, cpioNewc([
          { name: 'dev', mode: 0o040755 },
          { name: 'proc', mode: 0o040755 },
          { name: 'init', mode: 0o100755, data: init },
          { name: 'repro', mode: 0o040755 },
          ...mine.map((it) => ({ name: `repro/${it.name}`, mode: 0o100755, data: fs.readFileSync(it.bin) })),
        ]));
        const args = nested.qemuArgs(gic, initrd, 256 + 8 * mine.length);
        const r = spawnSync(nested.qemu, args.filter((a, i) => !(a === '-semihosting-config' || args[i - 1] === '-semihosting-config')), { cwd: dir, timeout: (90 + 30 * mine.length) * 1000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, encoding: 'utf8' });
        const parsed = parseReproConsole(r.stdout ?? '', mine.map((m) => m.name), gic);
        if (!parsed.done) throw new UsageError(`the nested KVM host (${nested.describe()}) stopped before running every reproducer${r.error ? ` (${r.error.message})` : ''}\n--- last console lines ---\n${tail(`${r.stdout ?? ''}${r.stderr ?? ''}`)}`);
        for (const p of parsed.runs) out.set(p.name, { ...p, name: mine.find((m) => m.name === p.name)!.src.name });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return items.map((it) => out.get(it.name)!);
}
