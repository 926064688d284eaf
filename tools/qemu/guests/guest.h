/*
 * Helpers of the gicreplay QEMU test guests: MMIO and system-register access, the PL011
 * console, PSCI through HVC (QEMU virt's conduit without EL2), checks, and the exception
 * hooks start.S calls. Each guest .c file includes this once.
 */
#ifndef GUEST_H
#define GUEST_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long u64;

#define MAX_CPUS 4
#define STACK_SIZE 4096
u8 guest_stacks[MAX_CPUS * STACK_SIZE] __attribute__((aligned(16)));

#define VIRT_UART 0x09000000UL

/*
 * MMIO accessors as single loads and stores with a plain base register: the compiler's
 * post-index or pre-index forms (str w2, [x0], #4) and pairs report no syndrome (ESR_EL2.ISV = 0),
 * so KVM cannot emulate them and the run fails with ENOSYS (KVM_EXIT_ARM_NISV); under TCG they
 * work, which is why a guest that only ever ran on QEMU can carry them unnoticed.
 */
static inline u32 rd32(u64 a) { u32 v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline void wr32(u64 a, u32 v) { __asm__ volatile("str %w0, [%1]" ::"rZ"(v), "r"(a) : "memory"); }
static inline u64 rd64(u64 a) { u64 v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline void wr64(u64 a, u64 v) { __asm__ volatile("str %x0, [%1]" ::"rZ"(v), "r"(a) : "memory"); }
static inline u8 rd8(u64 a) { u32 v; __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return (u8)v; }
static inline void wr8(u64 a, u8 v) { __asm__ volatile("strb %w0, [%1]" ::"rZ"(v), "r"(a) : "memory"); }

/* System registers by S<op0>_<op1>_C<n>_C<m>_<op2> name, so no assembler support is needed. */
#define SYSREG_READ(enc) ({ u64 v__; __asm__ volatile("mrs %0, " enc : "=r"(v__)::"memory"); v__; })
#define SYSREG_WRITE(enc, v) __asm__ volatile("msr " enc ", %0" ::"r"((u64)(v)) : "memory")
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb() __asm__ volatile("dsb sy" ::: "memory")
#define irqs_on() __asm__ volatile("msr daifclr, #3" ::: "memory")   /* unmask IRQ and FIQ */
#define irqs_off() __asm__ volatile("msr daifset, #3" ::: "memory")
#define wfi() __asm__ volatile("wfi" ::: "memory")

/* EL1 virtual timer: its PPI is INTID 27 on QEMU virt. */
#define CNTV_CTL_EL0  "S3_3_C14_C3_1"
#define CNTV_TVAL_EL0 "S3_3_C14_C3_0"
#define CNTFRQ_EL0    "S3_3_C14_C0_0"
#define TIMER_PPI 27

static void putch(char c) { wr32(VIRT_UART, (u32)c); }
static void puts_(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putch('\r');
		putch(*s);
	}
}
static void puthex(u64 v)
{
	int shift = 60;
	puts_("0x");
	while (shift > 0 && ((v >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putch("0123456789abcdef"[(v >> shift) & 0xf]);
}

static volatile int failures;

/* Report a value the guest read next to the value QEMU 7.2 gives; a mismatch is a FAIL. */
static void expect(const char *what, u64 got, u64 want)
{
	puts_(got == want ? "  ok   " : "  FAIL ");
	puts_(what);
	puts_(" = ");
	puthex(got);
	if (got != want) {
		puts_(" (want ");
		puthex(want);
		puts_(")");
		failures++;
	}
	puts_("\n");
}

#define PSCI_CPU_ON     0xC4000003UL
#define PSCI_SYSTEM_OFF 0x84000008UL

static u64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;
	__asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

void cpu_entry(void);

static u64 start_cpu(u64 index)
{
	/* virt numbers CPUs Aff0 = index for the counts used here */
	return psci_call(PSCI_CPU_ON, index, (u64)cpu_entry, index);
}

static void __attribute__((noreturn)) power_off(void)
{
	puts_(failures ? "RESULT: FAIL\n" : "RESULT: PASS\n");
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		wfi();
}

void bad_exception(u64 vec, u64 esr, u64 elr);
void bad_exception(u64 vec, u64 esr, u64 elr)
{
	puts_("unexpected exception vector ");
	puthex(vec);
	puts_(" esr ");
	puthex(esr);
	puts_(" elr ");
	puthex(elr);
	puts_("\n");
	failures++;
	power_off();
}

/* Shared between CPUs: each flag has one writer. MMU off means Device memory, so no caches to clean. */
static void wait_for(volatile u32 *flag, u32 value)
{
	while (*flag != value)
		__asm__ volatile("yield" ::: "memory");
}

#endif
