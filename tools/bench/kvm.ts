// The KVM backend's cost on the nested host (Debian's arm64 kernel under QEMU TCG): boot to
// power-off with an empty job, accesses per second (trapped MMIO, an untrapped system register,
// a real Linux trace with its probes and timer lines), the answers' channel (semihosting vs the
// serial console), and the whole suite through `gicreplay fidelity --backend kvm`. Boot time is
// subtracted from the per-access rates.

import { spawnSync } from 'child_process';
import * as path from 'path';
import { buildTraceJob } from '../../engine/backend/kvm/job';
import { NestedHost } from '../../engine/backend/kvm/host';
import { openTrace, readTrace } from '../../engine/trace/reader';
import { expandTracePaths } from '../../engine/util/trace-files';
import { Stat, stat } from './stats';

/** A one-vCPU GICv3 VM shaped like QEMU virt's, and `n` copies of one runner operation (tools/kvm/JOB.md). */
function repeatJob(name: string, n: number, op: (i: number) => string): string {
  const lines = [`trace ${name}`, 'gic 3', 'cpus 1', 'nr-irqs 96', 'mpidr 0 0x80000000', 'dist 0x8000000', 'redist 0x80a0000 1', 'init-now', 'go'];
  for (let i = 0; i < n; i++) lines.push(op(i));
  lines.push('end');
  return `${lines.join('\n')}\n`;
}

export interface KvmResult {
  skipped?: string;
  kernel?: string;
  bootSeconds?: Stat;
  trappedMmioPerSec?: Stat;
  sysregPerSec?: Stat;
  linuxTrace?: { file: string; events: number; eventsPerSec: Stat };
  consoleChannel?: { lines: number; semihostSeconds: Stat; consoleSeconds: Stat };
  suiteSeconds?: Stat;
  /** Nested boots the whole suite takes: the backend boots one host per GIC version (engine/backend/kvm/backend.ts). */
  suiteBoots?: number;
}

const secondsOf = (f: () => void): number => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

export function measureKvm(root: string, snap: string, runs: number, log: (s: string) => void, accesses = 20_000): KvmResult {
  let semi: NestedHost;
  let con: NestedHost;
  try {
    semi = new NestedHost({ channel: 'semihost' });
    con = new NestedHost({ channel: 'console' });
  } catch (e) {
    return { skipped: (e as Error).message };
  }
  const iidr = repeatJob('iidr', accesses, (i) => `mr ${i} 0 0x8000008 4`); // GICD_IIDR: trapped, emulated by KVM
  const pmr = repeatJob('pmr', accesses, (i) => `sr ${i} 0 0x30460`); // ICC_PMR_EL1: the host's ICV register, no trap
  const linuxFile = path.join(root, 'traces', 'qemu', 'gic3-linux-smp2.gtr');
  const lt = readTrace(linuxFile);
  const linux = `${buildTraceJob('linux', lt.header, lt.events, { file: linuxFile, revision: 3 }).lines.join('\n')}\n`;
  const boot: number[] = [];
  const mmio: number[] = [];
  const sys: number[] = [];
  const lin: number[] = [];
  const cs: number[] = [];
  const ss: number[] = [];
  const suite: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = secondsOf(() => semi.run({ gic: 3, job: '', ops: 0 }));
    boot.push(b);
    // Rates from the runner's own clock (the trace's time in the guest), not the noisy boot.
    const inGuest = (h: NestedHost, text: string, ops: number): { wall: number; s: number } => {
      let us = 0;
      const wall = secondsOf(() => {
        us = h.run({ gic: 3, job: text, ops }).output.traces[0].elapsedUs ?? NaN;
      });
      return { wall, s: us / 1e6 };
    };
    const mm = inGuest(semi, iidr, accesses);
    const sr = inGuest(semi, pmr, accesses);
    const ln = inGuest(semi, linux, lt.events.length * 3);
    const cc = inGuest(con, iidr, accesses);
    const m = mm.wall;
    const s = mm.s;
    const l = ln.s;
    const c = cc.wall;
    mmio.push(accesses / mm.s);
    sys.push(accesses / sr.s);
    lin.push(lt.events.length / ln.s);
    ss.push(m);
    cs.push(c);
    const f = secondsOf(() => {
      const r = spawnSync(process.execPath, [path.join(snap, 'bin', 'gicreplay'), 'fidelity', '--backend', 'kvm', '--baseline', path.join(root, 'golden', 'kvm-fidelity-baseline.json')], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
      if (r.status !== 0) throw new Error(`gicreplay fidelity --backend kvm failed (${r.status}): ${r.stdout}${r.stderr}`);
    });
    suite.push(f);
    log(`  run ${i + 1}/${runs} KVM: boot ${b.toFixed(2)} s, GICD_IIDR ${(accesses / s).toFixed(0)}/s, ICC_PMR_EL1 ${(accesses / sr.s).toFixed(0)}/s, gic3-linux-smp2 ${(lt.events.length / l).toFixed(0)} events/s, console ${c.toFixed(2)} s vs semihosting ${m.toFixed(2)} s, suite ${f.toFixed(1)} s`);
  }
  return {
    kernel: semi.kernel,
    bootSeconds: stat(boot),
    trappedMmioPerSec: stat(mmio),
    sysregPerSec: stat(sys),
    linuxTrace: { file: path.relative(root, linuxFile), events: lt.events.length, eventsPerSec: stat(lin) },
    consoleChannel: { lines: accesses, semihostSeconds: stat(ss), consoleSeconds: stat(cs) },
    suiteSeconds: stat(suite),
    suiteBoots: new Set(expandTracePaths([path.join(root, 'traces')]).map((f) => {
      const r = openTrace(f);
      r.close();
      return r.header.gic.version;
    })).size,
  };
}
