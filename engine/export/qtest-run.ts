// Run an exported qtest (qtest.ts) against the installed qemu-system-aarch64 without QEMU's
// tree: the file's access table is read back and performed through the qtest text protocol
// (`-qtest stdio`: "readl ADDR" → "OK 0x…", "writel ADDR VAL" → "OK"), each read held to the
// table's expectation on its .keep bits, as the compiled test's g_assert_cmphex holds it, and
// CPU 0's IRQ/FIQ after each access to its .irq/.fiq: `irq_intercept_in` on CPU 0 first, then
// the asynchronous "IRQ raise N" / "IRQ lower N" lines QEMU writes while it performs an access
// (before that access's "OK") kept as the levels the access left.
//
// Debian's QEMU 7.2 has no qtest accelerator (libqtest passes -accel qtest): the machine runs
// under TCG with its CPUs stopped (-S), so nothing but the protocol touches the GIC.

import { spawn } from 'child_process';
import { InputError, UsageError } from '../errors';
import { QTEST_CPU0, QTEST_FIQ, QTEST_IRQ, QtestPlan, QtestStep } from './qtest';

export interface QtestRun {
  name: string;
  gic: 2 | 3;
  /** TAP lines, one per check (a read, or CPU 0's IRQ/FIQ after an access). */
  tap: string[];
  failed: number;
  checks: number;
}

const ROW = /^ {4}\{ (true|false), ([1248]), 0x([0-9a-f]+)ULL, 0x([0-9a-f]+)ULL, 0x([0-9a-f]+)ULL, (-1|0|1), (-1|0|1), ("(?:[^"\\]|\\.)*"(?:"(?:[^"\\]|\\.)*")*) \},$/;

/** The C string literal(s) cString wrote, decoded. */
function cStringValue(lit: string): string {
  const bytes: number[] = [];
  for (const part of lit.match(/"(?:[^"\\]|\\.)*"/g) ?? []) {
    const body = part.slice(1, -1);
    for (let i = 0; i < body.length; i++) {
      if (body[i] !== '\\') {
        bytes.push(...Buffer.from(body[i], 'utf8'));
        continue;
      }
      const e = body[++i];
      if (e === 'x') {
        bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(e.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The access table of a file `gicreplay export --format qtest` wrote. */
export function parseQtest(text: string, name: string): QtestPlan {
  const m = /gicreplay-qtest gic=([23]) cpus=(\d+)\b/.exec(text.slice(0, 3000));
  if (!m) throw new UsageError(`${name} is not a qtest gicreplay exported (no "gicreplay-qtest gic=N cpus=M" in its first comment); write one with \`gicreplay export TRACE --policy P --format qtest -o ${name}\``);
  const lines = text.split('\n');
  const start = lines.indexOf('static const GicAccess accesses[] = {');
  if (start < 0) throw new InputError('no access table', { file: name }, 'a line "static const GicAccess accesses[] = {"');
  const steps: QtestStep[] = [];
  let checks = 0;
  for (let i = start + 1; ; i++) {
    if (i >= lines.length) throw new InputError('the access table never ends', { file: name, line: start + 1 }, 'a line "};"');
    if (lines[i] === '};') break;
    const r = ROW.exec(lines[i]);
    if (!r) throw new InputError(`access table row is ${JSON.stringify(lines[i].slice(0, 80))}`, { file: name, line: i + 1 }, '{ write, size, addr, value, keep, irq, fiq, "what" } as export writes it');
    const s: QtestStep = { write: r[1] === 'true', size: Number(r[2]) as QtestStep['size'], addr: BigInt(`0x${r[3]}`), value: BigInt(`0x${r[4]}`), keep: BigInt(`0x${r[5]}`), irq: Number(r[6]), fiq: Number(r[7]), what: cStringValue(r[8]) };
    if ((s.irq < 0) !== (s.fiq < 0)) throw new InputError('a row checks one of IRQ and FIQ', { file: name, line: i + 1 }, 'both -1, or both 0 or 1');
    if (!s.write && s.keep) checks++;
    if (s.irq >= 0) checks++;
    steps.push(s);
  }
  const declared = /^#define CHECKS (\d+)$/m.exec(text);
  if (!declared || Number(declared[1]) !== checks) throw new InputError(`the table has ${checks} checks (reads and IRQ/FIQ states) but CHECKS is ${declared?.[1] ?? 'missing'}`, { file: name }, `#define CHECKS ${checks}`);
  return { gic: Number(m[1]) as 2 | 3, cpus: Number(m[2]), steps, checks };
}

const SUFFIX: Record<QtestStep['size'], string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };

/** The installed QEMU's command line for a plan (the machine libqtest's qtest_init would start). */
export function qemuQtestArgs(q: QtestPlan): string[] {
  return ['-machine', `virt,gic-version=${q.gic}`, '-smp', String(q.cpus), '-accel', 'tcg', '-S', '-nodefaults', '-display', 'none', '-qtest', 'stdio'];
}

/** One access's answer and CPU 0's IRQ/FIQ inputs once QEMU has performed it. */
interface Answer {
  line: string;
  irq: number;
  fiq: number;
}

/**
 * The answers of `qemu` to the table's accesses (one process, all accesses in order), after
 * intercepting CPU 0's inputs. QEMU does not exit when the qtest client closes stdin; like
 * libqtest's qtest_quit, it is sent SIGTERM once every access has its answer.
 */
function qemuAnswers(q: QtestPlan, name: string, qemu: string): Promise<Answer[]> {
  const input = [`irq_intercept_in ${QTEST_CPU0}\n`, ...q.steps.map((s) => `${s.write ? 'write' : 'read'}${SUFFIX[s.size]} 0x${s.addr.toString(16)}${s.write ? ` 0x${s.value.toString(16)}` : ''}\n`)].join('');
  const want = q.steps.length + 1;
  return new Promise((resolve, reject) => {
    const child = spawn(qemu, qemuQtestArgs(q), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let settled = false;
    // In stream order: an IRQ line changes a level, an OK/FAIL/ERR answers the next command.
    const answers = (): Answer[] => {
      const levels = new Map<number, number>();
      const got: Answer[] = [];
      for (const l of out.split('\n')) {
        const irq = /^IRQ (raise|lower) (\d+)$/.exec(l);
        if (irq) levels.set(Number(irq[2]), irq[1] === 'raise' ? 1 : 0);
        else if (/^(OK|FAIL|ERR)\b/.test(l)) got.push({ line: l, irq: levels.get(QTEST_IRQ) ?? 0, fiq: levels.get(QTEST_FIQ) ?? 0 });
      }
      return got;
    };
    const count = (): number => answers().length;
    const finish = (e: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGTERM');
      if (e) return reject(e);
      const a = answers();
      if (a[0].line !== 'OK') return reject(new UsageError(`${name}: ${qemu} refused \`irq_intercept_in ${QTEST_CPU0}\` (CPU 0's inputs): ${a[0].line}`));
      resolve(a.slice(1, want));
    };
    const timer = setTimeout(() => finish(new UsageError(`${name}: ${qemu} answered ${count()} of ${want} commands in 60 s`)), 60_000);
    child.on('error', (e) => finish(new UsageError(`${name}: cannot run ${qemu} (${e.message}); install it with \`sudo apt-get install qemu-system-arm\``)));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (count() >= want) finish(null);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code, signal) => finish(count() >= want ? null : new UsageError(`${name}: ${qemu} exited (${code ?? signal}) after ${count()} of ${want} commands: ${err.trim().split('\n').slice(-3).join(' / ')}`)));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Perform the table on `qemu` and hold each read to its expectation. */
export async function runQtest(q: QtestPlan, name: string, qemu = 'qemu-system-aarch64'): Promise<QtestRun> {
  if (q.gic === 2 && q.cpus > 1) {
    // arm_gic.c gic_get_current_cpu: without the qtest accelerator (Debian's 7.2 has none) a
    // GICv2 of more than one CPU asks current_cpu, which a qtest access has not: QEMU segfaults.
    throw new UsageError(`${name}: a GICv2 of ${q.cpus} CPUs cannot be run through the installed QEMU's qtest protocol: without the qtest accelerator (\`${qemu} -accel help\` lists only tcg) QEMU's GICv2 looks up the accessing CPU and crashes; build the file in QEMU's tree (tests/qtest, -accel qtest) instead`);
  }
  const answers = await qemuAnswers(q, name, qemu);
  const tap: string[] = [];
  let failed = 0;
  const result = (ok: boolean, what: string, why: string): void => {
    const n = tap.length + 1;
    if (ok) tap.push(`ok ${n} - ${what}`);
    else {
      failed++;
      tap.push(`not ok ${n} - ${what}: ${why}`);
    }
  };
  q.steps.forEach((s, i) => {
    const a = answers[i];
    const v = /^OK 0x([0-9a-f]+)$/.exec(a.line);
    if (s.write) {
      if (a.line !== 'OK') throw new UsageError(`${name}: ${qemu} refused ${s.what}: ${a.line}`);
    } else {
      if (!v) throw new UsageError(`${name}: ${qemu} answered ${JSON.stringify(a.line)} to ${s.what}`);
      const got = BigInt(`0x${v[1]}`);
      if (s.keep) result((got & s.keep) === s.value, s.what, `QEMU answered 0x${got.toString(16)}, expected 0x${s.value.toString(16)} on the bits 0x${s.keep.toString(16)}`);
    }
    if (s.irq >= 0) result(a.irq === s.irq && a.fiq === s.fiq, `${s.what}: CPU 0 IRQ ${s.irq} FIQ ${s.fiq}`, `QEMU's CPU 0 has IRQ ${a.irq} FIQ ${a.fiq}`);
  });
  return { name, gic: q.gic, tap, failed, checks: q.checks };
}
