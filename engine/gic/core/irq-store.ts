// Per-INTID interrupt state, KVM's struct vgic_irq laid out as parallel typed arrays so that the
// replay hot path touches no objects. One slot per interrupt instance: SGIs and PPIs are banked
// (32 slots per vCPU), SPIs exist once per VM, and with an ITS every LPI INTID the vITS can map
// (8192 .. 2^16 - 1, GICD_TYPER.IDbits = 15) has a slot after the SPIs. GICv2-only fields (SGI
// source bitmap, targets byte, active source) live here too so that both models share one store.
// The one-bit fields (enabled, latch, level, active, group, config, hw) hold 0 or 1 and nothing
// else: the register reads shift them into place without testing them (irq-regs.ts).

export const NR_SGIS = 16;
export const NR_PRIVATE = 32;
/** VGIC_MIN_LPI: the first LPI INTID. */
export const LPI_BASE = 8192;
/** LPI INTIDs a KVM vITS can map: INTERRUPT_ID_BITS_ITS = 16, so 8192 .. 65535. */
export const LPI_CAPACITY = (1 << 16) - LPI_BASE;

/**
 * A one-bit field's bytes, padded to whole 32-bit words so that `quads` can read four slots at
 * once; the padding stays 0 (nothing writes past the field's length).
 */
function oneBitField(n: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer((n + 3) & ~3), 0, n);
}

/** The words of a one-bit field: word w holds slots 4w .. 4w + 3, one per byte. */
function quads(field: Uint8Array): Uint32Array {
  return new Uint32Array(field.buffer, 0, field.buffer.byteLength >> 2);
}

export const CONFIG_EDGE = 0;
export const CONFIG_LEVEL = 1;

export const OWNER_NONE = 0;
/** The in-kernel timer owns the line (kvm_vgic_set_owner): device injections are refused. */
export const OWNER_TIMER = 1;

export class IrqStore {
  readonly cpus: number;
  readonly spis: number;
  /** nr_spis + 32: INTIDs at or above this do not exist (KVM's check_region bound). */
  readonly nrIrqs: number;
  readonly slots: number;
  /** First LPI slot (= number of SGI/PPI/SPI slots); LPI INTID i lives at lpiBase + i - 8192. */
  readonly lpiBase: number;
  /** LPI slots (0 without an ITS). */
  readonly lpis: number;

  readonly enabled: Uint8Array;
  /** pending_latch: software / edge pending state. */
  readonly latch: Uint8Array;
  /** line_level: the input level of a level-sensitive interrupt. */
  readonly level: Uint8Array;
  readonly active: Uint8Array;
  /** Always stored & 0xF8 (VGIC_PRI_BITS = 5). */
  readonly priority: Uint8Array;
  readonly group: Uint8Array;
  /** CONFIG_EDGE or CONFIG_LEVEL. */
  readonly config: Uint8Array;
  readonly owner: Uint8Array;
  /** HW-mapped (the timer PPIs): a guest ISPENDR read returns the line, not the latch. */
  readonly hw: Uint8Array;
  /** target_vcpu: vCPU index, -1 for NULL (an SPI routed to an MPIDR no vCPU has). */
  readonly target: Int16Array;
  /** GICv3 IROUTER Aff2.Aff1.Aff0 (SPIs). */
  readonly mpidr: Uint32Array;
  /** GICv2 ITARGETSR byte (SPIs). */
  readonly targets: Uint8Array;
  /** GICv2 SGI source bitmap (private slots of SGIs). */
  readonly source: Uint8Array;
  /** GICv2 SGI source of the active instance. */
  readonly activeSource: Uint8Array;
  /** irq->vcpu: the vCPU whose ap_list holds the interrupt, -1 when on none. */
  readonly queuedOn: Int16Array;
  /** The one-bit fields as words of four slots (the 32-INTID register reads, irq-regs.ts). */
  readonly enabledQ: Uint32Array;
  readonly latchQ: Uint32Array;
  readonly levelQ: Uint32Array;
  readonly activeQ: Uint32Array;
  readonly groupQ: Uint32Array;
  readonly configQ: Uint32Array;
  readonly hwQ: Uint32Array;

  constructor(cpus: number, spis: number, lpis = 0) {
    this.cpus = cpus;
    this.spis = spis;
    this.nrIrqs = spis + NR_PRIVATE;
    this.lpiBase = cpus * NR_PRIVATE + spis;
    this.lpis = lpis;
    const n = (this.slots = this.lpiBase + lpis);
    this.enabled = oneBitField(n);
    this.latch = oneBitField(n);
    this.level = oneBitField(n);
    this.active = oneBitField(n);
    this.priority = new Uint8Array(n);
    this.group = oneBitField(n);
    this.config = oneBitField(n);
    this.owner = new Uint8Array(n);
    this.hw = oneBitField(n);
    this.target = new Int16Array(n);
    this.mpidr = new Uint32Array(n);
    this.targets = new Uint8Array(n);
    this.source = new Uint8Array(n);
    this.activeSource = new Uint8Array(n);
    this.queuedOn = new Int16Array(n).fill(-1);
    this.enabledQ = quads(this.enabled);
    this.latchQ = quads(this.latch);
    this.levelQ = quads(this.level);
    this.activeQ = quads(this.active);
    this.groupQ = quads(this.group);
    this.configQ = quads(this.config);
    this.hwQ = quads(this.hw);
  }

  /** Slot of INTID `intid` as seen by vCPU `cpu` (the cpu matters only for SGIs and PPIs). */
  slot(cpu: number, intid: number): number {
    if (intid < NR_PRIVATE) return cpu * NR_PRIVATE + intid;
    return intid < LPI_BASE ? this.cpus * NR_PRIVATE + intid - NR_PRIVATE : this.lpiBase + intid - LPI_BASE;
  }

  intidOf(slot: number): number {
    const p = this.cpus * NR_PRIVATE;
    if (slot < p) return slot % NR_PRIVATE;
    return slot < this.lpiBase ? slot - p + NR_PRIVATE : slot - this.lpiBase + LPI_BASE;
  }

  /** The INTID names an interrupt this store has a slot for (SGI, PPI, SPI, or an LPI with an ITS). */
  hasIntid(intid: number): boolean {
    return intid < this.nrIrqs || (intid >= LPI_BASE && intid - LPI_BASE < this.lpis);
  }

  isLpi(slot: number): boolean {
    return slot >= this.lpiBase;
  }

  /** Owning vCPU of a private slot, -1 for an SPI. */
  cpuOf(slot: number): number {
    return slot < this.cpus * NR_PRIVATE ? (slot / NR_PRIVATE) | 0 : -1;
  }

  isPrivate(slot: number): boolean {
    return slot < this.cpus * NR_PRIVATE;
  }

  /** KVM's irq_is_pending: edge reads the latch, level reads latch || line. */
  pending(slot: number): boolean {
    return this.config[slot] === CONFIG_LEVEL ? (this.latch[slot] | this.level[slot]) !== 0 : this.latch[slot] !== 0;
  }

  /** Dependency key (engine/model/deps.ts convention) of one field of a slot. */
  key(slot: number, field: string): string {
    const p = this.cpus * NR_PRIVATE;
    if (slot < p) return `irq:${slot % NR_PRIVATE}@${(slot / NR_PRIVATE) | 0}:${field}`;
    return `irq:${this.intidOf(slot)}:${field}`;
  }
}
