// What the GICv2 and GICv3 models share: a state holding the interrupts and the CPU interface,
// and the way an access goes through a frame table (KVM's dispatch_mmio_read/write and
// vgic_uaccess): check_region (FrameTable.accept), the guest's or userspace's handler, one
// settle() of the delivery state, and the register name reports print.

import { ERRNO } from '../../util/errno';
import { DepTracker } from '../../model/deps';
import { ReadResult, WriteResult } from '../../model/model';
import { CpuInterface } from './cpuif';
import { HasCore } from './irq-handlers';
import { FrameTable, RegRead, RegRow, RegWrite, userReadOf, userWriteOf, W8 } from './regtable';

export interface TableState extends HasCore {
  readonly cpus: number;
  readonly cpuif: CpuInterface;
}

const MASK64 = 0xffffffffffffffffn;
/** Value mask per access size (index = bytes); precomputed so the hot path allocates no bigint. */
const SIZE_MASK: readonly bigint[] = [0n, 0xffn, 0xffffn, 0xffffffn, 0xffffffffn, 0n, 0n, 0n, MASK64];

export abstract class TableModel<S extends TableState> {
  readonly cpuCount: number;
  protected readonly nrIrqs: number;

  constructor(
    readonly st: S,
    readonly deps: DepTracker,
  ) {
    this.cpuCount = st.cpus;
    this.nrIrqs = st.core.irqs.nrIrqs;
  }

  /** Name of an access to a row: the word's name, plus .Bn for a byte access to a byte-accessible row. */
  protected accessName(t: FrameTable<S>, row: RegRow<S>, off: number, size: number): string {
    return size === 1 && row.widths & W8 ? t.accessName(off, size) : t.wordName(off);
  }

  /**
   * A row KVM would not dispatch this access to even though the table has it (the GICv2 model's
   * naming-only rows for userspace), with the reason; null for every row KVM has.
   */
  protected notDispatched(_t: FrameTable<S>, _row: RegRow<S>, _user: boolean): string | null {
    return null;
  }

  /** A note for a read the row served (the GICv2 model's banked reads without a vCPU). */
  protected readNote(_t: FrameTable<S>, _row: RegRow<S>, _cpu: number | null, _off: number, _user: boolean): string | undefined {
    return undefined;
  }

  /** The bank an access acts on, from the accessing (or the attribute's) vCPU. */
  protected bank(cpu: number | null): number {
    return cpu ?? 0;
  }

  /** A read through a frame table; `cpu` is the accessing vCPU, the redistributor's, or null. */
  protected frameRead(t: FrameTable<S>, cpu: number | null, off: number, size: number, user: boolean): ReadResult {
    const row = t.accept(off, size, this.nrIrqs);
    const skip = row ? this.notDispatched(t, row, user) : null;
    if (!row || skip) {
      const r = t.resolve(off, size, this.nrIrqs);
      return { value: 0n, reg: r.reg, note: r.refused ?? skip ?? 'no register at this offset: KVM reads 0' };
    }
    const fn: RegRead<S> | null = user ? userReadOf(row) : row.read;
    const reg = this.accessName(t, row, off, size);
    if (!fn) return { value: 0n, reg, ...(user ? { result: ERRNO.ENXIO } : {}), note: 'not accessible through the device attributes (-ENXIO)' };
    const m = SIZE_MASK[size];
    const v = fn(this.st, this.bank(cpu), off, size);
    const value = v > m ? v & m : v;
    this.st.core.settle();
    const note = this.readNote(t, row, cpu, off, user);
    return note ? { value, reg, note } : { value, reg };
  }

  protected frameWrite(t: FrameTable<S>, cpu: number | null, off: number, size: number, value: bigint, user: boolean): WriteResult {
    const row = t.accept(off, size, this.nrIrqs);
    const skip = row ? this.notDispatched(t, row, user) : null;
    if (!row || skip) {
      const r = t.resolve(off, size, this.nrIrqs);
      return { reg: r.reg, effect: `ignored: ${r.refused ?? skip ?? 'no register at this offset'}` };
    }
    const fn: RegWrite<S> | null = user ? userWriteOf(row) : row.write;
    const reg = this.accessName(t, row, off, size);
    if (!fn) return { reg, effect: 'rejected (-ENXIO): not accessible through the device attributes' };
    const m = SIZE_MASK[size];
    const effect = fn(this.st, this.bank(cpu), off, size, value > m ? value & m : value);
    this.st.core.settle();
    return effect ? { reg, effect } : { reg };
  }

  // ---- guest entries and exits (list-registers.ts; MODEL.md "List registers") ----

  /** A guest access of `cpu` begins: it runs, with the list registers of its last entry or fresh ones. */
  protected enter(cpu: number | null): void {
    this.st.core.lrs.enter(cpu ?? 0);
  }

  /** The access ended in an exit to KVM (a trap) or the replay re-enters the vCPU: its next access reloads the list registers. */
  protected exit(cpu: number | null): void {
    this.st.core.lrs.exit(cpu ?? 0);
  }

  /**
   * After a guest write: the KVM backend's replay runs every other vCPU (a probe, to read what
   * the write did to them), so with more than one vCPU the writer's segment ends there, and it
   * re-enters the writer itself after a deactivating write (engine/backend/kvm/job.ts).
   * A deactivation would exit anyway when KVM asked for a maintenance interrupt (a level
   * interrupt's EOI bit, underflow with one list register left valid).
   */
  protected afterGuestWrite(cpu: number | null, deactivating: boolean): void {
    if (deactivating || this.cpuCount > 1) this.exit(cpu);
  }

  /** Userspace, a line, an MSI, a control attribute: every vCPU is out of the guest. */
  protected outside(): void {
    this.st.core.lrs.leaveAll();
  }

  irqOutput(cpu: number): 0 | 1 {
    return this.st.cpuif.irqOutput(cpu);
  }

  fiqOutput(cpu: number): 0 | 1 {
    return this.st.cpuif.fiqOutput(cpu);
  }

  outputEpoch(): number {
    return this.st.cpuif.outputEpoch();
  }
}
