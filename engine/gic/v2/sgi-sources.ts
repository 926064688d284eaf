// Per-source SGI pending state of a GICv2 vGIC (struct vgic_irq.source, vgic-v2.md §6.3).
// Each (target vCPU, SGI) keeps one bit per sending vCPU; the SGI's pending latch is set while
// any bit is. KVM loads the lowest source into the list register, so the guest acknowledges one
// instance per source, lowest source first, and IAR[12:10] names it.

export class SgiSources {
  /** source bitmap, index cpu * 16 + sgi. */
  private readonly bits: Uint8Array;
  /** source of the active instance (struct vgic_irq.active_source), index cpu * 16 + sgi. */
  private readonly activeSrc: Uint8Array;

  constructor(readonly cpus: number) {
    this.bits = new Uint8Array(cpus * 16);
    this.activeSrc = new Uint8Array(cpus * 16);
  }

  get(cpu: number, sgi: number): number {
    return this.bits[cpu * 16 + sgi];
  }

  /** OR sender bits in (GICD_SGIR, GICD_SPENDSGIR). Returns the new bitmap. */
  add(cpu: number, sgi: number, senders: number): number {
    const i = cpu * 16 + sgi;
    return (this.bits[i] |= senders & 0xff);
  }

  /** Clear sender bits (GICD_CPENDSGIR, and ICPENDR through userspace). Returns the new bitmap. */
  remove(cpu: number, sgi: number, senders: number): number {
    const i = cpu * 16 + sgi;
    return (this.bits[i] &= ~senders & 0xff);
  }

  /**
   * Acknowledge one instance: take the lowest source, clear it and remember it as the active
   * source. Returns the source vCPU (0 if no bit was set: an SGI made pending without a source,
   * e.g. through the userspace ISPENDR path, reports CPUID 0 as KVM's LR would).
   */
  takeLowest(cpu: number, sgi: number): number {
    const i = cpu * 16 + sgi;
    const b = this.bits[i];
    const src = b === 0 ? 0 : 31 - Math.clz32(b & -b);
    this.bits[i] = b & ~(1 << src);
    this.activeSrc[i] = src;
    return src;
  }

  /** Lowest pending source without taking it (HPPIR, AHPPIR). */
  peekLowest(cpu: number, sgi: number): number {
    const b = this.bits[cpu * 16 + sgi];
    return b === 0 ? 0 : 31 - Math.clz32(b & -b);
  }

  setActiveSource(cpu: number, sgi: number, src: number): void {
    this.activeSrc[cpu * 16 + sgi] = src;
  }

  activeSource(cpu: number, sgi: number): number {
    return this.activeSrc[cpu * 16 + sgi];
  }

  /** 32-bit GICD_CPENDSGIR/SPENDSGIR read of word `word` (SGIs 4*word .. 4*word+3), one byte per SGI. */
  readWord(cpu: number, firstSgi: number, bytes: number): number {
    let v = 0;
    for (let k = 0; k < bytes; k++) v |= this.bits[cpu * 16 + firstSgi + k] << (8 * k);
    return v >>> 0;
  }
}
