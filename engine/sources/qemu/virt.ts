// What QEMU's `-M virt` board gives a guest, for the trace header: frame addresses, interrupt
// counts, the generic-timer frequency, and what the `log` trace backend cannot show.
// Sources: QEMU 7.2 hw/arm/virt.c (base_memmap, NUM_IRQS), target/arm/cpu.h (GTIMER_SCALE).

import { GicConfig, GicVersion, kvmMpidr, MINOR_ITS, Provenance, TimerConfig, TraceHeader, TRACE_FORMAT_MAJOR, TRACE_MAGIC } from '../../trace/events';

export const VIRT_GICD = 0x08000000n;
export const VIRT_GICC = 0x08010000n;
export const VIRT_ITS = 0x08080000n;
export const VIRT_GICR = 0x080a0000n;
/** Two 64 KiB frames (RD_base, SGI_base) per redistributor: GICv3, not GICv4. */
export const VIRT_GICR_STRIDE = 0x20000n;
/** virt.c NUM_IRQS: external lines wired to the GIC, i.e. SPIs 32..287 (GICv2 TYPER 0x28 = 288 INTIDs). */
export const VIRT_SPIS = 256;
/** First redistributor region of virt (VIRT_GIC_REDIST, 0xF60000 bytes) holds 123 of them. */
export const VIRT_MAX_REDIST_LOW = 123;

/** GTIMER_SCALE = 16 ns: the generic timer counts at 62.5 MHz under TCG. */
export const VIRT_CNTFRQ = 62_500_000n;

/**
 * QEMU logs carry no guest time, so a cycle is synthesised: the n-th kept event (0-based) is at
 * cycle (n + 1) × CYCLES_PER_EVENT. The counter ratio treats cycles as a nominal 1 GHz clock, so
 * CNTVCT = cycle × 1/16 at 62.5 MHz. Neither says anything about real guest time.
 */
export const CYCLES_PER_EVENT = 1000n;
export const COUNTER_PER_CYCLE = { num: 1n, den: 16n };

export const CYCLES_NOTE =
  'synthesised from line order: the n-th kept event (0-based) is at cycle (n+1)*1000; QEMU trace logs carry no guest time ' +
  '(-msg timestamp=on gives host wall-clock time, which is ignored), so intervals between events are not real and ' +
  'counter values derived from them (CNTVCT = cycle/16 at a nominal 1 GHz, CNTFRQ 62.5 MHz) are not what the guest saw';

const COMMON_BLIND_SPOTS = [
  'Cycles are synthesised from line order; the log has no guest time, so timer-driven interrupts cannot be re-timed.',
  'Generic timer registers (CNT*) are not traced; timer PPIs appear only as input line changes.',
  'Writes show the value the guest wrote, before QEMU masks it; the stored value is only visible through a later read.',
  'QEMU models a GIC without Security Extensions (GICD_CTLR.DS=1), not KVM\'s vGIC: recorded read values are QEMU\'s, see engine/sources/qemu/FIDELITY.md.',
  'Accesses QEMU answers without a trace point (e.g. unassigned addresses outside the GIC frames) are missing.',
];

const V3_BLIND_SPOTS = [
  'The CPU that made a GICD or ITS access is not in the line; it is attributed only through -msg timestamp=on thread IDs under multi-threaded TCG, otherwise unknown (null).',
  'GICR lines name the target redistributor, not the accessing CPU (CPU0 reads every GICR_TYPER while probing).',
  'ICC_SRE_EL1 is never traced (QEMU makes it a constant with no callback).',
  'SGI generation is traced decoded, not as a register write: which register was written (ICC_SGI1R/SGI0R/ASGI1R) is not recorded; the importer infers the requested group from the SGI\'s group at its targets and where QEMU pended it (ICC_SGI0R_EL1 for Group 0, which also stands for ICC_ASGI1R_EL1; ICC_SGI1R_EL1 otherwise).',
  'The RS (range selector) field of SGI writes is not recorded (QEMU 7.2 ignores it); imported SGI writes have RS=0.',
  'ICC_NMIAR1 and the ICC_*_EL3 registers are not traced or not reachable.',
];

const V2_BLIND_SPOTS = [
  'The CPU that made a GICD access is not in the line (banked registers such as IGROUPR0, ISENABLER0 and IPRIORITYR0-7 are ambiguous); it is attributed only through -msg timestamp=on thread IDs under multi-threaded TCG, otherwise unknown (null).',
  'GICC access sizes are not traced; imported GICC accesses are 32-bit.',
  'Bad GICD/GICC offsets are traced as ordinary accesses returning 0, with no error marker.',
];

export function virtGicConfig(version: GicVersion, cpus: number, spis: number): GicConfig {
  const cpuCfg = Array.from({ length: cpus }, (_, i) => ({ mpidr: kvmMpidr(i) }));
  if (version === 3) {
    return {
      version,
      cpus: cpuCfg,
      spis,
      its: true,
      frames: { dist: VIRT_GICD, redist: cpuCfg.map((_, i) => VIRT_GICR + VIRT_GICR_STRIDE * BigInt(i)), its: VIRT_ITS },
    };
  }
  return { version, cpus: cpuCfg, spis, its: false, frames: { dist: VIRT_GICD, cpuif: VIRT_GICC } };
}

export function virtTimerConfig(): TimerConfig {
  return { cntfrq: VIRT_CNTFRQ, counterPerCycle: { ...COUNTER_PER_CYCLE }, virtualOffset: 0n, physicalOffset: 0n };
}

/** What a log with ITS commands or MSIs cannot show (said only in the traces that have them). */
const ITS_BLIND_SPOTS = [
  "ITS commands are traced decoded (gicv3_its_cmd_*), not as the bytes in the command queue: each is rebuilt from the printed fields as a mem-write of 32 bytes; fields QEMU does not print are inferred (INVALL's ICID from the MAPC before it) or 0 (SYNC's RDbase, reserved bits, GICv4 commands' operands), and who wrote the command is unknown.",
  'Other guest memory the ITS reads (the LPI property and pending tables, device and ITT tables on a restore) is not traced: it reads as 0 on replay, so an LPI is disabled at priority 0 unless the trace enables it.',
  'MSIs appear as GITS_TRANSLATER writes with the requester ID; they are imported as KVM_SIGNAL_MSI with that DeviceID, the way a VMM delivers a device\'s MSI to KVM.',
];

export function qemuBlindSpots(version: GicVersion, its = false): string[] {
  return [...COMMON_BLIND_SPOTS, ...(version === 3 ? V3_BLIND_SPOTS : V2_BLIND_SPOTS), ...(version === 3 && its ? ITS_BLIND_SPOTS : [])];
}

/** `itsEvents`: the log has ITS commands or MSIs, imported as format 1.2 mem-write and msi events. */
export function qemuHeader(version: GicVersion, cpus: number, spis: number, tool: string, command: string, details: Record<string, string>, itsEvents = false): TraceHeader {
  const provenance: Provenance = { kind: 'qemu', tool, command, blindSpots: qemuBlindSpots(version, itsEvents), cycles: CYCLES_NOTE, details };
  return {
    magic: TRACE_MAGIC,
    formatMajor: TRACE_FORMAT_MAJOR,
    // QEMU logs show no device-attribute results and no init point: format 1.0, or 1.2 with the ITS's commands and MSIs
    formatMinor: itsEvents ? MINOR_ITS : 0,
    writer: '',
    gic: virtGicConfig(version, cpus, spis),
    timer: virtTimerConfig(),
    provenance,
  };
}

/**
 * The affinity number QEMU prints for a CPU (gicv3_redist_affid: GICR_TYPER[63:32], i.e.
 * Aff3<<24 | Aff2<<16 | Aff1<<8 | Aff0). virt gives GICv3 CPUs clusters of 16 and GICv2 CPUs
 * clusters of 8 (at most 8 CPUs), which equals KVM's reset_mpidr numbering for every count virt allows.
 */
export function affinityOf(vcpu: number): number {
  const m = kvmMpidr(vcpu);
  return Number(((m >> 32n) & 0xffn) << 24n) + Number(m & 0xffffffn);
}

/** Inverse of affinityOf, or null when no vCPU index has that affinity. */
export function vcpuOfAffinity(aff: number): number | null {
  if (aff >>> 24 !== 0) return null;
  const aff0 = aff & 0xff;
  const aff1 = (aff >>> 8) & 0xff;
  const aff2 = (aff >>> 16) & 0xff;
  if (aff0 > 0xf) return null;
  return (aff2 << 12) | (aff1 << 4) | aff0;
}
