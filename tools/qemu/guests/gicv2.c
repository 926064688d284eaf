/*
 * GICv2 test guest for `gicreplay record qemu --gic 2 --guest`: distributor and CPU interface
 * (GICC) through discovery, configuration, SGIs through GICD_SGIR, an SPI, both groups with
 * AckCtl 0 and 1, EOImode 1, the timer PPI, and (with -smp 2 or more) a second CPU reached
 * through the target list and ITARGETSR.
 */
#include "guest.h"

#define GICD 0x08000000UL
#define GICC 0x08010000UL

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_SGIR 0xf00
#define GICD_ICPIDR2 0xfe8

#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_BPR 0x08
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define GICC_RPR 0x14
#define GICC_HPPIR 0x18
#define GICC_ABPR 0x1c
#define GICC_AIAR 0x20
#define GICC_APR0 0xd0
#define GICC_IIDR 0xfc
#define GICC_DIR 0x1000

#define SPURIOUS 1023
#define SPI_A 40
#define SPI_G1 41
#define SPI_CPU1 42

static volatile u32 cpu1_up, cpu1_got, cpu0_got, timer_hits;

/* GICD_SGIR: TargetListFilter [25:24], CPUTargetList [23:16], NSATT [15], INTID [3:0]. */
static void send_sgi(u32 intid, u32 filter, u32 targets)
{
	wr32(GICD + GICD_SGIR, (filter << 24) | (targets << 16) | intid);
}

static void cpuif_init(void)
{
	wr32(GICC + GICC_PMR, 0xf0);
	expect("GICC_PMR", rd32(GICC + GICC_PMR), 0xf0);
	wr32(GICC + GICC_BPR, 0);
	wr32(GICC + GICC_CTLR, 0xb);                      /* EnableGrp0 | EnableGrp1 | FIQEn */
	expect("GICC_CTLR", rd32(GICC + GICC_CTLR), 0xb);
}

static void banked_init(void)
{
	wr32(GICD + GICD_ICENABLER, 0xffff0000);          /* PPIs off; SGIs stay as the GIC has them */
	wr32(GICD + GICD_IGROUPR, 0);                     /* banked: this CPU's SGIs/PPIs in Group 0 */
	for (u32 i = 0; i < 32; i += 4)
		wr32(GICD + GICD_IPRIORITYR + i, 0xa0a0a0a0);
	wr32(GICD + GICD_ISENABLER, 0xffff | (1u << TIMER_PPI));
}

static void discovery(void)
{
	puts_("T0 discovery\n");
	expect("ICPIDR2", rd32(GICD + GICD_ICPIDR2), 0x2b);
	expect("GICD_TYPER ITLines", rd32(GICD + GICD_TYPER) & 0x1f, 8);
	expect("GICD_IIDR", rd32(GICD + GICD_IIDR), 0x43b);
	expect("GICC_IIDR", rd32(GICC + GICC_IIDR), 0x2043b);
	expect("ITARGETSR0 (own CPU)", rd32(GICD + GICD_ITARGETSR) & 0xff, 1);
}

static void dist_init(void)
{
	puts_("T1 distributor and CPU interface\n");
	wr32(GICD + GICD_CTLR, 0);
	wr32(GICD + GICD_IGROUPR + 4, 0);                 /* SPIs 32..63 in Group 0 */
	wr32(GICD + GICD_ICENABLER + 4, 0xffffffff);
	wr32(GICD + GICD_ICPENDR + 4, 0xffffffff);
	for (u32 i = 32; i < 64; i += 4) {
		wr32(GICD + GICD_IPRIORITYR + i, 0xa0a0a0a0);
		wr32(GICD + GICD_ITARGETSR + i, 0x01010101);
	}
	wr32(GICD + GICD_ICFGR + 8, 0);
	wr32(GICD + GICD_ICFGR + 12, 0);
	wr32(GICD + GICD_CTLR, 3);
	expect("GICD_CTLR", rd32(GICD + GICD_CTLR), 3);
	banked_init();
	cpuif_init();
}

static void polled(void)
{
	puts_("T2 polled Group-0 SGI to self\n");
	send_sgi(1, 2, 0);
	expect("GICC_HPPIR", rd32(GICC + GICC_HPPIR), 1);
	expect("GICC_IAR", rd32(GICC + GICC_IAR), 1);
	expect("GICC_RPR", rd32(GICC + GICC_RPR), 0xa0);
	(void)rd32(GICC + GICC_APR0);
	wr32(GICC + GICC_EOIR, 1);
	expect("GICC_RPR idle", rd32(GICC + GICC_RPR), 0xff);

	puts_("T3 SPI through GICD_ISPENDR\n");
	wr32(GICD + GICD_ISENABLER + 4, (1u << (SPI_A - 32)) | (1u << (SPI_G1 - 32)));
	wr32(GICD + GICD_ISPENDR + 4, 1u << (SPI_A - 32));
	expect("GICD_ISPENDR1", rd32(GICD + GICD_ISPENDR + 4), 1u << (SPI_A - 32));
	expect("GICC_IAR", rd32(GICC + GICC_IAR), SPI_A);
	expect("GICD_ISACTIVER1", rd32(GICD + GICD_ISACTIVER + 4), 1u << (SPI_A - 32));
	wr32(GICC + GICC_EOIR, SPI_A);

	puts_("T4 Group-1 SPI: AckCtl 0 gives 1022, AckCtl 1 acknowledges\n");
	wr32(GICD + GICD_IGROUPR + 4, 1u << (SPI_G1 - 32));
	wr8(GICD + GICD_IPRIORITYR + SPI_G1, 0x80);
	expect("IPRIORITYR byte", rd8(GICD + GICD_IPRIORITYR + SPI_G1), 0x80);
	wr32(GICD + GICD_ISPENDR + 4, 1u << (SPI_G1 - 32));
	expect("GICC_HPPIR", rd32(GICC + GICC_HPPIR), 1022);
	expect("GICC_IAR", rd32(GICC + GICC_IAR), 1022);
	(void)rd32(GICC + GICC_AIAR);
	wr32(GICC + GICC_CTLR, 0xf);                      /* + AckCtl */
	expect("GICC_IAR", rd32(GICC + GICC_IAR), SPI_G1);
	wr32(GICC + GICC_EOIR, SPI_G1);
	wr32(GICC + GICC_CTLR, 0xb);

	puts_("T5 EOImode 1\n");
	wr32(GICC + GICC_CTLR, 0xb | (1u << 9));
	send_sgi(3, 2, 0);
	expect("GICC_IAR", rd32(GICC + GICC_IAR), 3);
	wr32(GICC + GICC_EOIR, 3);
	expect("GICD_ISACTIVER0 after drop", rd32(GICD + GICD_ISACTIVER) & (1u << 3), 1u << 3);
	wr32(GICC + GICC_DIR, 3);
	expect("GICD_ISACTIVER0 after DIR", rd32(GICD + GICD_ISACTIVER) & (1u << 3), 0);
	wr32(GICC + GICC_CTLR, 0xb);
}

void interrupt_handler(u64 fiq);
void interrupt_handler(u64 fiq)
{
	(void)fiq;
	u64 cpu = SYSREG_READ("mpidr_el1") & 0xf;
	u32 iar = rd32(GICC + GICC_IAR);
	u32 intid = iar & 0x3ff;
	if (intid >= 1020)
		return;
	if (intid == TIMER_PPI) {
		SYSREG_WRITE(CNTV_CTL_EL0, 0);
		isb();
		timer_hits++;
	} else if (cpu == 1) {
		cpu1_got = intid;
	} else {
		cpu0_got = intid;
	}
	wr32(GICC + GICC_EOIR, iar);
}

static void interrupt_driven(void)
{
	puts_("T6 interrupts: SGI as FIQ, timer PPI\n");
	cpu0_got = 0;
	send_sgi(5, 2, 0);
	irqs_on();
	while (cpu0_got != 5)
		wfi();
	irqs_off();
	SYSREG_WRITE(CNTV_TVAL_EL0, SYSREG_READ(CNTFRQ_EL0) / 1000);
	SYSREG_WRITE(CNTV_CTL_EL0, 1);
	isb();
	irqs_on();
	while (!timer_hits)
		wfi();
	irqs_off();
	expect("timer PPI taken", timer_hits, 1);
}

static void second_cpu(void)
{
	puts_("T7 second CPU: CPU_ON, SGI by target list and to others, SPI by ITARGETSR byte\n");
	if (start_cpu(1) != 0) {
		puts_("  FAIL CPU_ON\n");
		failures++;
		return;
	}
	wait_for(&cpu1_up, 1);
	send_sgi(6, 0, 2);
	wait_for(&cpu1_got, 6);
	send_sgi(7, 1, 0);                                /* all but self */
	wait_for(&cpu1_got, 7);
	wr8(GICD + GICD_ITARGETSR + SPI_CPU1, 2);
	expect("ITARGETSR byte", rd8(GICD + GICD_ITARGETSR + SPI_CPU1), 2);
	wr32(GICD + GICD_ISENABLER + 4, 1u << (SPI_CPU1 - 32));
	wr32(GICD + GICD_ISPENDR + 4, 1u << (SPI_CPU1 - 32));
	wait_for(&cpu1_got, SPI_CPU1);
	irqs_on();
	while (cpu0_got != 8)
		wfi();
	irqs_off();
	expect("SGI from CPU1", cpu0_got, 8);
}

static void cpu1_main(void)
{
	banked_init();
	cpuif_init();
	cpu1_up = 1;
	irqs_on();
	while (cpu1_got != SPI_CPU1)
		wfi();
	irqs_off();
	send_sgi(8, 0, 1);
	for (;;)
		wfi();
}

void guest_main(u64 index);
void guest_main(u64 index)
{
	if (index == 1)
		cpu1_main();
	puts_("gicreplay GICv2 test guest\n");
	discovery();
	dist_init();
	polled();
	interrupt_driven();
	if (((rd32(GICD + GICD_TYPER) >> 5) & 7) >= 1)    /* CPUNumber: more than one CPU */
		second_cpu();
	power_off();
}
