// Live recording: run qemu-system-aarch64 (TCG) with the GIC trace events on, then import the log.
// Determinism: one TCG thread (vCPUs interleave in a fixed order), -icount (guest time follows
// instructions, not the host clock), a fixed RNG seed, and a guest-clock RTC starting at a fixed
// date. Bare-metal guests then give byte-identical logs run after run. threadIds trades that for
// CPU attribution of distributor accesses (one host thread per vCPU, thread IDs in the log).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError, UsageError } from '../../errors';
import { GicVersion, TraceTrailer } from '../../trace/events';
import { importQemuLogToFile, QemuImportStats } from './importer';
import { checkOutputTarget } from '../../util/output-file';
import { withFileErrors } from '../../util/fs-error';

export interface QemuRecordOptions {
  gic: GicVersion;
  smp: number;
  /** A Linux Image (e.g. Debian's vmlinuz-*-arm64, already uncompressed) ... */
  kernel?: string;
  initrd?: string;
  /**
   * A raw disk image attached read-only as a virtio-blk-pci device. Linux's virtio-pci driver
   * enables MSI-X for it, so the ITS sees MAPD/MAPTI and the disk's completions arrive as MSIs
   * through GITS_TRANSLATER (virt's PCIe host has its msi-map on the ITS with its=on).
   */
  virtioBlk?: string;
  /** Kernel command line (default: console=ttyAMA0 panic=-1). */
  append?: string;
  /** ... or a bare-metal ELF guest (tools/qemu/guests). */
  guest?: string;
  out: string;
  /** Keep the raw QEMU log here (default: a temp file, deleted). */
  keepLog?: string;
  qemu?: string;
  timeoutSec?: number;
  /**
   * Multi-threaded TCG with -msg timestamp=on instead of one thread and -icount: every MMIO access
   * gets its vCPU from the thread ID, but the interleaving of vCPUs is no longer reproducible.
   */
  threadIds?: boolean;
}

export interface QemuRecordResult {
  stats: QemuImportStats;
  trailer: TraceTrailer;
  /** The guest's serial console (QEMU's stdout). */
  console: string;
  command: string[];
  qemuVersion: string;
}

export const QEMU_BINARY = 'qemu-system-aarch64';

/** First line of `qemu-system-aarch64 --version`, or null when QEMU is not installed. */
export function qemuVersion(qemu = QEMU_BINARY): string | null {
  const r = spawnSync(qemu, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n')[0].trim();
}

/** The QEMU argument list (without the binary) for a recording into `log`. */
export function qemuArgs(o: QemuRecordOptions, log: string): string[] {
  const bareMetal = o.guest !== undefined;
  const args = [
    // its=on is virt-7.2's default for GICv3; said explicitly where a PCI device's MSIs depend on it
    '-M', `virt,gic-version=${o.gic}${o.virtioBlk !== undefined && o.gic === 3 ? ',its=on' : ''}`,
    // virt's default CPU is 32-bit (cortex-a15); the guests and Debian's kernel are AArch64.
    '-cpu', 'cortex-a57',
    '-smp', String(o.smp),
    '-m', bareMetal ? '128' : '512',
    '-nographic', '-no-reboot',
    // no NIC: Debian's qemu-system-arm does not ship the virtio-net option ROM without recommends
    '-nic', 'none',
    ...(o.threadIds ? ['-accel', 'tcg,thread=multi', '-msg', 'timestamp=on'] : ['-accel', 'tcg,thread=single', '-icount', 'shift=1,sleep=off']),
    '-seed', '1',
    '-rtc', 'base=2000-01-01T00:00:00,clock=vm',
  ];
  if (bareMetal) {
    args.push('-kernel', o.guest!);
  } else {
    args.push('-kernel', o.kernel!, '-append', o.append ?? 'console=ttyAMA0 panic=-1');
    if (o.initrd) args.push('-initrd', o.initrd);
  }
  if (o.virtioBlk !== undefined) args.push('-drive', `file=${o.virtioBlk},if=none,format=raw,id=d0,readonly=on`, '-device', 'virtio-blk-pci,drive=d0');
  args.push('-trace', o.gic === 3 ? 'gicv3_*' : 'gic_*', '-D', log);
  return args;
}

function quote(a: string): string {
  return /^[A-Za-z0-9_./=,:-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The command for the trace header: file arguments by base name, so the header is machine-independent. */
export function describeCommand(qemu: string, args: string[]): string {
  const fileFlags = new Set(['-kernel', '-initrd', '-D']);
  const baseName = (a: string, flag: string | undefined): string => {
    if (flag !== undefined && fileFlags.has(flag)) return path.basename(a);
    if (flag === '-drive') return a.replace(/^file=([^,]*)/, (_m, f: string) => `file=${path.basename(f)}`);
    return a;
  };
  return [path.basename(qemu), ...args.map((a, i) => baseName(a, i > 0 ? args[i - 1] : undefined))].map(quote).join(' ');
}

export function recordQemu(o: QemuRecordOptions): QemuRecordResult {
  if ((o.kernel === undefined) === (o.guest === undefined)) throw new UsageError('record qemu needs exactly one of --kernel IMAGE or --guest ELF');
  if (o.initrd !== undefined && o.kernel === undefined) throw new UsageError('--initrd goes with --kernel');
  if (!Number.isInteger(o.smp) || o.smp < 1 || o.smp > (o.gic === 2 ? 8 : 123)) throw new UsageError(`--smp ${o.smp}: expected 1..${o.gic === 2 ? 8 : 123} for GICv${o.gic}`);
  if (o.virtioBlk !== undefined && o.virtioBlk.includes(',')) throw new UsageError(`--virtio-blk ${o.virtioBlk}: QEMU's -drive cannot take a file name with a comma`);
  for (const f of [o.kernel, o.initrd, o.guest, o.virtioBlk]) {
    if (f !== undefined && !fs.existsSync(f)) throw new InputError('no such file', { file: f }, 'a guest ELF, kernel Image or initrd');
  }
  const qemu = o.qemu ?? QEMU_BINARY;
  const version = qemuVersion(qemu);
  if (version === null) throw new UsageError(`${qemu} is not installed or does not run (tools/qemu/install.sh installs Debian's qemu-system-arm)`);
  const inputs = [o.kernel, o.initrd, o.guest, o.virtioBlk].filter((f): f is string => f !== undefined);
  if (o.keepLog) checkOutputTarget(o.keepLog, { what: 'QEMU log', inputs: [...inputs, o.out] });
  checkOutputTarget(o.out, { what: 'trace', inputs: [...inputs, ...(o.keepLog ? [o.keepLog] : [])], inPlace: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-qemu-'));
  const log = o.keepLog ? path.resolve(o.keepLog) : path.join(tmp, 'gic.log');
  try {
    if (o.keepLog) withFileErrors(log, 'replace the kept QEMU log', () => fs.rmSync(log, { force: true }));
    const args = qemuArgs(o, log);
    const r = spawnSync(qemu, args, { encoding: 'utf8', timeout: (o.timeoutSec ?? (o.guest ? 60 : 300)) * 1000, maxBuffer: 64 << 20 });
    const console = (r.stdout ?? '') + (r.stderr ?? '');
    const cmd = describeCommand(qemu, args);
    if (r.error) throw new InputError(`QEMU did not finish: ${r.error.message}`, { file: o.guest ?? o.kernel! }, `the guest to power off within ${o.timeoutSec ?? (o.guest ? 60 : 300)} s`);
    if (r.status !== 0) {
      throw new InputError(`QEMU exited with status ${r.status}: ${console.trim().split('\n').slice(-5).join(' | ')}`, { file: o.guest ?? o.kernel! }, 'QEMU to exit 0 (guest powered off through PSCI or the kernel panicked with panic=-1)');
    }
    if (!fs.existsSync(log)) throw new InputError('QEMU wrote no trace log (is the log trace backend built in?)', { file: log });
    const { stats, trailer } = importQemuLogToFile(log, o.out, { gic: o.gic, cpus: o.smp, tool: version, command: cmd, logName: path.basename(log) });
    return { stats, trailer, console, command: [qemu, ...args], qemuVersion: version };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
