// The bare-metal guests recorded on real KVM (traces/ftrace/kvm-*.gtr, with the host's raw ftrace
// text beside them as .ftrace.txt.gz) and the check that a fresh recording shows the same: the
// same GIC accesses with the same values, line changes and markers, in the same order on each
// vCPU. Host time (cycles), the order between vCPUs (two host threads) and the timer CTL/CVAL
// values of vCPU load/put (counter values) differ from run to run and are left out.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readEvents } from '../../sources/qemu/live-check';
import { eventToWire } from '../../trace/codec';
import { EventKind, Frame, GicVersion, TraceEvent } from '../../trace/events';
import { projectRoot } from '../../util/project-root';
import { cacheRoot, defaultKernel } from './build';
import { NestedHost, releaseOfImage } from './host';
import { readBlindSpots, recordKvm } from './record';

export interface KvmLiveRecording {
  name: string;
  gic: GicVersion;
  smp: number;
  /** Guest ELF under tools/qemu/guests/build, or (linux) tools/kvm/linux-guest/linux-l2{,-gicv2}.elf. */
  guest: string;
  /** Kernel series of the nested host: 6.1 is the default kernel (tools/kvm/install.sh), 6.12 the one `--kernel-package linux-image-6.12-arm64` adds. */
  kernel: '6.1' | '6.12';
  /**
   * The Linux guest of tools/kvm/linux-guest (built by buildLinuxGuest; 128 MiB, its own blind spots).
   * It is not reproducible event for event (nested timing moves its timer lines and IPIs), so only its
   * GIC MMIO accesses are compared: the GICv3 guest's were the same on every vCPU in three runs
   * (2026-12-02, 434 accesses).
   */
  linux?: true;
}

export const KVM_LIVE_RECORDINGS: readonly KvmLiveRecording[] = [
  { name: 'kvm-6.1-gicv3-guest-smp2', gic: 3, smp: 2, guest: 'gicv3-guest.elf', kernel: '6.1' },
  { name: 'kvm-6.1-gicv2-guest-smp2', gic: 2, smp: 2, guest: 'gicv2-guest.elf', kernel: '6.1' },
  { name: 'kvm-6.12-gicv3-guest-smp2', gic: 3, smp: 2, guest: 'gicv3-guest.elf', kernel: '6.12' },
  { name: 'kvm-6.12-gicv2-guest-smp2', gic: 2, smp: 2, guest: 'gicv2-guest.elf', kernel: '6.12' },
  // the VMM's side: device lines (KVM_IRQ_LINE) and device-attribute calls through the runner's doorbell
  { name: 'kvm-6.1-gicv3-doorbell-smp2', gic: 3, smp: 2, guest: 'gicv3-doorbell-guest.elf', kernel: '6.1' },
  { name: 'kvm-6.12-gicv3-doorbell-smp2', gic: 3, smp: 2, guest: 'gicv3-doorbell-guest.elf', kernel: '6.12' },
  // Debian's 6.1 kernel as the KVM guest: one nested boot of about 80 s, so CI does not run it by default
  { name: 'kvm-6.1-gicv3-linux-smp2', gic: 3, smp: 2, guest: 'linux-l2.elf', kernel: '6.1', linux: true },
  { name: 'kvm-6.1-gicv2-linux-smp2', gic: 2, smp: 2, guest: 'linux-l2-gicv2.elf', kernel: '6.1', linux: true },
];

export const LINUX_GUEST_DIR = path.join('tools', 'kvm', 'linux-guest');

/** Build the Linux guest (its initramfs, device tree and wrapper ELF); null, or what failed. Needs dtc and the 6.1 kernel in the cache. */
export function buildLinuxGuest(): string | null {
  for (const dir of [path.join('tools', 'qemu', 'initrd'), LINUX_GUEST_DIR]) {
    const r = spawnSync('make', ['-s', '-C', path.join(projectRoot(), dir)], { encoding: 'utf8' });
    if (r.error) return r.error.message;
    if (r.status !== 0) return `make -C ${dir}: ${r.stdout}${r.stderr}`.trim();
  }
  return null;
}

export function kvmLiveTrace(rec: KvmLiveRecording): string {
  return path.join(projectRoot(), 'traces', 'ftrace', `${rec.name}.gtr`);
}

export function kvmLiveFtrace(rec: KvmLiveRecording): string {
  return path.join(projectRoot(), 'traces', 'ftrace', `${rec.name}.ftrace.txt.gz`);
}

/** The kernel Image of a series in the cache, or an error naming the install step. */
export function kernelOfSeries(series: '6.1' | '6.12'): string {
  const matches = (f: string): boolean => (releaseOfImage(f) ?? '').startsWith(`${series}.`);
  if (series === '6.1') {
    const k = defaultKernel();
    if (!matches(k)) throw new Error(`the default nested kernel ${k} is not a ${series} kernel`);
    return k;
  }
  const boot = path.join(cacheRoot(), `kernel-${series}`, 'boot');
  const found = fs.existsSync(boot) ? fs.readdirSync(boot).filter((f) => /^vmlinuz-/.test(f) && matches(f)).sort() : [];
  if (!found.length) throw new Error(`no ${series} kernel in ${boot}: run \`bash tools/kvm/install.sh --kernel-package linux-image-${series}-arm64\``);
  return path.join(boot, found[found.length - 1]);
}

/** GICv2's GICD_SGIR (GICv3 distributors have no register there). */
const GICD_SGIR = 0xf00;

const TIMER_STATE = /^ftrace: vCPU (load|put): [pv]timer /;

/** Per vCPU ("cpu0", "cpu1", …, "none"), the events as compared: wire form without the cycle; `mmioOnly`: GIC MMIO accesses only, IPIs aside. */
export function liveView(events: readonly TraceEvent[], mmioOnly = false): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of events) {
    if (e.kind === EventKind.Marker && TIMER_STATE.test(e.text)) continue;
    if (mmioOnly && e.kind !== EventKind.MmioRead && e.kind !== EventKind.MmioWrite) continue;
    // a GICv2 Linux guest's IPIs are GICD_SGIR writes, as timing-dependent as a GICv3 guest's ICC_SGI1R markers
    if (mmioOnly && e.kind === EventKind.MmioWrite && e.frame === Frame.Dist && e.offset === GICD_SGIR) continue;
    const cpu = 'cpu' in e && e.cpu !== null && e.cpu !== undefined ? `cpu${e.cpu}` : 'none';
    const w = eventToWire(e);
    w.splice(1, 1);
    const list = m.get(cpu) ?? [];
    list.push(JSON.stringify(w, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
    m.set(cpu, list);
  }
  return m;
}

/** null when both traces show the same per-vCPU streams, else where they first differ. */
export function compareLiveViews(expected: readonly TraceEvent[], actual: readonly TraceEvent[], mmioOnly = false): string | null {
  const a = liveView(expected, mmioOnly);
  const b = liveView(actual, mmioOnly);
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(k) ?? [];
    const y = b.get(k) ?? [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] !== y[i]) return `${k}, its event ${i}: checked in ${x[i] ?? '(none)'}, recorded ${y[i] ?? '(none)'} (${x.length} vs ${y.length} events on ${k})`;
    }
  }
  return null;
}

export interface KvmLiveResult {
  rec: KvmLiveRecording;
  difference: string | null;
  blessed: boolean;
  /** The recording's run in the host kernel (µs). */
  elapsedUs?: number;
}

/** Record the guests (all, or those named) and compare with (or, with bless, replace) the checked-in traces. */
export function checkKvmLiveRecordings(o: { bless?: boolean; only?: readonly string[]; guestsBuild: string }): KvmLiveResult[] {
  const chosen = o.only?.length ? KVM_LIVE_RECORDINGS.filter((r) => o.only!.includes(r.name)) : KVM_LIVE_RECORDINGS;
  const unknown = (o.only ?? []).filter((n) => !KVM_LIVE_RECORDINGS.some((r) => r.name === n));
  if (unknown.length) throw new Error(`no KVM live recording named ${unknown.join(', ')} (known: ${KVM_LIVE_RECORDINGS.map((r) => r.name).join(', ')})`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-kvm-live-'));
  try {
    return chosen.map((rec) => {
      const expected = kvmLiveTrace(rec);
      const out = o.bless ? expected : path.join(tmp, `${rec.name}.gtr`);
      const linuxDir = path.join(projectRoot(), LINUX_GUEST_DIR);
      const r = recordKvm({
        gic: rec.gic,
        smp: rec.smp,
        guest: rec.linux ? path.join(linuxDir, rec.guest) : path.join(o.guestsBuild, rec.guest),
        out,
        keepFtrace: o.bless ? kvmLiveFtrace(rec) : null,
        host: new NestedHost({ kernel: kernelOfSeries(rec.kernel) }),
        ...(rec.linux ? { ramMiB: 128, timeoutMs: 300_000, blindSpots: readBlindSpots(path.join(linuxDir, rec.gic === 2 ? 'blind-spots-gicv2.txt' : 'blind-spots.txt')) } : {}),
      });
      if (o.bless) return { rec, difference: null, blessed: true, elapsedUs: r.elapsedUs };
      const difference = fs.existsSync(expected) ? compareLiveViews(readEvents(expected), readEvents(out), rec.linux) : `no checked-in trace ${path.relative(projectRoot(), expected)}`;
      return { rec, difference, blessed: false, elapsedUs: r.elapsedUs };
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
