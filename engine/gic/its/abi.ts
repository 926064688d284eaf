// Constants of KVM's vITS: register layouts (include/linux/irqchip/arm-gic-v3.h), the values
// vgic-its.c reports and starts from, its command and error numbers, and the save/restore table
// layout of ABI revision 0 (Documentation/virt/kvm/devices/arm-vgic-its.rst, vgic.h KVM_ITS_*).

export const PRODUCT_ID_KVM = 0x4b;
export const IMPLEMENTER_ARM = 0x43b;

/** GITS_CTLR */
export const CTLR_ENABLE = 1;
export const CTLR_QUIESCENT = 0x80000000;

/** GITS_TYPER as vgic_mmio_read_its_typer builds it: PLPIS, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits; PTA, CIL, HCC, VLPIS 0. */
export const ITS_TYPER = 0x1n | (7n << 4n) | (15n << 8n) | (15n << 13n);

/** VITS_TYPER_IDBITS, VITS_TYPER_DEVBITS. */
export const EVENT_ID_BITS = 16;
export const DEVICE_ID_BITS = 16;
/** VITS_DTE_MAX_DEVID_OFFSET, VITS_ITE_MAX_EVENTID_OFFSET. */
export const DTE_MAX_DEVID_OFFSET = (1 << 14) - 1;
export const ITE_MAX_EVENTID_OFFSET = (1 << 16) - 1;
/** ABI revision 0: every table entry is 8 bytes (ABI_0_ESZ). */
export const ABI0_ESZ = 8;
/** NR_ITS_ABIS */
export const ITS_ABI_REVISIONS = 1;

// GITS_BASER<n> / GITS_CBASER fields
export const BASER_VALID = 1n << 63n;
export const BASER_INDIRECT = 1n << 62n;
export const BASER_TYPE_SHIFT = 56n;
export const BASER_TYPE_DEVICE = 1n;
export const BASER_TYPE_COLLECTION = 4n;
export const BASER_ENTRY_SIZE_SHIFT = 48n;
/** GITS_BASER_RO_MASK: Entry_Size [52:48] and Type [58:56]. */
export const BASER_RO_MASK = (0x1fn << 48n) | (7n << 56n);
export const BASER_PAGE_SIZE_SHIFT = 8n;
export const BASER_PAGE_SIZE_64K = 2n;
export const SHAREABILITY_SHIFT = 10n;
export const INNER_CACHE_SHIFT = 59n;
export const OUTER_CACHE_SHIFT = 53n;
/** GIC_BASER_CACHE_RaWb, GIC_BASER_InnerShareable. */
export const CACHE_RAWB = 3n;
export const INNER_SHAREABLE = 1n;
/** INITIAL_BASER_VALUE: inner RaWb, outer SameAsInner, InnerShareable, 64 KiB pages. */
export const INITIAL_BASER = (CACHE_RAWB << INNER_CACHE_SHIFT) | (INNER_SHAREABLE << SHAREABILITY_SHIFT) | (BASER_PAGE_SIZE_64K << BASER_PAGE_SIZE_SHIFT);
/** INITIAL_PROPBASER_VALUE, set by KVM_CREATE_DEVICE(ITS): inner RaWb (<<7), InnerShareable (<<10). */
export const INITIAL_PROPBASER = 0x580n;

/** GITS_CBASER_ADDRESS: bits [51:12]. */
export const CBASER_ADDR_MASK = 0x000ffffffffff000n;
/** ITS_CMD_OFFSET: bits [19:5]. */
export const CMD_OFFSET_MASK = 0xfffe0;
export const CMD_SIZE = 32;

/** GITS_BASER_ADDR_48_to_52: PA [47:16], and with 64 KiB pages PA [51:48] in bits [15:12]. */
export function baserAddress(baser: bigint): bigint {
  return (baser & 0x0000ffffffff0000n) | (((baser >> 12n) & 0xfn) << 48n);
}

/** GITS_BASER_NR_PAGES × 64 KiB. */
export function baserTableBytes(baser: bigint): number {
  return (Number(baser & 0xffn) + 1) * 0x10000;
}

/** GITS_BASER_ENTRY_SIZE */
export function baserEntrySize(baser: bigint): number {
  return Number((baser >> BASER_ENTRY_SIZE_SHIFT) & 0x1fn) + 1;
}

export function baserType(baser: bigint): bigint {
  return (baser >> BASER_TYPE_SHIFT) & 7n;
}

/** ITS_CMD_BUFFER_SIZE */
export function cmdQueueBytes(cbaser: bigint): number {
  return (Number(cbaser & 0xffn) + 1) << 12;
}

// Command numbers (GITS_CMD_*)
export const CMD = {
  MOVI: 0x01,
  INT: 0x03,
  CLEAR: 0x04,
  SYNC: 0x05,
  MAPD: 0x08,
  MAPC: 0x09,
  MAPTI: 0x0a,
  MAPI: 0x0b,
  INV: 0x0c,
  INVALL: 0x0d,
  MOVALL: 0x0e,
  DISCARD: 0x0f,
} as const;

/** The ITS error numbers KVM's command handlers return (arm-gic-v3.h E_ITS_*). */
export const E_ITS: Readonly<Record<string, number>> = {
  E_ITS_MOVI_UNMAPPED_INTERRUPT: 0x010107,
  E_ITS_MOVI_UNMAPPED_COLLECTION: 0x010109,
  E_ITS_INT_UNMAPPED_INTERRUPT: 0x010307,
  E_ITS_CLEAR_UNMAPPED_INTERRUPT: 0x010507,
  E_ITS_MAPD_DEVICE_OOR: 0x010801,
  E_ITS_MAPD_ITTSIZE_OOR: 0x010802,
  E_ITS_MAPC_PROCNUM_OOR: 0x010902,
  E_ITS_MAPC_COLLECTION_OOR: 0x010903,
  E_ITS_MAPTI_UNMAPPED_DEVICE: 0x010a04,
  E_ITS_MAPTI_ID_OOR: 0x010a05,
  E_ITS_MAPTI_PHYSICALID_OOR: 0x010a06,
  E_ITS_INV_UNMAPPED_INTERRUPT: 0x010c07,
  E_ITS_INVALL_UNMAPPED_COLLECTION: 0x010d09,
  E_ITS_MOVALL_PROCNUM_OOR: 0x010e01,
  E_ITS_DISCARD_UNMAPPED_INTERRUPT: 0x010f07,
};

const E_ITS_NAMES = new Map(Object.entries(E_ITS).map(([k, v]) => [v, k]));

/** Linux errno values the vITS returns (as negative numbers). */
export const ERRNO = { ENXIO: 6, EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, EACCES: 13 } as const;
const ERRNO_NAMES = new Map(Object.entries(ERRNO).map(([k, v]) => [-v, k]));

/** "E_ITS_MAPTI_ID_OOR (0x10a05)" or "-EBUSY" for a handler's return value. */
export function resultName(ret: number): string {
  if (ret < 0) return `-${ERRNO_NAMES.get(ret) ?? String(-ret)}`;
  const n = E_ITS_NAMES.get(ret);
  return n ? `${n} (0x${ret.toString(16)})` : `0x${ret.toString(16)}`;
}

// Save/restore layout, ABI revision 0 (vgic.h KVM_ITS_*)
export const CTE_VALID = 1n << 63n;
export const CTE_RDBASE_SHIFT = 16n;
export const ITE_NEXT_SHIFT = 48n;
export const ITE_PINTID_SHIFT = 16n;
export const ITE_PINTID_MASK = 0xffffffffn << 16n;
export const DTE_VALID = 1n << 63n;
export const DTE_NEXT_SHIFT = 49n;
export const DTE_NEXT_MASK = 0x3fffn << 49n;
export const DTE_ITTADDR_SHIFT = 5n;
export const DTE_ITTADDR_MASK = 0xfffffffffffn << 5n;
export const L1E_VALID = 1n << 63n;
export const L1E_ADDR_MASK = 0x000fffffffff0000n;
/** COLLECTION_NOT_MAPPED */
export const COLLECTION_NOT_MAPPED = 0xffffffff;
