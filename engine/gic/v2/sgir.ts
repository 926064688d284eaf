// GICD_SGIR decoding as KVM's vgic_mmio_write_sgir does it (vgic-v2.md §4.4).

export interface SgirDecoded {
  sgi: number;
  /** Bit c set => pend the SGI on vCPU c (already limited to existing vCPUs). 0 when ignored. */
  targets: number;
  filter: number;
  /** Set when KVM drops the write (TargetListFilter 3 is reserved). */
  ignored?: string;
}

/**
 * Decode a GICD_SGIR write from vCPU `writer`. NSATT (bit 15) is ignored: KVM's GICv2 has no
 * Security Extensions and pends the SGI whatever its group.
 */
export function decodeSgir(value: number, writer: number, vcpus: number): SgirDecoded {
  const sgi = value & 0xf;
  const filter = (value >>> 24) & 0x3;
  const all = (1 << vcpus) - 1;
  switch (filter) {
    case 0:
      return { sgi, filter, targets: (value >>> 16) & 0xff & all };
    case 1:
      return { sgi, filter, targets: all & ~(1 << writer) };
    case 2:
      return { sgi, filter, targets: 1 << writer };
    default:
      return { sgi, filter, targets: 0, ignored: 'ignored: TargetListFilter 3 is reserved (KVM drops the write)' };
  }
}
