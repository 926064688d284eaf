// Building the runner (tools/kvm/runner.c) and finding what the nested host needs: a static
// aarch64 binary from Debian's cross compiler (or the native compiler on an arm64 host), cached
// by the digest of its source and compiler; QEMU; the arm64 kernel Image. A missing piece is an
// error that names the command which installs it.

import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../../errors';
import { projectRoot } from '../../util/project-root';

export const INSTALL_HINT = 'bash tools/kvm/install.sh';

/** ${GICREPLAY_CACHE:-~/.cache/gicreplay}, shared with `record qemu --kernel` and tools/qemu/install.sh. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.GICREPLAY_CACHE || path.join(os.homedir(), '.cache', 'gicreplay');
}

export function runnerSource(): string {
  return path.join(projectRoot(), 'tools', 'kvm', 'runner.c');
}

/** The C compiler that makes aarch64 binaries here: the native one on arm64, else Debian's cross compiler. */
export function compilerFor(arch = process.arch): string {
  return process.env.GICREPLAY_KVM_CC || (arch === 'arm64' ? 'gcc' : 'aarch64-linux-gnu-gcc');
}

function version(cmd: string): string | null {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n')[0].trim();
}

/** Path of the runner binary, compiled on first use (and after any change to its source or compiler). */
export function buildRunner(): string {
  const cc = compilerFor();
  const ccv = version(cc);
  if (!ccv) throw new UsageError(`the KVM runner needs the aarch64 C compiler \`${cc}\`, which is not installed: run \`${INSTALL_HINT}\` (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross)`);
  const src = fs.readFileSync(runnerSource());
  const flags = ['-static', '-O2', '-Wall', '-Wextra', '-Werror'];
  const key = createHash('sha256').update(src).update(ccv).update(flags.join(' ')).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot(), 'kvm');
  const out = path.join(dir, `runner-${key}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = spawnSync(cc, [...flags, '-o', tmp, runnerSource()], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-8).join('\n');
    const hint = /linux\/kvm\.h|stdio\.h|cannot find -lc|No such file/.test(why) ? ` (the static C library or kernel headers are missing: run \`${INSTALL_HINT}\`)` : '';
    throw new UsageError(`compiling the KVM runner with ${cc} failed${hint}:\n${why}`);
  }
  fs.renameSync(tmp, out);
  return out;
}

export const QEMU = 'qemu-system-aarch64';

/** First line of `qemu-system-aarch64 --version`; a missing QEMU is an error naming the install step. */
export function requireQemu(qemu = QEMU): string {
  const v = version(qemu);
  if (!v) throw new UsageError(`the nested KVM host needs ${qemu}, which is not installed: run \`${INSTALL_HINT}\` (Debian: qemu-system-arm)`);
  return v;
}

/** Does this QEMU let a Linux process use semihosting (-semihosting-config userspace=on, QEMU 7.2+)? */
export function qemuHasUserspaceSemihosting(qemu = QEMU): boolean {
  const r = spawnSync(qemu, ['-semihosting-config', 'help'], { encoding: 'utf8' });
  return /userspace/.test(`${r.stdout}${r.stderr}`);
}

/**
 * The default kernel: the newest Debian `vmlinuz-*-arm64` that `tools/kvm/install.sh` (or
 * `tools/qemu/install.sh --kernel`) put in the cache.
 */
export function defaultKernel(): string {
  const boot = path.join(cacheRoot(), 'kernel', 'boot');
  const found = fs.existsSync(boot) ? fs.readdirSync(boot).filter((f) => /^vmlinuz-.*-arm64$/.test(f)).sort() : [];
  if (!found.length) throw new UsageError(`no arm64 kernel Image for the nested KVM host in ${boot}: run \`${INSTALL_HINT}\` (downloads Debian's linux-image-arm64), or name one with --backend kvm:IMAGE`);
  return path.join(boot, found[found.length - 1]);
}

/** Check a kernel given on the command line, so a typo fails before QEMU starts. */
export function requireKernel(image: string): string {
  if (!fs.existsSync(image)) throw new UsageError(`kernel image ${image} does not exist`);
  const fd = fs.openSync(image, 'r');
  const head = Buffer.alloc(64);
  fs.readSync(fd, head, 0, 64, 0);
  fs.closeSync(fd);
  // arm64 Image header: magic "ARMd" at byte 56 (Documentation/arch/arm64/booting.rst).
  if (head.toString('latin1', 56, 60) !== 'ARMd') throw new UsageError(`${image} is not an uncompressed arm64 kernel Image (no "ARMd" magic at byte 56); Debian's vmlinuz-*-arm64 is one`);
  return image;
}
