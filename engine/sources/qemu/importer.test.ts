import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { sysregByName } from '../../arch/sysregs';
import { InputError } from '../../errors';
import { EventKind, Frame, TraceEvent } from '../../trace/events';
import { openTrace } from '../../trace/reader';
import { projectRoot } from '../../util/project-root';
import { importQemuLog, importQemuLogToFile, importQemuText } from './importer';
import { readLogText } from './log-text';

const FIX = path.join(__dirname, 'fixtures');
const enc = (n: string) => sysregByName(n)!.enc;

/** Every line of the fixture logs (copies of the shared real recordings), prefix removed. */
const realLines: string[] = fs
  .readdirSync(FIX)
  .filter((f) => f.endsWith('.log') || f.endsWith('.log.gz'))
  .sort()
  .flatMap((f) => readLogText(path.join(FIX, f)).split('\n'))
  .map((l) => l.replace(/^[0-9]+@[0-9.]+:/, ''));

/** A real line, asserting it is in the recordings (so the format is QEMU's, not ours). */
function real(line: string): string {
  expect(realLines).toContain(line);
  return line;
}

function one(line: string, gic: 2 | 3, cpus = 2): TraceEvent {
  const r = importQemuText(`${line}\n`, 'x.log', { gic, cpus });
  // a lone generate_sgi line (no send_sgi after it) also gets a marker: tested separately
  const evs = r.events.filter((e) => e.kind !== EventKind.Marker);
  expect(evs).toHaveLength(1);
  return evs[0];
}

function thrown(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('GICv3 line formats, from real QEMU 7.2 lines', () => {
  test('distributor read, 64-bit write, bad read (RAZ)', () => {
    expect(one(real('gicv3_dist_read GICv3 distributor read: offset 0x4 data 0x37a0007 size 4 secure 0'), 3)).toEqual({
      kind: EventKind.MmioRead, cycle: 1000n, cpu: null, frame: Frame.Dist, index: 0, offset: 4, size: 4, observed: 0x37a0007n,
    });
    expect(one(real('gicv3_dist_write GICv3 distributor write: offset 0x6328 data 0x1 size 8 secure 0'), 3)).toMatchObject({
      kind: EventKind.MmioWrite, frame: Frame.Dist, offset: 0x6328, size: 8, value: 1n,
    });
    expect(one(real('gicv3_dist_badread GICv3 distributor read: offset 0xc size 4 secure 0: error'), 3)).toMatchObject({
      kind: EventKind.MmioRead, frame: Frame.Dist, offset: 0xc, size: 4, observed: 0n,
    });
  });

  test('redistributor lines name the target redistributor; offsets >= 0x10000 are SGI_base', () => {
    expect(one(real('gicv3_redist_read GICv3 redistributor 0x1 read: offset 0x8 data 0x101000111 size 8 secure 0'), 3)).toEqual({
      kind: EventKind.MmioRead, cycle: 1000n, cpu: null, frame: Frame.RedistRd, index: 1, offset: 8, size: 8, observed: 0x101000111n,
    });
    expect(one(real('gicv3_redist_write GICv3 redistributor 0x0 write: offset 0x10080 data 0xfffffffb size 4 secure 0'), 3)).toMatchObject({
      kind: EventKind.MmioWrite, frame: Frame.RedistSgi, index: 0, offset: 0x80, value: 0xfffffffbn,
    });
  });

  test('ITS control frame', () => {
    expect(one(real('gicv3_its_read GICv3 ITS read: offset 0x8 data 0x1f0001efb1 size 8'), 3)).toMatchObject({
      kind: EventKind.MmioRead, frame: Frame.Its, offset: 8, size: 8, observed: 0x1f0001efb1n,
    });
    expect(one(real('gicv3_its_write GICv3 ITS write: offset 0x100 data 0x0 size 8'), 3)).toMatchObject({ kind: EventKind.MmioWrite, frame: Frame.Its, offset: 0x100, value: 0n });
  });

  test.each([
    ['gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0x1b', 'ICC_IAR1_EL1', 'r', 0x1bn],
    ['gicv3_icc_iar0_read GICv3 ICC_IAR0 read cpu 0x0 value 0x2', 'ICC_IAR0_EL1', 'r', 2n],
    ['gicv3_icc_eoir_write GICv3 ICC_EOIR1 write cpu 0x0 value 0x1b', 'ICC_EOIR1_EL1', 'w', 0x1bn],
    ['gicv3_icc_eoir_write GICv3 ICC_EOIR0 write cpu 0x0 value 0x66', 'ICC_EOIR0_EL1', 'w', 0x66n],
    ['gicv3_icc_igrpen_write GICv3 ICC_IGRPEN0 write cpu 0x0 value 0x1', 'ICC_IGRPEN0_EL1', 'w', 1n],
    ['gicv3_icc_igrpen_read GICv3 ICC_IGRPEN1 read cpu 0x0 value 0x1', 'ICC_IGRPEN1_EL1', 'r', 1n],
    ['gicv3_icc_ap_read GICv3 ICC_AP1R0 read cpu 0x0 value 0x100000', 'ICC_AP1R0_EL1', 'r', 0x100000n],
    ['gicv3_icc_ap_write GICv3 ICC_AP0R0 write cpu 0x0 value 0x0', 'ICC_AP0R0_EL1', 'w', 0n],
    ['gicv3_icc_pmr_write GICv3 ICC_PMR write cpu 0x0 value 0x8', 'ICC_PMR_EL1', 'w', 8n],
    ['gicv3_icc_pmr_read GICv3 ICC_PMR read cpu 0x0 value 0x0', 'ICC_PMR_EL1', 'r', 0n],
    ['gicv3_icc_bpr_write GICv3 ICC_BPR1 write cpu 0x0 value 0x0', 'ICC_BPR1_EL1', 'w', 0n],
    ['gicv3_icc_hppir0_read GICv3 ICC_HPPIR0 read cpu 0x0 value 0x3ff', 'ICC_HPPIR0_EL1', 'r', 0x3ffn],
    ['gicv3_icc_hppir1_read GICv3 ICC_HPPIR1 read cpu 0x0 value 0x1', 'ICC_HPPIR1_EL1', 'r', 1n],
    ['gicv3_icc_rpr_read GICv3 ICC_RPR read cpu 0x0 value 0xa0', 'ICC_RPR_EL1', 'r', 0xa0n],
    ['gicv3_icc_dir_write GICv3 ICC_DIR write cpu 0x0 value 0x1', 'ICC_DIR_EL1', 'w', 1n],
    ['gicv3_icc_ctlr_write GICv3 ICC_CTLR write cpu 0x0 value 0x8c02', 'ICC_CTLR_EL1', 'w', 0x8c02n],
    ['gicv3_icc_ctlr_read GICv3 ICC_CTLR read cpu 0x0 value 0x8c00', 'ICC_CTLR_EL1', 'r', 0x8c00n],
  ])('%s -> %s', (line, reg, dir, v) => {
    const e = one(real(line), 3);
    if (dir === 'r') expect(e).toEqual({ kind: EventKind.SysregRead, cycle: 1000n, cpu: 0, enc: enc(reg), observed: v });
    else expect(e).toEqual({ kind: EventKind.SysregWrite, cycle: 1000n, cpu: 0, enc: enc(reg), value: v });
  });

  test('ICC lines carry the CPU as an affinity', () => {
    expect(one(real('gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x1 value 0x3'), 3)).toMatchObject({ cpu: 1, observed: 3n });
    expect(one(real('gicv3_redist_set_irq GICv3 redistributor 0x1 interrupt 27 level changed to 1'), 3)).toMatchObject({ kind: EventKind.Line, cpu: 1, intid: 27 });
  });

  test('generate_sgi becomes an ICC_SGI1R_EL1 write rebuilt from its fields', () => {
    // INTID 3 in [27:24], target list 0x2 in [15:0]
    expect(one(real('gicv3_icc_generate_sgi GICv3 CPU i/f 0x0 generating SGI 3 IRM 0 target affinity 0x0xx targetlist 0x2'), 3)).toEqual({
      kind: EventKind.SysregWrite, cycle: 1000n, cpu: 0, enc: enc('ICC_SGI1R_EL1'), value: 0x03000002n,
    });
    // IRM in bit 40
    expect(one(real('gicv3_icc_generate_sgi GICv3 CPU i/f 0x0 generating SGI 5 IRM 1 target affinity 0x0xx targetlist 0x0'), 3)).toMatchObject({ value: (1n << 40n) | 0x05000000n });
    // Aff3.Aff2.Aff1 = 0x030201 -> Aff3 [55:48], Aff2 [39:32], Aff1 [23:16]
    expect(one('gicv3_icc_generate_sgi GICv3 CPU i/f 0x1 generating SGI 15 IRM 0 target affinity 0x30201xx targetlist 0x8001', 3)).toMatchObject({
      cpu: 1, value: (3n << 48n) | (2n << 32n) | (0xfn << 24n) | (1n << 16n) | 0x8001n,
    });
  });

  test('an SGI QEMU did not pend on a named target gets a marker (send_sgi lines missing)', () => {
    const gen = real('gicv3_icc_generate_sgi GICv3 CPU i/f 0x0 generating SGI 3 IRM 0 target affinity 0x0xx targetlist 0x2');
    const sent = real('gicv3_redist_send_sgi GICv3 redistributor 0x1 pending SGI 3');
    expect(importQemuText(`${gen}\n${sent}\n`, 'x.log', { gic: 3, cpus: 2 }).events).toHaveLength(1);
    const dropped = importQemuText(`${gen}\n`, 'x.log', { gic: 3, cpus: 2 });
    expect(dropped.events[1]).toMatchObject({ kind: EventKind.Marker, cycle: 2000n, cpu: 0 });
    expect((dropped.events[1] as { text: string }).text).toMatch(/^qemu: SGI 3 pended on none of targets cpu1 /);
    // IRM=1 names every other vCPU
    const irm = importQemuText('gicv3_icc_generate_sgi GICv3 CPU i/f 0x0 generating SGI 5 IRM 1 target affinity 0x0xx targetlist 0x0\ngicv3_redist_send_sgi GICv3 redistributor 0x1 pending SGI 5\n', 'x.log', { gic: 3, cpus: 3 });
    expect((irm.events[1] as { text: string }).text).toMatch(/^qemu: SGI 5 pended on cpu1 of targets cpu1,cpu2 /);
  });

  test('the SGI register is inferred from the SGI\'s group at the target and where QEMU pended it', () => {
    const gen = 'gicv3_icc_generate_sgi GICv3 CPU i/f 0x0 generating SGI 3 IRM 0 target affinity 0x0xx targetlist 0x2';
    const sent = 'gicv3_redist_send_sgi GICv3 redistributor 0x1 pending SGI 3';
    const g1 = 'gicv3_redist_write GICv3 redistributor 0x1 write: offset 0x10080 data 0xffffffff size 4 secure 0';
    const kinds = (text: string) => importQemuText(text, 'x.log', { gic: 3, cpus: 2 }).events.map((e) => (e.kind === EventKind.SysregWrite ? e.enc : e.kind));
    // target in Group 1 took it: ICC_SGI1R; target in Group 0 (QEMU reset) took it: ICC_SGI0R
    expect(kinds(`${g1}\n${gen}\n${sent}\n`)).toEqual([EventKind.MmioWrite, enc('ICC_SGI1R_EL1')]);
    expect(kinds(`${gen}\n${sent}\n`)).toEqual([enc('ICC_SGI0R_EL1')]);
    // Group-1 target did not take it: a Group-0 request (ICC_SGI0R, or ICC_ASGI1R with DS=1)
    expect(kinds(`${g1}\n${gen}\n`)).toEqual([EventKind.MmioWrite, enc('ICC_SGI0R_EL1'), EventKind.Marker]);
    // the real bare-metal guest's polled Group-0 SGI (T3, through ICC_SGI0R)
    const r = importQemuLog(path.join(FIX, 'gic3-baremetal-smp2.log.gz'), { gic: 3 });
    expect(r.stats.sgi0r).toBe(5);
    expect(r.events.filter((e) => e.kind === EventKind.SysregWrite && e.enc === enc('ICC_SGI0R_EL1'))[0]).toMatchObject({ cpu: 0, value: 0x02000001n });
  });

  test('input lines: PPIs from gicv3_redist_set_irq, SPIs from gicv3_dist_set_irq', () => {
    expect(one(real('gicv3_redist_set_irq GICv3 redistributor 0x0 interrupt 27 level changed to 1'), 3)).toEqual({ kind: EventKind.Line, cycle: 1000n, intid: 27, cpu: 0, level: 1 });
    // never fired in the recordings: the format is QEMU's trace-events text
    expect(one('gicv3_dist_set_irq GICv3 distributor interrupt 48 level changed to 0', 3)).toEqual({ kind: EventKind.Line, cycle: 1000n, intid: 48, cpu: null, level: 0 });
  });

  test('bad redistributor/ITS accesses (formats from trace-events) read as 0', () => {
    expect(one('gicv3_redist_badread GICv3 redistributor 0x1 read: offset 0x10d00 size 4 secure 0: error', 3)).toMatchObject({ frame: Frame.RedistSgi, index: 1, offset: 0xd00, observed: 0n });
    expect(one('gicv3_redist_badwrite GICv3 redistributor 0x0 write: offset 0x40 data 0x5 size 4 secure 0: error', 3)).toMatchObject({ kind: EventKind.MmioWrite, frame: Frame.RedistRd, offset: 0x40, value: 5n });
    expect(one('gicv3_its_badread GICv3 ITS read: offset 0x30 size 4: error', 3)).toMatchObject({ frame: Frame.Its, offset: 0x30, observed: 0n });
  });

  test('every line of the real-lines corpus parses; internal events are counted and dropped, ITS commands rebuilt', () => {
    const r = importQemuLog(path.join(FIX, 'real-lines-gic3.log'), { gic: 3 });
    const internal = Object.fromEntries(r.stats.internal);
    expect(internal).toEqual({
      gicv3_cpuif_set_irqs: 1, gicv3_cpuif_update: 1, gicv3_cpuif_virt_set_irqs: 1, gicv3_cpuif_virt_update: 1, gicv3_its_cte_write: 1, gicv3_redist_send_sgi: 1,
    });
    // Three commands, each two lines (processing + decoded), become one mem-write each.
    expect(r.stats.itsCommands).toBe(3);
    expect(r.events).toHaveLength(r.stats.lines - 6 - 3);
    expect(r.header.formatMinor).toBe(2);
  });

  test('ITS commands: QEMU\'s decoded lines become the 32 bytes at GITS_CBASER + 32 x offset, in line order, before the CWRITER write', () => {
    const log = [
      'gicv3_its_write GICv3 ITS write: offset 0x80 data 0xb80000004258040f size 8',
      real('gicv3_its_process_command GICv3 ITS: processing command at offset 0x0: 0x9'),
      real('gicv3_its_cmd_mapc GICv3 ITS: command MAPC ICID 0x0 RDbase 0x0 V 1'),
      real('gicv3_its_process_command GICv3 ITS: processing command at offset 0x1: 0x5'),
      real('gicv3_its_cmd_sync GICv3 ITS: command SYNC'),
      'gicv3_its_write GICv3 ITS write: offset 0x88 data 0x40 size 8',
      'gicv3_its_process_command GICv3 ITS: processing command at offset 0x2: 0xd',
      real('gicv3_its_cmd_invall GICv3 ITS: command INVALL'),
      'gicv3_its_process_command GICv3 ITS: processing command at offset 0x3: 0x8',
      'gicv3_its_cmd_mapd GICv3 ITS: command MAPD DeviceID 0x8 Size 0x1 ITT_addr 0x402080 V 1',
      'gicv3_its_process_command GICv3 ITS: processing command at offset 0x4: 0xa',
      'gicv3_its_cmd_mapti GICv3 ITS: command MAPTI DeviceID 0x8 EventID 0x1 ICID 0x1 pINTID 0x2001',
      'gicv3_its_translation_write GICv3 ITS TRANSLATER write: offset 0x40 data 0x1 size 4 requester_id 0x8',
    ].join('\n');
    const r = importQemuText(`${log}\n`, 'x.log', { gic: 3, cpus: 2 });
    expect(r.header.formatMinor).toBe(2);
    expect(r.header.provenance.blindSpots.some((b) => /INVALL's ICID from the MAPC before it/.test(b))).toBe(true);
    const words = (e: TraceEvent): string[] => {
      if (e.kind !== EventKind.MemWrite) return [];
      const dv = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
      return [0, 1, 2, 3].map((i) => dv.getBigUint64(8 * i, true).toString(16));
    };
    const ev = r.events;
    expect(ev.map((e) => e.kind)).toEqual([EventKind.MmioWrite, EventKind.MemWrite, EventKind.MemWrite, EventKind.MmioWrite, EventKind.MemWrite, EventKind.MemWrite, EventKind.MemWrite, EventKind.Msi]);
    // GITS_CBASER.PA 0x42580000; MAPC ICID 0 -> processor 0, V=1.
    expect(ev[1]).toMatchObject({ addr: 0x42580000n, cpu: null });
    expect(words(ev[1])).toEqual(['9', '0', '8000000000000000', '0']);
    expect(words(ev[2])).toEqual(['5', '0', '0', '0']);
    expect(ev[2]).toMatchObject({ addr: 0x42580020n });
    // INVALL's ICID is not in QEMU's line: the collection the MAPC before it mapped (0).
    expect(words(ev[4])).toEqual(['d', '0', '0', '0']);
    // MAPD: QEMU prints ITT_addr >> 8 and the raw Size field.
    expect(words(ev[5])).toEqual(['800000008', '1', '8000000040208000', '0']);
    expect(words(ev[6])).toEqual(['80000000a', '200100000001', '1', '0']);
    expect(ev[7]).toEqual({ kind: EventKind.Msi, cycle: ev[7].cycle, cpu: null, address: 0x08090040n, data: 1, devid: 8 });
    expect(r.stats).toMatchObject({ itsCommands: 5, itsInferred: 2, msis: 1 });
  });

  test("guest memory the log cannot show: an indirect device table's level-1 entry before MAPD, Linux's property byte before MAPTI and INV", () => {
    const log = [
      'gicv3_its_write GICv3 ITS write: offset 0x80 data 0xb80000004258040f size 8',
      // GITS_BASER0: Valid, Indirect, PA 0x42590000, 64 KiB pages
      'gicv3_its_write GICv3 ITS write: offset 0x100 data 0xf907000042590600 size 8',
      'gicv3_redist_write GICv3 redistributor 0x0 write: offset 0x70 data 0x425b078f size 8 secure 0',
      'gicv3_its_process_command GICv3 ITS: processing command at offset 0x0: 0x8',
      'gicv3_its_cmd_mapd GICv3 ITS: command MAPD DeviceID 0x8 Size 0x1 ITT_addr 0x480c88 V 1',
      'gicv3_its_process_command GICv3 ITS: processing command at offset 0x1: 0xa',
      'gicv3_its_cmd_mapti GICv3 ITS: command MAPTI DeviceID 0x8 EventID 0x2 ICID 0x1 pINTID 0x2002',
      'gicv3_its_process_command GICv3 ITS: processing command at offset 0x2: 0xc',
      'gicv3_its_cmd_inv GICv3 ITS: command INV DeviceID 0x8 EventID 0x2',
      'gicv3_its_process_command GICv3 ITS: processing command at offset 0x3: 0xc',
      'gicv3_its_cmd_inv GICv3 ITS: command INV DeviceID 0x8 EventID 0x7', // never mapped: nothing to reconstruct
    ].join('\n');
    const r = importQemuText(`${log}\n`, 'x.log', { gic: 3, cpus: 2 });
    const mem = r.events.filter((e) => e.kind === EventKind.MemWrite).map((e) => (e.kind === EventKind.MemWrite ? `${e.addr.toString(16)}:${Buffer.from(e.data).toString('hex')}` : ''));
    expect(mem).toEqual([
      '42590000:0000004000000080', // level-1 entry 0 -> level-2 page 0x40000000, Valid
      '40000040:0000000000000000', // DeviceID 8's DTE slot in it (KVM: 8-byte entries)
      '42580000:' + '0800000008000000' + '0100000000000000' + '00880c4800000080' + '0000000000000000', // the MAPD
      '425b0002:a2', // LPI 8194 disabled at priority 0xa0 (Linux's table fill) when it is mapped
      '42580020:' + '0a00000008000000' + '0200000002200000' + '0100000000000000' + '0000000000000000',
      '425b0002:a3', // ... and enabled before the INV that follows Linux's unmask
      '42580040:' + '0c00000008000000' + '0200000000000000' + '0000000000000000' + '0000000000000000',
      '42580060:' + '0c00000008000000' + '0700000000000000' + '0000000000000000' + '0000000000000000',
    ]);
    expect(r.stats).toMatchObject({ itsL1Entries: 1, itsPropBytes: 2 });
    expect(r.header.provenance.details?.itsMemory).toMatch(/^guest memory the kernel wrote and QEMU's log cannot show, reconstructed/);
  });

  test('a decoded ITS command without its "processing command" line is refused', () => {
    const e = thrown(() => importQemuText('gicv3_its_cmd_sync GICv3 ITS: command SYNC\n', 'x.log', { gic: 3, cpus: 1 }));
    expect(e.message).toMatch(/gicv3_its_cmd_sync without the gicv3_its_process_command line before it/);
    expect(e.location?.line).toBe(1);
  });
});

describe('GICv2 line formats, from real QEMU 7.2 lines', () => {
  test('distributor reads and writes, including a byte write', () => {
    expect(one(real('gic_dist_read dist read at 0x00000fe8 size 4: 0x0000002b'), 2)).toEqual({
      kind: EventKind.MmioRead, cycle: 1000n, cpu: null, frame: Frame.Dist, index: 0, offset: 0xfe8, size: 4, observed: 0x2bn,
    });
    expect(one(real('gic_dist_write dist write at 0x00000f00 size 4: 0x00020003'), 2)).toMatchObject({ kind: EventKind.MmioWrite, offset: 0xf00, size: 4, value: 0x20003n });
    expect(one(real('gic_dist_write dist write at 0x00000865 size 1: 0x00000002'), 2)).toMatchObject({ kind: EventKind.MmioWrite, offset: 0x865, size: 1, value: 2n });
  });

  test('CPU interface lines carry the accessing CPU; GICC_DIR is at 0x1000', () => {
    expect(one(real('gic_cpu_read cpu 0 iface read at 0x0000000c: 0x0000001b'), 2)).toEqual({
      kind: EventKind.MmioRead, cycle: 1000n, cpu: 0, frame: Frame.CpuIf, index: 0, offset: 0xc, size: 4, observed: 0x1bn,
    });
    expect(one(real('gic_cpu_write cpu 1 iface write at 0x00000010 0x00000065'), 2)).toMatchObject({ kind: EventKind.MmioWrite, cpu: 1, frame: Frame.CpuIf, offset: 0x10, value: 0x65n });
    expect(one(real('gic_cpu_write cpu 0 iface write at 0x00001000 0x00000001'), 2)).toMatchObject({ frame: Frame.CpuIf, offset: 0x1000 });
  });

  test('gic_set_irq: a PPI names its CPU by cpumask, an SPI has none', () => {
    expect(one(real('gic_set_irq irq 27 level 1 cpumask 0x2 target 0x2'), 2)).toEqual({ kind: EventKind.Line, cycle: 1000n, intid: 27, cpu: 1, level: 1 });
    expect(one('gic_set_irq irq 33 level 1 cpumask 0xff target 0x1', 2)).toEqual({ kind: EventKind.Line, cycle: 1000n, intid: 33, cpu: null, level: 1 });
  });

  test('every line of the real-lines corpus parses', () => {
    const r = importQemuLog(path.join(FIX, 'real-lines-gic2.log'), { gic: 2 });
    expect(r.stats.internal.map(([n]) => n)).toEqual(['gic_acknowledge_irq', 'gic_disable_irq', 'gic_enable_irq', 'gic_update_bestirq', 'gic_update_set_irq']);
    expect(r.events.map((e) => e.kind)).toEqual([EventKind.MmioRead, EventKind.MmioWrite, EventKind.MmioWrite, EventKind.MmioRead, EventKind.Line, EventKind.MmioWrite, EventKind.Line]);
  });
});

describe('vCPU attribution', () => {
  test('-msg timestamp=on thread IDs map to vCPUs through the ICC lines (GICv3)', () => {
    const r = importQemuLog(path.join(FIX, 'gic3-baremetal-smp2-tid.log.gz'), { gic: 3 });
    expect(r.stats.tidMap).toEqual([[9424, 0], [9425, 1]]);
    expect(r.stats.unattributed).toBe(0);
    const mmio = r.events.filter((e) => e.kind === EventKind.MmioRead || e.kind === EventKind.MmioWrite) as Extract<TraceEvent, { frame: Frame }>[];
    // CPU0 walks every GICR_TYPER while probing: accessor 0, target redistributor 1
    expect(mmio.find((e) => e.frame === Frame.RedistRd && e.index === 1 && e.offset === 8)).toMatchObject({ cpu: 0 });
    // CPU1 wakes its own redistributor (GICR_WAKER)
    expect(mmio.find((e) => e.kind === EventKind.MmioWrite && e.frame === Frame.RedistRd && e.index === 1 && e.offset === 0x14)).toMatchObject({ cpu: 1, value: 4n });
    expect(new Set(mmio.map((e) => e.cpu))).toEqual(new Set([0, 1]));
  });

  test('GICv2: thread IDs from the GICC lines attribute distributor accesses', () => {
    const r = importQemuLog(path.join(FIX, 'gic2-baremetal-smp2-tid.log.gz'), { gic: 2 });
    expect(r.stats.tidMap).toEqual([[9465, 0], [9466, 1]]);
    const dist = r.events.filter((e) => (e.kind === EventKind.MmioRead || e.kind === EventKind.MmioWrite) && e.frame === Frame.Dist);
    expect(dist.every((e) => e.cpu !== null)).toBe(true);
    expect(dist.some((e) => e.cpu === 1)).toBe(true);
  });

  test('GICv2: the CPU that wrote GICD_SGIR comes from the source CPUID of the IAR that took the SGI', () => {
    const sgir = 'gic_dist_write dist write at 0x00000f00 size 4: 0x00010001'; // SGI 1 to CPU0
    const iar = 'gic_cpu_read cpu 0 iface read at 0x0000000c: 0x00000401'; // from CPU1
    const cpus = (text: string) => importQemuText(text, 'x.log', { gic: 2, cpus: 2 }).events.map((e) => (e as { cpu: number | null }).cpu);
    expect(cpus(`${sgir}\n${iar}\n`)).toEqual([1, 0]);
    // another SGIR write of the same INTID before the acknowledge: ambiguous, left unknown
    expect(cpus(`${sgir}\n${sgir}\n${iar}\n`)).toEqual([null, 1, 0]);
    // the acknowledging CPU was not a target of the write: not this SGI
    expect(cpus(`gic_dist_write dist write at 0x00000f00 size 4: 0x00020001\n${iar}\n`)).toEqual([null, 0]);
    const r = importQemuLog(path.join(FIX, 'gic2-baremetal-smp2.log.gz'), { gic: 2 });
    expect(r.stats.sgirInferred).toBe(8);
  });

  test('without thread IDs distributor accesses stay unknown', () => {
    const r = importQemuLog(path.join(FIX, 'gic3-baremetal-smp2.log.gz'), { gic: 3 });
    const dist = r.events.filter((e) => e.kind === EventKind.MmioRead && e.frame === Frame.Dist);
    expect(dist.length).toBeGreaterThan(0);
    expect(dist.every((e) => e.cpu === null)).toBe(true);
  });

  test('a thread seen on two vCPUs (thread=single with timestamps) attributes nothing', () => {
    const log = [
      '7@1.000001:gicv3_icc_pmr_write GICv3 ICC_PMR write cpu 0x0 value 0xf0',
      '7@1.000002:gicv3_icc_pmr_write GICv3 ICC_PMR write cpu 0x1 value 0xf0',
      '7@1.000003:gicv3_dist_read GICv3 distributor read: offset 0x0 data 0x0 size 4 secure 0',
      '8@1.000004:gicv3_dist_read GICv3 distributor read: offset 0x0 data 0x0 size 4 secure 0',
    ].join('\n');
    const r = importQemuText(`${log}\n`, 'x.log', { gic: 3 });
    expect(r.stats.ambiguousTids).toEqual([7]);
    expect(r.events.slice(2).map((e) => (e as { cpu: number | null }).cpu)).toEqual([null, null]);
  });

  test('the vCPU count is inferred from GICR_TYPER.Last and the CPUs the lines name', () => {
    expect(importQemuLog(path.join(FIX, 'gic3-baremetal-smp2.log.gz'), { gic: 3 }).header.gic.cpus.length).toBe(2);
    expect(importQemuLog(path.join(FIX, 'gic2-baremetal-smp2.log.gz'), { gic: 2 }).header.gic.cpus.length).toBe(2);
  });
});

describe('bad input', () => {
  const good = 'gicv3_dist_read GICv3 distributor read: offset 0x0 data 0x0 size 4 secure 0';

  test('malformed line: file and line number', () => {
    const e = thrown(() => importQemuText(`${good}\n${good}\ngicv3_dist_read GICv3 distributor read: offset 0xzz data 0x0 size 4 secure 0\n`, 'bad.log', { gic: 3 }));
    expect(e.message).toMatch(/^bad\.log, line 3: malformed gicv3_dist_read line/);
    expect(e.message).toContain('expected "GICv3 distributor read: offset 0x%x data 0x%x size %u secure %d"');
  });

  test('a line that is not "NAME TEXT" at all', () => {
    expect(thrown(() => importQemuText(`${good}\n\u0001garbage\n`, 'bad.log', { gic: 3 })).message).toMatch(/^bad\.log, line 2: malformed line/);
  });

  test('unknown event: error with line, or counted with skipUnknown', () => {
    const text = `${good}\ngicv9_frobnicate something\n${good}\n`;
    expect(thrown(() => importQemuText(text, 'u.log', { gic: 3 })).message).toMatch(/^u\.log, line 2: unknown event "gicv9_frobnicate"/);
    const r = importQemuText(text, 'u.log', { gic: 3, skipUnknown: true });
    expect(r.stats.skippedUnknown).toBe(1);
    expect(r.events).toHaveLength(2);
    expect(r.header.provenance.details.skippedUnknown).toBe('1');
  });

  test('--skip-unknown also drops malformed lines and non-event text, and counts them; truncation still fails', () => {
    const text = `${good}\nqemu-system-aarch64: terminating on signal 15\ngicv3_dist_read GICv3 distributor read: offset 0xzz\n${good}\n`;
    expect(thrown(() => importQemuText(text, 'm.log', { gic: 3 })).message).toMatch(/^m\.log, line 2: malformed line/);
    const r = importQemuText(text, 'm.log', { gic: 3, skipUnknown: true });
    expect(r.stats.skippedUnknown).toBe(2);
    expect(r.events).toHaveLength(2);
    expect(thrown(() => importQemuText(`${good}\n${good.slice(0, 40)}`, 'm.log', { gic: 3, skipUnknown: true })).message).toMatch(/line 2: log is truncated/);
  });

  test('events a KVM guest cannot produce are rejected (EL3, nested virtualization, GICv2 vcpu interface)', () => {
    expect(thrown(() => importQemuText('gicv3_icc_ctlr_el3_read GICv3 ICC_CTLR_EL3 read cpu 0x0 value 0x0\n', 'e.log', { gic: 3 })).message).toMatch(/line 1: .*EL3/);
    expect(thrown(() => importQemuText('gic_cpu_read vcpu 0 iface read at 0x0000000c: 0x000003ff\n', 'v.log', { gic: 2 })).message).toMatch(/line 1: gic_cpu_read cannot be imported/);
  });

  test('truncated plain log: the last line has no newline', () => {
    expect(thrown(() => importQemuText(`${good}\ngicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0x1`, 't.log', { gic: 3 })).message).toMatch(/^t\.log, line 2: log is truncated/);
  });

  test('truncated gzip log', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-test-'));
    const f = path.join(dir, 'cut.log.gz');
    const gz = fs.readFileSync(path.join(FIX, 'gic3-baremetal-smp2.log.gz'));
    fs.writeFileSync(f, gz.subarray(0, gz.length >> 1));
    expect(thrown(() => importQemuLog(f, { gic: 3 })).message).toMatch(/cut\.log\.gz, byte offset \d+: gzip stream is truncated or corrupt/);
    fs.rmSync(dir, { recursive: true });
  });

  test('wrong GIC version, Secure access, vCPU beyond --cpus, bad size, bad level', () => {
    expect(thrown(() => importQemuText(`${good}\n`, 'w.log', { gic: 2 })).message).toMatch(/line 1: gicv3_dist_read is a GICv3 event but the import is for GICv2/);
    expect(thrown(() => importQemuText('gicv3_dist_read GICv3 distributor read: offset 0x0 data 0x0 size 4 secure 1\n', 's.log', { gic: 3 })).message).toMatch(/line 1: Secure access/);
    expect(thrown(() => importQemuText(`${good}\ngicv3_icc_pmr_read GICv3 ICC_PMR read cpu 0x2 value 0x0\n`, 'c.log', { gic: 3, cpus: 2 })).message).toMatch(/line 2: line names vCPU 2 but the trace has 2 vCPUs/);
    expect(thrown(() => importQemuText('gicv3_dist_read GICv3 distributor read: offset 0x0 data 0x0 size 3 secure 0\n', 'z.log', { gic: 3 })).message).toMatch(/line 1: access size 3/);
    expect(thrown(() => importQemuText('gic_set_irq irq 40 level 2 cpumask 0xff target 0x1\n', 'l.log', { gic: 2 })).message).toMatch(/line 1: line level 2/);
  });
});

describe('determinism and the checked-in traces', () => {
  test('same input, byte-identical trace; gzip and plain give the same events', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-test-'));
    const gz = path.join(FIX, 'gic3-baremetal-smp2.log.gz');
    const plain = path.join(dir, 'gic3-baremetal-smp2.log');
    fs.writeFileSync(plain, zlib.gunzipSync(fs.readFileSync(gz)));
    const a = importQemuLogToFile(gz, path.join(dir, 'a.gtr'), { gic: 3, logName: 'x' });
    const b = importQemuLogToFile(gz, path.join(dir, 'b.gtr'), { gic: 3, logName: 'x' });
    const c = importQemuLogToFile(plain, path.join(dir, 'c.gtr'), { gic: 3, logName: 'x' });
    expect(fs.readFileSync(path.join(dir, 'a.gtr')).equals(fs.readFileSync(path.join(dir, 'b.gtr')))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'a.gtr')).equals(fs.readFileSync(path.join(dir, 'c.gtr')))).toBe(true);
    expect(a.trailer.digest).toBe(c.trailer.digest);
    expect(b.trailer.events).toBe(469);
    fs.rmSync(dir, { recursive: true });
  });

  test.each(['gic3-baremetal-smp2', 'gic3-baremetal-smp2-tid', 'gic2-baremetal-smp2', 'gic2-baremetal-smp2-tid'])('traces/qemu/%s.gtr is the import of its log', (name) => {
    const r = importQemuLog(path.join(FIX, `${name}.log.gz`), { gic: name.startsWith('gic3') ? 3 : 2 });
    const t = openTrace(path.join(projectRoot(), 'traces', 'qemu', `${name}.gtr`));
    const got: TraceEvent[] = [];
    for (let e = t.next(); e; e = t.next()) got.push(e);
    t.close();
    expect(got).toEqual(r.events);
    expect(t.header.provenance.kind).toBe('qemu');
    expect(t.header.gic).toEqual(r.header.gic);
  });

  test('header: QEMU virt frames, 256 SPIs, ITS on GICv3, KVM MPIDRs, cycles and blind spots documented', () => {
    const r = importQemuLog(path.join(FIX, 'gic3-baremetal-smp2.log.gz'), { gic: 3 });
    expect(r.header.gic).toEqual({
      version: 3, spis: 256, its: true,
      cpus: [{ mpidr: 0x80000000n }, { mpidr: 0x80000001n }],
      frames: { dist: 0x08000000n, redist: [0x080a0000n, 0x080c0000n], its: 0x08080000n },
    });
    expect(r.header.timer.cntfrq).toBe(62_500_000n);
    expect(r.header.provenance.cycles).toMatch(/line order/);
    expect(r.header.provenance.blindSpots.join(' ')).toMatch(/ICC_SRE_EL1 is never traced/);
    expect(r.events.map((e) => e.cycle)).toEqual(r.events.map((_, i) => BigInt(i + 1) * 1000n));
  });
});
