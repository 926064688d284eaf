// KVM's per-interrupt MMIO handlers (vgic-mmio.c) in the shape a table row takes, named as KVM
// names them, so a row of v3/dist-table.ts reads like its line in vgic-mmio-v3.c:
//   perIrq('GICD_ISENABLER', 0x100, 1, W32, { ...ENABLE_SET, access: 'RW', reset: 0n })
// Each adapter turns (state, vCPU, offset, size, value) into irq-regs.ts's (core, bank, first
// INTID, INTID count, value). The bank is the row's vCPU: the redistributor's on GICv3, the
// accessing vCPU on GICv2, and meaningless for SPIs (their slots are shared), so one adapter
// serves every table.

import { bigFromUint } from '../../util/bigint';
import * as R from './irq-regs';
import { addrToIntid, lo32, RegRead, RegRow, RegWrite } from './regtable';
import { VgicCore } from './vgic';

/** What every model state holding interrupts has. */
export interface HasCore {
  readonly core: VgicCore;
}

type IrqRead = (core: VgicCore, bank: number, first: number, n: number) => number;
/** `writer` is the accessing vCPU (the SGI source on GICv2, the requester of an active change). */
type IrqWrite = (core: VgicCore, bank: number, first: number, n: number, val: number, writer: number) => string | undefined | void;

/** A per-INTID read: `bits` per INTID, as in KVM's VGIC_ADDR_TO_INTID. */
export function irqRead<M extends HasCore>(bits: number, f: IrqRead): RegRead<M> {
  return (m, cpu, off, size) => bigFromUint(f(m.core, cpu, addrToIntid(off, bits), (size * 8) / bits));
}

export function irqWrite<M extends HasCore>(bits: number, f: IrqWrite): RegWrite<M> {
  return (m, cpu, off, size, v) => f(m.core, cpu, addrToIntid(off, bits), (size * 8) / bits, lo32(v), cpu) ?? undefined;
}

type Handlers<M> = Pick<RegRow<M>, 'read' | 'write' | 'uaccess'>;

/** vgic_mmio_read_group / vgic_mmio_write_group; userspace goes through the policy's user rule. */
export function groupHandlers<M extends HasCore>(): Handlers<M> {
  return {
    read: irqRead(1, R.readGroup),
    write: irqWrite(1, (c, b, f, n, v) => R.writeGroup(c, b, f, n, v, 'guest', 'IGROUPR')),
    uaccess: { write: irqWrite(1, (c, b, f, n, v) => R.writeGroup(c, b, f, n, v, 'user', 'IGROUPR')) },
  };
}

/** vgic_mmio_read_enable / vgic_mmio_write_senable, vgic_uaccess_write_senable. */
export function enableSetHandlers<M extends HasCore>(): Handlers<M> {
  return {
    read: irqRead(1, R.readEnable),
    write: irqWrite(1, (c, b, f, n, v) => R.writeSetEnable(c, b, f, n, v, 'guest')),
    uaccess: { write: irqWrite(1, (c, b, f, n, v) => R.writeSetEnable(c, b, f, n, v, 'user')) },
  };
}

/**
 * vgic_mmio_read_enable / vgic_mmio_write_cenable. KVM's vgic_uaccess_write_cenable differs from
 * the guest's only for HW-mapped SGIs (GICv4.1 vSGIs, not modelled), so userspace shares it.
 */
export function enableClearHandlers<M extends HasCore>(): Handlers<M> {
  const write = irqWrite<M>(1, (c, b, f, n, v) => R.writeClearEnable(c, b, f, n, v));
  return { read: irqRead(1, R.readEnable), write, uaccess: { write } };
}

const readPendingGuest = <M extends HasCore>() => irqRead<M>(1, (c, b, f, n) => R.readPending(c, b, f, n, 'guest'));
const readPendingUser = <M extends HasCore>() => irqRead<M>(1, (c, b, f, n) => R.readPending(c, b, f, n, 'user'));

/** vgic_mmio_write_spending; userspace: vgic_v3_uaccess_write_pending (GICv3) or vgic_uaccess_write_spending (GICv2). */
export function pendingSetHandlers<M extends HasCore>(gic: 2 | 3): Handlers<M> {
  return {
    read: readPendingGuest(),
    write: irqWrite(1, (c, b, f, n, v, w) => R.writePending(c, b, f, n, v, 'guest', true, w)),
    uaccess: {
      read: readPendingUser(),
      // GICv3: the latch takes every bit (1 set, 0 clear). GICv2: KVM cannot restore an SGI's
      // source, so a set SGI names the attribute's vCPU.
      write: gic === 3 ? irqWrite(1, (c, b, f, n, v, w) => R.writeUserPendingV3(c, b, f, n, v, w)) : irqWrite(1, (c, b, f, n, v, w) => R.writePending(c, b, f, n, v, 'user', true, w)),
    },
  };
}

/** vgic_mmio_write_cpending; userspace: RAZ / vgic_mmio_uaccess_write_wi on GICv3 (ISPENDR carries the state), vgic_uaccess_write_cpending on GICv2. */
export function pendingClearHandlers<M extends HasCore>(gic: 2 | 3): Handlers<M> {
  return {
    read: readPendingGuest(),
    write: irqWrite(1, (c, b, f, n, v) => R.writePending(c, b, f, n, v, 'guest', false, 0)),
    uaccess: gic === 3 ? { read: () => 0n, write: () => undefined } : { read: readPendingUser(), write: irqWrite(1, (c, b, f, n, v) => R.writePending(c, b, f, n, v, 'user', false, 0)) },
  };
}

/** vgic_mmio_read_active / vgic_mmio_write_[sc]active; userspace: vgic_mmio_uaccess_write_[sc]active (HW-mapped interrupts keep their state). */
export function activeHandlers<M extends HasCore>(set: boolean): Handlers<M> {
  return {
    read: irqRead(1, R.readActive),
    write: irqWrite(1, (c, b, f, n, v, w) => R.writeActive(c, b, f, n, v, set, w)),
    uaccess: { write: irqWrite(1, (c, b, f, n, v) => R.writeUserActive(c, b, f, n, v, set)) },
  };
}

/** vgic_mmio_read_priority / vgic_mmio_write_priority (byte-accessible). */
export function priorityHandlers<M extends HasCore>(): Handlers<M> {
  return { read: irqRead(8, R.readPriority), write: irqWrite(8, (c, b, f, n, v) => R.writePriority(c, b, f, n, v)), uaccess: 'same' };
}

/** vgic_mmio_read_config / vgic_mmio_write_config. */
export function configHandlers<M extends HasCore>(): Handlers<M> {
  return { read: irqRead(2, R.readConfig), write: irqWrite(2, (c, b, f, n, v) => R.writeConfig(c, b, f, n, v)), uaccess: 'same' };
}
