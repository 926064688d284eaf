// gicreplay-kvm: replay a job (see JOB.md) against the in-kernel vGIC of Linux KVM/arm64.
//
// One process, one thread, one vCPU running at a time, so the order in which the vGIC sees the
// accesses is the job's order and the answers are deterministic. Guest accesses become
// straight-line AArch64 code in a small memslot; a store to an address no memslot or in-kernel
// device covers (the "yield" page) exits to us between segments. After every guest access the
// guest stores the value it read and ISR_EL1 (pending vIRQ/vFIQ/SError) to memory.
//
// Runs as /init of an initramfs (nested: the kernel under QEMU) or as an ordinary program on an
// arm64 host with /dev/kvm (native). Build: aarch64-linux-gnu-gcc -static -O2 (tools/kvm/build.ts).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/reboot.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define JOB_MAGIC "gicreplay-kvm-job 1"
#define MAX_CPUS 512
#define MAX_REGIONS 16
#define MAX_MEMS 32 // guest-memory memslots a trace's ITS reads (command queue, tables)
#define GB (1ULL << 30)

// Guest memory layout (offsets from the memslot base).
#define RAM_SIZE (4u << 20)
#define OFF_VECTORS 0x0000u   // 2 KiB vector table
#define OFF_STUB 0x0800u      // yield stub: str xzr,[x8]; b start
#define OFF_INIT 0x1000u      // per-vCPU first-run code (MMU, VBAR), then b start
#define OFF_EXC 0x1800u       // ESR, ELR, FAR and the operation pointer of the last synchronous exception
#define OFF_PT 0x2000u        // page tables: L0 at +0, L1 for L0[0] at +0x1000, L1 for L0[1] at +0x2000
#define OFF_LOOP 0x5000u      // the interpreter loop
#define OFF_HANDLERS 0x6000u  // MMIO and timer handlers
#define OFF_STUBS 0x8000u     // system-register handlers, generated on first use
#define MAX_STUBS 1024        // 16 bytes each, up to OFF_OPS
#define OFF_OPS 0x10000u      // the operation list: handler, address, value
#define OFF_RESULTS 0x200000u // per operation: value read, ISR_EL1
#define MAX_SEG_OPS 8192      // 8192 * 24 B operations, 8192 * 16 B results

// Offsets inside the yield page (guest-physical, no memslot): where a store means what.
#define Y_YIELD 0x0
#define Y_EXC 0x8
#define Y_VECTOR 0x100 // + 8 * vector number: an exception we never expect

static int verbose;

// ---------------------------------------------------------------- output

static char outbuf[1 << 16];
static size_t outlen;
static unsigned long out_seq;
static uint32_t out_crc = 0xffffffffu;
static int out_semihost = -1; // semihosting file handle, or -1 for stdout
static int out_framed;        // console: "@@<seq> " before each line, a checksum at the end

static uint32_t crc_table[256];
static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static void crc_add(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) out_crc = crc_table[(out_crc ^ (unsigned char)s[i]) & 0xff] ^ (out_crc >> 8);
}

static long semihost_call(long op, void *arg) {
#ifdef __aarch64__
  register long x0 __asm__("x0") = op;
  register void *x1 __asm__("x1") = arg;
  __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return x0;
#else
  (void)op; (void)arg;
  return -1;
#endif
}

static void out_flush(void) {
  size_t off = 0;
  if (out_semihost >= 0) {
    long args[3] = {out_semihost, (long)outbuf, (long)outlen};
    semihost_call(0x05, args); // SYS_WRITE
    outlen = 0;
    return;
  }
  while (off < outlen) {
    ssize_t n = write(1, outbuf + off, outlen - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    off += (size_t)n;
  }
  outlen = 0;
}

// One result line. Lines are short; the buffer is flushed when it fills and at the end of a trace.
static void out_line(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  crc_add(line, (size_t)n);
  char pre[32];
  int p = out_framed ? snprintf(pre, sizeof pre, "@@%lu ", out_seq) : 0;
  out_seq++;
  if (outlen + (size_t)(p + n) > sizeof outbuf) out_flush();
  memcpy(outbuf + outlen, pre, (size_t)p);
  outlen += (size_t)p;
  memcpy(outbuf + outlen, line, (size_t)n);
  outlen += (size_t)n;
}

// ---------------------------------------------------------------- the job

static char *job;        // whole job text, NUL-terminated
static char *job_cursor; // next line

static char *next_line(void) {
  while (job_cursor && *job_cursor) {
    char *l = job_cursor;
    char *nl = strchr(l, '\n');
    if (nl) {
      *nl = 0;
      job_cursor = nl + 1;
    } else {
      job_cursor = l + strlen(l);
    }
    if (*l && *l != '#') return l;
  }
  return NULL;
}

static int split(char *l, char **tok, int max) {
  int n = 0;
  while (*l && n < max) {
    while (*l == ' ') l++;
    if (!*l) break;
    tok[n++] = l;
    while (*l && *l != ' ') l++;
    if (*l) *l++ = 0;
  }
  return n;
}

static uint64_t num(const char *s) { return strtoull(s, NULL, 0); }

// ---------------------------------------------------------------- the VM

struct vcpu {
  int fd;
  struct kvm_run *run;
  int started; // has run its first-run code
  uint64_t mpidr;
};

struct trace {
  char id[128];
  int gic, ncpus;
  uint32_t nr_irqs;
  uint64_t mpidr[MAX_CPUS];
  int have_mpidr[MAX_CPUS];
  uint64_t dist, cpuif, its;
  int have_dist, have_cpuif, have_its;
  uint64_t region_base[MAX_REGIONS];
  uint32_t region_count[MAX_REGIONS];
  int nregions;
  int init_now;
  unsigned timeout_ms;
  uint64_t mem_base[MAX_MEMS], mem_size[MAX_MEMS];
  int nmems;
};

static int kvm_fd = -1, vm_fd = -1, gic_fd = -1, its_fd = -1;
static struct vcpu vcpus[MAX_CPUS];
static int nvcpus;
static uint8_t *ram;
static uint8_t *mem[MAX_MEMS]; // host mappings of T's guest-memory slots (slot 1 + index)
static uint64_t ram_base, yield_base;
static size_t run_size;
static struct trace T;
static char failed[256]; // non-empty: the current trace has failed; skip to its end

static void fail(const char *tag, const char *fmt, ...) {
  if (failed[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(failed, sizeof failed, fmt, ap);
  va_end(ap);
  for (char *p = failed; *p; p++)
    if (*p == '\n') *p = ' ';
  out_line("%s F %s", tag, failed);
}

static void teardown(void) {
  for (int i = 0; i < nvcpus; i++) {
    if (vcpus[i].run) munmap(vcpus[i].run, run_size);
    if (vcpus[i].fd >= 0) close(vcpus[i].fd);
  }
  memset(vcpus, 0, sizeof vcpus);
  nvcpus = 0;
  if (its_fd >= 0) close(its_fd);
  if (gic_fd >= 0) close(gic_fd);
  if (vm_fd >= 0) close(vm_fd);
  its_fd = gic_fd = vm_fd = -1;
  if (ram) munmap(ram, RAM_SIZE);
  ram = NULL;
  for (int m = 0; m < MAX_MEMS; m++) {
    if (mem[m]) munmap(mem[m], T.mem_size[m]);
    mem[m] = NULL;
  }
}

static int dev_attr(int fd, unsigned long req, uint32_t group, uint64_t attr, void *val) {
  struct kvm_device_attr a = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val};
  return ioctl(fd, req, &a) < 0 ? errno : 0;
}

// Is [base, base+size) inside gigabyte g?
static int in_gb(uint64_t base, uint64_t size, uint64_t g) { return base < (g + 1) * GB && base + size > g * GB; }

static int gb_used(uint64_t g) {
  if (T.have_dist && in_gb(T.dist, 0x10000, g)) return 1;
  if (T.have_cpuif && in_gb(T.cpuif, 0x2000, g)) return 1;
  if (T.have_its && in_gb(T.its, 0x20000, g)) return 1;
  for (int r = 0; r < T.nregions; r++)
    if (in_gb(T.region_base[r], (uint64_t)T.region_count[r] * 0x20000, g)) return 1;
  for (int m = 0; m < T.nmems; m++)
    if (in_gb(T.mem_base[m], T.mem_size[m], g)) return 1;
  return 0;
}

// ---------------------------------------------------------------- guest code
//
// The guest runs a fixed interpreter loop over a list of operations in memory, so the code is
// written (and translated, under TCG) once per VM, not once per segment:
//
//   start: ic iallu; dsb ish; isb; x5 = ops; x3 = results
//   next:  ldp x11, x1, [x5], #16     handler, address
//          ldr x2, [x5], #8           value to write
//          movz x0, #0                a faulting read reports 0
//          blr x11                    one access (or the yield stub, which ends the list)
//          mrs x4, isr_el1
//          stp x0, x4, [x3], #16      value read, pending vIRQ/vFIQ
//          b next
//
// Handlers are one access instruction and `ret`; system-register handlers are generated the
// first time an encoding is used (appended, never rewritten). x7 = exception record, x8 = yield
// page, both set by the first-run code.

struct op {
  uint64_t handler, addr, value;
};
struct seg_op {
  char tag[24];
  int kind;  // 'r' read, 'w' write, 'p' probe, 't' probe after a timer-line change
  int exc;   // a synchronous exception was taken at the access
  uint64_t esr, far;
  int user_mmio; // the access left KVM (no in-kernel device claims the address): answered 0
  uint64_t user_mmio_addr;
};
static struct seg_op segops[MAX_SEG_OPS];
static uint32_t seg_ops; // operations in the list being built
static int seg_cpu = -1; // the vCPU that will run it
static uint32_t *code;   // write pointer while emitting

struct stub {
  uint32_t enc;
  uint64_t rd, wr;
};
static struct stub stubs[MAX_STUBS];
static int nstubs;
static uint32_t *stub_end; // next free word in the stub area
static int stubs_added;    // new code since the last segment: clean it to the point of unification

static uint64_t h_mmio_rd[9], h_mmio_wr[9], h_nop, h_spin, h_timer[4], h_yield;

static uint64_t guest_addr(void *p) { return ram_base + (uint64_t)((uint8_t *)p - ram); }
static void emit(uint32_t insn) { *code++ = insn; }

static void mov_imm(int rd, uint64_t v) {
  if (v == 0) {
    emit(0xD2800000u | (uint32_t)rd); // movz xd, #0
    return;
  }
  int first = 1;
  for (int hw = 0; hw < 4; hw++) {
    uint32_t part = (uint32_t)(v >> (16 * hw)) & 0xffff;
    if (!part) continue;
    emit((first ? 0xD2800000u : 0xF2800000u) | (uint32_t)hw << 21 | part << 5 | (uint32_t)rd);
    first = 0;
  }
}

// MRS/MSR with the trace's packed encoding op0<<16 | op1<<12 | CRn<<8 | CRm<<4 | op2.
static uint32_t sysreg_insn(int read, uint32_t enc, int rt) {
  uint32_t op0 = (enc >> 16) & 0xf, op1 = (enc >> 12) & 0xf, crn = (enc >> 8) & 0xf, crm = (enc >> 4) & 0xf, op2 = enc & 0xf;
  return (read ? 0xD5300000u : 0xD5100000u) | (op0 & 1) << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | (uint32_t)rt;
}
#define ENC(op0, op1, crn, crm, op2) ((op0) << 16 | (op1) << 12 | (crn) << 8 | (crm) << 4 | (op2))
#define ISB 0xD5033FDFu
#define DSB_ISH 0xD5033B9Fu
#define IC_IALLU 0xD508751Fu
#define RET 0xD65F03C0u

static uint32_t branch(uint64_t from, uint64_t to) { return 0x14000000u | (uint32_t)(((int64_t)(to - from) >> 2) & 0x3ffffff); }

static uint64_t here(void) { return guest_addr(code); }

// The handler address for an MRS (read) or MSR (write) of `enc`, generating it on first use.
static uint64_t sysreg_stub(uint32_t enc, int write) {
  for (int i = 0; i < nstubs; i++)
    if (stubs[i].enc == enc) return write ? stubs[i].wr : stubs[i].rd;
  if (nstubs == MAX_STUBS) return 0;
  struct stub *s = &stubs[nstubs++];
  s->enc = enc;
  code = stub_end;
  s->rd = here();
  emit(sysreg_insn(1, enc, 0));
  emit(RET);
  s->wr = here();
  emit(sysreg_insn(0, enc, 2));
  emit(RET);
  stub_end = code;
  stubs_added = 1;
  return write ? s->wr : s->rd;
}

static struct op *ops_area(void) { return (struct op *)(ram + OFF_OPS); }

static void seg_begin(int cpu) {
  seg_cpu = cpu;
  seg_ops = 0;
}

static int seg_room(void) { return seg_ops < MAX_SEG_OPS - 1; }

static struct seg_op *seg_add(const char *tag, int kind, uint64_t handler, uint64_t addr, uint64_t value) {
  struct op *g = &ops_area()[seg_ops];
  g->handler = handler;
  g->addr = addr;
  g->value = value;
  struct seg_op *o = &segops[seg_ops++];
  memset(o, 0, sizeof *o);
  snprintf(o->tag, sizeof o->tag, "%s", tag);
  o->kind = kind;
  return o;
}

// Fixed code: vectors, yield stub, first-run code, the loop, the handlers, page tables.
static void write_fixed_code(void) {
  // Vectors: the synchronous exception from the current EL (SP_ELx) records ESR/ELR/FAR and the
  // operation pointer, tells us (store to Y_EXC), then skips the instruction. Every other vector
  // is unexpected: stop there.
  for (int v = 0; v < 16; v++) {
    code = (uint32_t *)(ram + OFF_VECTORS + 0x80 * v);
    if (v == 4) {
      emit(0xD5385209u); // mrs x9, esr_el1
      emit(0xD538402Au); // mrs x10, elr_el1
      emit(0xD538600Bu); // mrs x11, far_el1
      emit(0xA90028E9u); // stp x9, x10, [x7]
      emit(0xA90114EBu); // stp x11, x5, [x7, #16]
      emit(0xF900051Fu); // str xzr, [x8, #8]  -> Y_EXC
      emit(0x9100114Au); // add x10, x10, #4
      emit(0xD518402Au); // msr elr_el1, x10
      emit(0xD69F03E0u); // eret
    } else {
      emit(0xF900011Fu | (uint32_t)((Y_VECTOR + 8 * v) / 8) << 10); // str xzr, [x8, #Y_VECTOR+8v]
      emit(0x14000000u);                                            // b .
    }
  }

  code = (uint32_t *)(ram + OFF_LOOP);
  uint64_t start = here();
  emit(IC_IALLU);
  emit(DSB_ISH);
  emit(ISB);
  mov_imm(5, ram_base + OFF_OPS);
  mov_imm(3, ram_base + OFF_RESULTS);
  uint64_t next = here();
  emit(0xA8C104ABu); // ldp x11, x1, [x5], #16
  emit(0xF84084A2u); // ldr x2, [x5], #8
  emit(0xD2800000u); // movz x0, #0
  emit(0xD63F0160u); // blr x11
  emit(0xD538C104u); // mrs x4, isr_el1
  emit(0xA8811060u); // stp x0, x4, [x3], #16
  emit(branch(here(), next));

  code = (uint32_t *)(ram + OFF_STUB);
  h_yield = here();
  emit(0xF900011Fu); // str xzr, [x8]  -> Y_YIELD
  emit(branch(here(), start));

  code = (uint32_t *)(ram + OFF_HANDLERS);
  static const uint32_t ld[9] = {0, 0x39400020u, 0x79400020u, 0, 0xB9400020u, 0, 0, 0, 0xF9400020u}; // ldr* w/x0, [x1]
  static const uint32_t st[9] = {0, 0x39000022u, 0x79000022u, 0, 0xB9000022u, 0, 0, 0, 0xF9000022u}; // str* w/x2, [x1]
  for (int size = 1; size <= 8; size *= 2) {
    h_mmio_rd[size] = here();
    emit(ld[size]);
    emit(RET);
    h_mmio_wr[size] = here();
    emit(st[size]);
    emit(RET);
  }
  h_nop = here();
  emit(RET);
  h_spin = here(); // a guest that never yields, for testing the watchdog
  emit(0x14000000u); // b .
  // Timer outputs: compare value 0 (always in the past) with the timer enabled raises the line;
  // CTL = 0 drops it. [0] virtual off, [1] virtual on, [2] physical off, [3] physical on.
  for (int t = 0; t < 4; t++) {
    int phys = t >= 2, level = t & 1;
    uint32_t ctl = phys ? ENC(3, 3, 14, 2, 1) : ENC(3, 3, 14, 3, 1);
    uint32_t cval = phys ? ENC(3, 3, 14, 2, 2) : ENC(3, 3, 14, 3, 2);
    h_timer[t] = here();
    if (level) {
      emit(sysreg_insn(0, cval, 31)); // msr cval, xzr
      emit(0xD2800029u);              // movz x9, #1
      emit(sysreg_insn(0, ctl, 9));
    } else {
      emit(sysreg_insn(0, ctl, 31));
    }
    emit(ISB);
    emit(RET);
  }
  stub_end = (uint32_t *)(ram + OFF_STUBS);
  nstubs = 0;

  // Page tables: identity map, 4 KiB granule, 48-bit VA. Every gigabyte is Device-nGnRnE and
  // never executable, except the memslot's, which is Normal write-back.
  uint64_t *l0 = (uint64_t *)(ram + OFF_PT);
  for (int i = 0; i < 2; i++) {
    uint64_t *l1 = (uint64_t *)(ram + OFF_PT + 0x1000 * (i + 1));
    l0[i] = (ram_base + OFF_PT + 0x1000 * (i + 1)) | 3;
    for (int j = 0; j < 512; j++) {
      uint64_t g = (uint64_t)i * 512 + j;
      if (g * GB == (ram_base & ~(GB - 1)))
        l1[j] = g * GB | 1 | (1 << 2) | (3 << 8) | (1 << 10); // block, AttrIndx 1, inner shareable, AF
      else
        l1[j] = g * GB | 1 | (0 << 2) | (1 << 10) | (1ULL << 53) | (1ULL << 54); // Device, AF, PXN, UXN
    }
  }

  code = (uint32_t *)(ram + OFF_INIT);
  mov_imm(9, 0xFF00); // MAIR: attr0 Device-nGnRnE, attr1 Normal WB
  emit(0xD518A209u);  // msr mair_el1, x9
  // TCR: T0SZ=16, IRGN0=ORGN0=WBWA, SH0=inner, TG0=4K, EPD1, IPS=40 bits
  mov_imm(9, 16 | 1ULL << 8 | 1ULL << 10 | 3ULL << 12 | 1ULL << 23 | 2ULL << 32);
  emit(0xD5182049u); // msr tcr_el1, x9
  mov_imm(9, ram_base + OFF_PT);
  emit(0xD5182009u); // msr ttbr0_el1, x9
  emit(ISB);
  emit(0xD508871Fu); // tlbi vmalle1
  emit(0xD503379Fu); // dsb nsh
  emit(ISB);
  mov_imm(9, 0x30d00800u | 1 | 4 | 0x1000); // SCTLR: RES1 bits, M, C, I
  emit(0xD5181009u);                        // msr sctlr_el1, x9
  emit(ISB);
  mov_imm(9, ram_base + OFF_VECTORS);
  emit(0xD518C009u); // msr vbar_el1, x9
  emit(ISB);
  mov_imm(7, ram_base + OFF_EXC);
  mov_imm(8, yield_base);
  emit(branch(here(), start));
  __builtin___clear_cache((char *)ram, (char *)(ram + OFF_OPS));
}

// ---------------------------------------------------------------- running a vCPU

static volatile sig_atomic_t alarm_fired;
static void on_alarm(int sig) {
  (void)sig;
  alarm_fired = 1;
}

static uint64_t core_reg_id(size_t off) { return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / sizeof(uint32_t)); }
static uint64_t get_pc(int cpu) {
  uint64_t pc = 0;
  struct kvm_one_reg r = {.id = core_reg_id(offsetof(struct kvm_regs, regs.pc)), .addr = (uint64_t)(uintptr_t)&pc};
  ioctl(vcpus[cpu].fd, KVM_GET_ONE_REG, &r);
  return pc;
}

static uint64_t get_x5(int cpu) {
  uint64_t x = 0;
  struct kvm_one_reg r = {.id = core_reg_id(offsetof(struct kvm_regs, regs.regs[5])), .addr = (uint64_t)(uintptr_t)&x};
  ioctl(vcpus[cpu].fd, KVM_GET_ONE_REG, &r);
  return x;
}

// The operation being executed, from the loop's operation pointer (x5 points past it).
static struct seg_op *op_from_x5(uint64_t x5) {
  uint64_t base = ram_base + OFF_OPS;
  if (x5 <= base || (x5 - base) % sizeof(struct op)) return NULL;
  uint64_t i = (x5 - base) / sizeof(struct op) - 1;
  return i < seg_ops ? &segops[i] : NULL;
}

// Run vCPU `cpu` until it yields. 0 on success; otherwise the trace has failed.
static int run_vcpu(int cpu, const char *tag) {
  struct vcpu *v = &vcpus[cpu];
  for (;;) {
    struct itimerval it = {{0, 0}, {T.timeout_ms / 1000, (T.timeout_ms % 1000) * 1000}};
    alarm_fired = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    int r = ioctl(v->fd, KVM_RUN, 0);
    int e = errno;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    if (r < 0) {
      if (e == EINTR && alarm_fired) {
        struct seg_op *o = op_from_x5(get_x5(cpu));
        fail(o ? o->tag : tag, "vcpu%d did not yield within %u ms (guest hang; pc 0x%llx)", cpu, T.timeout_ms, (unsigned long long)get_pc(cpu));
        return -1;
      }
      if (e == EINTR) continue;
      fail(tag, "KVM_RUN on vcpu%d failed: %s (errno %d)", cpu, strerror(e), e);
      return -1;
    }
    v->started = 1;
    struct kvm_run *run = v->run;
    switch (run->exit_reason) {
    case KVM_EXIT_MMIO: {
      uint64_t a = run->mmio.phys_addr;
      if (a == yield_base + Y_YIELD) return 0;
      if (a == yield_base + Y_EXC) {
        uint64_t *exc = (uint64_t *)(ram + OFF_EXC);
        struct seg_op *o = op_from_x5(exc[3]);
        uint64_t h = o ? ops_area()[o - segops].handler : 0;
        if (!o || exc[1] < h || exc[1] >= h + 8 || o->kind == 'p') {
          fail(tag, "vcpu%d: unexpected synchronous exception at pc 0x%llx (ESR_EL1 0x%llx, FAR_EL1 0x%llx)", cpu,
               (unsigned long long)exc[1], (unsigned long long)exc[0], (unsigned long long)exc[2]);
          return -1;
        }
        o->exc = 1;
        o->esr = exc[0];
        o->far = exc[2];
        continue;
      }
      if (a >= yield_base + Y_VECTOR && a < yield_base + Y_VECTOR + 16 * 8) {
        unsigned vec = (unsigned)(a - yield_base - Y_VECTOR) / 8;
        fail(tag, "vcpu%d: unexpected exception vector %u (offset 0x%x)", cpu, vec, vec * 0x80);
        return -1;
      }
      struct seg_op *o = op_from_x5(get_x5(cpu));
      if (!o) {
        fail(tag, "vcpu%d: MMIO %s at 0x%llx outside any access (pc 0x%llx)", cpu, run->mmio.is_write ? "write" : "read",
             (unsigned long long)a, (unsigned long long)get_pc(cpu));
        return -1;
      }
      o->user_mmio = 1;
      o->user_mmio_addr = a;
      if (!run->mmio.is_write) memset(run->mmio.data, 0, sizeof run->mmio.data);
      continue;
    }
    case KVM_EXIT_INTR:
      if (alarm_fired) {
        struct seg_op *o = op_from_x5(get_x5(cpu));
        fail(o ? o->tag : tag, "vcpu%d did not yield within %u ms (guest hang; pc 0x%llx)", cpu, T.timeout_ms, (unsigned long long)get_pc(cpu));
        return -1;
      }
      continue;
    case KVM_EXIT_SYSTEM_EVENT:
      fail(tag, "vcpu%d: system event %u", cpu, run->system_event.type);
      return -1;
    case KVM_EXIT_FAIL_ENTRY:
      fail(tag, "vcpu%d: KVM_EXIT_FAIL_ENTRY (reason 0x%llx)", cpu, (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
      return -1;
    case KVM_EXIT_INTERNAL_ERROR:
      fail(tag, "vcpu%d: KVM_EXIT_INTERNAL_ERROR (suberror %u)", cpu, run->internal.suberror);
      return -1;
    default:
      fail(tag, "vcpu%d: unexpected exit reason %u (pc 0x%llx)", cpu, run->exit_reason, (unsigned long long)get_pc(cpu));
      return -1;
    }
  }
}

// Run the operation list built so far and report each operation.
static void seg_flush(void) {
  if (seg_cpu < 0) return;
  int cpu = seg_cpu;
  seg_cpu = -1;
  if (!seg_ops || failed[0]) return;
  struct op *end = &ops_area()[seg_ops];
  end->handler = h_yield;
  if (stubs_added) {
    __builtin___clear_cache((char *)(ram + OFF_STUBS), (char *)stub_end);
    stubs_added = 0;
  }
  uint32_t done = seg_ops;
  if (run_vcpu(cpu, segops[0].tag) < 0) {
    // The operations before the one that failed did run: report them.
    struct seg_op *o = op_from_x5(get_x5(cpu));
    done = o ? (uint32_t)(o - segops) : 0;
  }
  uint64_t *res = (uint64_t *)(ram + OFF_RESULTS);
  for (uint32_t i = 0; i < done; i++) {
    struct seg_op *o = &segops[i];
    unsigned isr = (unsigned)(res[2 * i + 1] >> 6) & 7; // bit 0 FIQ, bit 1 IRQ, bit 2 SError
    if (o->kind == 'p' || o->kind == 't') out_line("%s %c %d %u", o->tag, o->kind, cpu, isr);
    else if (o->exc) out_line("%s x %llx %llx %u", o->tag, (unsigned long long)o->esr, (unsigned long long)o->far, isr);
    else if (o->user_mmio) out_line("%s m %llx %u", o->tag, (unsigned long long)o->user_mmio_addr, isr);
    else if (o->kind == 'r') out_line("%s r %llx %u", o->tag, (unsigned long long)res[2 * i], isr);
    else if (o->kind == 'w') out_line("%s w %u", o->tag, isr);
  }
}


// Make `cpu` the vCPU of the segment being generated, flushing another vCPU's segment first.
static int seg_for(int cpu, const char *tag) {
  if (cpu < 0 || cpu >= nvcpus) {
    fail(tag, "vcpu%d does not exist", cpu);
    return -1;
  }
  if (seg_cpu != cpu || !seg_room()) {
    seg_flush();
    if (failed[0]) return -1;
    seg_begin(cpu);
  }
  return 0;
}

// ---------------------------------------------------------------- VM setup

// The vGIC (and ITS) of T at its frames; CTRL_INIT if the job asks. 0, or -1 when the trace has failed.
static int create_vgic(const char *tag) {
  struct kvm_create_device cd = {.type = T.gic == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2};
  if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
    fail(tag, "KVM_CREATE_DEVICE (vGICv%d) failed: %s%s", T.gic, strerror(errno),
         errno == ENODEV ? " (the host's GIC cannot emulate this GIC version)" : "");
    return -1;
  }
  gic_fd = (int)cd.fd;
  int e;
  if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &T.nr_irqs))) {
    fail(tag, "setup: KVM_DEV_ARM_VGIC_GRP_NR_IRQS %u refused: %s (errno %d)", T.nr_irqs, strerror(e), e);
    return -1;
  }
  if (T.gic == 3) {
    if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &T.dist))) {
      fail(tag, "setup: distributor base 0x%llx refused: %s (errno %d)", (unsigned long long)T.dist, strerror(e), e);
      return -1;
    }
    for (int r = 0; r < T.nregions; r++) {
      uint64_t v = T.region_base[r] | (uint64_t)T.region_count[r] << 52 | (uint64_t)r;
      if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &v))) {
        fail(tag, "setup: redistributor region %d (base 0x%llx, %u redistributors) refused: %s (errno %d)", r,
             (unsigned long long)T.region_base[r], T.region_count[r], strerror(e), e);
        return -1;
      }
    }
  } else {
    if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &T.dist))) {
      fail(tag, "setup: distributor base 0x%llx refused: %s (errno %d)", (unsigned long long)T.dist, strerror(e), e);
      return -1;
    }
    if ((e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &T.cpuif))) {
      fail(tag, "setup: CPU interface base 0x%llx refused: %s (errno %d)", (unsigned long long)T.cpuif, strerror(e), e);
      return -1;
    }
  }
  if (T.have_its) {
    struct kvm_create_device its = {.type = KVM_DEV_TYPE_ARM_VGIC_ITS};
    if (ioctl(vm_fd, KVM_CREATE_DEVICE, &its) < 0) {
      fail(tag, "KVM_CREATE_DEVICE (ITS) failed: %s", strerror(errno));
      return -1;
    }
    its_fd = (int)its.fd;
    if ((e = dev_attr(its_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &T.its))) {
      fail(tag, "setup: ITS base 0x%llx refused: %s (errno %d)", (unsigned long long)T.its, strerror(e), e);
      return -1;
    }
    if ((e = dev_attr(its_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))) {
      fail(tag, "setup: ITS KVM_DEV_ARM_VGIC_CTRL_INIT failed: %s (errno %d)", strerror(e), e);
      return -1;
    }
  }
  if (T.init_now && (e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))) {
    fail(tag, "setup: KVM_DEV_ARM_VGIC_CTRL_INIT failed: %s (errno %d)", strerror(e), e);
    return -1;
  }
  return 0;
}

static int create_vm(const char *tag) {
  vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
  if (vm_fd < 0) {
    fail(tag, "KVM_CREATE_VM failed: %s", strerror(errno));
    return -1;
  }
  // Memslot and yield page: gigabytes that no GIC frame touches, below 1 TiB (KVM's default IPA size).
  uint64_t g = 1;
  while (g < 1023 && gb_used(g)) g++;
  uint64_t y = g + 1;
  while (y < 1023 && gb_used(y)) y++;
  if (y >= 1023) {
    fail(tag, "no free guest-physical gigabyte for the runner's memory");
    return -1;
  }
  ram_base = g * GB;
  yield_base = y * GB;
  ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ram == MAP_FAILED) {
    ram = NULL;
    fail(tag, "mmap of guest memory failed: %s", strerror(errno));
    return -1;
  }
  struct kvm_userspace_memory_region mr = {.slot = 0, .guest_phys_addr = ram_base, .memory_size = RAM_SIZE, .userspace_addr = (uint64_t)(uintptr_t)ram};
  if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0) {
    fail(tag, "KVM_SET_USER_MEMORY_REGION failed: %s", strerror(errno));
    return -1;
  }
  write_fixed_code();
  // The guest memory the ITS reads (the trace's command queue and tables): one memslot each,
  // zero-filled, written only by "gm" operations. MAP_NORESERVE: a table region can be large
  // and is mostly never touched.
  for (int m = 0; m < T.nmems; m++) {
    mem[m] = mmap(NULL, T.mem_size[m], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem[m] == MAP_FAILED) {
      mem[m] = NULL;
      fail(tag, "mmap of guest memory 0x%llx (+0x%llx) failed: %s", (unsigned long long)T.mem_base[m], (unsigned long long)T.mem_size[m], strerror(errno));
      return -1;
    }
    struct kvm_userspace_memory_region gm = {.slot = (uint32_t)(1 + m), .guest_phys_addr = T.mem_base[m], .memory_size = T.mem_size[m], .userspace_addr = (uint64_t)(uintptr_t)mem[m]};
    if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &gm) < 0) {
      fail(tag, "guest memory 0x%llx (+0x%llx) refused as a memslot: %s", (unsigned long long)T.mem_base[m], (unsigned long long)T.mem_size[m], strerror(errno));
      return -1;
    }
  }

  struct kvm_vcpu_init init;
  if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
    fail(tag, "KVM_ARM_PREFERRED_TARGET failed: %s", strerror(errno));
    return -1;
  }
  run_size = (size_t)ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  for (int i = 0; i < T.ncpus; i++) {
    struct vcpu *v = &vcpus[i];
    v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);
    nvcpus = i + 1;
    if (v->fd < 0) {
      fail(tag, "KVM_CREATE_VCPU %d failed: %s", i, strerror(errno));
      return -1;
    }
    v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
      v->run = NULL;
      fail(tag, "mmap of vcpu%d's kvm_run failed: %s", i, strerror(errno));
      return -1;
    }
    if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
      fail(tag, "KVM_ARM_VCPU_INIT of vcpu%d failed: %s", i, strerror(errno));
      return -1;
    }
    uint64_t pc = ram_base + OFF_INIT;
    struct kvm_one_reg r = {.id = core_reg_id(offsetof(struct kvm_regs, regs.pc)), .addr = (uint64_t)(uintptr_t)&pc};
    if (ioctl(v->fd, KVM_SET_ONE_REG, &r) < 0) {
      fail(tag, "setting vcpu%d's PC failed: %s", i, strerror(errno));
      return -1;
    }
    uint64_t mpidr = 0;
    struct kvm_one_reg m = {.id = ARM64_SYS_REG(3, 0, 0, 0, 5), .addr = (uint64_t)(uintptr_t)&mpidr};
    if (ioctl(v->fd, KVM_GET_ONE_REG, &m) < 0) {
      fail(tag, "reading vcpu%d's MPIDR_EL1 failed: %s", i, strerror(errno));
      return -1;
    }
    if (T.have_mpidr[i] && T.mpidr[i] != mpidr) {
      uint64_t want = T.mpidr[i];
      m.addr = (uint64_t)(uintptr_t)&want;
      if (ioctl(v->fd, KVM_SET_ONE_REG, &m) < 0) {
        fail(tag, "KVM refuses MPIDR_EL1 0x%llx for vcpu%d (it gives 0x%llx): %s", (unsigned long long)want, i,
             (unsigned long long)mpidr, strerror(errno));
        return -1;
      }
      m.addr = (uint64_t)(uintptr_t)&mpidr;
      ioctl(v->fd, KVM_GET_ONE_REG, &m);
      if (mpidr != want) {
        fail(tag, "KVM stores MPIDR_EL1 0x%llx for vcpu%d instead of 0x%llx", (unsigned long long)mpidr, i, (unsigned long long)want);
        return -1;
      }
    }
    v->mpidr = mpidr;
  }

  if (create_vgic(tag)) return -1;
  out_line("%s ok %d", tag, nvcpus);
  for (int i = 0; i < nvcpus; i++) out_line("%s mpidr %d %llx", tag, i, (unsigned long long)vcpus[i].mpidr);
  return 0;
}

// ---------------------------------------------------------------- ops

static void do_user(char **t, int n, int write) {
  // ur TAG GROUP ATTR   |   uw TAG GROUP ATTR VALUE
  seg_flush();
  if (failed[0]) return;
  uint32_t group = (uint32_t)num(t[2]);
  uint64_t attr = num(t[3]);
  int wide = group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
  uint64_t v64 = write && n > 4 ? num(t[4]) : 0;
  uint32_t v32 = (uint32_t)v64;
  int e = dev_attr(gic_fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, group, attr, wide ? (void *)&v64 : (void *)&v32);
  if (write) out_line("%s u %d", t[1], e);
  else out_line("%s u %d %llx", t[1], e, (unsigned long long)(e ? 0 : wide ? v64 : v32));
}

static void do_ctrl(char **t) {
  // c TAG ATTR
  seg_flush();
  if (failed[0]) return;
  int e = dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, num(t[2]), NULL);
  out_line("%s u %d", t[1], e);
}

static int hexval(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

static void do_gm(char **t) {
  // gm TAG ADDR HEXBYTES: the guest's store to memory the ITS reads, made by us between segments
  // (the runner's guest never touches these slots, so the order with its accesses is job order).
  seg_flush();
  if (failed[0]) return;
  uint64_t addr = num(t[2]);
  size_t len = strlen(t[3]);
  if (len % 2) {
    fail(t[1], "job: odd number of hex digits in a gm operation");
    return;
  }
  len /= 2;
  for (int m = 0; m < T.nmems; m++) {
    if (addr < T.mem_base[m] || addr + len > T.mem_base[m] + T.mem_size[m]) continue;
    uint8_t *d = mem[m] + (addr - T.mem_base[m]);
    for (size_t i = 0; i < len; i++) {
      int hi = hexval(t[3][2 * i]), lo = hexval(t[3][2 * i + 1]);
      if (hi < 0 || lo < 0) {
        fail(t[1], "job: bad hex digit in a gm operation");
        return;
      }
      d[i] = (uint8_t)(hi << 4 | lo);
    }
    out_line("%s g", t[1]);
    return;
  }
  fail(t[1], "job: guest memory 0x%llx (+%zu bytes) is outside every mem region", (unsigned long long)addr, len);
}

static void do_msi(char **t) {
  // msi TAG ADDR DATA DEVID|-: KVM_SIGNAL_MSI (KVM_MSI_VALID_DEVID with a DeviceID).
  // Answer: TAG M RET, the ioctl's return (1 delivered, 0 blocked) or -errno.
  seg_flush();
  if (failed[0]) return;
  uint64_t a = num(t[2]);
  struct kvm_msi m = {.address_lo = (uint32_t)a, .address_hi = (uint32_t)(a >> 32), .data = (uint32_t)num(t[3])};
  if (strcmp(t[4], "-")) {
    m.flags = KVM_MSI_VALID_DEVID;
    m.devid = (uint32_t)num(t[4]);
  }
  int r = ioctl(vm_fd, KVM_SIGNAL_MSI, &m);
  out_line("%s M %d", t[1], r < 0 ? -errno : r);
}

static void do_its_user(char **t, int n, int write) {
  // ir TAG ATTR | iw TAG ATTR VALUE: KVM_DEV_ARM_VGIC_GRP_ITS_REGS (u64) on the ITS device
  seg_flush();
  if (failed[0]) return;
  if (its_fd < 0) {
    fail(t[1], "job: an ITS attribute on a trace without an ITS");
    return;
  }
  uint64_t v = write && n > 3 ? num(t[3]) : 0;
  int e = dev_attr(its_fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, num(t[2]), &v);
  if (write) out_line("%s u %d", t[1], e);
  else out_line("%s u %d %llx", t[1], e, (unsigned long long)(e ? 0 : v));
}

static void do_its_ctrl(char **t) {
  // ic TAG ATTR: KVM_DEV_ARM_VGIC_GRP_CTRL on the ITS device (SAVE_TABLES, RESTORE_TABLES, CTRL_RESET)
  seg_flush();
  if (failed[0]) return;
  if (its_fd < 0) {
    fail(t[1], "job: an ITS attribute on a trace without an ITS");
    return;
  }
  out_line("%s u %d", t[1], dev_attr(its_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, num(t[2]), NULL));
}

static void do_irq(char **t) {
  // irq TAG IRQ LEVEL   (IRQ as KVM_IRQ_LINE encodes it)
  seg_flush();
  if (failed[0]) return;
  struct kvm_irq_level l = {.irq = (uint32_t)num(t[2]), .level = (uint32_t)num(t[3])};
  int e = ioctl(vm_fd, KVM_IRQ_LINE, &l) < 0 ? errno : 0;
  out_line("%s l %d", t[1], e);
}

// iidr TAG REV: put the vGIC in implementation revision REV through a userspace GICD_IIDR write,
// if it is not there already. Answer: TAG s <errno of the read> <IIDR read> <errno of the write, or "-" when no write was needed>.
static void do_iidr(char **t) {
  seg_flush();
  if (failed[0]) return;
  uint32_t v = 0;
  int e = dev_attr(gic_fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &v);
  unsigned want = (unsigned)num(t[2]);
  if (e) {
    out_line("%s s %d 0 -", t[1], e);
    return;
  }
  if (((v >> 12) & 0xf) == want) {
    out_line("%s s 0 %x -", t[1], v);
    return;
  }
  uint32_t nv = (v & ~0xf000u) | (want & 0xf) << 12;
  out_line("%s s 0 %x %d", t[1], v, dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &nv));
}

static void run_ops(void) {
  char *l;
  char *t[8];
  while ((l = next_line())) {
    int n = split(l, t, 8);
    if (!n) continue;
    if (!strcmp(t[0], "end")) break;
    if (failed[0]) continue;
    if (n < 2) {
      fail("-", "job: bad line");
      continue;
    }
    const char *op = t[0];
    if ((!strcmp(op, "mr") && n >= 5) || (!strcmp(op, "mw") && n >= 6)) {
      int w = op[1] == 'w';
      unsigned size = (unsigned)num(t[4]);
      if (size != 1 && size != 2 && size != 4 && size != 8) {
        fail(t[1], "job: access size %u", size);
        continue;
      }
      if (!seg_for((int)num(t[2]), t[1])) seg_add(t[1], w ? 'w' : 'r', w ? h_mmio_wr[size] : h_mmio_rd[size], num(t[3]), w ? num(t[5]) : 0);
    } else if ((!strcmp(op, "sr") && n >= 4) || (!strcmp(op, "sw") && n >= 5)) {
      int w = op[1] == 'w';
      uint32_t enc = (uint32_t)num(t[3]);
      if (((enc >> 16) & 0xf) < 2 || ((enc >> 16) & 0xf) > 3) {
        fail(t[1], "job: 0x%x is not a system-register encoding (op0 must be 2 or 3)", enc);
        continue;
      }
      uint64_t h = sysreg_stub(enc, w);
      if (!h) {
        fail(t[1], "job: more than %d distinct system registers", MAX_STUBS);
        continue;
      }
      if (!seg_for((int)num(t[2]), t[1])) seg_add(t[1], w ? 'w' : 'r', h, 0, w ? num(t[4]) : 0);
    } else if (!strcmp(op, "p") && n >= 3) {
      // p TAG CPU: ISR_EL1 of a vCPU entered afresh (KVM flushes its state to the list registers
      // and re-reads its timers on every entry): never part of a list already built.
      int cpu = (int)num(t[2]);
      if (seg_cpu == cpu) seg_flush();
      if (!seg_for(cpu, t[1])) seg_add(t[1], 'p', h_nop, 0, 0);
    } else if (!strcmp(op, "spin") && n >= 3) {
      // spin TAG CPU: the vCPU loops forever; the watchdog must end the trace
      if (!seg_for((int)num(t[2]), t[1])) seg_add(t[1], 'w', h_spin, 0, 0);
    } else if (!strcmp(op, "tl") && n >= 5) {
      // tl TAG CPU v|p LEVEL: drive the timer's output, exit so that KVM re-evaluates the line
      // when it loads the vCPU again, then read ISR_EL1 in a list of its own.
      int cpu = (int)num(t[2]);
      if (seg_for(cpu, t[1])) continue;
      seg_add(t[1], 'T', h_timer[(t[3][0] == 'p') * 2 + (num(t[4]) != 0)], 0, 0);
      seg_flush();
      if (failed[0]) continue;
      seg_begin(cpu);
      seg_add(t[1], 't', h_nop, 0, 0);
      seg_flush();
    } else if (!strcmp(op, "ur") && n >= 4) {
      do_user(t, n, 0);
    } else if (!strcmp(op, "uw") && n >= 5) {
      do_user(t, n, 1);
    } else if (!strcmp(op, "iidr") && n >= 3) {
      do_iidr(t);
    } else if (!strcmp(op, "c") && n >= 3) {
      do_ctrl(t);
    } else if (!strcmp(op, "irq") && n >= 4) {
      do_irq(t);
    } else if (!strcmp(op, "gm") && n >= 4) {
      do_gm(t);
    } else if (!strcmp(op, "msi") && n >= 5) {
      do_msi(t);
    } else if (!strcmp(op, "ir") && n >= 3) {
      do_its_user(t, n, 0);
    } else if (!strcmp(op, "iw") && n >= 4) {
      do_its_user(t, n, 1);
    } else if (!strcmp(op, "ic") && n >= 3) {
      do_its_ctrl(t);
    } else {
      fail(t[1], "job: unknown or short op '%s'", op);
    }
  }
  seg_flush();
}

// A VM header line shared by trace and vmm blocks (GIC version, vCPUs, frames); 1 if it was one.
static int vm_header_line(char **t, int n) {
  if (!strcmp(t[0], "gic") && n >= 2) T.gic = (int)num(t[1]);
  else if (!strcmp(t[0], "cpus") && n >= 2) T.ncpus = (int)num(t[1]);
  else if (!strcmp(t[0], "nr-irqs") && n >= 2) T.nr_irqs = (uint32_t)num(t[1]);
  else if (!strcmp(t[0], "dist") && n >= 2) T.dist = num(t[1]), T.have_dist = 1;
  else if (!strcmp(t[0], "cpuif") && n >= 2) T.cpuif = num(t[1]), T.have_cpuif = 1;
  else if (!strcmp(t[0], "redist") && n >= 3 && T.nregions < MAX_REGIONS) {
    T.region_base[T.nregions] = num(t[1]);
    T.region_count[T.nregions++] = (uint32_t)num(t[2]);
  } else if (!strcmp(t[0], "timeout-ms") && n >= 2) T.timeout_ms = (unsigned)num(t[1]);
  else return 0;
  return 1;
}

// One trace: its header lines up to "go", then its ops up to "end".
static void run_trace(char **t0, int n0) {
  memset(&T, 0, sizeof T);
  failed[0] = 0;
  snprintf(T.id, sizeof T.id, "%s", n0 > 1 ? t0[1] : "?");
  T.timeout_ms = 10000;
  char *l;
  char *t[8];
  int go = 0;
  while (!go && (l = next_line())) {
    int n = split(l, t, 8);
    if (!n) continue;
    if (vm_header_line(t, n)) continue;
    if (!strcmp(t[0], "mpidr") && n >= 3) {
      int c = (int)num(t[1]);
      if (c >= 0 && c < MAX_CPUS) T.mpidr[c] = num(t[2]), T.have_mpidr[c] = 1;
    } else if (!strcmp(t[0], "its") && n >= 2) T.its = num(t[1]), T.have_its = 1;
    else if (!strcmp(t[0], "mem") && n >= 3 && T.nmems < MAX_MEMS) {
      T.mem_base[T.nmems] = num(t[1]);
      T.mem_size[T.nmems++] = num(t[2]);
    }
    else if (!strcmp(t[0], "init-now")) T.init_now = 1;
    else if (!strcmp(t[0], "go")) go = 1;
    else if (!strcmp(t[0], "end")) break;
  }
  out_line("T %s", T.id);
  struct timespec start, stop;
  clock_gettime(CLOCK_MONOTONIC, &start);
  if (!go) fail("-", "job: trace %s has no 'go' line", T.id);
  else if (T.gic != 2 && T.gic != 3) fail("-", "job: trace %s: gic must be 2 or 3", T.id);
  else if (T.ncpus < 1 || T.ncpus > MAX_CPUS) fail("-", "job: trace %s: bad cpu count", T.id);
  else create_vm("-");
  if (go) run_ops();
  teardown();
  clock_gettime(CLOCK_MONOTONIC, &stop);
  // The trace's time in the guest kernel's clock, for the benchmark (not part of any record).
  long long us = (long long)(stop.tv_sec - start.tv_sec) * 1000000 + (stop.tv_nsec - start.tv_nsec) / 1000;
  out_line("%s %lld", failed[0] ? "E fail" : "E ok", us);
  out_flush();
}

// ---------------------------------------------------------------- vmm: run a guest image
//
// `vmm ID` blocks (JOB.md, "Running a guest"): a minimal VMM for recording. The guest image is
// loaded into one memslot, the vGIC sits at the job's frames, every vCPU has a thread of its own
// named as QEMU names its vCPU threads ("CPU n/KVM", so the ftrace importer attributes the
// host's events the same way), vCPUs other than 0 start powered off and come up through KVM's
// in-kernel PSCI, and the only emulated device is a PL011's data register (the guest console).
// The run ends with a PSCI SYSTEM_OFF / SYSTEM_RESET (KVM_EXIT_SYSTEM_EVENT) or the watchdog.
// The host's KVM tracepoints are switched on through tracefs around the run and their text is
// sent back as answer lines.

#define VMM_MAX_EVENTS 32
#define TRACEFS "/sys/kernel/tracing"

struct vmm {
  uint64_t ram_base, ram_size, uart, doorbell;
  int have_doorbell;
  uint32_t db_group, db_errno; // the doorbell's registers (below)
  uint64_t db_attr, db_value;
  pthread_cond_t parked_cond; // paused vCPU threads wait here
  int pause;                  // a vCPU thread is making a device-attribute call: the others stay out of KVM_RUN
  int parked;                 // vCPU threads waiting for the pause to end
  char elf[256];
  char events[VMM_MAX_EVENTS][64];
  int nevents;
  unsigned buffer_kb;
  uint8_t *mem;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int done;          // a vCPU ended the run (system event) or failed
  char why[256];     // how the run ended
  int ok;            // ended by the guest powering off or resetting
  volatile int stop; // the vCPU threads must return
  char *con;         // the guest's console output
  size_t con_len, con_cap;
  pthread_t threads[MAX_CPUS];
};
static struct vmm V;

static void vmm_end(int ok, const char *fmt, ...) {
  pthread_mutex_lock(&V.lock);
  if (!V.done) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(V.why, sizeof V.why, fmt, ap);
    va_end(ap);
    V.ok = ok;
    V.done = 1;
    pthread_cond_broadcast(&V.cond);
  }
  pthread_mutex_unlock(&V.lock);
}

static void con_put(char c) {
  pthread_mutex_lock(&V.lock);
  if (V.con_len + 1 >= V.con_cap) {
    size_t cap = V.con_cap ? V.con_cap * 2 : 4096;
    char *p = realloc(V.con, cap);
    if (p) V.con = p, V.con_cap = cap;
  }
  if (V.con_len + 1 < V.con_cap) V.con[V.con_len++] = c;
  pthread_mutex_unlock(&V.lock);
}

static void on_kick(int sig) { (void)sig; }

// ---- the doorbell: a device the guest drives the VMM through (JOB.md, "The doorbell")
//
// A VMM's device models raise their interrupt lines with KVM_IRQ_LINE and the VMM reads and writes
// the vGIC's state with KVM_{GET,SET}_DEVICE_ATTR (QEMU: at migration and reset). This page gives a
// guest both on demand, on the vCPU thread that rang, between the guest's own accesses, so their
// order relative to the guest's GIC accesses is the guest's program order.
#define DB_ID 0x00    // R:  DB_MAGIC
#define DB_LINE 0x08  // W:  KVM_IRQ_LINE: bits [9:0] INTID (SPI; a PPI targets the ringing vCPU), bit 31 the level
#define DB_GROUP 0x10 // RW: device-attribute group (KVM_DEV_ARM_VGIC_GRP_*)
#define DB_ATTR 0x18  // RW: the attribute (64-bit)
#define DB_VALUE 0x20 // RW: the value to set, or the value KVM_GET_DEVICE_ATTR returned
#define DB_OP 0x28    // W:  0 KVM_GET_DEVICE_ATTR, 1 KVM_SET_DEVICE_ATTR, with the other vCPUs out of KVM_RUN
#define DB_ERRNO 0x30 // R:  errno of the last DB_LINE or DB_OP (0 = success)
#define DB_MAGIC 0x42445247u // "GRDB"

static void vmm_mark(const char *fmt, ...);

// Park this vCPU thread while another one makes a device-attribute call (KVM takes every vCPU's
// mutex for those, and a thread in KVM_RUN holds its own: the call would fail with EBUSY).
static void park_if_paused(int cpu) {
  pthread_mutex_lock(&V.lock);
  while (V.pause && !V.stop) {
    V.parked++;
    pthread_cond_broadcast(&V.cond);
    pthread_cond_wait(&V.parked_cond, &V.lock);
    V.parked--;
  }
  if (!V.stop) vcpus[cpu].run->immediate_exit = 0;
  pthread_mutex_unlock(&V.lock);
}

// Bring every other vCPU thread out of KVM_RUN (immediate_exit and a signal, as for the stop) and
// wait until they are parked. 0 when they are, -1 when the run ended meanwhile.
static int pause_others(int cpu) {
  pthread_mutex_lock(&V.lock);
  while (V.pause && !V.done) { // another vCPU's call is in progress: count as parked meanwhile
    V.parked++;
    pthread_cond_broadcast(&V.cond);
    pthread_cond_wait(&V.parked_cond, &V.lock);
    V.parked--;
  }
  V.pause = 1;
  for (int i = 0; i < nvcpus; i++)
    if (i != cpu) vcpus[i].run->immediate_exit = 1;
  for (int i = 0; i < nvcpus; i++)
    if (i != cpu) pthread_kill(V.threads[i], SIGUSR1);
  while (V.parked < nvcpus - 1 && !V.done) pthread_cond_wait(&V.cond, &V.lock);
  int r = V.done ? -1 : 0;
  pthread_mutex_unlock(&V.lock);
  return r;
}

static void resume_others(void) {
  pthread_mutex_lock(&V.lock);
  V.pause = 0;
  pthread_cond_broadcast(&V.parked_cond);
  pthread_mutex_unlock(&V.lock);
}

// One doorbell access; the value a read returns.
static uint64_t doorbell(int cpu, uint64_t off, int write, uint64_t v) {
  if (!write) {
    switch (off) {
    case DB_ID: return DB_MAGIC;
    case DB_GROUP: return V.db_group;
    case DB_ATTR: return V.db_attr;
    case DB_VALUE: return V.db_value;
    case DB_ERRNO: return V.db_errno;
    default: return 0;
    }
  }
  if (off == DB_GROUP) V.db_group = (uint32_t)v;
  else if (off == DB_ATTR) V.db_attr = v;
  else if (off == DB_VALUE) V.db_value = v;
  else if (off == DB_LINE) {
    // As a device model raises its line: KVM_IRQ_LINE (traced by KVM itself: kvm_irq_line, vgic_update_irq_pending).
    uint32_t intid = (uint32_t)v & 0x3ff, level = (uint32_t)(v >> 31) & 1;
    uint32_t irq = intid < 32 ? (uint32_t)KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT | (uint32_t)cpu << KVM_ARM_IRQ_VCPU_SHIFT | intid
                              : (uint32_t)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | intid;
    struct kvm_irq_level l = {.irq = irq, .level = level};
    V.db_errno = ioctl(vm_fd, KVM_IRQ_LINE, &l) < 0 ? (uint32_t)errno : 0;
  } else if (off == DB_OP) {
    int set = (v & 1) != 0;
    int wide = V.db_group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
    uint64_t v64 = V.db_value;
    uint32_t v32 = (uint32_t)v64;
    if (pause_others(cpu) == 0) {
      int e = dev_attr(gic_fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, V.db_group, V.db_attr, wide ? (void *)&v64 : (void *)&v32);
      if (!set) V.db_value = e ? 0 : wide ? v64 : v32;
      V.db_errno = (uint32_t)e;
      // KVM has no tracepoint for device-attribute calls: the VMM writes each into the host's trace
      // (the ftrace importer turns these lines into user-read / user-write events, engine/sources/ftrace)
      if (set) vmm_mark("gicreplay-vmm: KVM_SET_DEVICE_ATTR vgic group %u attr 0x%llx value 0x%llx errno %d", V.db_group, (unsigned long long)V.db_attr, (unsigned long long)(wide ? v64 : v32), e);
      else vmm_mark("gicreplay-vmm: KVM_GET_DEVICE_ATTR vgic group %u attr 0x%llx value 0x%llx errno %d", V.db_group, (unsigned long long)V.db_attr, (unsigned long long)V.db_value, e);
    }
    resume_others();
  }
  return 0;
}

static void *vcpu_thread(void *arg) {
  int cpu = (int)(intptr_t)arg;
  struct vcpu *v = &vcpus[cpu];
  char name[16];
  snprintf(name, sizeof name, "CPU %d/KVM", cpu);
  prctl(PR_SET_NAME, name, 0, 0, 0);
  while (!V.stop) {
    park_if_paused(cpu);
    if (V.stop) break;
    int r = ioctl(v->fd, KVM_RUN, 0);
    if (V.stop) break;
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      vmm_end(0, "KVM_RUN on vcpu%d failed: %s (errno %d)", cpu, strerror(errno), errno);
      break;
    }
    struct kvm_run *run = v->run;
    if (run->exit_reason == KVM_EXIT_MMIO) {
      uint64_t a = run->mmio.phys_addr;
      if (V.uart && a >= V.uart && a < V.uart + 0x1000) {
        // PL011: UARTDR takes a character; every read (UARTFR included) is 0: transmitter never full
        if (run->mmio.is_write && a == V.uart) con_put((char)run->mmio.data[0]);
        if (!run->mmio.is_write) memset(run->mmio.data, 0, sizeof run->mmio.data);
        continue;
      }
      if (V.have_doorbell && a >= V.doorbell && a < V.doorbell + 0x1000 && (a & 7) == 0 && (run->mmio.len == 4 || run->mmio.len == 8)) {
        uint64_t val = 0;
        if (run->mmio.is_write) memcpy(&val, run->mmio.data, run->mmio.len);
        val = doorbell(cpu, a - V.doorbell, run->mmio.is_write, val);
        if (!run->mmio.is_write) memcpy(run->mmio.data, &val, run->mmio.len);
        continue;
      }
      vmm_end(0, "vcpu%d: guest %s of %u bytes at 0x%llx, where no device is emulated (pc 0x%llx)", cpu,
              run->mmio.is_write ? "write" : "read", run->mmio.len, (unsigned long long)a, (unsigned long long)get_pc(cpu));
      break;
    }
    if (run->exit_reason == KVM_EXIT_INTR) continue;
    if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT) {
      unsigned ty = run->system_event.type;
      if (ty == KVM_SYSTEM_EVENT_SHUTDOWN) vmm_end(1, "off %d", cpu);
      else if (ty == KVM_SYSTEM_EVENT_RESET) vmm_end(1, "reset %d", cpu);
      else vmm_end(0, "vcpu%d: system event %u (crash or unknown)", cpu, ty);
      break;
    }
    if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) vmm_end(0, "vcpu%d: KVM_EXIT_FAIL_ENTRY (reason 0x%llx)", cpu, (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) vmm_end(0, "vcpu%d: KVM_EXIT_INTERNAL_ERROR (suberror %u)", cpu, run->internal.suberror);
    else vmm_end(0, "vcpu%d: unexpected exit reason %u (pc 0x%llx)", cpu, run->exit_reason, (unsigned long long)get_pc(cpu));
    break;
  }
  return NULL;
}

static int write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_TRUNC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text, strlen(text));
  int e = n < 0 ? errno : 0;
  close(fd);
  return e;
}

// A trace_marker line: the VMM's own steps, in the host's trace (tracing_mark_write).
static void vmm_mark(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  write_text(TRACEFS "/trace_marker", line);
}

static int tracefs_setup(void) {
  struct stat st;
  if (stat(TRACEFS "/trace", &st) < 0) {
    mkdir("/sys", 0755);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("tracefs", TRACEFS, "tracefs", 0, NULL);
  }
  if (stat(TRACEFS "/trace", &st) < 0) {
    fail("-", "tracefs is not available at " TRACEFS " (the host kernel needs CONFIG_FTRACE)");
    return -1;
  }
  int e;
  if ((e = write_text(TRACEFS "/tracing_on", "0"))) {
    fail("-", "cannot switch tracing off: %s", strerror(e));
    return -1;
  }
  write_text(TRACEFS "/events/enable", "0");
  write_text(TRACEFS "/trace", "");
  if ((e = write_text(TRACEFS "/trace_clock", "global"))) {
    fail("-", "cannot select the global trace clock: %s", strerror(e));
    return -1;
  }
  char kb[32];
  snprintf(kb, sizeof kb, "%u", V.buffer_kb ? V.buffer_kb : 16384);
  if ((e = write_text(TRACEFS "/buffer_size_kb", kb))) {
    fail("-", "cannot size the trace buffer to %s KiB: %s", kb, strerror(e));
    return -1;
  }
  for (int i = 0; i < V.nevents; i++) {
    char path[160];
    int optional = V.events[i][0] == '?'; // "?SYSTEM/NAME": skipped on kernels that do not define it
    const char *ev = V.events[i] + optional;
    snprintf(path, sizeof path, TRACEFS "/events/%s/enable", ev);
    if ((e = write_text(path, "1")) && optional && e == ENOENT) continue;
    if (e) {
      fail("-", "cannot enable tracepoint %s (%s): %s", ev, path, strerror(e));
      return -1;
    }
  }
  if ((e = write_text(TRACEFS "/tracing_on", "1"))) {
    fail("-", "cannot switch tracing on: %s", strerror(e));
    return -1;
  }
  return 0;
}

// Copy the ELF's PT_LOAD segments into guest memory; the entry point, or 0 on failure.
static uint64_t load_elf(void) {
  int fd = open(V.elf, O_RDONLY);
  if (fd < 0) {
    fail("-", "cannot open guest image %s: %s", V.elf, strerror(errno));
    return 0;
  }
  struct stat st;
  fstat(fd, &st);
  uint8_t *f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (f == MAP_FAILED || st.st_size < 64 || memcmp(f, "\177ELF", 4) || f[4] != 2 || f[5] != 1 || *(uint16_t *)(f + 18) != 183) {
    fail("-", "guest image %s is not a little-endian AArch64 ELF64 file", V.elf);
    return 0;
  }
  uint64_t entry = *(uint64_t *)(f + 24), phoff = *(uint64_t *)(f + 32);
  uint16_t phentsize = *(uint16_t *)(f + 54), phnum = *(uint16_t *)(f + 56);
  int loaded = 0;
  for (unsigned i = 0; i < phnum; i++) {
    uint8_t *ph = f + phoff + (uint64_t)i * phentsize;
    if (ph + 56 > f + st.st_size) break;
    if (*(uint32_t *)ph != 1) continue; // PT_LOAD
    uint64_t off = *(uint64_t *)(ph + 8), paddr = *(uint64_t *)(ph + 24), filesz = *(uint64_t *)(ph + 32), memsz = *(uint64_t *)(ph + 40);
    if (paddr < V.ram_base || paddr + memsz > V.ram_base + V.ram_size || filesz > memsz || off + filesz > (uint64_t)st.st_size) {
      fail("-", "guest image %s: segment at 0x%llx (0x%llx bytes) is outside guest RAM [0x%llx, 0x%llx)", V.elf, (unsigned long long)paddr,
           (unsigned long long)memsz, (unsigned long long)V.ram_base, (unsigned long long)(V.ram_base + V.ram_size));
      return 0;
    }
    memcpy(V.mem + (paddr - V.ram_base), f + off, filesz);
    loaded++;
  }
  munmap(f, (size_t)st.st_size);
  if (!loaded) fail("-", "guest image %s has no loadable segment", V.elf);
  return loaded ? entry : 0;
}

static void emit_text_lines(const char *kind, const char *buf, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && buf[j] != '\n') j++;
    char line[480];
    size_t n = 0;
    for (size_t k = i; k < j && n < sizeof line - 1; k++) {
      unsigned char c = (unsigned char)buf[k];
      if (c == '\r') continue;
      line[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    line[n] = 0;
    out_line("- %s %s", kind, line);
    i = j + 1;
  }
}

static void emit_trace(void) {
  int fd = open(TRACEFS "/trace", O_RDONLY);
  if (fd < 0) {
    fail("-", "cannot read " TRACEFS "/trace: %s", strerror(errno));
    return;
  }
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) {
      char *p = realloc(buf, cap * 2);
      if (!p) break;
      buf = p, cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  emit_text_lines("f", buf, len);
  free(buf);
}

static void vmm_run(uint64_t entry) {
  struct kvm_vcpu_init init;
  if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
    fail("-", "KVM_ARM_PREFERRED_TARGET failed: %s", strerror(errno));
    return;
  }
  run_size = (size_t)ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  for (int i = 0; i < T.ncpus; i++) {
    struct vcpu *v = &vcpus[i];
    v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);
    nvcpus = i + 1;
    if (v->fd < 0) {
      fail("-", "KVM_CREATE_VCPU %d failed: %s", i, strerror(errno));
      return;
    }
    v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
      v->run = NULL;
      fail("-", "mmap of vcpu%d's kvm_run failed: %s", i, strerror(errno));
      return;
    }
    struct kvm_vcpu_init vi = init;
    vi.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (i) vi.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; // started by PSCI CPU_ON, as on QEMU virt
    if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &vi) < 0) {
      fail("-", "KVM_ARM_VCPU_INIT of vcpu%d failed: %s", i, strerror(errno));
      return;
    }
    if (!i) {
      struct kvm_one_reg r = {.id = core_reg_id(offsetof(struct kvm_regs, regs.pc)), .addr = (uint64_t)(uintptr_t)&entry};
      if (ioctl(v->fd, KVM_SET_ONE_REG, &r) < 0) {
        fail("-", "setting vcpu0's PC failed: %s", strerror(errno));
        return;
      }
    }
    uint64_t mpidr = 0;
    struct kvm_one_reg m = {.id = ARM64_SYS_REG(3, 0, 0, 0, 5), .addr = (uint64_t)(uintptr_t)&mpidr};
    ioctl(v->fd, KVM_GET_ONE_REG, &m);
    v->mpidr = mpidr;
  }
  vmm_mark("gicreplay-vmm: vGICv%d nr_irqs %u", T.gic, T.nr_irqs);
  if (create_vgic("-")) return;
  vmm_mark("gicreplay-vmm: vGIC initialised (KVM_DEV_ARM_VGIC_CTRL_INIT)");
  out_line("- ok %d", nvcpus);
  for (int i = 0; i < nvcpus; i++) out_line("- mpidr %d %llx", i, (unsigned long long)vcpus[i].mpidr);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_kick; // no SA_RESTART: a blocked KVM_RUN returns EINTR
  sigaction(SIGUSR1, &sa, NULL);
  vmm_mark("gicreplay-vmm: guest starts at 0x%llx", (unsigned long long)entry);
  for (int i = 0; i < nvcpus; i++) pthread_create(&V.threads[i], NULL, vcpu_thread, (void *)(intptr_t)i);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += T.timeout_ms / 1000;
  dl.tv_nsec += (long)(T.timeout_ms % 1000) * 1000000L;
  if (dl.tv_nsec >= 1000000000L) dl.tv_sec++, dl.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&V.lock);
  while (!V.done)
    if (pthread_cond_timedwait(&V.cond, &V.lock, &dl) == ETIMEDOUT) break;
  int timed_out = !V.done;
  pthread_mutex_unlock(&V.lock);
  write_text(TRACEFS "/tracing_on", "0");
  pthread_mutex_lock(&V.lock);
  V.stop = 1;
  pthread_cond_broadcast(&V.parked_cond);
  pthread_mutex_unlock(&V.lock);
  for (int i = 0; i < nvcpus; i++) vcpus[i].run->immediate_exit = 1;
  for (int i = 0; i < nvcpus; i++) pthread_kill(V.threads[i], SIGUSR1);
  for (int i = 0; i < nvcpus; i++) pthread_join(V.threads[i], NULL);
  emit_text_lines("c", V.con ? V.con : "", V.con_len);
  if (timed_out) {
    uint64_t pcs[8];
    int n = nvcpus < 8 ? nvcpus : 8;
    for (int i = 0; i < n; i++) pcs[i] = get_pc(i);
    char where[200] = "";
    for (int i = 0; i < n; i++) snprintf(where + strlen(where), sizeof where - strlen(where), "%svcpu%d pc 0x%llx", i ? ", " : "", i, (unsigned long long)pcs[i]);
    fail("-", "the guest did not end (PSCI SYSTEM_OFF) within %u ms; stopped (%s)", T.timeout_ms, where);
  } else if (!V.ok) fail("-", "%s", V.why);
  else out_line("- x %s", V.why);
  emit_trace();
}

static void run_vmm(char **t0, int n0) {
  memset(&T, 0, sizeof T);
  free(V.con);
  memset(&V, 0, sizeof V);
  pthread_mutex_init(&V.lock, NULL);
  pthread_cond_init(&V.cond, NULL);
  pthread_cond_init(&V.parked_cond, NULL);
  failed[0] = 0;
  snprintf(T.id, sizeof T.id, "%s", n0 > 1 ? t0[1] : "?");
  T.timeout_ms = 60000;
  char *l;
  char *t[8];
  int go = 0;
  while (!go && (l = next_line())) {
    int n = split(l, t, 8);
    if (!n) continue;
    if (vm_header_line(t, n)) continue;
    if (!strcmp(t[0], "ram") && n >= 3) V.ram_base = num(t[1]), V.ram_size = num(t[2]);
    else if (!strcmp(t[0], "uart") && n >= 2) V.uart = num(t[1]);
    else if (!strcmp(t[0], "doorbell") && n >= 2) V.doorbell = num(t[1]), V.have_doorbell = 1;
    else if (!strcmp(t[0], "elf") && n >= 2) snprintf(V.elf, sizeof V.elf, "%s", t[1]);
    else if (!strcmp(t[0], "event") && n >= 2 && V.nevents < VMM_MAX_EVENTS) snprintf(V.events[V.nevents++], sizeof V.events[0], "%s", t[1]);
    else if (!strcmp(t[0], "buffer-kb") && n >= 2) V.buffer_kb = (unsigned)num(t[1]);
    else if (!strcmp(t[0], "go")) go = 1;
    else if (!strcmp(t[0], "end")) break;
  }
  T.init_now = 1;
  out_line("T %s", T.id);
  while ((l = next_line()))
    if (!strcmp(l, "end")) break;
  if (!go) fail("-", "job: vmm %s has no 'go' line", T.id);
  else if (T.gic != 2 && T.gic != 3) fail("-", "job: vmm %s: gic must be 2 or 3", T.id);
  else if (T.ncpus < 1 || T.ncpus > MAX_CPUS) fail("-", "job: vmm %s: bad cpu count", T.id);
  else if (!V.ram_size || !V.elf[0]) fail("-", "job: vmm %s needs 'ram BASE SIZE' and 'elf PATH'", T.id);
  if (failed[0]) {
    out_line("E fail 0");
    return;
  }
  struct timespec start, stop;
  clock_gettime(CLOCK_MONOTONIC, &start);
  V.mem = mmap(NULL, V.ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint64_t entry = 0;
  if (V.mem == MAP_FAILED) {
    V.mem = NULL;
    fail("-", "mmap of %llu bytes of guest memory failed: %s", (unsigned long long)V.ram_size, strerror(errno));
  } else entry = load_elf();
  if (!failed[0] && tracefs_setup() == 0) {
    vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    struct kvm_userspace_memory_region mr = {.slot = 0, .guest_phys_addr = V.ram_base, .memory_size = V.ram_size, .userspace_addr = (uint64_t)(uintptr_t)V.mem};
    if (vm_fd < 0) fail("-", "KVM_CREATE_VM failed: %s", strerror(errno));
    else if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0) fail("-", "KVM_SET_USER_MEMORY_REGION failed: %s", strerror(errno));
    else vmm_run(entry);
    if (failed[0]) {
      write_text(TRACEFS "/tracing_on", "0");
      if (V.con_len && !V.stop) emit_text_lines("c", V.con, V.con_len);
    }
  }
  write_text(TRACEFS "/events/enable", "0");
  teardown();
  if (V.mem) munmap(V.mem, V.ram_size);
  clock_gettime(CLOCK_MONOTONIC, &stop);
  long long us = (long long)(stop.tv_sec - start.tv_sec) * 1000000 + (stop.tv_nsec - start.tv_nsec) / 1000;
  out_line("%s %lld", failed[0] ? "E fail" : "E ok", us);
  out_flush();
}

// ---------------------------------------------------------------- main

static int read_file(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) < 0) return -1;
  job = malloc((size_t)st.st_size + 1);
  if (!job) return -1;
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, job + got, (size_t)st.st_size - got);
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  job[got] = 0;
  close(fd);
  job_cursor = job;
  return 0;
}

static void finish(int as_init, int code) {
  out_flush();
  if (out_semihost >= 0) {
    long h = out_semihost;
    semihost_call(0x02, &h); // SYS_CLOSE
  }
  if (as_init) {
    sync();
    reboot(LINUX_REBOOT_CMD_POWER_OFF);
  }
  exit(code);
}

int main(int argc, char **argv) {
  int as_init = getpid() == 1;
  const char *path = as_init ? "/job" : argc > 1 ? argv[1] : NULL;
  crc_init();
  if (!path) {
    fprintf(stderr, "usage: gicreplay-kvm JOB\n");
    return 2;
  }
  if (as_init) {
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mkdir("/proc", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; // no SA_RESTART: KVM_RUN returns EINTR
  sigaction(SIGALRM, &sa, NULL);

  if (read_file(path) < 0) {
    printf("@@0 E gicreplay-kvm: cannot read job %s: %s\n", path, strerror(errno));
    finish(as_init, 2);
  }
  char *l = next_line();
  if (!l || strcmp(l, JOB_MAGIC)) {
    printf("@@0 E gicreplay-kvm: %s is not a %s file\n", path, JOB_MAGIC);
    finish(as_init, 2);
  }
  // Output options come first.
  char *t[8];
  while ((l = next_line())) {
    char copy[512];
    snprintf(copy, sizeof copy, "%s", l);
    int n = split(copy, t, 8);
    if (n >= 1 && !strcmp(t[0], "framed")) {
      out_framed = 1;
      continue;
    }
    if (n >= 2 && !strcmp(t[0], "semihost-out")) {
      long args[3] = {(long)t[1], 5 /* "wb" */, (long)strlen(t[1])};
      long h = semihost_call(0x01, args); // SYS_OPEN
      if (h < 0) {
        printf("@@0 E gicreplay-kvm: semihosting open of %s failed\n", t[1]);
        finish(as_init, 2);
      }
      out_semihost = (int)h;
      continue;
    }
    if (n >= 1 && !strcmp(t[0], "verbose")) {
      verbose = 1;
      continue;
    }
    // the first trace
    kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_fd < 0 && as_init && errno == ENOENT) {
      mknod("/dev/kvm", S_IFCHR | 0600, makedev(10, 232));
      kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    }
    if (kvm_fd < 0) {
      out_line("E nokvm cannot open /dev/kvm: %s", strerror(errno));
      finish(as_init, 3);
    }
    out_line("H api %d", ioctl(kvm_fd, KVM_GET_API_VERSION, 0));
    for (;;) {
      n = split(l, t, 8);
      if (n >= 1 && !strcmp(t[0], "trace")) run_trace(t, n);
      else if (n >= 1 && !strcmp(t[0], "vmm")) run_vmm(t, n);
      l = next_line();
      if (!l) break;
    }
    break;
  }
  out_line("D %lu %08x", out_seq, out_crc ^ 0xffffffffu);
  finish(as_init, 0);
  return 0;
}
