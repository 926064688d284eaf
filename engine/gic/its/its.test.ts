// The vITS against KVM's vgic-its.c: reset values and RAZ/WI rules of its_registers[], BASER and
// CBASER sanitising, the command queue and every command's effect and error, MSI injection, LPIs
// delivered through the redistributor and CPU interface, and the save/restore tables.

import { Frame, UserGroup } from '../../trace/events';
import { CMD } from './abi';
import { ITS_ROWS } from './its-table';
import { ItsDrive, itsModel, MEM, pendingTableByte } from './testing/drive';
import { v3Model } from '../v3/testing/drive';
import { parsePolicy, getPolicy } from '../../policy/policy';

const LPI = 8192;

function fresh(policy = 'rev3', cpus = 2): ItsDrive {
  return new ItsDrive(itsModel(policy, cpus));
}

function up(policy = 'rev3', cpus = 2): ItsDrive {
  const g = fresh(policy, cpus);
  g.bringUp();
  return g;
}

describe('its_registers[]: reset values (vgic_its_create, vgic_mmio_read_its_*)', () => {
  const g = fresh();
  it.each([
    ['GITS_CTLR', 0x0, 4, 0x80000000n], // Quiescent: CREADR == CWRITER
    ['GITS_IIDR', 0x4, 4, 0x4b00043bn], // ProductID 'K', ABI revision 0, Arm
    ['GITS_TYPER', 0x8, 8, 0x1ef71n], // PLPIS, ITT entry 8 bytes, 16 EventID and 16 DeviceID bits
    ['GITS_CBASER', 0x80, 8, 0n],
    ['GITS_CWRITER', 0x88, 8, 0n],
    ['GITS_CREADR', 0x90, 8, 0n],
    ['GITS_BASER0', 0x100, 8, 0x1907000000000600n], // Device, 8-byte entries, inner RaWb, InnerShareable, 64 KiB
    ['GITS_BASER1', 0x108, 8, 0x1c07000000000600n], // Collection
    ['GITS_BASER2', 0x110, 8, 0n],
    ['GITS_BASER7', 0x138, 8, 0n],
    ['GITS_PIDR0', 0xffe0, 4, 0x92n],
    ['GITS_PIDR1', 0xffe4, 4, 0xb4n],
    ['GITS_PIDR2', 0xffe8, 4, 0x3bn],
    ['GITS_PIDR3', 0xffec, 4, 0n],
    ['GITS_PIDR4', 0xffd0, 4, 0x40n],
    ['GITS_CIDR0', 0xfff0, 4, 0x0dn],
    ['GITS_CIDR1', 0xfff4, 4, 0xf0n],
    ['GITS_CIDR2', 0xfff8, 4, 0x05n],
    ['GITS_CIDR3', 0xfffc, 4, 0xb1n],
  ])('%s (+%s) reads %s', (name, off, size, want) => {
    const r = g.m.mmioRead(0, Frame.Its, 0, off as number, size as 4 | 8, null);
    expect(r.reg).toBe(name);
    expect(r.value).toBe(want);
    expect(r.unmodelled).toBeUndefined();
  });

  it('rows are in KVM\'s its_registers[] order, sorted, with KVM\'s widths', () => {
    expect(ITS_ROWS.map((r) => [r.name, r.offset, r.len, r.widths])).toEqual([
      ['GITS_CTLR', 0x0, 4, 4],
      ['GITS_IIDR', 0x4, 4, 4],
      ['GITS_TYPER', 0x8, 8, 12],
      ['GITS_CBASER', 0x80, 8, 12],
      ['GITS_CWRITER', 0x88, 8, 12],
      ['GITS_CREADR', 0x90, 8, 12],
      ['GITS_BASER', 0x100, 0x40, 12],
      ['GITS_IDREGS', 0xffd0, 0x30, 4],
    ]);
  });

  it('KVM_CREATE_DEVICE(ITS) sets GICR_PROPBASER to INITIAL_PROPBASER_VALUE (0x580); without an ITS it reads 0', () => {
    expect(g.rd(0, 0x70, 8)).toBe(0x580n);
    expect(g.rd(1, 0x70, 8)).toBe(0x580n);
    expect(new ItsDrive(v3Model('rev3', 1)).rd(0, 0x70, 8)).toBe(0n);
  });

  it('GICD_TYPER advertises LPIs and 16 INTID bits, GICR_TYPER PLPIS', () => {
    expect(g.d(0x4) & ((1n << 17n) | (0x1fn << 19n))).toBe((1n << 17n) | (15n << 19n));
    expect(g.rd(0, 0x8, 8) & 1n).toBe(1n);
  });
});

describe('RAZ/WI and read-only rules', () => {
  it('TYPER, IIDR, CREADR and the ID registers ignore guest writes (an effect only for bits that do not read back)', () => {
    const g = fresh();
    expect(g.itsw(0x8, 0x1ef71, 8)).toBeUndefined();
    expect(g.itsw(0x8, 0x2, 8)).toMatch(/GITS_TYPER is read-only/);
    expect(g.its(0x8)).toBe(0x1ef71n);
    expect(g.itsw(0x4, 0x4b00143b, 4)).toMatch(/read-only/);
    expect(g.its(0x4, 4)).toBe(0x4b00043bn);
    expect(g.itsw(0x90, 0x40)).toMatch(/read-only/);
    expect(g.its(0x90)).toBe(0n);
    expect(g.itsw(0xffe8, 0xff, 4)).toMatch(/read-only/);
  });

  it('GITS_BASER2..7 are RAZ/WI', () => {
    const g = fresh();
    expect(g.itsw(0x118, 0x8000000040000000n)).toMatch(/RAZ\/WI/);
    expect(g.its(0x118)).toBe(0n);
  });

  it('GITS_TRANSLATER is not decoded: a guest write raises no MSI', () => {
    const g = up();
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0));
    g.prop(LPI, 0xa1);
    g.cmds(g.cmd(CMD.INV, { deviceId: 0, eventId: 0 }));
    const w = g.m.mmioWrite(0, Frame.Its, 0, 0x10040, 4, 0n);
    expect(w.reg).toBe('GITS_TRANSLATER');
    expect(w.effect).toMatch(/no region for GITS_TRANSLATER/);
    expect(g.m.irqOutput(0)).toBe(0);
  });

  it('access widths: GITS_CTLR is 32-bit only, 64-bit registers take 32-bit halves, bytes are refused', () => {
    const g = fresh();
    expect(g.m.mmioRead(0, Frame.Its, 0, 0x0, 8, null).note).toMatch(/32-bit accesses only/);
    expect(g.m.mmioRead(0, Frame.Its, 0, 0x104, 4, null)).toMatchObject({ reg: 'GITS_BASER0.HI', value: 0x19070000n });
    expect(g.m.mmioRead(0, Frame.Its, 0, 0x8, 1, null).value).toBe(0n);
    expect(g.m.mmioWrite(0, Frame.Its, 0, 0x100, 1, 0xffn).effect).toMatch(/ignored/);
  });
});

describe('GITS_BASER and GITS_CBASER sanitising (vgic_mmio_write_its_baser / _cbaser)', () => {
  it('Type and Entry_Size are KVM\'s, Page_Size is forced to 64 KiB, OuterShareable becomes InnerShareable', () => {
    const g = fresh();
    // Linux's first attempt: 4 KiB pages, entry size 0, type 0, OuterShareable, inner nC.
    const e = g.itsw(0x100, (1n << 63n) | (1n << 59n) | (2n << 10n) | MEM.devTable);
    expect(e).toMatch(/stored 0x/);
    expect(g.its(0x100)).toBe((1n << 63n) | (3n << 59n) | (1n << 56n) | (7n << 48n) | (1n << 10n) | (2n << 8n) | MEM.devTable);
  });

  it('the collection table is never indirect; a half write replaces that half', () => {
    const g = fresh();
    g.itsw(0x108, (1n << 62n) | MEM.collTable);
    expect(g.its(0x108) & (1n << 62n)).toBe(0n);
    g.itsw(0x10c, 0x80000000n, 4);
    expect(g.its(0x108) >> 63n).toBe(1n);
    expect(g.its(0x108) & 0xffffffffn).toBe((MEM.collTable & 0xffffffffn) | 0x200n);
  });

  it('CBASER: sanitised, address 64 KiB aligned, and writing it empties the queue', () => {
    const g = fresh();
    g.itsw(0x80, (1n << 63n) | MEM.cmdq | 0x5000n | 0x800n | 3n);
    expect(g.its(0x80)).toBe((1n << 63n) | (3n << 59n) | MEM.cmdq | 0x400n | 3n);
    g.itsw(0x88, 0x40);
    g.itsw(0x80, (1n << 63n) | MEM.cmdq | 3n);
    expect(g.its(0x88)).toBe(0n);
    expect(g.its(0x90)).toBe(0n);
  });

  it('BASERs and CBASER are read-only while the ITS is enabled', () => {
    const g = up();
    expect(g.itsw(0x100, 0)).toMatch(/read-only while the ITS is enabled/);
    expect(g.itsw(0x80, 0)).toMatch(/read-only while the ITS is enabled/);
    expect(g.its(0x100) >> 63n).toBe(1n);
  });

  it('an invalid BASER forgets the mappings made through it', () => {
    const g = up();
    g.cmds(g.mapd(1), g.mapc(0, 0), g.mapti(1, 0, LPI, 0));
    g.itsw(0x0, 0, 4);
    g.itsw(0x100, 0);
    g.itsw(0x100, MEM.devTable | (1n << 63n));
    g.itsw(0x0, 1, 4);
    expect(g.m.signalMsi(0x08090040n, 0, 1).result).toBe(0);
  });
});

describe('GITS_CTLR and the command queue (vgic_its_process_commands)', () => {
  it('the ITS stays disabled while a table or the queue is invalid', () => {
    const g = fresh();
    expect(g.itsw(0x0, 1, 4)).toMatch(/invalid/);
    expect(g.its(0x0, 4)).toBe(0x80000000n);
  });

  it('commands run inside the CWRITER write: CREADR has caught up and Quiescent reads 1', () => {
    const g = up();
    const r = g.cmds(g.mapc(0, 0), g.cmd(CMD.SYNC));
    expect(r).toEqual(['MAPC ICID 0 RDbase 0 V 1 -> ok', 'SYNC RDbase 0 -> ok']);
    expect(g.its(0x90)).toBe(0x40n);
    expect(g.its(0x0, 4)).toBe(0x80000001n);
  });

  it('a failing command is dropped and CREADR moves on: KVM never stalls (GITS_CREADR.Stalled stays 0)', () => {
    const g = up();
    const r = g.cmds(g.mapti(7, 0, LPI, 0), g.mapc(1, 1));
    expect(r[0]).toMatch(/E_ITS_MAPTI_UNMAPPED_DEVICE \(0x10a04\): KVM ignores the error, CREADR moves on/);
    expect(r[1]).toMatch(/ok$/);
    expect(g.its(0x90)).toBe(0x40n);
    expect(g.its(0x90) & 1n).toBe(0n);
  });

  it('commands written while the ITS is disabled run when it is enabled', () => {
    const g = fresh();
    g.bringUp({ enableIts: false });
    g.cmds(g.mapc(0, 0));
    expect(g.its(0x0, 4)).toBe(0n); // not quiescent: one command queued
    g.itsw(0x0, 1, 4);
    expect(g.results()).toEqual(['MAPC ICID 0 RDbase 0 V 1 -> ok']);
    expect(g.its(0x90)).toBe(0x20n);
  });

  it('CWRITER beyond the queue is ignored; the queue wraps at its end', () => {
    const g = fresh();
    g.bootLinuxLike();
    g.itsw(0x100, MEM.devTable | (1n << 63n));
    g.itsw(0x108, MEM.collTable | (1n << 63n));
    g.itsw(0x80, MEM.cmdq | (1n << 63n)); // one 4 KiB page: 128 commands
    g.itsw(0x0, 1, 4);
    expect(g.itsw(0x88, 0x1000)).toMatch(/beyond the 0x1000-byte command queue/);
    g.uitsw(0x0, 0, 4);
    g.uitsw(0x90, 0xfe0);
    g.uitsw(0x88, 0xfe0);
    g.uitsw(0x0, 1, 4);
    expect(g.cmds(g.mapc(0, 0), g.mapc(1, 1))).toHaveLength(2);
    expect(g.its(0x90)).toBe(0x20n);
  });

  it('an unknown command number is ignored (-ENODEV), and so is command memory the trace did not carry', () => {
    const g = up();
    expect(g.cmds([0x02n, 0n, 0n, 0n])[0]).toBe('command 0x2 -> ignored: not a command KVM handles (-ENODEV)');
    g.itsw(0x88, 0x40); // a command slot no memory event filled
    expect(g.results()[0]).toMatch(/32 of the command's 32 bytes are not in the trace/);
  });
});

describe('ITS commands: effects and errors (vgic_its_cmd_handle_*)', () => {
  function mapped(): ItsDrive {
    const g = up();
    g.prop(LPI, 0xa1);
    g.prop(LPI + 1, 0xa1);
    g.cmds(g.mapd(0x10, 4), g.mapc(0, 0), g.mapc(1, 1), g.mapti(0x10, 0, LPI, 0), g.mapti(0x10, 1, LPI + 1, 1));
    return g;
  }

  it('MAPD: DeviceID beyond the device table, more than 16 EventID bits', () => {
    const g = up();
    expect(g.cmds(g.mapd(0x2000))[0]).toMatch(/E_ITS_MAPD_DEVICE_OOR/); // 64 KiB / 8 = 8192 entries
    expect(g.cmds(g.mapd(1, 17))[0]).toMatch(/E_ITS_MAPD_ITTSIZE_OOR/);
  });

  it('MAPD V=0 unmaps the device with its ITTEs and clears its DTE in guest memory', () => {
    const g = mapped();
    expect(g.cmds(g.mapd(0x10, 4, false))[0]).toMatch(/ok; device 0x10 unmapped with its 2 ITTE/);
    expect(g.m.signalMsi(0x08090040n, 0, 0x10).result).toBe(0);
  });

  it('MAPD of a mapped device remaps it without its ITTEs', () => {
    const g = mapped();
    expect(g.cmds(g.mapd(0x10, 4))[0]).toMatch(/remapped: its ITTEs are gone/);
    expect(g.m.signalMsi(0x08090040n, 0, 0x10).result).toBe(0);
  });

  it('MAPC: RDbase beyond the vCPUs, ICID beyond the collection table; V=0 frees the collection', () => {
    const g = up();
    expect(g.cmds(g.mapc(0, 2))[0]).toMatch(/E_ITS_MAPC_PROCNUM_OOR/);
    g.itsw(0x0, 0, 4);
    g.itsw(0x108, MEM.collTable | (1n << 63n) | (1n << 10n)); // 1 page of 8-byte entries
    g.itsw(0x0, 1, 4);
    expect(g.cmds(g.mapc(0x2000, 0))[0]).toMatch(/E_ITS_MAPC_COLLECTION_OOR/);
    const m = mapped();
    m.cmds(m.mapc(0, 0, false));
    expect(m.m.signalMsi(0x08090040n, 0, 0x10).result).toBe(0); // its ITTE has no collection
  });

  it('MAPC of a mapped collection retargets its LPIs', () => {
    const g = mapped();
    g.cmds(g.mapc(0, 1));
    expect(g.m.signalMsi(0x08090040n, 0, 0x10).result).toBe(1);
    expect(g.m.irqOutput(0)).toBe(0);
    expect(g.m.irqOutput(1)).toBe(1);
    expect(g.ack(1)).toBe(LPI + 1 - 1);
  });

  it('MAPTI/MAPI: unmapped device, EventID too large, pINTID outside 8192..PROPBASER limit, mapping kept on a second MAPTI', () => {
    const g = up();
    g.cmds(g.mapd(1, 2), g.mapc(0, 0));
    expect(g.cmds(g.mapti(2, 0, LPI, 0))[0]).toMatch(/E_ITS_MAPTI_UNMAPPED_DEVICE/);
    expect(g.cmds(g.mapti(1, 4, LPI, 0))[0]).toMatch(/E_ITS_MAPTI_ID_OOR/);
    expect(g.cmds(g.mapti(1, 0, 8191, 0))[0]).toMatch(/E_ITS_MAPTI_PHYSICALID_OOR/);
    expect(g.cmds(g.mapti(1, 0, 65536, 0))[0]).toMatch(/E_ITS_MAPTI_PHYSICALID_OOR/);
    expect(g.cmds(g.mapti(1, 0, LPI, 0))[0]).toMatch(/ok; LPI 8192 targets vCPU 0/);
    expect(g.cmds(g.mapti(1, 0, LPI + 5, 0))[0]).toMatch(/already mapped: KVM keeps the old mapping/);
    // MAPI: the EventID is the LPI
    g.cmds(g.mapd(2, 16));
    expect(g.cmds(g.cmd(CMD.MAPI, { deviceId: 2, eventId: 8200, icid: 0 }))[0]).toMatch(/LPI 8200 targets vCPU 0/);
  });

  it('MAPTI with PROPBASER.IDbits 13: LPIs from 16384 on are out of range', () => {
    const g = fresh();
    g.bootLinuxLike();
    g.rdw(0, 0x70, MEM.prop | 13n, 8);
    g.itsw(0x100, MEM.devTable | (1n << 63n));
    g.itsw(0x108, MEM.collTable | (1n << 63n));
    g.itsw(0x80, MEM.cmdq | (1n << 63n) | 15n);
    g.itsw(0x0, 1, 4);
    g.cmds(g.mapd(1), g.mapc(0, 0));
    expect(g.cmds(g.mapti(1, 0, 16384, 0))[0]).toMatch(/outside 8192..16383/);
  });

  it('MAPTI to a collection that is not mapped yet allocates it; the LPI targets no vCPU until MAPC', () => {
    const g = up();
    g.prop(LPI, 0xa1);
    g.cmds(g.mapd(1));
    expect(g.cmds(g.mapti(1, 0, LPI, 3))[0]).toMatch(/targets no vCPU \(collection 3 is not mapped\)/);
    expect(g.m.signalMsi(0x08090040n, 0, 1).result).toBe(0);
    g.cmds(g.mapc(3, 1));
    expect(g.m.signalMsi(0x08090040n, 0, 1).result).toBe(1);
    expect(g.m.irqOutput(1)).toBe(1);
  });

  it('MOVI: unmapped interrupt and collection errors; a move retargets the LPI', () => {
    const g = mapped();
    expect(g.cmds(g.cmd(CMD.MOVI, { deviceId: 0x10, eventId: 9, icid: 1 }))[0]).toMatch(/E_ITS_MOVI_UNMAPPED_INTERRUPT/);
    expect(g.cmds(g.cmd(CMD.MOVI, { deviceId: 0x10, eventId: 0, icid: 5 }))[0]).toMatch(/E_ITS_MOVI_UNMAPPED_COLLECTION/);
    expect(g.cmds(g.cmd(CMD.MOVI, { deviceId: 0x10, eventId: 0, icid: 1 }))[0]).toMatch(/LPI 8192 now targets vCPU 1/);
    g.m.signalMsi(0x08090040n, 0, 0x10);
    expect(g.m.irqOutput(1)).toBe(1);
    expect(g.m.irqOutput(0)).toBe(0);
  });

  it('DISCARD: unmapped interrupt error; a discarded ITTE is cleared in the ITT, a queued LPI is still delivered', () => {
    const g = mapped();
    expect(g.cmds(g.cmd(CMD.DISCARD, { deviceId: 0x10, eventId: 7 }))[0]).toMatch(/E_ITS_DISCARD_UNMAPPED_INTERRUPT/);
    g.m.signalMsi(0x08090040n, 0, 0x10);
    expect(g.cmds(g.cmd(CMD.DISCARD, { deviceId: 0x10, eventId: 0 }))[0]).toMatch(/ok; LPI 8192 unmapped/);
    expect(g.side.length).toBe(0);
    expect(g.m.irqOutput(0)).toBe(1);
    expect(g.ack(0)).toBe(LPI);
    g.eoi(0, LPI);
    expect(g.m.signalMsi(0x08090040n, 0, 0x10).result).toBe(0);
  });

  it('CLEAR removes the pending state; INT sets it', () => {
    const g = mapped();
    g.prop(LPI, 0xa0); // disabled: stays pending, not delivered
    g.cmds(g.cmd(CMD.INV, { deviceId: 0x10, eventId: 0 }));
    expect(g.cmds(g.cmd(CMD.INT, { deviceId: 0x10, eventId: 0 }))[0]).toMatch(/ok; LPI 8192 pending on vCPU 0/);
    expect(g.cmds(g.cmd(CMD.CLEAR, { deviceId: 0x10, eventId: 0 }))[0]).toMatch(/ok$/);
    g.prop(LPI, 0xa1);
    g.cmds(g.cmd(CMD.INV, { deviceId: 0x10, eventId: 0 }));
    expect(g.m.irqOutput(0)).toBe(0);
    expect(g.cmds(g.cmd(CMD.CLEAR, { deviceId: 0x10, eventId: 5 }))[0]).toMatch(/E_ITS_CLEAR_UNMAPPED_INTERRUPT/);
    expect(g.cmds(g.cmd(CMD.INT, { deviceId: 0x11, eventId: 0 }))[0]).toMatch(/E_ITS_INT_UNMAPPED_INTERRUPT/);
  });

  it('INV re-reads one LPI\'s property byte; INVALL every LPI of a collection\'s vCPU', () => {
    const g = mapped();
    g.prop(LPI, 0xa0);
    g.prop(LPI + 1, 0xa0);
    g.cmds(g.cmd(CMD.INT, { deviceId: 0x10, eventId: 0 }), g.cmd(CMD.INT, { deviceId: 0x10, eventId: 1 }));
    // Still enabled: the property change is not seen until an invalidation.
    expect(g.m.irqOutput(0)).toBe(1);
    expect(g.m.irqOutput(1)).toBe(1);
    g.cmds(g.cmd(CMD.INV, { deviceId: 0x10, eventId: 0 }));
    expect(g.m.irqOutput(0)).toBe(0);
    expect(g.m.irqOutput(1)).toBe(1);
    expect(g.cmds(g.cmd(CMD.INVALL, { icid: 1 }))[0]).toMatch(/1 LPI\(s\) re-read/);
    expect(g.m.irqOutput(1)).toBe(0);
    expect(g.cmds(g.cmd(CMD.INVALL, { icid: 9 }))[0]).toMatch(/E_ITS_INVALL_UNMAPPED_COLLECTION/);
    expect(g.cmds(g.cmd(CMD.INV, { deviceId: 0x10, eventId: 9 }))[0]).toMatch(/E_ITS_INV_UNMAPPED_INTERRUPT/);
  });

  it('MOVALL: RDbase beyond the vCPUs is an error; mainline retargets every LPI to RDbase2', () => {
    const g = mapped();
    expect(g.cmds(g.cmd(CMD.MOVALL, { target: 0, target2: 4 }))[0]).toMatch(/E_ITS_MOVALL_PROCNUM_OOR/);
    expect(g.cmds(g.cmd(CMD.MOVALL, { target: 1, target2: 1 }))[0]).toMatch(/ok$/);
    // Both LPIs move, also 8192 which targeted vCPU 0, not RDbase1 (vCPU 1): KVM walks every LPI.
    expect(g.cmds(g.cmd(CMD.MOVALL, { target: 1, target2: 0 }))[0]).toMatch(/2 LPI\(s\) now target vCPU 0/);
    g.m.signalMsi(0x08090040n, 1, 0x10);
    expect(g.m.irqOutput(0)).toBe(1);
    expect(g.m.irqOutput(1)).toBe(0);
  });
});

describe('LPIs through the redistributor and the CPU interface', () => {
  it('an LPI is delivered, acknowledged and ended (ICC_IAR1/HPPIR1/EOIR1)', () => {
    const g = up();
    g.prop(LPI, 0xa0 | 2 | 1);
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0));
    expect(g.m.signalMsi(0x08090040n, 0, 0)).toMatchObject({ result: 1, effect: 'delivered (returns 1): LPI 8192 pending on vCPU 0' });
    expect(g.m.irqOutput(0)).toBe(1);
    expect(g.m.fiqOutput(0)).toBe(0); // LPIs are Group 1
    expect(Number(g.sr(0, 'ICC_HPPIR1_EL1'))).toBe(LPI);
    expect(g.ack(0)).toBe(LPI);
    expect(g.m.irqOutput(0)).toBe(0);
    expect(g.ack(0)).toBe(1023);
    g.eoi(0, LPI);
    expect(g.sr(0, 'ICC_AP1R0_EL1')).toBe(0n);
    expect(g.m.signalMsi(0x08090040n, 0, 0).result).toBe(1);
    expect(g.ack(0)).toBe(LPI);
  });

  it('priority comes from the property byte (bits 7:2): the higher-priority LPI is taken first', () => {
    const g = up();
    g.prop(LPI, 0xc1);
    g.prop(LPI + 1, 0x81);
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0), g.mapti(0, 1, LPI + 1, 0));
    g.m.signalMsi(0x08090040n, 0, 0);
    g.m.signalMsi(0x08090040n, 1, 0);
    expect(g.ack(0)).toBe(LPI + 1);
    expect(g.ack(0)).toBe(1023); // 0xc0 cannot preempt 0x80
    g.eoi(0, LPI + 1);
    expect(g.ack(0)).toBe(LPI);
  });

  it('PMR masks an LPI; a disabled LPI stays pending and is delivered once INV enables it', () => {
    const g = up();
    g.prop(LPI, 0xf0);
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0));
    g.m.signalMsi(0x08090040n, 0, 0);
    expect(g.m.irqOutput(0)).toBe(0);
    g.prop(LPI, 0xf1);
    g.cmds(g.cmd(CMD.INV, { deviceId: 0, eventId: 0 }));
    expect(g.m.irqOutput(0)).toBe(0); // priority 0xf0 is not below PMR 0xf0
    g.sw(0, 'ICC_PMR_EL1', 0xf8);
    expect(g.m.irqOutput(0)).toBe(1);
  });

  it('KVM_SIGNAL_MSI: 0 when no mapping, -EBUSY with the ITS or the target\'s LPIs disabled, -EINVAL without a DeviceID or outside the ITS', () => {
    const g = up();
    g.cmds(g.mapd(0), g.mapc(0, 1), g.mapti(0, 0, LPI, 0));
    expect(g.m.signalMsi(0x08090040n, 5, 0)).toMatchObject({ result: 0 });
    expect(g.m.signalMsi(0x08090040n, 0, null)).toMatchObject({ result: -22 });
    expect(g.m.signalMsi(0x09000000n, 0, 0)).toMatchObject({ result: -22 });
    g.rdw(1, 0x0, 0);
    expect(g.m.signalMsi(0x08090040n, 0, 0)).toMatchObject({ result: -16, effect: expect.stringMatching(/EnableLPIs = 0/) });
    g.itsw(0x0, 0, 4);
    expect(g.m.signalMsi(0x08090040n, 0, 0)).toMatchObject({ result: -16, effect: expect.stringMatching(/disabled/) });
    expect(new ItsDrive(v3Model('rev3', 1)).m.signalMsi(0x08090040n, 0, 0).result).toBe(-19);
  });
});

describe('GICR_CTLR.EnableLPIs and the pending tables', () => {
  it('mapping an LPI reads its pending bit from the target\'s pending table and consumes it (clears it in memory)', () => {
    const g = up();
    g.prop(LPI, 0xa1);
    g.mem(pendingTableByte(0, LPI), new Uint8Array([0x01]));
    g.cmds(g.mapd(0), g.mapc(0, 0));
    const r = g.cmds(g.mapti(0, 0, LPI, 0));
    expect(r[0]).toMatch(/ok/);
    expect(g.m.irqOutput(0)).toBe(1);
  });

  it('the consumed pending bit is a memory write the vGIC reports', () => {
    const g = up();
    g.mem(pendingTableByte(1, LPI + 9), new Uint8Array([0x03]));
    g.cmds(g.mapd(0), g.mapc(0, 1));
    g.side.length = 0;
    g.mem(MEM.cmdq + 0x40n, new Uint8Array(32));
    const bytes = new Uint8Array(32);
    const c = g.mapti(0, 0, LPI + 9, 0);
    for (let i = 0; i < 4; i++) bytes.set(Buffer.from(c[i].toString(16).padStart(16, '0'), 'hex').reverse(), 8 * i);
    g.mem(MEM.cmdq + 0x40n, bytes);
    g.itsw(0x88, 0x60);
    const w = g.side.filter((s) => s.kind === 'mem-write');
    expect(w).toEqual([{ kind: 'mem-write', addr: pendingTableByte(1, LPI + 9), bytes: new Uint8Array([0x01]), why: expect.stringMatching(/LPI 8201 mapped: its pending bit in vCPU 1's pending table is consumed/) }]);
  });

  it('EnableLPIs 0 -> 1 syncs the pending table (unless PTZ); 1 -> 0 takes the LPIs off the list, their pending state stays', () => {
    const g = fresh();
    g.bringUp({ enableLpis: false });
    g.rdw(0, 0x0, 1);
    g.prop(LPI, 0xa1);
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0));
    g.m.signalMsi(0x08090040n, 0, 0);
    expect(g.m.irqOutput(0)).toBe(1);
    g.rdw(0, 0x0, 0); // CES: EnableLPIs cleared
    expect(g.rd(0, 0x0)).toBe(0x6n);
    expect(g.m.irqOutput(0)).toBe(0);
    // Re-enabling reads the pending table: the bit is not set there, so the LPI is not pending any more.
    g.rdw(0, 0x0, 1);
    expect(g.rd(0, 0x0)).toBe(0x7n);
    expect(g.m.irqOutput(0)).toBe(0);
    // With the bit set in memory it is.
    g.rdw(0, 0x0, 0);
    g.mem(pendingTableByte(0, LPI), new Uint8Array([0x01]));
    g.rdw(0, 0x0, 1);
    expect(g.m.irqOutput(0)).toBe(1);
  });

  it('PTZ set: enabling LPIs does not read the pending table', () => {
    const g = fresh();
    g.bringUp({ enableLpis: false });
    g.rdw(0, 0x0, 1);
    g.prop(LPI, 0xa1);
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0));
    g.rdw(0, 0x0, 0);
    g.rdw(0, 0x78, (MEM.pend | 0x400n | (1n << 62n)), 8);
    expect(g.rd(0, 0x78, 8) >> 62n).toBe(0n); // PTZ reads 0
    g.mem(pendingTableByte(0, LPI), new Uint8Array([0x01]));
    g.rdw(0, 0x0, 1);
    expect(g.m.irqOutput(0)).toBe(0);
  });

  it('KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES writes each LPI\'s pending bit into its target\'s table', () => {
    const g = up();
    g.prop(LPI, 0xa0);
    g.cmds(g.mapd(0), g.mapc(0, 1), g.mapti(0, 3, LPI + 3, 0));
    g.m.signalMsi(0x08090040n, 3, 0);
    g.collect();
    g.side.length = 0;
    const r = g.m.deviceCtrl('vgic', 3);
    expect(r).toMatchObject({ result: 0 });
    const w = g.collect().filter((s) => s.kind === 'mem-write');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ addr: pendingTableByte(1, LPI + 3), bytes: new Uint8Array([0x08]) });
  });
});

describe('GICR_INVLPIR / GICR_INVALLR at revision 3 and below', () => {
  function withLpi(policy: string | ReturnType<typeof parsePolicy>): ItsDrive {
    const g = new ItsDrive(itsModel(policy as never));
    g.bringUp();
    g.prop(LPI, 0xa1);
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0));
    g.m.signalMsi(0x08090040n, 0, 0);
    g.prop(LPI, 0xa0); // the guest disables the LPI in the property table
    return g;
  }

  it('rev3: GICR_INVLPIR re-reads the property byte (IR=1)', () => {
    const g = withLpi('rev3');
    expect(g.rd(0, 0x0) & 4n).toBe(4n);
    expect(g.m.irqOutput(0)).toBe(1);
    expect(g.rdw(0, 0xa0, LPI, 8)).toBeUndefined();
    expect(g.m.irqOutput(0)).toBe(0);
  });

  it('rev2 (KVM): IR reads 0, yet KVM still honours GICR_INVLPIR, because it registers the register at every revision', () => {
    const g = withLpi('rev2');
    expect(g.rd(0, 0x0) & 6n).toBe(0n);
    expect(g.rdw(0, 0xa0, LPI, 8)).toBeUndefined();
    expect(g.m.irqOutput(0)).toBe(0);
  });

  it('a policy that honours the registers only with IR (gicrLpiInvalidation "with-ir"): ignored below revision 3', () => {
    const base = { ...getPolicy('rev2').data, id: 'rev2-with-ir', gicrLpiInvalidation: 'with-ir' };
    const p2 = parsePolicy(base, 'rev2-with-ir.json');
    const g = withLpi(p2);
    expect(g.rdw(0, 0xa0, LPI, 8)).toMatch(/honours GICR_INVLPIR only while GICR_CTLR.IR is advertised \(revision 2\)/);
    expect(g.m.irqOutput(0)).toBe(1);
    const p3 = parsePolicy({ ...base, id: 'rev3-with-ir', revision: 3 }, 'rev3-with-ir.json');
    const h = withLpi(p3);
    expect(h.rdw(0, 0xa0, LPI, 8)).toBeUndefined();
    expect(h.m.irqOutput(0)).toBe(0);
  });

  it('"absent" (kernels before 5.19): the registers have no region', () => {
    const p = parsePolicy({ ...getPolicy('rev2').data, id: 'pre-5.19', gicrLpiInvalidation: 'absent' }, 'pre.json');
    const g = withLpi(p);
    expect(g.rdw(0, 0xb0, 0, 8)).toMatch(/has no GICR_INVALLR/);
    expect(g.m.irqOutput(0)).toBe(1);
  });

  it('GICR_INVALLR re-reads every LPI targeting the redistributor\'s vCPU; upper-word writes, non-LPI INTIDs and disabled LPIs are ignored', () => {
    const g = withLpi('rev3');
    expect(g.rdw(0, 0xa4, 0, 4)).toMatch(/upper word/);
    expect(g.rdw(0, 0xa0, 40, 8)).toMatch(/INTID 40 is not an LPI/);
    expect(g.rdw(0, 0xa0, LPI + 9, 8)).toMatch(/not mapped/);
    expect(g.rdw(1, 0xb0, 0, 8)).toBeUndefined(); // vCPU 1 holds none of them
    expect(g.m.irqOutput(0)).toBe(1);
    expect(g.rdw(0, 0xb0, 0, 8)).toBeUndefined();
    expect(g.m.irqOutput(0)).toBe(0);
    const h = fresh();
    h.bringUp({ enableLpis: false });
    expect(h.rdw(0, 0xa0, LPI, 8)).toMatch(/LPIs are not enabled/);
    expect(h.rd(0, 0xc0)).toBe(0n); // GICR_SYNCR never reads busy
  });

  it('clearing EnableLPIs works at every revision under KVM; a "with-ces" policy keeps it set below revision 3', () => {
    for (const id of ['rev3', 'rev2', 'rev1']) {
      const g = up(id);
      g.rdw(0, 0x0, 0);
      expect(g.rd(0, 0x0) & 1n).toBe(0n);
    }
    const p = parsePolicy({ ...getPolicy('rev2').data, id: 'rev2-with-ces', gicrEnableLpisClear: 'with-ces' }, 'c.json');
    const g = new ItsDrive(itsModel(p));
    g.bringUp();
    expect(g.rdw(0, 0x0, 0)).toMatch(/does not clear EnableLPIs while GICR_CTLR.CES is not advertised/);
    expect(g.rd(0, 0x0) & 1n).toBe(1n);
  });
});

describe('userspace: KVM_DEV_ARM_VGIC_GRP_ITS_REGS and KVM_DEV_ARM_VGIC_GRP_CTRL', () => {
  it('registers are accessed at their full width; misaligned and unclaimed offsets are refused', () => {
    const g = fresh();
    expect(g.uits(0x100)).toBe(0x1907000000000600n);
    expect(g.uits(0x0, 4)).toBe(0x80000000n);
    expect(g.m.userRead(UserGroup.ItsRegs, null, 0x104, 4, null).note).toMatch(/not 8-byte aligned \(-EINVAL\)/);
    expect(g.m.userRead(UserGroup.ItsRegs, null, 0x100, 4, null).note).toMatch(/as 64 bits/);
    expect(g.m.userRead(UserGroup.ItsRegs, null, 0x40, 8, null).note).toMatch(/-ENXIO/);
  });

  it('GITS_IIDR selects the ABI revision: 0 accepted, anything else -EINVAL', () => {
    const g = fresh();
    expect(g.uitsw(0x4, 0x4b00043b, 4)).toBeUndefined();
    expect(g.uitsw(0x4, 0x4b00143b, 4)).toMatch(/-EINVAL/);
  });

  it('GITS_CREADR can be restored only while the ITS is disabled, and only inside the queue', () => {
    const g = up();
    expect(g.uitsw(0x90, 0x40)).toMatch(/-EBUSY/);
    g.itsw(0x0, 0, 4);
    expect(g.uitsw(0x90, 0x10000)).toMatch(/-EINVAL/);
    expect(g.uitsw(0x90, 0x40)).toBeUndefined();
    expect(g.its(0x90)).toBe(0x40n);
  });

  it('KVM_DEV_ARM_ITS_CTRL_RESET: tables invalid with the ABI fields kept, queue empty, disabled, mappings gone', () => {
    const g = up();
    g.cmds(g.mapd(0), g.mapc(0, 0), g.mapti(0, 0, LPI, 0));
    expect(g.m.deviceCtrl('its', 4).result).toBe(0);
    expect(g.its(0x100)).toBe((MEM.devTable | 0x400n | 0x200n | (3n << 59n) | (1n << 56n) | (7n << 48n)) & ~(1n << 63n));
    expect(g.its(0x80)).toBe(0n);
    expect(g.its(0x0, 4)).toBe(0x80000000n);
    expect(g.m.deviceCtrl('its', 9).result).toBe(-6);
  });
});

describe('KVM_DEV_ARM_ITS_SAVE_TABLES / RESTORE_TABLES (ABI revision 0)', () => {
  function source(): ItsDrive {
    const g = up('rev3', 2);
    g.prop(LPI, 0xa1);
    g.prop(LPI + 7, 0xa1);
    g.cmds(g.mapd(0x20, 4), g.mapd(0x10, 2), g.mapc(1, 1), g.mapc(0, 0), g.mapti(0x20, 3, LPI + 7, 1), g.mapti(0x20, 1, LPI, 0), g.mapti(0x10, 0, LPI + 2, 0));
    return g;
  }

  it('saves DTEs, ITEs and CTEs in KVM\'s layout, sorted by DeviceID and EventID', () => {
    const g = source();
    g.side.length = 0;
    const r = g.m.deviceCtrl('its', 1);
    expect(r).toMatchObject({ result: 0, effect: 'saved 2 device(s), 3 ITE(s), 2 collection(s)' });
    const w = g.collect().filter((s) => s.kind === 'mem-write').map((s) => (s.kind === 'mem-write' ? [s.addr, Buffer.from(s.bytes).readBigUInt64LE(0)] : []));
    const itt10 = MEM.itt + 0x10000n;
    const itt20 = MEM.itt + 0x20000n;
    expect(w).toEqual([
      [itt10, (BigInt(LPI + 2) << 16n) | 0n], // ITE: last of device 0x10, ICID 0
      [MEM.devTable + 0x10n * 8n, (1n << 63n) | (0x10n << 49n) | ((itt10 >> 8n) << 5n) | 1n], // DTE: next device +0x10, 2 EventID bits
      [itt20 + 8n, (2n << 48n) | (BigInt(LPI) << 16n) | 0n], // EventID 1, next +2
      [itt20 + 24n, (BigInt(LPI + 7) << 16n) | 1n], // EventID 3, last
      [MEM.devTable + 0x20n * 8n, (1n << 63n) | ((itt20 >> 8n) << 5n) | 3n], // last device
      [MEM.collTable, (1n << 63n) | (1n << 16n) | 1n], // CTEs in list order: ICID 1 then 0
      [MEM.collTable + 8n, (1n << 63n) | (0n << 16n) | 0n],
      [MEM.collTable + 16n, 0n], // end of table
    ]);
  });

  it('round-trips: a fresh vITS restored from the saved memory and registers delivers the same MSIs', () => {
    const g = source();
    g.m.deviceCtrl('its', 1);
    const mem = g.collect().filter((s) => s.kind === 'mem-write');
    const regs = { baser0: g.uits(0x100), baser1: g.uits(0x108), cbaser: g.uits(0x80), creadr: g.uits(0x90), cwriter: g.uits(0x88), ctlr: g.uits(0x0, 4) };
    // The destination: QEMU's kvm_arm_its_post_load order.
    const d = fresh('rev3', 2);
    d.bootLinuxLike();
    for (let c = 0; c < 2; c++) {
      d.rdw(c, 0x70, MEM.prop | 0x400n | 15n, 8);
      d.rdw(c, 0x78, (MEM.pend + BigInt(c) * 0x10000n) | 0x400n, 8);
      d.rdw(c, 0x0, 1);
    }
    d.prop(LPI, 0xa1);
    d.prop(LPI + 7, 0xa1);
    // The tables as the source guest allocated them (zeroed pages), then what the save wrote.
    d.mem(MEM.devTable, new Uint8Array(0x10000));
    d.mem(MEM.collTable, new Uint8Array(0x10000));
    d.mem(MEM.itt + 0x10000n, new Uint8Array(0x1000));
    d.mem(MEM.itt + 0x20000n, new Uint8Array(0x1000));
    d.mem(MEM.pend, new Uint8Array(0x20000));
    d.prop(LPI + 2, 0xa0);
    for (const m of mem) if (m.kind === 'mem-write') d.mem(m.addr, m.bytes);
    d.uitsw(0x4, 0x4b00043b, 4);
    d.uitsw(0x80, regs.cbaser);
    d.uitsw(0x90, regs.creadr);
    d.uitsw(0x88, regs.cwriter);
    d.uitsw(0x100, regs.baser0);
    d.uitsw(0x108, regs.baser1);
    expect(d.m.deviceCtrl('its', 2)).toMatchObject({ result: 0, effect: 'restored 2 device(s), 3 ITE(s), 2 collection(s)' });
    d.uitsw(0x0, regs.ctlr, 4);
    expect(d.its(0x0, 4)).toBe(0x80000001n);
    expect(d.m.signalMsi(0x08090040n, 3, 0x20).result).toBe(1);
    expect(d.m.irqOutput(1)).toBe(1);
    expect(d.ack(1)).toBe(LPI + 7);
    expect(d.m.signalMsi(0x08090040n, 1, 0x20).result).toBe(1);
    expect(d.ack(0)).toBe(LPI);
    expect(d.m.signalMsi(0x08090040n, 0, 0x10).result).toBe(1); // LPI 8194 is disabled in the property table
    expect(d.m.signalMsi(0x08090040n, 2, 0x20).result).toBe(0);
    // Saving the restored ITS gives the same tables.
    d.side.length = 0;
    d.m.deviceCtrl('its', 1);
    const again = d.collect().filter((s) => s.kind === 'mem-write');
    expect(again.map((m) => (m.kind === 'mem-write' ? [m.addr, Buffer.from(m.bytes).toString('hex')] : []))).toEqual(mem.map((m) => (m.kind === 'mem-write' ? [m.addr, Buffer.from(m.bytes).toString('hex')] : [])));
  });

  it('restore refuses a CTE naming a vCPU that does not exist, and a duplicate ICID', () => {
    const g = fresh('rev3', 1);
    g.itsw(0x108, MEM.collTable | (1n << 63n));
    g.mem(MEM.collTable, Buffer.from('0100050000000080', 'hex'));
    expect(g.m.deviceCtrl('its', 2)).toMatchObject({ result: -22 });
    g.mem(MEM.collTable, Buffer.from('0100000000000080' + '0100000000000080', 'hex'));
    expect(g.m.deviceCtrl('its', 2)).toMatchObject({ result: -17 });
  });

  it('restore of a trace without the table memory finds nothing and says so', () => {
    const g = fresh('rev3', 1);
    g.itsw(0x100, MEM.devTable | (1n << 63n));
    g.itsw(0x108, MEM.collTable | (1n << 63n));
    const r = g.m.deviceCtrl('its', 2);
    expect(r.result).toBe(0);
    expect(r.effect).toMatch(/restored 0 device\(s\), 0 ITE\(s\), 0 collection\(s\); 8193 entries read from guest memory the trace does not carry/);
  });
});
