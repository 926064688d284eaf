// QEMU's own GICv3 behind the qtest protocol, driven with the same MMIO stream gicreplay replays:
// the ceiling (every command written up front, replies read as they come) and lock-step (send one,
// wait for its reply: what a checking client has to do). QEMU does not exit at the end of its
// input, so each run ends when the last reply arrives and the process we started is killed.
// Debian's QEMU 7.2 rejects `-accel qtest`; `-qtest stdio -S` keeps the vCPUs stopped.

import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';

export const QEMU = 'qemu-system-aarch64';
export const QEMU_ARGS = ['-M', 'virt,gic-version=3', '-smp', '4', '-nodefaults', '-display', 'none', '-qtest', 'stdio', '-qtest-log', 'none', '-S'];

export function qemuVersion(): string | null {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n')[0].trim();
}

export interface QtestRun {
  accesses: number;
  /** From the first reply to the last: QEMU's start-up is not counted. */
  ms: number;
  errors: number;
}

function finish(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** All commands from a file on stdin; count reply lines until every command has one. */
export function qtestCeiling(commandsFile: string, accesses: number): Promise<QtestRun> {
  return new Promise((resolve, reject) => {
    const input = fs.openSync(commandsFile, 'r');
    const child = spawn(QEMU, QEMU_ARGS, { stdio: [input, 'pipe', 'pipe'] });
    fs.closeSync(input);
    let replies = 0;
    let errors = 0;
    let first: bigint | null = null;
    let pendingErr = '';
    child.stderr!.on('data', (d: Buffer) => {
      pendingErr += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      if (first === null) first = process.hrtime.bigint();
      for (let i = 0; i < d.length; i++) {
        if (d[i] === 10) replies++;
        else if (d[i] === 0x45 && (i === 0 || d[i - 1] === 10)) errors++; // "ERR ..."
      }
      if (replies >= accesses) {
        const ms = Number(process.hrtime.bigint() - first) / 1e6;
        finish(child);
        resolve({ accesses: replies - 1, ms, errors }); // the first reply starts the clock
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      if (replies < accesses) reject(new Error(`qemu exited (${code ?? sig}) after ${replies}/${accesses} replies: ${pendingErr.trim()}`));
    });
  });
}

/** One command at a time: write it, wait for its reply line, then the next. */
export function qtestLockstep(commandsFile: string, accesses: number): Promise<QtestRun> {
  const commands = fs.readFileSync(commandsFile, 'utf8').split('\n').slice(0, accesses);
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU, QEMU_ARGS, { stdio: ['pipe', 'pipe', 'pipe'] });
    let next = 0;
    let errors = 0;
    let first: bigint | null = null;
    let buf = '';
    let pendingErr = '';
    child.stderr!.on('data', (d: Buffer) => {
      pendingErr += d.toString();
    });
    const send = () => child.stdin!.write(`${commands[next++]}\n`);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ERR')) errors++;
        if (first === null) first = process.hrtime.bigint();
        if (next < commands.length) send();
        else {
          const ms = Number(process.hrtime.bigint() - first) / 1e6;
          finish(child);
          resolve({ accesses: commands.length - 1, ms, errors });
          return;
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      if (next < commands.length) reject(new Error(`qemu exited (${code ?? sig}) after ${next}/${commands.length} commands: ${pendingErr.trim()}`));
    });
    send();
  });
}
