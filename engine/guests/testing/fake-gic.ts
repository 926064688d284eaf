// A deliberately tiny GicModel and TimerModel for testing the guest machinery (scheduler, cost
// model, exception entry, WFI wake-ups) without the real models. It is NOT a GIC: only pending,
// enabled, group and active bits, SGIs by target list, IAR/EOIR, and one timer PPI.

import { sysregByName } from '../../arch/sysregs';
import { NO_DEPS } from '../../model/deps';
import { GicModel, ReadResult, WriteResult } from '../../model/model';
import { TimerLineChange, TimerModel } from '../../timer/types';
import { AccessSize, Frame, GicConfig, UserGroup } from '../../trace/events';

const enc = (n: string): number => sysregByName(n)!.enc;

export class FakeGic implements GicModel {
  readonly gicVersion = 3 as const;
  readonly deps = NO_DEPS;
  readonly cpuCount: number;
  /** [cpu][intid] for private INTIDs; SPIs live in row 0 and target vCPU 0. */
  private pending: Uint8Array[];
  private enabled: Uint8Array[];
  private active: Uint8Array[];
  private group: Uint8Array[];

  constructor(gic: GicConfig) {
    this.cpuCount = gic.cpus.length;
    const mk = () => Array.from({ length: this.cpuCount }, () => new Uint8Array(1024));
    this.pending = mk();
    this.enabled = mk();
    this.active = mk();
    this.group = mk();
    for (const g of this.group) g.fill(1);
  }

  private row(cpu: number | null, intid: number): number {
    return intid < 32 ? cpu ?? 0 : 0;
  }

  private best(cpu: number, group: number): number {
    for (let i = 0; i < 1024; i++) {
      const r = this.row(cpu, i);
      if (i >= 32 && cpu !== 0) break;
      if (this.pending[r][i] && this.enabled[r][i] && !this.active[r][i] && this.group[r][i] === group) return i;
    }
    return 1023;
  }

  mmioRead(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize): ReadResult {
    void size;
    const c = frame === Frame.Dist ? cpu ?? 0 : index;
    if (frame === Frame.Dist && offset === 0x4) return { value: 0x1n, reg: 'GICD_TYPER' };
    if ((frame === Frame.Dist || frame === Frame.RedistSgi) && offset >= 0x200 && offset < 0x280) {
      const base = (offset - 0x200) * 8;
      let v = 0n;
      for (let b = 0; b < 32; b++) if (this.pending[this.row(c, base + b)][base + b]) v |= 1n << BigInt(b);
      return { value: v, reg: 'ISPENDR' };
    }
    return { value: 0n, reg: `FAKE_${Frame[frame]}+0x${offset.toString(16)}` };
  }

  mmioWrite(cpu: number | null, frame: Frame, index: number, offset: number, size: AccessSize, value: bigint): WriteResult {
    void size;
    const c = frame === Frame.Dist ? cpu ?? 0 : index;
    const bits = (base: number, f: (r: number, i: number) => void) => {
      for (let b = 0; b < 32; b++) if ((value >> BigInt(b)) & 1n) f(this.row(c, base + b), base + b);
    };
    if (frame === Frame.Dist || frame === Frame.RedistSgi) {
      if (offset >= 0x80 && offset < 0x100) {
        const base = (offset - 0x80) * 8;
        for (let b = 0; b < 32; b++) this.group[this.row(c, base + b)][base + b] = Number((value >> BigInt(b)) & 1n);
      } else if (offset >= 0x100 && offset < 0x180) bits((offset - 0x100) * 8, (r, i) => (this.enabled[r][i] = 1));
      else if (offset >= 0x200 && offset < 0x280) bits((offset - 0x200) * 8, (r, i) => (this.pending[r][i] = 1));
    }
    return { reg: `FAKE_${Frame[frame]}+0x${offset.toString(16)}` };
  }

  sysregRead(cpu: number, e: number): ReadResult {
    for (const [name, group] of [['ICC_IAR1_EL1', 1], ['ICC_IAR0_EL1', 0]] as const) {
      if (e !== enc(name)) continue;
      const i = this.best(cpu, group);
      if (i !== 1023) {
        const r = this.row(cpu, i);
        this.pending[r][i] = 0;
        this.active[r][i] = 1;
      }
      return { value: BigInt(i), reg: name };
    }
    return { value: 0n, reg: 'FAKE_SYSREG' };
  }

  sysregWrite(cpu: number, e: number, value: bigint): WriteResult {
    if (e === enc('ICC_EOIR1_EL1') || e === enc('ICC_EOIR0_EL1')) {
      const i = Number(value & 0xffffffn);
      this.active[this.row(cpu, i)][i] = 0;
      return { reg: 'ICC_EOIR' };
    }
    if (e === enc('ICC_SGI1R_EL1')) {
      const intid = Number((value >> 24n) & 0xfn);
      for (let t = 0; t < this.cpuCount; t++) if ((value >> BigInt(t)) & 1n) this.pending[t][intid] = 1;
      return { reg: 'ICC_SGI1R_EL1' };
    }
    return { reg: 'FAKE_SYSREG' };
  }

  userRead(group: UserGroup): ReadResult {
    void group;
    return { value: 0n, reg: 'FAKE_USER' };
  }

  userWrite(group: UserGroup): WriteResult {
    void group;
    return { reg: 'FAKE_USER' };
  }

  setLine(intid: number, cpu: number | null, level: 0 | 1): WriteResult {
    if (level) this.pending[this.row(cpu, intid)][intid] = 1;
    return { reg: `LINE${intid}` };
  }

  irqOutput(cpu: number): 0 | 1 {
    return this.best(cpu, 1) === 1023 ? 0 : 1;
  }

  fiqOutput(cpu: number): 0 | 1 {
    return this.best(cpu, 0) === 1023 ? 0 : 1;
  }
}

/** One virtual timer per vCPU whose CNTV_CVAL is a guest cycle (not a counter value) and fires PPI 27. */
export class FakeTimer implements TimerModel {
  private cval: (bigint | null)[];
  private level: Uint8Array;

  constructor(cpus: number) {
    this.cval = new Array(cpus).fill(null);
    this.level = new Uint8Array(cpus);
  }

  serves(e: number): boolean {
    return e === enc('CNTV_CVAL_EL0');
  }

  read(cpu: number): ReadResult {
    return { value: this.cval[cpu] ?? 0n, reg: 'CNTV_CVAL_EL0' };
  }

  write(cpu: number, e: number, value: bigint): WriteResult {
    void e;
    this.cval[cpu] = value;
    return { reg: 'CNTV_CVAL_EL0' };
  }

  nextChange(after: bigint): bigint | null {
    let best: bigint | null = null;
    this.cval.forEach((c, cpu) => {
      if (c !== null && !this.level[cpu] && c > after && (best === null || c < best)) best = c;
    });
    return best;
  }

  evaluate(cycle: bigint): TimerLineChange[] {
    const out: TimerLineChange[] = [];
    this.cval.forEach((c, cpu) => {
      if (c !== null && c <= cycle && !this.level[cpu]) {
        this.level[cpu] = 1;
        out.push({ cpu, intid: 27, level: 1 });
      }
    });
    return out;
  }

  drivesLine(cpu: number, intid: number): boolean {
    return intid === 27 && this.cval[cpu] !== null;
  }

  lineLevel(cpu: number): 0 | 1 {
    return this.level[cpu] as 0 | 1;
  }
}
