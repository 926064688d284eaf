/*
 * GICv3 test guest for `gicreplay record qemu --gic 3 --guest`: drives the distributor,
 * redistributors and ICC system registers through discovery, configuration, polled and
 * interrupt-driven SGIs/SPIs/the timer PPI, both groups, EOImode 1, and (with -smp 2 or more)
 * a second CPU. Every access is one QEMU trace line; the trace checked in under traces/qemu-live
 * is the oracle, the console's ok/FAIL lines are a sanity check against QEMU 7.2's values.
 */
#include "guest.h"

#define GICD 0x08000000UL
#define GICR(cpu) (0x080A0000UL + (u64)(cpu) * 0x20000UL)
#define SGI_BASE(cpu) (GICR(cpu) + 0x10000UL)

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_TYPER2 0x000c
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8

#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ICPENDR0 0x0280
#define GICR_ISACTIVER0 0x0300
#define GICR_ICACTIVER0 0x0380
#define GICR_IPRIORITYR 0x0400
#define GICR_ICFGR1 0x0c04

#define ICC_PMR "S3_0_C4_C6_0"
#define ICC_IAR0 "S3_0_C12_C8_0"
#define ICC_EOIR0 "S3_0_C12_C8_1"
#define ICC_HPPIR0 "S3_0_C12_C8_2"
#define ICC_BPR0 "S3_0_C12_C8_3"
#define ICC_AP0R0 "S3_0_C12_C8_4"
#define ICC_AP1R0 "S3_0_C12_C9_0"
#define ICC_DIR "S3_0_C12_C11_1"
#define ICC_RPR "S3_0_C12_C11_3"
#define ICC_SGI1R "S3_0_C12_C11_5"
#define ICC_SGI0R "S3_0_C12_C11_7"
#define ICC_IAR1 "S3_0_C12_C12_0"
#define ICC_EOIR1 "S3_0_C12_C12_1"
#define ICC_HPPIR1 "S3_0_C12_C12_2"
#define ICC_BPR1 "S3_0_C12_C12_3"
#define ICC_CTLR "S3_0_C12_C12_4"
#define ICC_SRE "S3_0_C12_C12_5"
#define ICC_IGRPEN0 "S3_0_C12_C12_6"
#define ICC_IGRPEN1 "S3_0_C12_C12_7"

#define SPURIOUS 1023
#define SGI_G0 2          /* the one Group-0 SGI */
#define SPI_A 40
#define SPI_G0 41         /* an SPI moved to Group 0 */
#define SPI_CPU1 42

static volatile u32 cpu1_up, cpu1_got, cpu0_got, timer_hits;
static volatile u64 last_irq[2];

/* ICC_SGI1R/SGI0R value for one target list at Aff3.Aff2.Aff1 = 0. */
static u64 sgi_value(u32 intid, u32 targets) { return ((u64)intid << 24) | targets; }

static void rwp_wait(void)
{
	while (rd32(GICD + GICD_CTLR) & (1u << 31))
		;
}

static void redist_wake(u32 cpu)
{
	u32 w = rd32(GICR(cpu) + GICR_WAKER);
	wr32(GICR(cpu) + GICR_WAKER, w & ~2u);          /* clear ProcessorSleep */
	while (rd32(GICR(cpu) + GICR_WAKER) & 4u)        /* ChildrenAsleep */
		;
}

static void sgi_frame_init(u32 cpu)
{
	u64 s = SGI_BASE(cpu);
	wr32(s + GICR_ICENABLER0, 0xffffffff);
	wr32(s + GICR_ICPENDR0, 0xffffffff);
	wr32(s + GICR_ICACTIVER0, 0xffffffff);
	wr32(s + GICR_IGROUPR0, ~(1u << SGI_G0));       /* all Group 1 but one SGI */
	for (u32 i = 0; i < 32; i += 4)
		wr32(s + GICR_IPRIORITYR + i, 0xa0a0a0a0);
	wr32(s + GICR_ICFGR1, 0);                         /* PPIs level */
	wr32(s + GICR_ISENABLER0, 0xffff | (1u << TIMER_PPI));
	expect("GICR_ISENABLER0", rd32(s + GICR_ISENABLER0), 0x0800ffff);
}

static void cpuif_init(void)
{
	(void)SYSREG_READ(ICC_SRE);                       /* not traced by QEMU: constant */
	SYSREG_WRITE(ICC_PMR, 0xf0);
	expect("ICC_PMR", SYSREG_READ(ICC_PMR), 0xf0);
	SYSREG_WRITE(ICC_BPR1, 0);
	SYSREG_WRITE(ICC_BPR0, 0);
	(void)SYSREG_READ(ICC_BPR1);
	SYSREG_WRITE(ICC_CTLR, 0);
	(void)SYSREG_READ(ICC_CTLR);
	SYSREG_WRITE(ICC_IGRPEN1, 1);
	SYSREG_WRITE(ICC_IGRPEN0, 1);
	expect("ICC_IGRPEN1", SYSREG_READ(ICC_IGRPEN1), 1);
	isb();
}

static void discovery(void)
{
	puts_("T0 discovery\n");
	expect("GICD_PIDR2", rd32(GICD + GICD_PIDR2), 0x3b);
	expect("GICD_TYPER", rd32(GICD + GICD_TYPER), 0x037a0007);
	expect("GICD_IIDR", rd32(GICD + GICD_IIDR), 0x43b);
	(void)rd32(GICD + GICD_TYPER2);                   /* QEMU 7.2: reserved, a traced bad read */
	for (u32 cpu = 0;; cpu++) {
		u64 t = rd64(GICR(cpu) + GICR_TYPER);
		if ((t >> 32) != cpu)
			failures++;
		if (t & 0x10)                                 /* Last */
			break;
	}
	expect("GICR_IIDR", rd32(GICR(0) + GICR_IIDR), 0x43b);
	expect("GICR_PIDR2", rd32(GICR(0) + GICR_PIDR2), 0x3b);
	expect("GICR_CTLR (QEMU: CES)", rd32(GICR(0) + GICR_CTLR), 2);
}

static void dist_init(void)
{
	puts_("T1 distributor\n");
	wr32(GICD + GICD_CTLR, 0);
	rwp_wait();
	/* SPIs 32..63 only: enough for the scenarios and keeps the trace short */
	wr32(GICD + GICD_IGROUPR + 4, 0xffffffff);
	wr32(GICD + GICD_ICENABLER + 4, 0xffffffff);
	wr32(GICD + GICD_ICPENDR + 4, 0xffffffff);
	for (u32 i = 32; i < 64; i += 4)
		wr32(GICD + GICD_IPRIORITYR + i, 0xa0a0a0a0);
	wr32(GICD + GICD_ICFGR + 8, 0);
	wr32(GICD + GICD_ICFGR + 12, 0);
	for (u32 i = 32; i < 64; i++)
		wr64(GICD + GICD_IROUTER + 8 * i, 0);
	wr32(GICD + GICD_CTLR, 0x13);                     /* ARE_NS | EnableGrp1 | EnableGrp0 */
	rwp_wait();
	expect("GICD_CTLR", rd32(GICD + GICD_CTLR), 0x53);
	redist_wake(0);
	expect("GICR_WAKER", rd32(GICR(0) + GICR_WAKER), 0);
	sgi_frame_init(0);
	cpuif_init();
}

static void polled_sgis(void)
{
	puts_("T2 polled Group-1 SGI\n");
	SYSREG_WRITE(ICC_SGI1R, sgi_value(1, 1));
	isb();
	expect("ICC_HPPIR1", SYSREG_READ(ICC_HPPIR1), 1);
	expect("ICC_IAR1", SYSREG_READ(ICC_IAR1), 1);
	expect("ICC_RPR", SYSREG_READ(ICC_RPR), 0xa0);
	expect("ICC_AP1R0", SYSREG_READ(ICC_AP1R0), 1u << 20);
	SYSREG_WRITE(ICC_EOIR1, 1);
	isb();
	expect("ICC_RPR idle", SYSREG_READ(ICC_RPR), 0xff);

	puts_("T3 polled Group-0 SGI\n");
	SYSREG_WRITE(ICC_SGI0R, sgi_value(SGI_G0, 1));
	isb();
	expect("ICC_HPPIR0", SYSREG_READ(ICC_HPPIR0), SGI_G0);
	expect("ICC_HPPIR1 (only G0 pending)", SYSREG_READ(ICC_HPPIR1), SPURIOUS);
	expect("ICC_IAR0", SYSREG_READ(ICC_IAR0), SGI_G0);
	expect("ICC_AP0R0", SYSREG_READ(ICC_AP0R0), 1u << 20);
	SYSREG_WRITE(ICC_EOIR0, SGI_G0);
	isb();
	expect("ICC_IAR1 idle", SYSREG_READ(ICC_IAR1), SPURIOUS);
}

static void polled_spis(void)
{
	puts_("T4 SPI pended through GICD_ISPENDR\n");
	wr32(GICD + GICD_ISENABLER + 4, (1u << (SPI_A - 32)) | (1u << (SPI_G0 - 32)));
	wr32(GICD + GICD_ISPENDR + 4, 1u << (SPI_A - 32));
	expect("GICD_ISPENDR1", rd32(GICD + GICD_ISPENDR + 4), 1u << (SPI_A - 32));
	expect("ICC_IAR1", SYSREG_READ(ICC_IAR1), SPI_A);
	expect("GICD_ISACTIVER1", rd32(GICD + GICD_ISACTIVER + 4), 1u << (SPI_A - 32));
	SYSREG_WRITE(ICC_EOIR1, SPI_A);
	isb();

	puts_("T5 SPI in Group 0\n");
	wr32(GICD + GICD_IGROUPR + 4, ~(1u << (SPI_G0 - 32)));
	expect("GICD_IGROUPR1", rd32(GICD + GICD_IGROUPR + 4), ~(1u << (SPI_G0 - 32)));
	wr8(GICD + GICD_IPRIORITYR + SPI_G0, 0x80);
	expect("GICD_IPRIORITYR byte", rd8(GICD + GICD_IPRIORITYR + SPI_G0), 0x80);
	wr32(GICD + GICD_ISPENDR + 4, 1u << (SPI_G0 - 32));
	expect("ICC_HPPIR0", SYSREG_READ(ICC_HPPIR0), SPI_G0);
	expect("ICC_IAR0", SYSREG_READ(ICC_IAR0), SPI_G0);
	SYSREG_WRITE(ICC_EOIR0, SPI_G0);
	isb();
}

static void eoimode1(void)
{
	puts_("T6 EOImode 1: priority drop, then deactivate\n");
	SYSREG_WRITE(ICC_CTLR, 2);                        /* EOImode */
	expect("ICC_CTLR", SYSREG_READ(ICC_CTLR) & 2, 2);
	SYSREG_WRITE(ICC_SGI1R, sgi_value(3, 1));
	isb();
	expect("ICC_IAR1", SYSREG_READ(ICC_IAR1), 3);
	SYSREG_WRITE(ICC_EOIR1, 3);
	isb();
	expect("GICR_ISACTIVER0 after drop", rd32(SGI_BASE(0) + GICR_ISACTIVER0), 1u << 3);
	SYSREG_WRITE(ICC_DIR, 3);
	isb();
	expect("GICR_ISACTIVER0 after DIR", rd32(SGI_BASE(0) + GICR_ISACTIVER0), 0);
	SYSREG_WRITE(ICC_CTLR, 0);
}

void interrupt_handler(u64 fiq);
void interrupt_handler(u64 fiq)
{
	u64 cpu = SYSREG_READ("mpidr_el1") & 0xf;
	u64 iar = fiq ? SYSREG_READ(ICC_IAR0) : SYSREG_READ(ICC_IAR1);
	u32 intid = iar & 0xffffff;
	if (intid == SPURIOUS)
		return;
	last_irq[cpu] = intid;
	if (intid == TIMER_PPI) {
		SYSREG_WRITE(CNTV_CTL_EL0, 0);                /* masks the level-sensitive PPI */
		isb();
		timer_hits++;
	} else if (cpu == 1) {
		cpu1_got = intid;
	} else {
		cpu0_got = intid;
	}
	if (fiq)
		SYSREG_WRITE(ICC_EOIR0, iar);
	else
		SYSREG_WRITE(ICC_EOIR1, iar);
	isb();
}

static void interrupt_driven(void)
{
	puts_("T7 interrupts: SGI on IRQ, Group-0 SGI on FIQ, timer PPI\n");
	cpu0_got = 0;
	SYSREG_WRITE(ICC_SGI1R, sgi_value(5, 1));
	isb();
	irqs_on();
	while (cpu0_got != 5)
		wfi();
	irqs_off();
	cpu0_got = 0;
	SYSREG_WRITE(ICC_SGI0R, sgi_value(SGI_G0, 1));
	isb();
	irqs_on();
	while (cpu0_got != SGI_G0)
		wfi();
	irqs_off();
	expect("FIQ SGI", cpu0_got, SGI_G0);

	SYSREG_WRITE(CNTV_TVAL_EL0, SYSREG_READ(CNTFRQ_EL0) / 1000);   /* 1 ms of guest time */
	SYSREG_WRITE(CNTV_CTL_EL0, 1);
	isb();
	irqs_on();
	while (!timer_hits)
		wfi();
	irqs_off();
	expect("timer PPI taken", last_irq[0], TIMER_PPI);
}

static void second_cpu(void)
{
	puts_("T8 second CPU: CPU_ON, SGIs by target list and IRM, SPI routed by IROUTER\n");
	if (start_cpu(1) != 0) {
		puts_("  FAIL CPU_ON\n");
		failures++;
		return;
	}
	wait_for(&cpu1_up, 1);
	SYSREG_WRITE(ICC_SGI1R, sgi_value(6, 2));         /* to CPU1 through the target list */
	isb();
	wait_for(&cpu1_got, 6);
	SYSREG_WRITE(ICC_SGI1R, (1UL << 40) | ((u64)7 << 24));   /* IRM: everyone but me */
	isb();
	wait_for(&cpu1_got, 7);
	expect("GICR_ISPENDR0 of CPU0 after IRM SGI", rd32(SGI_BASE(0) + 0x200) & (1u << 7), 0);
	wr64(GICD + GICD_IROUTER + 8 * SPI_CPU1, 1);      /* Aff0 = 1 */
	expect("GICD_IROUTER", rd64(GICD + GICD_IROUTER + 8 * SPI_CPU1), 1);
	wr32(GICD + GICD_ISENABLER + 4, 1u << (SPI_CPU1 - 32));
	wr32(GICD + GICD_ISPENDR + 4, 1u << (SPI_CPU1 - 32));
	wait_for(&cpu1_got, SPI_CPU1);
	irqs_on();
	while (cpu0_got != 8)                             /* CPU1 answers with SGI 8 */
		wfi();
	irqs_off();
	expect("SGI from CPU1", cpu0_got, 8);
}

static void cpu1_main(void)
{
	redist_wake(1);
	sgi_frame_init(1);
	cpuif_init();
	cpu1_up = 1;
	irqs_on();
	while (cpu1_got != SPI_CPU1)
		wfi();
	irqs_off();
	SYSREG_WRITE(ICC_SGI1R, sgi_value(8, 1));         /* back to CPU0 */
	isb();
	for (;;)
		wfi();
}

void guest_main(u64 index);
void guest_main(u64 index)
{
	if (index == 1)
		cpu1_main();
	puts_("gicreplay GICv3 test guest\n");
	discovery();
	dist_init();
	polled_sgis();
	polled_spis();
	eoimode1();
	interrupt_driven();
	if ((rd64(GICR(0) + GICR_TYPER) & 0x10) == 0)     /* more than one CPU */
		second_cpu();
	power_off();
}
