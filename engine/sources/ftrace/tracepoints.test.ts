// Each tracepoint the importer reads, with text as the kernel's TP_printk prints it
// (formats read in torvalds/linux include/trace/events/kvm.h, arch/arm64/kvm/trace_arm.h,
// trace_handle_exit.h, vgic/trace.h).

import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { projectRoot } from '../../util/project-root';
import { parseFtraceLine } from './line';
import { decodeTracepoint, isTracepoint } from './tracepoints';

describe('tracepoint formats', () => {
  test('kvm_mmio: the three types, 64-bit gpa and val', () => {
    expect(decodeTracepoint('kvm_mmio', ' mmio write len 4 gpa 0x8000104 val 0x8000000')).toEqual({ type: 'write', len: 4, gpa: 0x8000104n, val: 0x8000000n });
    expect(decodeTracepoint('kvm_mmio', ' mmio unsatisfied-read len 4 gpa 0x8000008 val 0x0')).toEqual({ type: 'unsatisfied-read', len: 4, gpa: 0x8000008n, val: 0n });
    expect(decodeTracepoint('kvm_mmio', ' mmio read len 8 gpa 0x80c0008 val 0x100000111')).toEqual({ type: 'read', len: 8, gpa: 0x80c0008n, val: 0x100000111n });
    expect(decodeTracepoint('kvm_mmio', ' mmio write len 8 gpa 0x4010000008 val 0xffffffffffffffff')!.val).toBe(0xffffffffffffffffn);
    expect(decodeTracepoint('kvm_mmio', ' mmio poke len 4 gpa 0x0 val 0x0')).toBeNull();
    expect(decodeTracepoint('kvm_mmio', ' mmio write len 4 gpa 8000104 val 0x0')).toBeNull();
  });

  test('kvm_sys_access: PC without 0x, table name, encoding, direction', () => {
    expect(decodeTracepoint('kvm_sys_access', ' PC: ffff800080031a44 SYS_ICC_SGI1R_EL1 (3,0,12,11,5) write')).toEqual({
      pc: 0xffff800080031a44n,
      name: 'SYS_ICC_SGI1R_EL1',
      op0: 3,
      op1: 0,
      crn: 12,
      crm: 11,
      op2: 5,
      write: true,
      value: null,
    });
    expect(decodeTracepoint('kvm_sys_access', ' PC: ffff800080012340 UNKN (3,0,12,12,5) read')).toMatchObject({ name: 'UNKN', crm: 12, op2: 5, write: false });
    expect(decodeTracepoint('kvm_sys_access', ' PC: ffff800080012340 SYS_ICC_SRE_EL1 (3,0,12,12,5)')).toBeNull();
  });

  test('kvm_irq_line: SPI, PPI and userspace CPU lines', () => {
    expect(decodeTracepoint('kvm_irq_line', ' Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 33, level: 1')).toEqual({ type: 1, vcpu: 0, num: 33, level: 1 });
    expect(decodeTracepoint('kvm_irq_line', ' Inject VGIC PPI interrupt (2), vcpu->idx: 3, num: 23, level: 0')).toEqual({ type: 2, vcpu: 3, num: 23, level: 0 });
    expect(decodeTracepoint('kvm_irq_line', ' Inject CPU interrupt (0), vcpu->idx: 1, num: 0, level: 1')).toEqual({ type: 0, vcpu: 1, num: 0, level: 1 });
    expect(decodeTracepoint('kvm_irq_line', ' Inject VGIC SPI interrupt, num: 33')).toBeNull();
  });

  test('kvm_set_irq: irqfd GSI, level, source', () => {
    expect(decodeTracepoint('kvm_set_irq', ' gsi 2 level 0 source 1')).toEqual({ gsi: 2, level: 0, source: 1 });
    expect(decodeTracepoint('kvm_set_irq', ' gsi two level 0 source 1')).toBeNull();
  });

  test('vgic_update_irq_pending and kvm_timer_update_irq differ by one colon', () => {
    expect(decodeTracepoint('vgic_update_irq_pending', ' VCPU: 1, IRQ 27, level: 1')).toEqual({ vcpu: 1, irq: 27, level: 1 });
    expect(decodeTracepoint('kvm_timer_update_irq', ' VCPU: 1, IRQ 27, level 1')).toEqual({ vcpu: 1, irq: 27, level: 1 });
    expect(decodeTracepoint('vgic_update_irq_pending', ' VCPU: 1, IRQ 27, level 1')).toBeNull();
    expect(decodeTracepoint('kvm_timer_update_irq', ' VCPU: 1, IRQ 27, level: 1')).toBeNull();
  });

  test('kvm_timer_save_state / restore_state: %#08lx CTL, %#16llx CVAL padded with blanks', () => {
    expect(decodeTracepoint('kvm_timer_save_state', '    CTL: 0x000005 CVAL:     0x2d3a8f1c20 arch_timer_ctx_index: 1')).toEqual({ ctl: 5n, cval: 0x2d3a8f1c20n, ctx: 1 });
    expect(decodeTracepoint('kvm_timer_restore_state', ' CTL: 0x000000 CVAL:               0 arch_timer_ctx_index: 0')).toEqual({ ctl: 0n, cval: 0n, ctx: 0 });
  });

  test('tracing_mark_write keeps the text', () => {
    expect(decodeTracepoint('tracing_mark_write', ' test 3: start ')).toEqual({ text: 'test 3: start' });
  });
});

// What real arm64 hosts print: the captured doorbell recordings (Debian 6.1.0-57 and 6.12.117, nested),
// where the VMM drove lines with KVM_IRQ_LINE. Every line of every event the importer reads decodes.
describe.each(['kvm-6.1-gicv3-doorbell-smp2', 'kvm-6.12-gicv3-doorbell-smp2'])('real host text: %s', (name) => {
  const text = gunzipSync(fs.readFileSync(path.join(projectRoot(), 'traces/ftrace', `${name}.ftrace.txt.gz`))).toString('utf8');
  const seen = new Map<string, string[]>();
  for (const l of text.split('\n')) {
    const p = parseFtraceLine(l);
    if (p && p.kind === 'event' && isTracepoint(p.event)) seen.set(p.event, [...(seen.get(p.event) ?? []), p.payload]);
  }

  test('every line of a tracepoint the importer reads decodes', () => {
    const undecoded: string[] = [];
    for (const [ev, payloads] of seen) for (const t of payloads) if (decodeTracepoint(ev as never, t) === null) undecoded.push(`${ev}:${t}`);
    expect(undecoded).toEqual([]);
    expect([...seen.keys()].sort()).toEqual(['kvm_irq_line', 'kvm_mmio', 'kvm_timer_restore_state', 'kvm_timer_save_state', 'kvm_timer_update_irq', 'tracing_mark_write', 'vgic_update_irq_pending']);
  });

  test('KVM_IRQ_LINE is kvm_irq_line (arch/arm64/kvm/trace_arm.h), then vgic_update_irq_pending, even for an SPI past nr_irqs', () => {
    expect(seen.get('kvm_irq_line')).toEqual([
      ' Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 48, level: 1',
      ' Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 48, level: 0',
      ' Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 49, level: 1',
      ' Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 49, level: 0',
      ' Inject VGIC PPI interrupt (2), vcpu->idx: 0, num: 23, level: 1',
      ' Inject VGIC PPI interrupt (2), vcpu->idx: 0, num: 23, level: 0',
      ' Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 1000, level: 1',
    ]);
    // these kernels trace the injection before kvm_vgic_inject_irq refuses INTID 1000 (EINVAL to the VMM)
    expect(seen.get('vgic_update_irq_pending')).toContain(' VCPU: 0, IRQ 1000, level: 1');
    // no irqfd in this VMM: kvm_set_irq (enabled, and defined on both kernels) never fires
    expect(seen.has('kvm_set_irq')).toBe(false);
  });
});
