// Where the runner runs. Two hosts, one interface:
// - nested: an arm64 kernel at EL2 under qemu-system-aarch64 (TCG, -M virt,virtualization=on),
//   the runner as /init of an initramfs; answers come back through semihosting into a host file
//   (or, for a QEMU without userspace semihosting, framed on the serial console);
// - native: /dev/kvm of the arm64 machine we run on; answers on the runner's stdout.
// Every run has a deadline; a run that ends early (QEMU killed, kernel panic, no KVM) is an error
// that says what happened and shows the console's last lines.

import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../../errors';
import { CPUIF_TRAPS, CpuIfTrap } from '../../policy/policy';
import { buildRunner, defaultKernel, INSTALL_HINT, QEMU, qemuHasUserspaceSemihosting, requireKernel, requireQemu } from './build';
import { cpioNewc } from './cpio';
import { JOB_MAGIC } from './job';
import { parseRunnerOutput, RunnerOutput } from './output';

export interface HostRunInput {
  gic: 2 | 3;
  /** The job's traces (tools/kvm/JOB.md); the host adds the first line and the output options. */
  job: string;
  /** Number of runner operations, for the deadline. */
  ops: number;
  /** More files for the runner (a guest image for a vmm block), beside the job: in the initramfs's root (nested) or the runner's directory (native). */
  files?: { name: string; data: Buffer }[];
}

export interface HostRun {
  output: RunnerOutput;
  /** What the guest kernel printed (nested) or the runner's stderr (native). */
  console: string;
  command: string[];
}

export interface KvmHost {
  readonly kind: 'nested' | 'native';
  /** For reports: "nested: Linux vmlinuz-6.1.0-57-arm64 under QEMU emulator version 7.2.22 (…)". */
  describe(): string;
  /** The kernel's release as far as it is known before booting it ("6.1.0-57-arm64"), or null. */
  release(): string | null;
  /**
   * Which of the guest's ICC registers KVM traps and emulates in hyp's vgic-v3-sr.c
   * (kvm-arm.vgic_v3_group0_trap, _group1_trap, _common_trap: ICH_HCR_EL2.TALL0, TALL1, TC), the
   * policy's host.cpuifTraps of the model it is compared with. Optional: a host that does not
   * say is untrapped.
   */
  cpuifTraps?(): CpuIfTrap[];
  run(inp: HostRunInput): HostRun;
}

/** A kernel's release from its install name (Debian's and the kernel's own: vmlinuz-, vmlinux-, Image-<release>), or null. */
export function releaseOfImage(file: string): string | null {
  const m = /^(?:vmlinu[xz]|Image)-(\d+\.\d+\S*)$/.exec(path.basename(file));
  return m ? m[1] : null;
}

/**
 * The built-in policy that describes a kernel release's KVM: linux-<major>.<minor> where one is
 * shipped (the kernels the backend has been measured on), else mainline-rev3.
 */
export function kernelPolicyId(release: string | null, builtinIds: readonly string[]): string {
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  const id = m ? `linux-${m[1]}.${m[2]}` : '';
  return builtinIds.includes(id) ? id : 'mainline-rev3';
}

/** A failure of the host itself (not of one trace): QEMU missing or killed, no KVM in the kernel, a deadline missed. */
export class KvmHostError extends UsageError {
  constructor(message: string, readonly consoleTail: string) {
    super(consoleTail ? `${message}\n--- last console lines ---\n${consoleTail}` : message);
    this.name = 'KvmHostError';
  }
}

export function tail(text: string, lines = 25): string {
  return text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Seconds a run may take: boot, plus a generous 2 ms per operation (measured: about 20-50 µs each). */
export function deadlineSec(ops: number): number {
  return Math.ceil(90 + ops * 0.002);
}

/** Which of KVM's ICC traps a kernel command line turns on (kvm-arm.vgic_v3_{group0,group1,common}_trap, kstrtobool), in CPUIF_TRAPS order. */
export function cpuifTrapsOn(append: string | undefined): CpuIfTrap[] {
  return CPUIF_TRAPS.filter((t) => new RegExp(`(^|\\s)kvm-arm\\.vgic_v3_${t}_trap=(1|y|Y|on)(\\s|$)`).test(append ?? ''));
}


export interface NestedOptions {
  kernel?: string;
  qemu?: string;
  /** 'semihost' (default when QEMU supports it) or 'console'. */
  channel?: 'semihost' | 'console';
  /** Extra kernel command-line words (e.g. kvm-arm.vgic_v3_common_trap=1). */
  append?: string;
  deadlineSec?: number;
}

export class NestedHost implements KvmHost {
  readonly kind = 'nested';
  readonly kernel: string;
  readonly qemu: string;
  readonly qemuVersion: string;
  readonly channel: 'semihost' | 'console';

  constructor(private readonly o: NestedOptions = {}) {
    this.qemu = o.qemu ?? QEMU;
    this.qemuVersion = requireQemu(this.qemu);
    this.kernel = o.kernel ? requireKernel(o.kernel) : defaultKernel();
    this.channel = o.channel ?? (qemuHasUserspaceSemihosting(this.qemu) ? 'semihost' : 'console');
  }

  release(): string | null {
    return releaseOfImage(this.kernel);
  }

  cpuifTraps(): CpuIfTrap[] {
    return cpuifTrapsOn(this.o.append);
  }

  describe(): string {
    const append = this.o.append ? ` (command line + "${this.o.append}")` : '';
    return `nested: ${path.basename(this.kernel)}${append} under ${this.qemuVersion}, results via ${this.channel === 'semihost' ? 'semihosting' : 'the serial console'}`;
  }

  qemuArgs(gic: 2 | 3, initrd: string, memMiB: number): string[] {
    const args = [
      '-M', `virt,virtualization=on,gic-version=${gic}`,
      // a bounded translation cache: the default (1 GiB) lets QEMU grow to 800 MB on long jobs
      '-accel', 'tcg,tb-size=64',
      // pointer authentication's default algorithm makes TCG several times slower
      '-cpu', 'max,pauth=off',
      // one emulated CPU: the runner runs one vCPU at a time
      '-smp', '1', '-m', String(memMiB),
      '-nographic', '-no-reboot', '-nic', 'none', '-monitor', 'none',
      '-kernel', this.kernel, '-initrd', initrd,
      '-append', `console=ttyAMA0 rdinit=/init panic=-1 quiet${this.o.append ? ` ${this.o.append}` : ''}`,
    ];
    if (this.channel === 'semihost') args.push('-semihosting-config', 'enable=on,target=native,userspace=on');
    return args;
  }

  run(inp: HostRunInput): HostRun {
    const runner = buildRunner();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-kvm-'));
    try {
      const outFile = path.join(dir, 'answers');
      const head = this.channel === 'semihost' ? `semihost-out ${outFile}\n` : 'framed\n';
      const job = Buffer.from(`${JOB_MAGIC}\n${head}${inp.job}`, 'utf8');
      const initrd = path.join(dir, 'initrd.cpio');
      fs.writeFileSync(initrd, cpioNewc([
        { name: 'dev', mode: 0o040755 },
        { name: 'proc', mode: 0o040755 },
        { name: 'init', mode: 0o100755, data: fs.readFileSync(runner) },
        { name: 'job', mode: 0o100644, data: job },
        ...(inp.files ?? []).map((f) => ({ name: f.name, mode: 0o100644, data: f.data })),
      ]));
      const extra = (inp.files ?? []).reduce((n, f) => n + f.data.length, 0);
      const memMiB = 256 + 8 * Math.ceil((job.length + extra) / (1 << 20)) * 2;
      const args = this.qemuArgs(inp.gic, initrd, memMiB);
      const deadline = this.o.deadlineSec ?? deadlineSec(inp.ops);
      const r = spawnSync(this.qemu, args, { cwd: dir, timeout: deadline * 1000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20, encoding: 'utf8' });
      const consoleText = `${r.stdout ?? ''}${r.stderr ?? ''}`;
      const text = this.channel === 'semihost' ? (fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '') : (r.stdout ?? '');
      const output = parseRunnerOutput(text, this.channel === 'console');
      checkRun(r, output, consoleText, deadline, `${this.qemu} (kernel ${this.kernel})`);
      return { output, console: consoleText, command: [this.qemu, ...args] };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Turn an early end of the runner into an error that says what happened. */
function checkRun(r: SpawnSyncReturns<string>, output: RunnerOutput, consoleText: string, deadline: number, what: string): void {
  const t = tail(consoleText);
  if (output.fatal) {
    const hint = /No such file|ENOENT/.test(output.fatal) ? ` (is CONFIG_KVM set, and does the CPU start at EL2? QEMU needs -M virt,virtualization=on)` : '';
    throw new KvmHostError(`the KVM runner found no KVM: ${output.fatal}${hint}`, t);
  }
  if (output.corrupt) throw new KvmHostError(`the KVM runner's answers are damaged: ${output.corrupt}`, t);
  if (output.done) return;
  const err = r.error as (Error & { code?: string }) | undefined;
  if (err?.code === 'ETIMEDOUT') throw new KvmHostError(`${what} did not finish within ${deadline} s and was killed`, t);
  if (err?.code === 'ENOENT') throw new KvmHostError(`cannot start ${what}: not installed (run \`${INSTALL_HINT}\`)`, t);
  if (err) throw new KvmHostError(`${what} failed: ${err.message}`, t);
  if (r.signal) throw new KvmHostError(`${what} was killed by ${r.signal} before the KVM runner finished`, t);
  const panic = /Kernel panic[^\n]*/.exec(consoleText)?.[0];
  if (panic) throw new KvmHostError(`the guest kernel panicked before the KVM runner finished: ${panic.trim()}`, t);
  throw new KvmHostError(`${what} exited with status ${r.status} before the KVM runner finished (${output.traces.length} traces begun)`, t);
}

export class NativeHost implements KvmHost {
  readonly kind = 'native';

  constructor(private readonly o: { deadlineSec?: number } = {}) {
    if (process.platform !== 'linux' || process.arch !== 'arm64') throw new UsageError(`the native KVM host needs an arm64 Linux machine with /dev/kvm (this is ${process.platform}/${process.arch}); use the nested host (--kvm-host nested)`);
    try {
      fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    } catch (e) {
      throw new UsageError(`the native KVM host cannot open /dev/kvm (${(e as Error).message}); add yourself to the kvm group or use --kvm-host nested`);
    }
  }

  release(): string | null {
    return os.release();
  }

  describe(): string {
    return `native: /dev/kvm of ${os.hostname()} (Linux ${os.release()})`;
  }

  run(inp: HostRunInput): HostRun {
    const runner = buildRunner();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-kvm-'));
    try {
      const jobFile = path.join(dir, 'job');
      fs.writeFileSync(jobFile, `${JOB_MAGIC}\n${inp.job}`);
      for (const f of inp.files ?? []) fs.writeFileSync(path.join(dir, f.name), f.data);
      const deadline = this.o.deadlineSec ?? deadlineSec(inp.ops);
      const r = spawnSync(runner, [jobFile], { cwd: dir, timeout: deadline * 1000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, encoding: 'utf8' });
      const output = parseRunnerOutput(r.stdout ?? '', false);
      checkRun(r, output, r.stderr ?? '', deadline, runner);
      return { output, console: r.stderr ?? '', command: [runner, jobFile] };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The host for `--backend kvm[:IMAGE]`: native on an arm64 machine with /dev/kvm unless a kernel image is named, else nested. */
export function chooseHost(o: { kernel?: string; host?: 'native' | 'nested' | 'auto'; nested?: NestedOptions }): KvmHost {
  const want = o.host ?? 'auto';
  if (want === 'native') {
    if (o.kernel) throw new UsageError('a kernel image (--backend kvm:IMAGE) needs the nested host; the native host runs on the kernel it booted');
    return new NativeHost();
  }
  if (want === 'auto' && !o.kernel && process.platform === 'linux' && process.arch === 'arm64' && fs.existsSync('/dev/kvm')) return new NativeHost();
  return new NestedHost({ ...o.nested, kernel: o.kernel });
}
