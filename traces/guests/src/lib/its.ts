// A guest's ITS driver, after Linux's drivers/irqchip/irq-gic-v3-its.c: table allocation
// (its_alloc_tables / its_setup_baser), the command queue (its_send_single_command: the command at
// GITS_CWRITER, a SYNC after commands that name a collection, GITS_CWRITER, then poll GITS_CREADR,
// its_wait_for_range_completion), the redistributor's LPI set-up (its_cpu_init_lpis), a collection
// per vCPU (its_cpu_init_collection: MAPC, INVALL), and a PCI device's MSIs (its_create_device:
// MAPD; its_irq_domain_activate: MAPTI; lpi_update_config with direct invalidation through
// GICR_INVLPIR when GICR_CTLR.IR says the redistributor has it, else ITS INV + SYNC).
//
// Command encodings are the GIC architecture's (IHI 0069 §5.3, Linux its_encode_*), written out
// here on purpose rather than taken from the model: the guest is the model's counterpart.

import { Step } from '../../../../engine/guests/api';
import { Vcpu } from '../../../../engine/guests/vcpu';

/** Guest-physical layout (inside QEMU virt's RAM at 0x40000000). */
export const ITS_MEM = {
  cmdq: 0x40000000n, // 64 KiB command queue: 2048 commands
  devTable: 0x40010000n, // flat device table, one 64 KiB page
  collTable: 0x40020000n, // collection table, one 64 KiB page
  prop: 0x40030000n, // LPI property table (PROPBASER.IDbits 15: INTIDs below 65536)
  pend: 0x40100000n, // 64 KiB pending table per vCPU
  itt: 0x40200000n, // ITTs, 4 KiB apart by DeviceID
} as const;

export const LPI_BASE = 8192;
/** Linux's LPI_PROP_DEFAULT_PRIO | LPI_PROP_GROUP1; | LPI_PROP_ENABLED (bit 0) to enable. */
export const LPI_PROP_DEFAULT = 0xa2;
export const LPI_PROP_ENABLED = 0x01;

/** GITS_CMD_* (arm-gic-v3.h). */
export const ITS_CMD = { MOVI: 0x01, INT: 0x03, CLEAR: 0x04, SYNC: 0x05, MAPD: 0x08, MAPC: 0x09, MAPTI: 0x0a, MAPI: 0x0b, INV: 0x0c, INVALL: 0x0d, MOVALL: 0x0e, DISCARD: 0x0f } as const;

export const GICR_CTLR_ENABLE_LPIS = 1n << 0n;
export const GICR_CTLR_CES = 1n << 1n;
export const GICR_CTLR_IR = 1n << 2n;
export const GICR_CTLR_RWP = 1n << 3n;

/** The four doublewords of a command; little-endian in memory. */
export type ItsCommand = [bigint, bigint, bigint, bigint];

const mask = (v: number | bigint, hi: number, lo: number): bigint => (BigInt(v) & ((1n << BigInt(hi - lo + 1)) - 1n)) << BigInt(lo);

export function cmd(op: number, f: { devid?: number; eventid?: number; pintid?: number; size?: number; icid?: number; itt?: bigint; target?: number; target2?: number; valid?: boolean } = {}): ItsCommand {
  const c: ItsCommand = [mask(op, 7, 0), 0n, 0n, 0n];
  if (f.devid !== undefined) c[0] |= mask(f.devid, 63, 32);
  if (f.eventid !== undefined) c[1] |= mask(f.eventid, 31, 0);
  if (f.pintid !== undefined) c[1] |= mask(f.pintid, 63, 32);
  if (f.size !== undefined) c[1] |= mask(f.size - 1, 4, 0); // MAPD: EventID bits - 1
  if (f.icid !== undefined) c[2] |= mask(f.icid, 15, 0);
  if (f.itt !== undefined) c[2] |= mask(f.itt >> 8n, 51, 8) & ~0xffn; // ITT_addr [51:8]
  if (f.target !== undefined) c[2] |= mask(f.target, 51, 16); // RDbase: the processor number (GITS_TYPER.PTA = 0)
  if (f.valid) c[2] |= 1n << 63n;
  if (f.target2 !== undefined) c[3] |= mask(f.target2, 51, 16);
  return c;
}

export const mapd = (devid: number, bits: number, valid = true): ItsCommand => cmd(ITS_CMD.MAPD, { devid, size: bits, itt: ITS_MEM.itt + BigInt(devid) * 0x1000n, valid });
export const mapc = (icid: number, target: number, valid = true): ItsCommand => cmd(ITS_CMD.MAPC, { icid, target, valid });
export const mapti = (devid: number, eventid: number, pintid: number, icid: number): ItsCommand => cmd(ITS_CMD.MAPTI, { devid, eventid, pintid, icid });
export const sync = (target: number): ItsCommand => cmd(ITS_CMD.SYNC, { target });

function commandBytes(c: ItsCommand): Uint8Array {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  c.forEach((w, i) => dv.setBigUint64(8 * i, w, true));
  return b;
}

/** The driver's view of one ITS, shared by every vCPU of a guest (Linux's struct its_node). */
export class ItsDriver {
  /** Byte offset of the next free slot (GITS_CWRITER's copy). */
  private cwriter = 0n;
  private readonly queueBytes = 0x10000n;
  /** GITS_TYPER as probed. */
  typer = 0n;

  /**
   * its_send_single_command: each command into the next slot, GITS_CWRITER past them, then wait
   * until GITS_CREADR has caught up. Returns false when the ITS never consumed them.
   */
  *send(c: Vcpu, ...cmds: ItsCommand[]): Step<boolean> {
    const start = this.cwriter;
    for (const k of cmds) {
      yield* c.memWrite(ITS_MEM.cmdq + this.cwriter, commandBytes(k));
      this.cwriter = (this.cwriter + 32n) % this.queueBytes;
    }
    yield* c.write('GITS_CWRITER', this.cwriter);
    for (let i = 0; i < 100; i++) {
      const creadr = yield* c.read('GITS_CREADR');
      if (creadr & 1n) return false; // Stalled
      if ((creadr & 0xfffe0n) === this.cwriter) return true;
    }
    yield* c.assert(false, `the ITS never consumed the commands at 0x${start.toString(16)}..0x${this.cwriter.toString(16)}`);
    return false;
  }

  /**
   * its_probe_one + its_alloc_tables + the command queue + its_enable: GITS_TYPER and IIDR, every
   * GITS_BASER<n> that has a type set up (written, read back, Type from the read), CBASER, CWRITER,
   * then GITS_CTLR.Enabled.
   */
  *probe(c: Vcpu): Step {
    this.typer = yield* c.read('GITS_TYPER');
    yield* c.read('GITS_IIDR');
    // its_force_quiescent: a disabled ITS that is quiescent is left alone.
    const ctlr = yield* c.read('GITS_CTLR');
    yield* c.assert((ctlr & 1n) === 0n && (ctlr & (1n << 31n)) !== 0n, 'the ITS starts disabled and quiescent');
    for (let n = 0; n < 8; n++) {
      const baser = yield* c.read(`GITS_BASER${n}`);
      const type = Number((baser >> 56n) & 7n);
      if (type === 0) continue;
      const table = type === 1 ? ITS_MEM.devTable : type === 4 ? ITS_MEM.collTable : 0n;
      if (table === 0n) continue;
      // Valid | RaWaWb inner | InnerShareable | 64 KiB pages | one page; Type and Entry_Size are the ITS's.
      const want = (1n << 63n) | (7n << 59n) | (baser & (0x7n << 56n)) | (baser & (0x1fn << 48n)) | table | (1n << 10n) | (2n << 8n);
      yield* c.write(`GITS_BASER${n}`, want);
      const got = yield* c.read(`GITS_BASER${n}`);
      yield* c.assert((got & (1n << 63n)) !== 0n && (got & 0x0000fffffffff000n) === table, `GITS_BASER${n} (${type === 1 ? 'devices' : 'collections'}) took the table at 0x${table.toString(16)}`);
    }
    yield* c.write('GITS_CBASER', (1n << 63n) | (7n << 59n) | ITS_MEM.cmdq | (1n << 10n) | 15n);
    yield* c.write('GITS_CWRITER', 0n);
    this.cwriter = 0n;
    yield* c.write('GITS_CTLR', 1n);
  }

  /**
   * its_cpu_init_lpis on vCPU `c`: its PROPBASER (shared, IDbits 15) and PENDBASER, then
   * GICR_CTLR.EnableLPIs; then its collection (its_cpu_init_collection: MAPC + INVALL, each
   * followed by a SYNC).
   */
  *cpuInit(c: Vcpu): Step {
    yield* c.write('GICR_PROPBASER', ITS_MEM.prop | (7n << 7n) | (1n << 10n) | 15n);
    yield* c.write('GICR_PENDBASER', (ITS_MEM.pend + BigInt(c.id) * 0x10000n) | (7n << 7n) | (1n << 10n));
    const ctlr = yield* c.read('GICR_CTLR');
    yield* c.write('GICR_CTLR', ctlr | GICR_CTLR_ENABLE_LPIS);
  }

  *initCollection(c: Vcpu, cpu: number): Step {
    yield* c.assert(yield* this.send(c, mapc(cpu, cpu), sync(cpu)), `MAPC of collection ${cpu}`);
    yield* c.assert(yield* this.send(c, cmd(ITS_CMD.INVALL, { icid: cpu }), sync(cpu)), `INVALL of collection ${cpu}`);
  }

  /** lpi_write_config: the LPI's property byte (priority | Group 1 | enable). */
  *setProp(c: Vcpu, lpi: number, byte: number): Step {
    yield* c.memWrite(ITS_MEM.prop + BigInt(lpi - LPI_BASE), [byte]);
  }

  /**
   * lpi_update_config's invalidation: direct through GICR_INVLPIR on the LPI's redistributor and
   * a GICR_SYNCR poll when GICR_CTLR.IR says the redistributor has it (Linux: has_direct_lpi),
   * else the ITS's INV and a SYNC. Returns which way it went.
   */
  *invalidate(c: Vcpu, lpi: number, devid: number, eventid: number, cpu: number): Step<'direct' | 'its'> {
    const ir = ((yield* c.read('GICR_CTLR', { rd: cpu })) & GICR_CTLR_IR) !== 0n;
    if (ir) {
      yield* c.write('GICR_INVLPIR', BigInt(lpi), { rd: cpu });
      for (let i = 0; i < 100 && ((yield* c.read('GICR_SYNCR', { rd: cpu })) & 1n) !== 0n; i++);
      return 'direct';
    }
    yield* c.assert(yield* this.send(c, cmd(ITS_CMD.INV, { devid, eventid }), sync(cpu)), `INV of LPI ${lpi}`);
    return 'its';
  }
}

/** Property bytes for LPIs LPI_BASE .. LPI_BASE + n - 1, all disabled at the default priority (Linux's its_lpi_prop init). */
export function defaultProps(n: number): number[] {
  return Array.from({ length: n }, () => LPI_PROP_DEFAULT);
}
