// The KVM/arm64 tracepoints the importer reads, one row per event: the TP_printk text as a
// regex, and a decoder into typed fields. Formats from Linux include/trace/events/kvm.h,
// arch/arm64/kvm/trace_arm.h, trace_handle_exit.h and vgic/trace.h. A line of one of these
// events whose text does not match is malformed input; events not listed here are counted and
// skipped (kvm_entry, kvm_exit, sched_switch, ...), so a trace with extra events still imports.

export interface MmioFields {
  type: 'unsatisfied-read' | 'read' | 'write';
  len: number;
  gpa: bigint;
  val: bigint;
}

export interface SysAccessFields {
  pc: bigint;
  /** Table entry name as KVM prints it (SYS_ICC_SGI1R_EL1), or UNKN. */
  name: string;
  op0: number;
  op1: number;
  crn: number;
  crm: number;
  op2: number;
  write: boolean;
  /** Value, if a kernel with the (proposed) value field printed one. */
  value: bigint | null;
}

export interface IrqLineFields {
  /** 0 CPU (userspace irqchip), 1 VGIC SPI, 2 VGIC PPI, other UNKNOWN. */
  type: number;
  vcpu: number;
  num: number;
  level: number;
}

export interface SetIrqFields {
  gsi: number;
  level: number;
  source: number;
}

export interface IrqPendingFields {
  vcpu: number;
  irq: number;
  level: number;
}

export interface TimerStateFields {
  ctl: bigint;
  cval: bigint;
  ctx: number;
}

export interface TracepointFields {
  kvm_mmio: MmioFields;
  kvm_sys_access: SysAccessFields;
  kvm_irq_line: IrqLineFields;
  kvm_set_irq: SetIrqFields;
  vgic_update_irq_pending: IrqPendingFields;
  kvm_timer_update_irq: IrqPendingFields;
  kvm_timer_save_state: TimerStateFields;
  kvm_timer_restore_state: TimerStateFields;
  tracing_mark_write: { text: string };
}

export type TracepointName = keyof TracepointFields;

interface Row<N extends TracepointName> {
  /** TP_printk as documented, for the "expected" part of an error. */
  format: string;
  re: RegExp;
  decode(m: RegExpExecArray): TracepointFields[N];
}

const parseHex = (s: string): bigint => BigInt(`0x${s}`);
type MmioType = 'unsatisfied-read' | 'read' | 'write';

export const TRACEPOINTS: { [N in TracepointName]: Row<N> } = {
  kvm_mmio: {
    format: 'mmio <unsatisfied-read|read|write> len %u gpa 0x%llx val 0x%llx',
    re: /^\s*mmio (unsatisfied-read|read|write) len (\d+) gpa 0x([0-9a-fA-F]{1,16}) val 0x([0-9a-fA-F]{1,16})\s*$/,
    decode: (m) => ({ type: m[1] as MmioType, len: Number(m[2]), gpa: parseHex(m[3]), val: parseHex(m[4]) }),
  },
  kvm_sys_access: {
    // PC without 0x; the trailing value is the 2025 proposal (Odaki) and optional.
    format: 'PC: %lx <name> (%d,%d,%d,%d,%d) <read|write>',
    re: /^\s*PC: (?:0x)?([0-9a-fA-F]{1,16}) (\S+) \((\d+),(\d+),(\d+),(\d+),(\d+)\) (read|write)(?: (?:val(?:ue)?:? ?)?(?:0x)?([0-9a-fA-F]{1,16}))?\s*$/,
    decode: (m) => ({
      pc: parseHex(m[1]),
      name: m[2],
      op0: Number(m[3]),
      op1: Number(m[4]),
      crn: Number(m[5]),
      crm: Number(m[6]),
      op2: Number(m[7]),
      write: m[8] === 'write',
      value: m[9] === undefined ? null : parseHex(m[9]),
    }),
  },
  kvm_irq_line: {
    // arch/arm64/kvm/trace_arm.h, every KVM_IRQ_LINE before its checks; as captured on 6.1 and 6.12
    // (traces/ftrace/kvm-*-gicv3-doorbell-smp2): "Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 48, level: 1".
    format: 'Inject <type> interrupt (%d), vcpu->idx: %d, num: %d, level: %d',
    re: /^\s*Inject (?:CPU|VGIC SPI|VGIC PPI|UNKNOWN) interrupt \((\d+)\), vcpu->idx: (-?\d+), num: (-?\d+), level: (-?\d+)\s*$/,
    decode: (m) => ({ type: Number(m[1]), vcpu: Number(m[2]), num: Number(m[3]), level: Number(m[4]) }),
  },
  kvm_set_irq: {
    // virt/kvm/irqchip.c: the irqfd slow path and the resampler's de-assert; GSI i is SPI i + 32 on arm64.
    // Real arm64 hosts up to 6.12 define it (its print fmt is in Debian's 6.1.0-57 and 6.12.117 Images, and
    // record kvm enables it there); later kernels define it for x86 only (__KVM_HAVE_IOAPIC), so it is kept
    // for those hosts' irqfd traces. No capture here has one: the runner's VMM uses no irqfd.
    format: 'gsi %u level %d source %d',
    re: /^\s*gsi (\d+) level (-?\d+) source (-?\d+)\s*$/,
    decode: (m) => ({ gsi: Number(m[1]), level: Number(m[2]), source: Number(m[3]) }),
  },
  vgic_update_irq_pending: {
    format: 'VCPU: %ld, IRQ %d, level: %d',
    re: /^\s*VCPU: (-?\d+), IRQ (-?\d+), level: (\d+)\s*$/,
    decode: (m) => ({ vcpu: Number(m[1]), irq: Number(m[2]), level: Number(m[3]) }),
  },
  kvm_timer_update_irq: {
    format: 'VCPU: %ld, IRQ %d, level %d',
    re: /^\s*VCPU: (-?\d+), IRQ (-?\d+), level (\d+)\s*$/,
    decode: (m) => ({ vcpu: Number(m[1]), irq: Number(m[2]), level: Number(m[3]) }),
  },
  kvm_timer_save_state: {
    format: '   CTL: %#08lx CVAL: %#16llx arch_timer_ctx_index: %d',
    re: /^\s*CTL: (?:0x)?([0-9a-fA-F]{1,16}) CVAL:\s+(?:0x)?([0-9a-fA-F]{1,16}) arch_timer_ctx_index: (\d+)\s*$/,
    decode: (m) => ({ ctl: parseHex(m[1]), cval: parseHex(m[2]), ctx: Number(m[3]) }),
  },
  kvm_timer_restore_state: {
    format: 'CTL: %#08lx CVAL: %#16llx arch_timer_ctx_index: %d',
    re: /^\s*CTL: (?:0x)?([0-9a-fA-F]{1,16}) CVAL:\s+(?:0x)?([0-9a-fA-F]{1,16}) arch_timer_ctx_index: (\d+)\s*$/,
    decode: (m) => ({ ctl: parseHex(m[1]), cval: parseHex(m[2]), ctx: Number(m[3]) }),
  },
  tracing_mark_write: {
    format: '<text written to trace_marker>',
    re: /^\s?(.*)$/,
    decode: (m) => ({ text: m[1].trimEnd() }),
  },
};

export function isTracepoint(name: string): name is TracepointName {
  return Object.prototype.hasOwnProperty.call(TRACEPOINTS, name);
}

/** Decode a known tracepoint's text; null when it does not match the format. */
export function decodeTracepoint<N extends TracepointName>(name: N, payload: string): TracepointFields[N] | null {
  const row = TRACEPOINTS[name] as Row<N>;
  const m = row.re.exec(payload);
  return m ? row.decode(m) : null;
}
