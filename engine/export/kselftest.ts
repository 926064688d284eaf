// A reproducer plan as a KVM selftest: a file in the shape of the kernel's
// tools/testing/selftests/kvm/arm64/ tests (vgic_init.c, vgic_irq.c): the selftest library's VM
// and vCPU helpers, guest code in C that reports through ucalls (GUEST_SYNC), device attributes
// through kvm_device_attr_get/set, TEST_ASSERT on every mismatch and one ksft TAP line per check.
// It performs the same operation list as `--format c` (the plan's steps, rendered by the same
// stepLine) and checks the same values; only the harness around them is the library's.

import { commentText, planData } from './c';
import { ReproPlan, Step } from './plan';

/** One guest case per system-register step: MRS/MSR need the encoding in the instruction. */
function sysregCase(s: Step, k: number): string {
  const op0 = (s.enc >> 16) & 3, op1 = (s.enc >> 12) & 7, crn = (s.enc >> 8) & 15, crm = (s.enc >> 4) & 15, op2 = s.enc & 7;
  const reg = `s${op0}_${op1}_c${crn}_c${crm}_${op2}`;
  return s.op === 'sr'
    ? `  case ${k}: asm volatile("mrs %0, ${reg}" : "=r"(v)); break;`
    : `  case ${k}: asm volatile("msr ${reg}, %0" : : "r"(value)); break;`;
}

export function renderKselftest(p: ReproPlan, traceName: string): string {
  const vm = p.vm;
  const sysregs = p.steps.map((s, k) => (s.op === 'sr' || s.op === 'sw' ? sysregCase(s, k) : '')).filter((l) => l);
  const lines: string[] = [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '/*',
    ` * gicreplay-selftest gic=${vm.gic} policy=${p.policy.id}`,
    ` * Exported by \`gicreplay export ${commentText(traceName)} --policy ${p.policy.id} --format kvm-selftest\`:`,
    ` * ${p.steps.length} operations, ${p.checks} checks against ${commentText(p.source)}.`,
    ' *',
    ' * For tools/testing/selftests/kvm/arm64/ (add it to TEST_GEN_PROGS_arm64 in the Makefile; older',
    ' * trees, 6.1 among them, name them aarch64/ and TEST_GEN_PROGS_aarch64: tools/kvm/selftest-6.1.sh). It',
    ` * creates ${vm.cpus} vCPU${vm.cpus === 1 ? '' : 's'} and a vGICv${vm.gic} with ${vm.nrIrqs} interrupts at the trace's frame addresses`,
    ' * (kvm_create_device and kvm_device_attr_set, as vgic_init.c does: vgic_v3_setup() fixes the',
    ' * frames and initialises the vGIC at once, where the trace chooses both), puts KVM in revision',
    ` * ${p.policy.data.revision} through GICD_IIDR (skips if the kernel refuses), and runs the operation list: VMM`,
    ' * accesses, KVM_IRQ_LINE, KVM_SIGNAL_MSI and stores to the guest memory the ITS reads from the',
    ' * host, guest accesses from guest_code(), which runs each',
    ' * run of one vCPU\'s accesses in one KVM_RUN and reports with GUEST_SYNC. A mismatch fails',
    ' * through TEST_ASSERT naming the event, vCPU and register.',
    ' */',
    '#include <errno.h>',
    '#include <string.h>',
    '#include <linux/kvm.h>',
    '#include <linux/version.h>',
    '',
    '#include "kvm_util.h"',
    '#include "processor.h"',
    '#include "test_util.h"',
    '#include "ucall_common.h"',
    '',
    ...planData(p, []),
    '#define NSTEPS (sizeof(steps) / sizeof(steps[0]))',
    '',
    '/* The system-register steps: one MRS or MSR each, the encoding being part of the instruction. */',
    'static uint64_t guest_sysreg(uint32_t k, uint64_t value)',
    '{',
    '  uint64_t v = 0;',
    '',
    '  (void)value;',
    '  switch (k) {',
    ...sysregs,
    '  default: break;',
    '  }',
    '  return v;',
    '}',
    KSELFTEST_RUNTIME,
  ];
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

const KSELFTEST_RUNTIME = String.raw`
/* Shared with the guest (sync_global_to_guest / sync_global_from_guest). */
static uint32_t seg_first, seg_last, cur_step;
static struct { uint64_t value, isr, esr; int exc; } results[NSTEPS > 0 ? NSTEPS : 1];
static uint64_t exc_esr;
static int exc_hit;

/* A synchronous exception at an access (an UNDEF or an abort): noted, and the access skipped. */
static void guest_sync_handler(struct ex_regs *regs)
{
  exc_esr = read_sysreg(esr_el1);
  exc_hit = 1;
  regs->pc += 4;
}

static uint64_t guest_step(uint32_t k)
{
  const struct step *s = &steps[k];
  volatile void *a = (volatile void *)(uintptr_t)s->addr;

  switch (s->op) {
  case MR:
    if (s->size == 1) return *(volatile uint8_t *)a;
    if (s->size == 2) return *(volatile uint16_t *)a;
    if (s->size == 4) return *(volatile uint32_t *)a;
    return *(volatile uint64_t *)a;
  case MW:
    if (s->size == 1) *(volatile uint8_t *)a = (uint8_t)s->value;
    else if (s->size == 2) *(volatile uint16_t *)a = (uint16_t)s->value;
    else if (s->size == 4) *(volatile uint32_t *)a = (uint32_t)s->value;
    else *(volatile uint64_t *)a = s->value;
    return 0;
  case SR:
  case SW:
    return guest_sysreg(k, s->value);
  case TIMER:
    /* Compare value 0 with ENABLE=1 raises the timer's output; CTL=0 drops it. */
    if (s->enc == 0 && s->level) { write_sysreg(0, cntv_cval_el0); write_sysreg(1, cntv_ctl_el0); }
    else if (s->enc == 0) write_sysreg(0, cntv_ctl_el0);
    else if (s->level) { write_sysreg(0, cntp_cval_el0); write_sysreg(1, cntp_ctl_el0); }
    else write_sysreg(0, cntp_ctl_el0);
    isb();
    return 0;
  default:
    return 0;
  }
}

static void guest_code(void)
{
  for (;;) {
    for (uint32_t k = seg_first; k <= seg_last; k++) {
      uint64_t v;

      cur_step = k;
      exc_hit = 0;
      v = guest_step(k);
      /* A timer line: exit, and read ISR_EL1 after a fresh entry. */
      if (steps[k].op == TIMER)
        GUEST_SYNC(1);
      results[k].value = v;
      results[k].isr = read_sysreg(isr_el1);
      results[k].exc = exc_hit;
      results[k].esr = exc_esr;
    }
    GUEST_SYNC(2);
  }
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[NCPUS];
static int gic_fd, its_fd = -1;
static unsigned int tap;

static void pass(const struct step *s, const char *check, const char *skip)
{
  tap++;
  if (skip)
    ksft_test_result_skip("%s: %s (%s)\n", s->what, check, skip);
  else
    ksft_test_result_pass("%s: %s\n", s->what, check);
}

static void check_value(const struct step *s, uint64_t got, const char *note)
{
  if (!s->check_value)
    return;
  if (s->skip_value) {
    pass(s, "value", s->skip_value);
    return;
  }
  TEST_ASSERT(!note, "%s: = 0x%llx: KVM answered %s (policy %s)", s->what, (unsigned long long)s->want_value, note, POLICY);
  TEST_ASSERT(got == s->want_value, "%s: = 0x%llx: KVM answered 0x%llx (policy %s)", s->what, (unsigned long long)s->want_value, (unsigned long long)got, POLICY);
  pass(s, "value", NULL);
}

static void check_errno(const struct step *s, int got)
{
  if (!s->check_errno)
    return;
  if (s->skip_errno) {
    pass(s, "errno", s->skip_errno);
    return;
  }
  TEST_ASSERT(got == s->want_errno, "%s: errno %d: KVM answered errno %d (%s) (policy %s)", s->what, s->want_errno, got, got ? strerror(got) : "success", POLICY);
  pass(s, "errno", NULL);
}

static void check_ret(const struct step *s, int got)
{
  if (!s->check_ret)
    return;
  TEST_ASSERT(got == s->want_ret, "%s: returns %d: KVM returned %d (policy %s)", s->what, s->want_ret, got, POLICY);
  pass(s, "return value", NULL);
}

/* ISR_EL1: bit 7 a virtual IRQ is pending, bit 6 a virtual FIQ. */
static void check_isr(const struct step *s, uint64_t isr)
{
  int irq = (int)(isr >> 7) & 1, fiq = (int)(isr >> 6) & 1;

  if (!s->check_isr)
    return;
  if (s->skip_isr) {
    pass(s, "IRQ/FIQ", s->skip_isr);
    return;
  }
  TEST_ASSERT(irq == s->want_irq && fiq == s->want_fiq, "%s: cpu%d IRQ %d FIQ %d: KVM answered IRQ %d FIQ %d (policy %s)", s->what, s->cpu, s->want_irq, s->want_fiq, irq, fiq, POLICY);
  pass(s, "IRQ/FIQ", NULL);
}

/* Run steps first..last (one vCPU's guest accesses) in one KVM_RUN, then check them. */
static void run_segment(int cpu, uint32_t first, uint32_t last)
{
  struct kvm_vcpu *vcpu = vcpus[cpu];
  const char *left = NULL;
  uint32_t left_step = 0;
  struct ucall uc;

  seg_first = first;
  seg_last = last;
  sync_global_to_guest(vm, seg_first);
  sync_global_to_guest(vm, seg_last);
  for (;;) {
    vcpu_run(vcpu);
    switch (get_ucall(vcpu, &uc)) {
    case UCALL_SYNC:
      if (uc.args[1] == 1)
        continue;
      break;
    case UCALL_ABORT:
      REPORT_GUEST_ASSERT(uc);
      break;
    case UCALL_NONE:
      /* No in-kernel device at this address: the access left KVM. Reads see 0. */
      TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO, "%s: vcpu%d exited with reason %u", steps[first].what, cpu, vcpu->run->exit_reason);
      sync_global_from_guest(vm, cur_step);
      left = "nothing: no in-kernel device claimed the address (the access left KVM)";
      left_step = cur_step;
      if (!vcpu->run->mmio.is_write)
        memset(vcpu->run->mmio.data, 0, sizeof(vcpu->run->mmio.data));
      continue;
    default:
      TEST_FAIL("%s: unexpected ucall %lu", steps[first].what, (unsigned long)uc.cmd);
    }
    break;
  }
  sync_global_from_guest(vm, results);
  for (uint32_t k = first; k <= last; k++) {
    const struct step *s = &steps[k];
    char note[96];
    const char *why = left && left_step == k ? left : NULL;

    if (results[k].exc) {
      snprintf(note, sizeof(note), "a synchronous exception (ESR_EL1 0x%llx)", (unsigned long long)results[k].esr);
      why = note;
    }
    check_value(s, results[k].value, why);
    check_isr(s, results[k].isr);
  }
}

static void create_vgic(void)
{
  uint32_t nr = NR_IRQS;

  gic_fd = kvm_create_device(vm, GIC_VERSION == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2);
  kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr);
  if (GIC_VERSION == 3) {
    uint64_t d = DIST;

    kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &d);
    virt_map(vm, DIST, DIST, 0x10000 / vm->page_size);
    for (size_t r = 0; r < sizeof(redist) / sizeof(redist[0]); r++) {
      uint64_t v = redist[r].base | (uint64_t)redist[r].count << 52 | (uint64_t)r;

      if (!redist[r].count)
        continue;
      kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &v);
      virt_map(vm, redist[r].base, redist[r].base, redist[r].count * 0x20000 / vm->page_size);
    }
  } else {
    uint64_t d = DIST, c = CPUIF;

    kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &d);
    kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &c);
    virt_map(vm, DIST, DIST, 0x10000 / vm->page_size);
    virt_map(vm, CPUIF, CPUIF, 0x2000 / vm->page_size);
  }
  if (ITS_BASE) {
    uint64_t b = ITS_BASE;

    its_fd = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS);
    kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &b);
    kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
    virt_map(vm, ITS_BASE, ITS_BASE, 0x20000 / vm->page_size);
  }
  /* The guest memory the ITS reads (command queue, tables, ITTs): zero-filled memslots the guest
     code never touches, written only by MEMW steps from the host. */
  for (int m = 0; m < NMEMS; m++)
    vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, mems[m].base, 1 + m, mems[m].size / vm->page_size, 0);
  if (INIT_NOW)
    kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

static void set_mpidrs(void)
{
  for (int i = 0; i < NCPUS; i++) {
    uint64_t want = mpidrs[i];
    struct kvm_one_reg reg = { .id = KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), .addr = (uint64_t)(uintptr_t)&want };

    TEST_ASSERT(!__vcpu_ioctl(vcpus[i], KVM_SET_ONE_REG, &reg), "KVM refuses MPIDR_EL1 0x%llx for vcpu%d", (unsigned long long)want, i);
  }
}

static void select_revision(const struct step *s)
{
  uint32_t v = 0, nv;

  kvm_device_attr_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &v);
  if (((v >> 12) & 0xf) == s->enc)
    return;
  nv = (v & ~0xf000u) | (s->enc & 0xf) << 12;
  __TEST_REQUIRE(!__kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &nv),
                 "this kernel cannot be put into policy %s: it refuses GICD_IIDR 0x%x (revision %u)", POLICY, nv, s->enc);
}

static void store_guest_memory(const struct step *s)
{
  int m = 0;

  while (m < NMEMS && !(s->addr >= mems[m].base && s->addr + (uint64_t)s->size <= mems[m].base + mems[m].size))
    m++;
  TEST_ASSERT(m < NMEMS, "%s: outside the guest memory this test gives the ITS", s->what);
  memcpy(addr_gpa2hva(vm, s->addr), s->data, s->size);
}

static void signal_msi(const struct step *s)
{
  struct kvm_msi msi = { .address_lo = (uint32_t)s->addr, .address_hi = (uint32_t)(s->addr >> 32), .data = (uint32_t)s->value };
  int r;

  if (s->enc) {
    msi.flags = KVM_MSI_VALID_DEVID;
    msi.devid = (uint32_t)s->attr;
  }
  r = __vm_ioctl(vm, KVM_SIGNAL_MSI, &msi);
  check_ret(s, r < 0 ? -errno : r);
}

static int is_guest(const struct step *s)
{
  return s->op == MR || s->op == MW || s->op == SR || s->op == SW || s->op == PROBE || s->op == TIMER;
}

int main(void)
{
  uint32_t i = 0;

  ksft_print_header();
  vm = vm_create_with_vcpus(NCPUS, guest_code, vcpus);
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
  /* Before 6.2 the library left the ucall MMIO address to the test (6.1's aarch64 tests all call it). */
  ucall_init(vm, NULL);
#endif
  vm_init_descriptor_tables(vm);
  for (int c = 0; c < NCPUS; c++)
    vcpu_init_descriptor_tables(vcpus[c]);
  vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, 0x00 /* EC unknown: UNDEF */, guest_sync_handler);
  vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, 0x25 /* EC data abort, same EL */, guest_sync_handler);
  set_mpidrs();
  create_vgic();
  ksft_set_plan(CHECKS);

  while (i < NSTEPS) {
    const struct step *s = &steps[i];
    int e;

    if (is_guest(s)) {
      /* As the C program: one KVM_RUN per run of one vCPU's accesses; a probe or a timer line starts a fresh one. */
      uint32_t last = i;

      if (s->op != TIMER)
        while (last + 1 < NSTEPS && is_guest(&steps[last + 1]) && steps[last + 1].cpu == s->cpu &&
               steps[last + 1].op != PROBE && steps[last + 1].op != TIMER)
          last++;
      run_segment(s->cpu, i, last);
      i = last + 1;
      continue;
    }
    if (s->op == UR || s->op == UW) {
      uint64_t v64 = s->value;
      uint32_t v32 = (uint32_t)s->value;
      int wide = s->enc == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
      void *val = wide ? (void *)&v64 : (void *)&v32;

      e = s->op == UR ? __kvm_device_attr_get(gic_fd, s->enc, s->attr, val) : __kvm_device_attr_set(gic_fd, s->enc, s->attr, val);
      e = e ? errno : 0;
      check_errno(s, e);
      if (s->op == UR && !e)
        check_value(s, wide ? v64 : v32, NULL);
    } else if (s->op == CTRL) {
      e = __kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, s->attr, NULL);
      check_errno(s, e ? errno : 0);
    } else if (s->op == IRQ_LINE) {
      e = _kvm_irq_line(vm, (uint32_t)s->attr, s->level);
      check_errno(s, e ? errno : 0);
    } else if (s->op == MEMW) {
      store_guest_memory(s);
    } else if (s->op == MSI) {
      signal_msi(s);
    } else if (s->op == ITS_UR || s->op == ITS_UW) {
      /* KVM passes every ITS register through a u64, whatever the register's width. */
      uint64_t v = s->value;

      e = s->op == ITS_UR ? __kvm_device_attr_get(its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, s->attr, &v) : __kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, s->attr, &v);
      e = e ? errno : 0;
      check_errno(s, e);
      if (s->op == ITS_UR && !e)
        check_value(s, v, NULL);
    } else if (s->op == ITS_CTRL) {
      e = __kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, s->attr, NULL);
      check_errno(s, e ? errno : 0);
    } else if (s->op == IIDR) {
      select_revision(s);
    }
    i++;
  }
  TEST_ASSERT(tap == CHECKS, "%u checks reported, %d planned", tap, CHECKS);
  kvm_vm_free(vm);
  ksft_finished();
}
`;
