// KVM's ITS register table (vgic-its.c its_registers[]), one row per register in KVM's order. The
// control frame is the first 64 KiB of the 128 KiB ITS region KVM registers; nothing claims the
// translation frame (GITS_TRANSLATER at +0x10040): guest writes there are RAZ/WI, MSIs reach KVM's
// vITS through KVM_SIGNAL_MSI or irqfd routes (the msi trace event). Userspace reaches the same
// rows through KVM_DEV_ARM_VGIC_GRP_ITS_REGS, with KVM's uaccess handlers for IIDR and CREADR.

import { extractBytes, FrameTable, ID_REG_NAMES, lo32, RegRead, RegRow, RegWrite, ro, sanitiseBaserAttrs, update64, W32, W64, wi } from '../core/regtable';
import {
  BASER_INDIRECT,
  BASER_PAGE_SIZE_64K,
  BASER_PAGE_SIZE_SHIFT,
  BASER_RO_MASK,
  BASER_TYPE_COLLECTION,
  BASER_TYPE_DEVICE,
  BASER_TYPE_SHIFT,
  BASER_ENTRY_SIZE_SHIFT,
  BASER_VALID,
  CMD_OFFSET_MASK,
  cmdQueueBytes,
  CTLR_ENABLE,
  CTLR_QUIESCENT,
  ABI0_ESZ,
  IMPLEMENTER_ARM,
  INNER_CACHE_SHIFT,
  ITS_ABI_REVISIONS,
  ITS_TYPER,
  OUTER_CACHE_SHIFT,
  PRODUCT_ID_KVM,
  SHAREABILITY_SHIFT,
} from './abi';
import { ITS_FIELDS } from './fields';
import { Its } from './its';
import { hex } from '../../util/hex';

type Row = RegRow<Its>;

function row(name: string, offset: number, len: number, widths: number, access: Row['access'], read: RegRead<Its>, write: RegWrite<Its>, extra: Partial<Row> = {}): Row {
  return { name, offset, len, bitsPerIrq: 0, widths, naming: { kind: 'single' }, access, read, write, uaccess: 'same', fields: ITS_FIELDS[name], ...extra };
}

/** What a write stored, when that is not what was written (the half the access covered). */
function storedEffect(written: bigint, off: number, size: number, stored: bigint, why: string): string | undefined {
  const s = extractBytes(stored, off & 4, size);
  return s !== written ? `stored ${hex(s)}: ${why}` : undefined;
}

function sanitiseCommon(v: bigint): bigint {
  return sanitiseBaserAttrs(v, SHAREABILITY_SHIFT, INNER_CACHE_SHIFT, OUTER_CACHE_SHIFT);
}

/** vgic_sanitise_its_cbaser: the common rules, and the address 64 KiB aligned (bits [15:12] cleared). */
export function sanitiseCbaser(v: bigint): bigint {
  return sanitiseCommon(v) & ~(0xfn << 12n);
}

/** vgic_sanitise_its_baser: the common rules, and Page_Size forced to 64 KiB. */
export function sanitiseBaser(v: bigint): bigint {
  return (sanitiseCommon(v) & ~(3n << BASER_PAGE_SIZE_SHIFT)) | (BASER_PAGE_SIZE_64K << BASER_PAGE_SIZE_SHIFT);
}

export function itsCtlr(its: Its): number {
  its.dep('ctlr', false);
  its.dep('cmdq', false);
  return ((its.creadr === its.cwriter ? CTLR_QUIESCENT : 0) | (its.enabled ? CTLR_ENABLE : 0)) >>> 0;
}

function ctlrWrite(its: Its, _cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  const v = lo32(value);
  if (!its.enabled && v & CTLR_ENABLE && (!(its.baserDevice & BASER_VALID) || !(its.baserColl & BASER_VALID) || !(its.cbaser & BASER_VALID))) {
    return 'ignored: KVM does not enable the ITS while GITS_BASER0, GITS_BASER1 or GITS_CBASER is invalid (UNPREDICTABLE)';
  }
  its.enabled = (v & CTLR_ENABLE) !== 0;
  its.dep('ctlr', true);
  // Disabling also drops the translation cache, which changes nothing a guest can see here.
  its.processCommands();
  return (v & ~(CTLR_ENABLE | CTLR_QUIESCENT)) !== 0 ? `stored ${hex(itsCtlr(its))}: only Enabled is writable (Quiescent is status)` : undefined;
}

export function itsIidr(its: Its): number {
  its.dep('abi', false);
  return ((PRODUCT_ID_KVM << 24) | ((its.abiRev & 0xf) << 12) | IMPLEMENTER_ARM) >>> 0;
}

/** vgic_mmio_uaccess_write_its_iidr: userspace selects the save/restore ABI revision. */
function iidrUserWrite(its: Its, _cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  const rev = Number((value >> 12n) & 0xfn);
  if (rev >= ITS_ABI_REVISIONS) return `rejected (-EINVAL): ITS ABI revision ${rev}; KVM implements revision 0 only`;
  its.abiRev = rev;
  its.commitAbi();
  its.dep('abi', true);
  return undefined;
}

function cbaserWrite(its: Its, _cpu: number, off: number, size: number, value: bigint): string | undefined {
  if (its.enabled) return 'ignored: GITS_CBASER is read-only while the ITS is enabled';
  its.cbaser = sanitiseCbaser(update64(its.cbaser, off & 7, size, value));
  // CWRITER is UNKNOWN at reset; KVM empties the queue instead.
  its.creadr = 0;
  its.cwriter = 0;
  its.dep('cmdq', true);
  return storedEffect(value, off, size, its.cbaser, 'KVM sanitises shareability/cacheability and aligns the queue to 64 KiB');
}

function cwriterWrite(its: Its, _cpu: number, off: number, size: number, value: bigint): string | undefined {
  const reg = Number(update64(BigInt(its.cwriter), off & 7, size, value) & BigInt(CMD_OFFSET_MASK));
  const bytes = cmdQueueBytes(its.cbaser);
  if (reg >= bytes) return `ignored: GITS_CWRITER offset ${hex(reg)} lies beyond the ${hex(bytes)}-byte command queue`;
  its.cwriter = reg;
  its.dep('cmdq', true);
  its.processCommands();
  return storedEffect(value, off, size, BigInt(reg), 'only the command offset [19:5] is kept');
}

/** vgic_mmio_uaccess_write_its_creadr: restore CREADR while the ITS is disabled. */
function creadrUserWrite(its: Its, _cpu: number, _off: number, _size: number, value: bigint): string | undefined {
  if (its.enabled) return 'rejected (-EBUSY): GITS_CREADR can be restored only while the ITS is disabled';
  const off = Number(value & BigInt(CMD_OFFSET_MASK));
  const bytes = cmdQueueBytes(its.cbaser);
  if (off >= bytes) return `rejected (-EINVAL): offset ${hex(off)} lies beyond the ${hex(bytes)}-byte command queue`;
  its.creadr = off;
  its.dep('cmdq', true);
  return undefined;
}

function baserIndex(off: number): number {
  return ((off - 0x100) >> 3) & 7;
}

function baserRead(its: Its, _cpu: number, off: number, size: number): bigint {
  const n = baserIndex(off);
  if (n > 1) return 0n;
  its.dep(`baser${n}`, false);
  return extractBytes(n === 0 ? its.baserDevice : its.baserColl, off & 7, size);
}

function baserWrite(its: Its, _cpu: number, off: number, size: number, value: bigint): string | undefined {
  const n = baserIndex(off);
  if (its.enabled) return `ignored: GITS_BASER${n} is read-only while the ITS is enabled`;
  if (n > 1) return wi<Its>(`GITS_BASER${n} is RAZ/WI (KVM has a device table and a collection table only)`)(its, 0, off, size, value);
  const device = n === 0;
  let reg = update64(device ? its.baserDevice : its.baserColl, off & 7, size, value);
  reg &= ~BASER_RO_MASK;
  if (!device) reg &= ~BASER_INDIRECT; // the collection table is flat
  reg |= BigInt(ABI0_ESZ - 1) << BASER_ENTRY_SIZE_SHIFT;
  reg |= (device ? BASER_TYPE_DEVICE : BASER_TYPE_COLLECTION) << BASER_TYPE_SHIFT;
  reg = sanitiseBaser(reg);
  if (device) its.baserDevice = reg;
  else its.baserColl = reg;
  its.dep(`baser${n}`, true);
  if (!(reg & BASER_VALID)) {
    // An invalid table forgets what was mapped through it.
    its.dep('map', true);
    if (device) its.freeDeviceList();
    else its.freeCollectionList();
  }
  return storedEffect(value, off, size, reg, 'Type, Entry_Size and Page_Size are KVM\'s (device/collection, 8 bytes, 64 KiB); shareability/cacheability sanitised' + (device ? '' : '; the collection table is never indirect'));
}

/** vgic_mmio_read_its_idregs */
function idregRead(_its: Its, _cpu: number, off: number): bigint {
  switch (off & 0xffff) {
    case 0xffe0: return 0x92n; // PIDR0: part number [7:0]
    case 0xffe4: return 0xb4n; // PIDR1: part number [11:8]
    case 0xffe8: return 0x3bn; // PIDR2: GICv3, 0x0b
    case 0xffd0: return 0x40n; // PIDR4: a 64 KiB software-visible page
    case 0xfff0: return 0x0dn;
    case 0xfff4: return 0xf0n;
    case 0xfff8: return 0x05n;
    case 0xfffc: return 0xb1n;
    default: return 0n;
  }
}

const readCtlrRow: RegRead<Its> = (its) => BigInt(itsCtlr(its));
const readIidrRow: RegRead<Its> = (its) => BigInt(itsIidr(its));
const readTyper: RegRead<Its> = (_its, _c, off, size) => extractBytes(ITS_TYPER, off & 7, size);
function readCreadr(its: Its, _c: number, off: number, size: number): bigint {
  its.dep('cmdq', false);
  return extractBytes(BigInt(its.creadr), off & 7, size);
}

/** its_registers[], row by row (REGISTER_ITS_DESC / REGISTER_ITS_DESC_UACCESS). */
export const ITS_ROWS: readonly Row[] = [
  row('GITS_CTLR', 0x0000, 4, W32, 'RW', readCtlrRow, ctlrWrite, { reset: BigInt(CTLR_QUIESCENT) }),
  row('GITS_IIDR', 0x0004, 4, W32, 'RO', readIidrRow, ro('GITS_IIDR', readIidrRow), { reset: 0x4b00043bn, uaccess: { write: iidrUserWrite } }),
  row('GITS_TYPER', 0x0008, 8, W32 | W64, 'RO', readTyper, ro('GITS_TYPER', readTyper), { reset: ITS_TYPER }),
  row('GITS_CBASER', 0x0080, 8, W32 | W64, 'RW', (its, _c, off, size) => {
    its.dep('cmdq', false);
    return extractBytes(its.cbaser, off & 7, size);
  }, cbaserWrite, { reset: 0n }),
  row('GITS_CWRITER', 0x0088, 8, W32 | W64, 'RW', (its, _c, off, size) => {
    its.dep('cmdq', false);
    return extractBytes(BigInt(its.cwriter), off & 7, size);
  }, cwriterWrite, { reset: 0n }),
  row('GITS_CREADR', 0x0090, 8, W32 | W64, 'RO', readCreadr, ro('GITS_CREADR', readCreadr), { reset: 0n, uaccess: { write: creadrUserWrite } }),
  {
    name: 'GITS_BASER', offset: 0x0100, len: 0x40, bitsPerIrq: 0, widths: W32 | W64, access: 'RW', uaccess: 'same',
    naming: { kind: 'array', base: 0x0100, bits: 64 }, fields: ITS_FIELDS.GITS_BASER,
    read: baserRead, write: baserWrite,
  },
  {
    name: 'GITS_IDREGS', offset: 0xffd0, len: 0x30, bitsPerIrq: 0, widths: W32, access: 'RO', uaccess: 'same',
    naming: { kind: 'words', names: ID_REG_NAMES.map((n) => `GITS_${n}`) },
    read: idregRead, write: ro('the ID registers', idregRead),
  },
];

/** The 128 KiB ITS region (KVM_VGIC_V3_ITS_SIZE): the control frame and the translation frame. */
export const ITS_FRAME = new FrameTable<Its>('GITS', 0x20000, ITS_ROWS, '128 KiB ITS frame (control + translation)');

/** GITS_TRANSLATER: architected, but KVM registers no region for it. */
export const GITS_TRANSLATER = 0x10040;
