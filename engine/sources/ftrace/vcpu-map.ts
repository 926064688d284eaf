// Which host thread is which vCPU. QEMU names each vCPU thread `CPU <n>/KVM` with n = KVM vcpu
// id; other VMMs name them differently, hence the configurable regex (first capture group = the
// vCPU index). The comm cache can print `<...>`, so the map is keyed by pid and built from every
// line of the file before any event is attributed. The host CPU column is never used: vCPU
// threads migrate between host CPUs.

import { InputError } from '../../errors';

export const DEFAULT_VCPU_COMM = '^CPU (\\d+)/KVM$';

export function compileVcpuComm(source: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (e) {
    throw new InputError(`--vcpu-comm ${JSON.stringify(source)} is not a regular expression: ${(e as Error).message}`);
  }
  // A regex without a group cannot name the index; count groups by matching the empty alternative.
  const groups = new RegExp(`${source}|`).exec('')!.length - 1;
  if (groups < 1) throw new InputError(`--vcpu-comm ${JSON.stringify(source)} has no capture group`, undefined, 'a regex whose first group captures the vCPU index, e.g. ^CPU (\\d+)/KVM$');
  return re;
}

export class VcpuMap {
  private readonly byPid = new Map<number, number>();
  /** First line that named each pid's vCPU, for error messages. */
  private readonly firstLine = new Map<number, number>();
  private readonly pidOfVcpu = new Map<number, number>();

  constructor(private readonly re: RegExp, private readonly file: string) {}

  /** Learn from one line's task; throws when two threads claim one vCPU (several VMs in one trace). */
  learn(comm: string, pid: number, line: number): void {
    const m = this.re.exec(comm);
    if (!m || m[1] === undefined || !/^\d+$/.test(m[1])) return;
    const vcpu = Number(m[1]);
    const known = this.byPid.get(pid);
    if (known !== undefined) {
      if (known !== vcpu) throw new InputError(`thread ${pid} is named as vCPU ${known} (line ${this.firstLine.get(pid)}) and as vCPU ${vcpu}`, { file: this.file, line }, 'one vCPU per thread');
      return;
    }
    const other = this.pidOfVcpu.get(vcpu);
    if (other !== undefined && other !== pid) {
      throw new InputError(
        `threads ${other} (line ${this.firstLine.get(other)}) and ${pid} both claim vCPU ${vcpu}: several VMs in one trace?`,
        { file: this.file, line },
        'one VM per trace: record with options/record-tgid and pass --tgid, or narrow --vcpu-comm',
      );
    }
    this.byPid.set(pid, vcpu);
    this.pidOfVcpu.set(vcpu, pid);
    this.firstLine.set(pid, line);
  }

  vcpuOf(pid: number): number | null {
    return this.byPid.get(pid) ?? null;
  }

  /** Highest vCPU index any thread claims, or -1. */
  maxVcpu(): number {
    let m = -1;
    for (const v of this.pidOfVcpu.keys()) if (v > m) m = v;
    return m;
  }

  /** vCPU index → pid, sorted by index (for the header). */
  entries(): [number, number][] {
    return [...this.pidOfVcpu.entries()].sort((a, b) => a[0] - b[0]);
  }
}
