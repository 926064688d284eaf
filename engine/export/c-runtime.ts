// The fixed part of an exported C reproducer: VM and vGIC setup from the generated constants,
// guest code (an interpreter loop over an operation list, as the KVM runner's, tools/kvm/JOB.md),
// one TAP line per check, exit 1 at the first mismatch, 2 when the host cannot run it. Kept as
// text so the generated file stands alone: libc and the kernel's UAPI headers, nothing else.

export const C_PRELUDE = String.raw`#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
`;

/** The operation list's types: the same in the C program and the kvm-selftest file. */
export const C_STEP_TYPES = String.raw`enum op { MR, MW, SR, SW, PROBE, TIMER, UR, UW, CTRL, IRQ_LINE, IIDR, MEMW, MSI, ITS_UR, ITS_UW, ITS_CTRL };

struct step {
  enum op op;
  int cpu;
  uint64_t addr;  /* MR/MW/MEMW: guest-physical address; MSI: doorbell */
  int size;       /* MR/MW/MEMW: bytes */
  uint64_t value; /* MW/SW/UW/ITS_UW: value written; MSI: data */
  uint32_t enc;   /* SR/SW: op0<<16|op1<<12|CRn<<8|CRm<<4|op2; UR/UW: attribute group; TIMER: 0 virtual, 1 physical; IIDR: revision; MSI: 1 with a DeviceID */
  uint64_t attr;  /* UR/UW/CTRL/ITS_UR/ITS_UW/ITS_CTRL: device attribute; IRQ_LINE: KVM_IRQ_LINE number; MSI: DeviceID */
  int level;      /* IRQ_LINE/TIMER: line level */
  const char *data; /* MEMW: the bytes to store */
  const char *what;
  /* Checks: what KVM must answer (the golden's record), or why it is not checked. */
  int check_value; uint64_t want_value; const char *skip_value;
  int check_errno; int want_errno; const char *skip_errno;
  int check_ret; int want_ret; /* MSI: KVM_SIGNAL_MSI's return */
  int check_isr; int want_irq, want_fiq; const char *skip_isr;
};

struct region { uint64_t base; uint32_t count; };
struct memslot { uint64_t base, size; }; /* guest memory the ITS reads: a zero-filled memslot */
`;

export const C_RUNTIME = String.raw`
#define NSTEPS (sizeof steps / sizeof steps[0])
#define GB (1ULL << 30)
#define RAM_SIZE (1u << 20)
#define OFF_VECTORS 0x0000u
#define OFF_LOOP 0x0800u
#define OFF_INIT 0x0a00u
#define OFF_HANDLERS 0x0c00u
#define OFF_STUBS 0x1000u   /* 16 bytes per distinct system register */
#define OFF_EXC 0x3f00u     /* ESR, ELR, FAR, x5 of the last synchronous exception */
#define OFF_PT 0x4000u      /* L0, then one L1 per L0 entry */
#define OFF_OPS 0x10000u    /* handler, address, value: 24 bytes per operation */
#define OFF_RESULTS 0x80000u
#define MAX_SEG 1024

static int kvm_fd = -1, vm_fd = -1, gic_fd = -1, its_fd = -1;
static uint8_t *mem_host[NMEMS > 0 ? NMEMS : 1];
static struct { int fd; struct kvm_run *run; } vcpu[NCPUS];
static uint8_t *ram;
static uint64_t ram_base, yield_base;
static size_t run_size;
static unsigned tap;
static uint32_t *code;
static uint64_t h_rd[9], h_wr[9], h_nop, h_timer[4], h_yield, h_step[NSTEPS > 0 ? NSTEPS : 1];

static void bail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("Bail out! ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  exit(2);
}

static void ok(const struct step *s, const char *check, const char *skip) {
  if (skip) printf("ok %u - %s: %s # SKIP %s\n", ++tap, s->what, check, skip);
  else printf("ok %u - %s: %s\n", ++tap, s->what, check);
}

static void mismatch(const struct step *s, const char *check, const char *got) {
  printf("not ok %u - %s: %s\n#   KVM answered %s (step %d of %d, policy %s)\n", ++tap, s->what, check, got, (int)(s - steps) + 1, (int)NSTEPS, POLICY);
  fflush(stdout);
  exit(1);
}

static void check_value(const struct step *s, uint64_t got, const char *note) {
  if (!s->check_value) return;
  char want[64], g[160];
  snprintf(want, sizeof want, "= 0x%llx", (unsigned long long)s->want_value);
  if (s->skip_value) { ok(s, want, s->skip_value); return; }
  if (note) mismatch(s, want, note);
  if (got != s->want_value) {
    snprintf(g, sizeof g, "0x%llx", (unsigned long long)got);
    mismatch(s, want, g);
  }
  ok(s, want, NULL);
}

static void check_errno(const struct step *s, int got) {
  if (!s->check_errno) return;
  char want[64], g[96];
  snprintf(want, sizeof want, "errno %d%s", s->want_errno, s->want_errno ? "" : " (success)");
  if (s->skip_errno) { ok(s, want, s->skip_errno); return; }
  if (got != s->want_errno) {
    snprintf(g, sizeof g, "errno %d (%s)", got, got ? strerror(got) : "success");
    mismatch(s, want, g);
  }
  ok(s, want, NULL);
}

static void check_ret(const struct step *s, int got) {
  if (!s->check_ret) return;
  char want[64], g[96];
  snprintf(want, sizeof want, "returns %d", s->want_ret);
  if (got != s->want_ret) {
    if (got < 0) snprintf(g, sizeof g, "%d (%s)", got, strerror(-got));
    else snprintf(g, sizeof g, "%d", got);
    mismatch(s, want, g);
  }
  ok(s, want, NULL);
}

/* ISR_EL1: bit 7 a virtual IRQ is pending, bit 6 a virtual FIQ. */
static void check_isr(const struct step *s, uint64_t isr) {
  if (!s->check_isr) return;
  char want[64], g[64];
  snprintf(want, sizeof want, "cpu%d IRQ %d FIQ %d", s->cpu, s->want_irq, s->want_fiq);
  if (s->skip_isr) { ok(s, want, s->skip_isr); return; }
  int irq = (int)(isr >> 7) & 1, fiq = (int)(isr >> 6) & 1;
  if (irq != s->want_irq || fiq != s->want_fiq) {
    snprintf(g, sizeof g, "IRQ %d FIQ %d", irq, fiq);
    mismatch(s, want, g);
  }
  ok(s, want, NULL);
}

static int dev_attr(int fd, unsigned long req, uint32_t group, uint64_t attr, void *val) {
  struct kvm_device_attr a = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val};
  return ioctl(fd, req, &a) < 0 ? errno : 0;
}

/* ---- guest code ---------------------------------------------------------------------------- */

static void emit(uint32_t insn) { *code++ = insn; }
static uint64_t here(void) { return ram_base + (uint64_t)((uint8_t *)code - ram); }
static uint32_t branch(uint64_t from, uint64_t to) { return 0x14000000u | (uint32_t)(((int64_t)(to - from) >> 2) & 0x3ffffff); }
static void mov_imm(int rd, uint64_t v) {
  emit(0xD2800000u | (uint32_t)rd); /* movz xd, #0 */
  for (int hw = 0; hw < 4; hw++) {
    uint32_t part = (uint32_t)(v >> (16 * hw)) & 0xffff;
    if (part) emit(0xF2800000u | (uint32_t)hw << 21 | part << 5 | (uint32_t)rd); /* movk */
  }
}
static uint32_t sysreg_insn(int read, uint32_t enc, int rt) {
  uint32_t op0 = (enc >> 16) & 3, op1 = (enc >> 12) & 7, crn = (enc >> 8) & 15, crm = (enc >> 4) & 15, op2 = enc & 7;
  return (read ? 0xD5300000u : 0xD5100000u) | (op0 & 1) << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | (uint32_t)rt;
}
#define RET 0xD65F03C0u
#define ISB 0xD5033FDFu

static void write_guest(void) {
  /* Vectors: a synchronous exception at the access records ESR, ELR, FAR and the operation
     pointer, tells the VMM (a store to yield+8), and skips the instruction. Others stop. */
  for (int v = 0; v < 16; v++) {
    code = (uint32_t *)(ram + OFF_VECTORS + 0x80 * v);
    if (v == 4) {
      emit(0xD5385209u); /* mrs x9, esr_el1 */
      emit(0xD538402Au); /* mrs x10, elr_el1 */
      emit(0xD538600Bu); /* mrs x11, far_el1 */
      emit(0xA90028E9u); /* stp x9, x10, [x7] */
      emit(0xA90114EBu); /* stp x11, x5, [x7, #16] */
      emit(0xF900051Fu); /* str xzr, [x8, #8] */
      emit(0x9100114Au); /* add x10, x10, #4 */
      emit(0xD518402Au); /* msr elr_el1, x10 */
      emit(0xD69F03E0u); /* eret */
    } else {
      emit(0xF900091Fu); /* str xzr, [x8, #16]: an exception nobody expects */
      emit(0x14000000u); /* b . */
    }
  }
  /* The loop: for each operation, call its handler (one access and ret), then store the value
     read and ISR_EL1. The last operation's handler is the yield stub. */
  code = (uint32_t *)(ram + OFF_LOOP);
  uint64_t start = here();
  emit(0xD508751Fu); /* ic iallu */
  emit(0xD5033B9Fu); /* dsb ish */
  emit(ISB);
  mov_imm(5, ram_base + OFF_OPS);
  mov_imm(3, ram_base + OFF_RESULTS);
  uint64_t next = here();
  emit(0xA8C104ABu); /* ldp x11, x1, [x5], #16 */
  emit(0xF84084A2u); /* ldr x2, [x5], #8 */
  emit(0xD2800000u); /* movz x0, #0 */
  emit(0xD63F0160u); /* blr x11 */
  emit(0xD538C104u); /* mrs x4, isr_el1 */
  emit(0xA8811060u); /* stp x0, x4, [x3], #16 */
  emit(branch(here(), next));
  h_yield = here();
  emit(0xF900011Fu); /* str xzr, [x8] */
  emit(branch(here(), start));

  code = (uint32_t *)(ram + OFF_HANDLERS);
  static const uint32_t ld[9] = {0, 0x39400020u, 0x79400020u, 0, 0xB9400020u, 0, 0, 0, 0xF9400020u};
  static const uint32_t st[9] = {0, 0x39000022u, 0x79000022u, 0, 0xB9000022u, 0, 0, 0, 0xF9000022u};
  for (int size = 1; size <= 8; size *= 2) {
    h_rd[size] = here(); emit(ld[size]); emit(RET);
    h_wr[size] = here(); emit(st[size]); emit(RET);
  }
  h_nop = here(); emit(RET);
  /* Timer lines: compare value 0 with ENABLE=1 raises the timer's output, CTL=0 drops it. */
  for (int t = 0; t < 4; t++) {
    uint32_t ctl = t >= 2 ? 0x3e21u : 0x3e31u, cval = t >= 2 ? 0x3e22u : 0x3e32u;
    h_timer[t] = here();
    if (t & 1) { emit(sysreg_insn(0, 0x30000u | cval, 31)); emit(0xD2800029u); emit(sysreg_insn(0, 0x30000u | ctl, 9)); }
    else emit(sysreg_insn(0, 0x30000u | ctl, 31));
    emit(ISB); emit(RET);
  }
  /* One MRS/MSR stub per system register the steps use. */
  uint32_t *stubs = (uint32_t *)(ram + OFF_STUBS);
  uint32_t encs[256]; int nenc = 0;
  for (size_t i = 0; i < NSTEPS; i++) {
    const struct step *s = &steps[i];
    if (s->op == MR || s->op == MW) h_step[i] = s->op == MR ? h_rd[s->size] : h_wr[s->size];
    else if (s->op == PROBE) h_step[i] = h_nop;
    else if (s->op == TIMER) h_step[i] = h_timer[s->enc * 2 + (s->level != 0)];
    else if (s->op == SR || s->op == SW) {
      int k = 0;
      while (k < nenc && encs[k] != s->enc) k++;
      if (k == nenc) {
        if (nenc == 256) bail("more than 256 distinct system registers");
        encs[nenc++] = s->enc;
        code = stubs + 4 * k;
        emit(sysreg_insn(1, s->enc, 0)); emit(RET);
        emit(sysreg_insn(0, s->enc, 2)); emit(RET);
      }
      h_step[i] = ram_base + OFF_STUBS + 16 * (uint64_t)k + (s->op == SW ? 8 : 0);
    }
  }
  /* Identity map: 1 GiB blocks, Device-nGnRnE and never executable, except our RAM's gigabyte. */
  uint64_t *l0 = (uint64_t *)(ram + OFF_PT);
  for (int i = 0; i < 2; i++) {
    uint64_t *l1 = (uint64_t *)(ram + OFF_PT + 0x1000 * (i + 1));
    l0[i] = (ram_base + OFF_PT + 0x1000 * (i + 1)) | 3;
    for (int j = 0; j < 512; j++) {
      uint64_t g = (uint64_t)i * 512 + j;
      l1[j] = g * GB == (ram_base & ~(GB - 1)) ? (g * GB | 1 | 1 << 2 | 3 << 8 | 1 << 10) : (g * GB | 1 | 1 << 10 | 1ULL << 53 | 1ULL << 54);
    }
  }
  code = (uint32_t *)(ram + OFF_INIT);
  mov_imm(9, 0xFF00); emit(0xD518A209u);                                            /* MAIR_EL1 */
  mov_imm(9, 16 | 1ULL << 8 | 1ULL << 10 | 3ULL << 12 | 1ULL << 23 | 2ULL << 32); emit(0xD5182049u); /* TCR_EL1 */
  mov_imm(9, ram_base + OFF_PT); emit(0xD5182009u);                                 /* TTBR0_EL1 */
  emit(ISB); emit(0xD508871Fu); emit(0xD503379Fu); emit(ISB);                        /* tlbi vmalle1; dsb nsh */
  mov_imm(9, 0x30d00800u | 1 | 4 | 0x1000); emit(0xD5181009u); emit(ISB);           /* SCTLR_EL1: M, C, I */
  mov_imm(9, ram_base + OFF_VECTORS); emit(0xD518C009u); emit(ISB);                 /* VBAR_EL1 */
  mov_imm(7, ram_base + OFF_EXC);
  mov_imm(8, yield_base);
  emit(branch(here(), start));
  __builtin___clear_cache((char *)ram, (char *)(ram + OFF_OPS));
}

/* ---- running a vCPU ------------------------------------------------------------------------ */

static volatile sig_atomic_t alarm_fired;
static void on_alarm(int sig) { (void)sig; alarm_fired = 1; }

struct seg { size_t step; uint64_t handler; int quiet; int exc; uint64_t esr; int left_kvm; };
static struct seg seg[MAX_SEG];
static int seg_n, seg_cpu = -1;

static void run_segment(void) {
  if (seg_cpu < 0 || !seg_n) { seg_cpu = -1; seg_n = 0; return; }
  int cpu = seg_cpu;
  uint64_t *ops = (uint64_t *)(ram + OFF_OPS);
  for (int k = 0; k < seg_n; k++) {
    const struct step *s = &steps[seg[k].step];
    ops[3 * k] = seg[k].handler;
    ops[3 * k + 1] = s->addr;
    ops[3 * k + 2] = s->value;
  }
  ops[3 * seg_n] = h_yield;
  for (;;) {
    struct itimerval it = {{0, 0}, {10, 0}};
    alarm_fired = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    int r = ioctl(vcpu[cpu].fd, KVM_RUN, 0);
    int e = errno;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    if (r < 0 && e == EINTR && !alarm_fired) continue;
    if (r < 0) bail("%s: KVM_RUN on vcpu%d: %s", steps[seg[0].step].what, cpu, alarm_fired ? "the guest did not yield within 10 s" : strerror(e));
    struct kvm_run *run = vcpu[cpu].run;
    if (run->exit_reason == KVM_EXIT_INTR) continue;
    if (run->exit_reason != KVM_EXIT_MMIO) bail("%s: vcpu%d exited with reason %u", steps[seg[0].step].what, cpu, run->exit_reason);
    uint64_t a = run->mmio.phys_addr;
    if (a == yield_base) break;
    uint64_t *exc = (uint64_t *)(ram + OFF_EXC);
    uint64_t x5 = a == yield_base + 8 ? exc[3] : 0;
    if (a != yield_base + 8) {
      struct kvm_one_reg reg = {.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, regs.regs[5]) / 4), .addr = (uint64_t)(uintptr_t)&x5};
      ioctl(vcpu[cpu].fd, KVM_GET_ONE_REG, &reg);
    }
    uint64_t k = (x5 - (ram_base + OFF_OPS)) / 24 - 1;
    if (a == yield_base + 16 || x5 <= ram_base + OFF_OPS || k >= (uint64_t)seg_n) bail("%s: vcpu%d took an unexpected exception (MMIO exit at 0x%llx)", steps[seg[0].step].what, cpu, (unsigned long long)a);
    if (a == yield_base + 8) { seg[k].exc = 1; seg[k].esr = exc[0]; continue; }
    /* No in-kernel device at this address: the access left KVM. Reads see 0. */
    seg[k].left_kvm = 1;
    if (!run->mmio.is_write) memset(run->mmio.data, 0, sizeof run->mmio.data);
  }
  uint64_t *res = (uint64_t *)(ram + OFF_RESULTS);
  for (int k = 0; k < seg_n; k++) {
    const struct step *s = &steps[seg[k].step];
    if (seg[k].quiet) continue;
    char note[96];
    const char *why = NULL;
    if (seg[k].exc) { snprintf(note, sizeof note, "a synchronous exception (ESR_EL1 0x%llx)", (unsigned long long)seg[k].esr); why = note; }
    else if (seg[k].left_kvm) why = "nothing: no in-kernel device claimed the address (the access left KVM)";
    check_value(s, res[2 * k], why);
    check_isr(s, res[2 * k + 1]);
  }
  seg_cpu = -1;
  seg_n = 0;
}

static void seg_add(size_t i, uint64_t handler, int quiet) {
  memset(&seg[seg_n], 0, sizeof seg[seg_n]);
  seg[seg_n].step = i;
  seg[seg_n].handler = handler;
  seg[seg_n++].quiet = quiet;
}

static void guest_step(size_t i) {
  const struct step *s = &steps[i];
  if (s->cpu < 0 || s->cpu >= NCPUS) bail("%s: no vcpu%d", s->what, s->cpu);
  /* A probe is a fresh KVM_RUN (KVM flushes the vCPU's interrupt state to the list registers and
     re-reads its timers on every entry). */
  if (seg_cpu != s->cpu || seg_n == MAX_SEG - 1 || s->op == PROBE || s->op == TIMER) run_segment();
  seg_cpu = s->cpu;
  if (s->op != TIMER) {
    seg_add(i, h_step[i], 0);
    return;
  }
  /* A timer line: change the timer's output, exit, and read ISR_EL1 after a fresh entry. */
  seg_add(i, h_step[i], 1);
  run_segment();
  seg_cpu = s->cpu;
  seg_add(i, h_nop, 0);
  run_segment();
}

/* ---- the VM ----------------------------------------------------------------------------------- */

static int gb_used(uint64_t g) {
  uint64_t lo = g * GB, hi = lo + GB;
  if (DIST < hi && DIST + 0x10000 > lo) return 1;
  if (CPUIF && CPUIF < hi && CPUIF + 0x2000 > lo) return 1;
  if (ITS_BASE && ITS_BASE < hi && ITS_BASE + 0x20000 > lo) return 1;
  for (size_t r = 0; r < sizeof redist / sizeof redist[0]; r++)
    if (redist[r].count && redist[r].base < hi && redist[r].base + redist[r].count * 0x20000ULL > lo) return 1;
  for (int m = 0; m < NMEMS; m++)
    if (mems[m].base < hi && mems[m].base + mems[m].size > lo) return 1;
  return 0;
}

static void create_vm(void) {
  kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm_fd < 0) bail("cannot open /dev/kvm: %s", strerror(errno));
  vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
  if (vm_fd < 0) bail("KVM_CREATE_VM: %s", strerror(errno));
  uint64_t g = 1;
  while (g < 1023 && gb_used(g)) g++;
  uint64_t y = g + 1;
  while (y < 1023 && gb_used(y)) y++;
  ram_base = g * GB;
  yield_base = y * GB;
  ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ram == MAP_FAILED) bail("mmap: %s", strerror(errno));
  struct kvm_userspace_memory_region mr = {.slot = 0, .guest_phys_addr = ram_base, .memory_size = RAM_SIZE, .userspace_addr = (uint64_t)(uintptr_t)ram};
  if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0) bail("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
  /* The guest memory the ITS reads (command queue, tables, ITTs): zero-filled, written only by
     MEMW steps from here; the guest code never touches it. */
  for (int m = 0; m < NMEMS; m++) {
    mem_host[m] = mmap(NULL, mems[m].size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem_host[m] == MAP_FAILED) bail("mmap of guest memory 0x%llx (+0x%llx): %s", (unsigned long long)mems[m].base, (unsigned long long)mems[m].size, strerror(errno));
    struct kvm_userspace_memory_region gm = {.slot = (uint32_t)(1 + m), .guest_phys_addr = mems[m].base, .memory_size = mems[m].size, .userspace_addr = (uint64_t)(uintptr_t)mem_host[m]};
    if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &gm) < 0) bail("guest memory 0x%llx (+0x%llx) refused as a memslot: %s", (unsigned long long)mems[m].base, (unsigned long long)mems[m].size, strerror(errno));
  }
  write_guest();
  struct kvm_vcpu_init init;
  if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) bail("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
  run_size = (size_t)ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  for (int i = 0; i < NCPUS; i++) {
    vcpu[i].fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);
    if (vcpu[i].fd < 0) bail("KVM_CREATE_VCPU %d: %s", i, strerror(errno));
    vcpu[i].run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu[i].fd, 0);
    if (vcpu[i].run == MAP_FAILED) bail("mmap of vcpu%d's kvm_run: %s", i, strerror(errno));
    if (ioctl(vcpu[i].fd, KVM_ARM_VCPU_INIT, &init) < 0) bail("KVM_ARM_VCPU_INIT %d: %s", i, strerror(errno));
    uint64_t pc = ram_base + OFF_INIT;
    struct kvm_one_reg r = {.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, regs.pc) / 4), .addr = (uint64_t)(uintptr_t)&pc};
    if (ioctl(vcpu[i].fd, KVM_SET_ONE_REG, &r) < 0) bail("setting vcpu%d's PC: %s", i, strerror(errno));
    uint64_t mpidr = 0;
    struct kvm_one_reg m = {.id = ARM64_SYS_REG(3, 0, 0, 0, 5), .addr = (uint64_t)(uintptr_t)&mpidr};
    if (ioctl(vcpu[i].fd, KVM_GET_ONE_REG, &m) < 0) bail("reading vcpu%d's MPIDR_EL1: %s", i, strerror(errno));
    if (mpidr != mpidrs[i]) {
      uint64_t want = mpidrs[i];
      m.addr = (uint64_t)(uintptr_t)&want;
      if (ioctl(vcpu[i].fd, KVM_SET_ONE_REG, &m) < 0) bail("KVM refuses MPIDR_EL1 0x%llx for vcpu%d: %s", (unsigned long long)want, i, strerror(errno));
    }
  }
  struct kvm_create_device cd = {.type = GIC_VERSION == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2};
  if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0) bail("KVM_CREATE_DEVICE (vGICv%d): %s", GIC_VERSION, strerror(errno));
  gic_fd = (int)cd.fd;
  uint32_t nr = NR_IRQS;
  int e;
  if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr))) bail("KVM_DEV_ARM_VGIC_GRP_NR_IRQS %u: %s", nr, strerror(e));
  uint64_t dist = DIST;
  if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, GIC_VERSION == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST, &dist))) bail("distributor base 0x%llx: %s", (unsigned long long)dist, strerror(e));
  if (GIC_VERSION == 3) {
    for (size_t r = 0; r < sizeof redist / sizeof redist[0]; r++) {
      if (!redist[r].count) continue;
      uint64_t v = redist[r].base | (uint64_t)redist[r].count << 52 | (uint64_t)r;
      if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &v))) bail("redistributor region %d: %s", (int)r, strerror(e));
    }
  } else {
    uint64_t c = CPUIF;
    if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &c))) bail("CPU interface base 0x%llx: %s", (unsigned long long)c, strerror(e));
  }
  if (ITS_BASE) {
    struct kvm_create_device its = {.type = KVM_DEV_TYPE_ARM_VGIC_ITS};
    if (ioctl(vm_fd, KVM_CREATE_DEVICE, &its) < 0) bail("KVM_CREATE_DEVICE (ITS): %s", strerror(errno));
    its_fd = (int)its.fd;
    uint64_t b = ITS_BASE;
    if ((e = dev_attr(its_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &b))) bail("ITS base: %s", strerror(e));
    if ((e = dev_attr(its_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))) bail("ITS CTRL_INIT: %s", strerror(e));
  }
  if (INIT_NOW && (e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))) bail("KVM_DEV_ARM_VGIC_CTRL_INIT: %s", strerror(e));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: KVM_RUN returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  printf("TAP version 13\n1..%d\n# %s\n", CHECKS, TITLE);
  create_vm();
  for (size_t i = 0; i < NSTEPS; i++) {
    const struct step *s = &steps[i];
    if (s->op == MR || s->op == MW || s->op == SR || s->op == SW || s->op == PROBE || s->op == TIMER) {
      guest_step(i);
      continue;
    }
    run_segment();
    int e;
    if (s->op == UR || s->op == UW) {
      uint64_t v64 = s->value;
      uint32_t v32 = (uint32_t)s->value;
      int wide = s->enc == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
      e = dev_attr(gic_fd, s->op == UR ? KVM_GET_DEVICE_ATTR : KVM_SET_DEVICE_ATTR, s->enc, s->attr, wide ? (void *)&v64 : (void *)&v32);
      check_errno(s, e);
      if (s->op == UR && !e) check_value(s, wide ? v64 : v32, NULL);
    } else if (s->op == CTRL) {
      check_errno(s, dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, s->attr, NULL));
    } else if (s->op == IRQ_LINE) {
      struct kvm_irq_level l = {.irq = (uint32_t)s->attr, .level = (uint32_t)s->level};
      check_errno(s, ioctl(vm_fd, KVM_IRQ_LINE, &l) < 0 ? errno : 0);
    } else if (s->op == MEMW) {
      int m = 0;
      while (m < NMEMS && !(s->addr >= mems[m].base && s->addr + (uint64_t)s->size <= mems[m].base + mems[m].size)) m++;
      if (m == NMEMS) bail("%s: outside the guest memory this program gives the ITS", s->what);
      memcpy(mem_host[m] + (s->addr - mems[m].base), s->data, (size_t)s->size);
    } else if (s->op == MSI) {
      struct kvm_msi msi = {.address_lo = (uint32_t)s->addr, .address_hi = (uint32_t)(s->addr >> 32), .data = (uint32_t)s->value};
      if (s->enc) { msi.flags = KVM_MSI_VALID_DEVID; msi.devid = (uint32_t)s->attr; }
      int r = ioctl(vm_fd, KVM_SIGNAL_MSI, &msi);
      check_ret(s, r < 0 ? -errno : r);
    } else if (s->op == ITS_UR || s->op == ITS_UW) {
      /* KVM passes every ITS register through a u64, whatever the register's width. */
      uint64_t v = s->value;
      e = dev_attr(its_fd, s->op == ITS_UR ? KVM_GET_DEVICE_ATTR : KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, s->attr, &v);
      check_errno(s, e);
      if (s->op == ITS_UR && !e) check_value(s, v, NULL);
    } else if (s->op == ITS_CTRL) {
      check_errno(s, dev_attr(its_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, s->attr, NULL));
    } else if (s->op == IIDR) {
      uint32_t v = 0;
      if ((e = dev_attr(gic_fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &v))) bail("reading GICD_IIDR to select revision %u: %s", s->enc, strerror(e));
      if (((v >> 12) & 0xf) != s->enc) {
        uint32_t nv = (v & ~0xf000u) | (s->enc & 0xf) << 12;
        if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &nv)))
          bail("this kernel cannot be put into policy %s: it refuses GICD_IIDR 0x%x (revision %u): %s", POLICY, nv, s->enc, strerror(e));
      }
    }
  }
  run_segment();
  printf("# all %d checks passed\n", CHECKS);
  return 0;
}
`;
