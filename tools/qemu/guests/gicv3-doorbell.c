/*
 * GICv3 doorbell guest for `gicreplay record kvm --gic 3 --smp 2`: the VMM's side of the GIC
 * while the guest runs. Through the doorbell page of the runner's VMM (tools/kvm/JOB.md, "The
 * doorbell") the guest makes the VMM raise and lower device lines with KVM_IRQ_LINE (a level SPI,
 * an edge SPI, a PPI) and read and write the vGIC's registers with KVM_GET/SET_DEVICE_ATTR (the
 * distributor, the second vCPU's redistributor while that vCPU sits in WFI, an attribute
 * past the distributor's frame), between its own GIC accesses, and checks each effect with an MMIO read. The
 * console's ok/FAIL lines state what KVM 6.1/6.12 answer.
 *
 * It runs on the gicreplay VMM only: QEMU's virt machine has nothing at the doorbell's address, so
 * there the first doorbell read takes an external abort and the guest stops with FAIL.
 */
#include "guest.h"

#define GICD 0x08000000UL
#define GICR(cpu) (0x080A0000UL + (u64)(cpu) * 0x20000UL)
#define SGI_BASE(cpu) (GICR(cpu) + 0x10000UL)

#define GICD_CTLR 0x0000
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000

#define GICR_WAKER 0x0014
#define GICR_ISENABLER0 0x0100
#define GICR_ISPENDR0 0x0200
#define GICR_ICPENDR0 0x0280

/* The runner's doorbell (tools/kvm/runner.c): not a QEMU virt device. */
#define DB 0x0b000000UL
#define DB_ID 0x00
#define DB_LINE 0x08
#define DB_GROUP 0x10
#define DB_ATTR 0x18
#define DB_VALUE 0x20
#define DB_OP 0x28
#define DB_ERRNO 0x30
#define DB_MAGIC 0x42445247u

/* KVM_DEV_ARM_VGIC_GRP_* (arch/arm64/include/uapi/asm/kvm.h) */
#define GRP_DIST_REGS 1
#define GRP_REDIST_REGS 5
/* attr[63:32] of a redistributor attribute: the vCPU's MPIDR Aff3.Aff2.Aff1.Aff0 (vCPU 1: Aff0 1) */
#define REDIST_ATTR(aff, off) (((u64)(aff) << 32) | (off))

#define SPI_LEVEL 48
#define SPI_EDGE 49
#define SPI_USER 50
#define PPI_DEV 23
#define EINVAL 22

static volatile u32 cpu1_up;

static void line(u32 intid, u32 level)
{
	wr32(DB + DB_LINE, intid | (level << 31));
}

/* KVM_GET_DEVICE_ATTR through the VMM; *err gets its errno. */
static u32 attr_get(u32 group, u64 attr, u32 *err)
{
	wr32(DB + DB_GROUP, group);
	wr64(DB + DB_ATTR, attr);
	wr32(DB + DB_OP, 0);
	*err = rd32(DB + DB_ERRNO);
	return (u32)rd64(DB + DB_VALUE);
}

static u32 attr_set(u32 group, u64 attr, u32 value)
{
	wr32(DB + DB_GROUP, group);
	wr64(DB + DB_ATTR, attr);
	wr64(DB + DB_VALUE, value);
	wr32(DB + DB_OP, 1);
	return rd32(DB + DB_ERRNO);
}

static u32 spi_pending(u32 intid)
{
	return (rd32(GICD + GICD_ISPENDR + 4 * (intid / 32)) >> (intid % 32)) & 1;
}

static void redist_wake(u32 cpu)
{
	u32 w = rd32(GICR(cpu) + GICR_WAKER);
	wr32(GICR(cpu) + GICR_WAKER, w & ~2u);
	while (rd32(GICR(cpu) + GICR_WAKER) & 4u)
		;
}

static void dist_init(void)
{
	puts_("T1 distributor: SPIs 32..63 Group 1, priority 0xa0, level; SPI 49 edge\n");
	wr32(GICD + GICD_CTLR, 0);
	wr32(GICD + GICD_IGROUPR + 4, 0xffffffff);
	wr32(GICD + GICD_ICENABLER + 4, 0xffffffff);
	wr32(GICD + GICD_ICPENDR + 4, 0xffffffff);
	for (u32 i = 32; i < 64; i += 4)
		wr32(GICD + GICD_IPRIORITYR + i, 0xa0a0a0a0);
	wr32(GICD + GICD_ICFGR + 8, 0);
	wr32(GICD + GICD_ICFGR + 12, 2u << (2 * (SPI_EDGE - 48)));
	for (u32 i = 32; i < 64; i++)
		wr64(GICD + GICD_IROUTER + 8 * i, 0);
	wr32(GICD + GICD_CTLR, 0x13);
	expect("GICD_CTLR (KVM: DS | ARE | EnableGrp1)", rd32(GICD + GICD_CTLR), 0x52);
	redist_wake(0);
	wr32(GICD + GICD_ISENABLER + 4, (1u << (SPI_LEVEL - 32)) | (1u << (SPI_EDGE - 32)));
}

static void device_lines(void)
{
	puts_("T2 device lines through KVM_IRQ_LINE\n");
	line(SPI_LEVEL, 1);
	expect("KVM_IRQ_LINE SPI 48 high: errno", rd32(DB + DB_ERRNO), 0);
	expect("level SPI 48 pending while high", spi_pending(SPI_LEVEL), 1);
	line(SPI_LEVEL, 0);
	expect("level SPI 48 pending after low", spi_pending(SPI_LEVEL), 0);
	line(SPI_EDGE, 1);
	line(SPI_EDGE, 0);
	expect("edge SPI 49 latched after the pulse", spi_pending(SPI_EDGE), 1);
	wr32(GICD + GICD_ICPENDR + 4, 1u << (SPI_EDGE - 32));
	expect("edge SPI 49 after ICPENDR", spi_pending(SPI_EDGE), 0);
	line(PPI_DEV, 1);
	expect("PPI 23 of this vCPU pending while high", (rd32(SGI_BASE(0) + GICR_ISPENDR0) >> PPI_DEV) & 1, 1);
	line(PPI_DEV, 0);
	expect("PPI 23 after low", (rd32(SGI_BASE(0) + GICR_ISPENDR0) >> PPI_DEV) & 1, 0);
	line(1000, 1);
	expect("KVM_IRQ_LINE SPI 1000 (past nr_irqs): errno EINVAL", rd32(DB + DB_ERRNO), EINVAL);
}

static void vmm_reads(void)
{
	u32 err;
	puts_("T3 the VMM reads what the guest wrote (KVM_GET_DEVICE_ATTR)\n");
	wr8(GICD + GICD_IPRIORITYR + SPI_LEVEL, 0x80);
	expect("GICD_IPRIORITYR12 by the VMM", attr_get(GRP_DIST_REGS, GICD_IPRIORITYR + 48, &err), 0xa0a0a080);
	expect("  errno", err, 0);
	expect("GICD_ISENABLER1 by the VMM", attr_get(GRP_DIST_REGS, GICD_ISENABLER + 4, &err), (1u << (SPI_LEVEL - 32)) | (1u << (SPI_EDGE - 32)));
	expect("GICD_ICFGR3 by the VMM", attr_get(GRP_DIST_REGS, GICD_ICFGR + 12, &err), 2u << (2 * (SPI_EDGE - 48)));
	/* one past the 64 KiB frame: KVM 6.1 answers it (errno 0, value 0); a trace cannot carry it (a Marker) */
	expect("GICD offset 0x10000 by the VMM", attr_get(GRP_DIST_REGS, 0x10000, &err), 0);
	expect("  errno", err, 0);
}

static void vmm_writes(void)
{
	puts_("T4 the VMM writes, the guest sees it (KVM_SET_DEVICE_ATTR)\n");
	expect("GICD_ISPENDR1 SPI 50 by the VMM: errno", attr_set(GRP_DIST_REGS, GICD_ISPENDR + 4, 1u << (SPI_USER - 32)), 0);
	expect("SPI 50 pending", spi_pending(SPI_USER), 1);
	wr32(GICD + GICD_ICPENDR + 4, 1u << (SPI_USER - 32));
	expect("SPI 50 after ICPENDR", spi_pending(SPI_USER), 0);
	expect("GICD_IPRIORITYR13 by the VMM: errno", attr_set(GRP_DIST_REGS, GICD_IPRIORITYR + 52, 0x60606060), 0);
	expect("GICD_IPRIORITYR13", rd32(GICD + GICD_IPRIORITYR + 52), 0x60606060);
}

static void other_redistributor(void)
{
	u32 err;
	puts_("T5 the second vCPU's redistributor by the VMM while that vCPU waits in WFI\n");
	if (start_cpu(1) != 0) {
		puts_("  FAIL CPU_ON\n");
		failures++;
		return;
	}
	wait_for(&cpu1_up, 1);
	expect("GICR_ISENABLER0 of vCPU 1 by the VMM", attr_get(GRP_REDIST_REGS, REDIST_ATTR(1, 0x10000 + GICR_ISENABLER0), &err), 0xffff);
	expect("  errno", err, 0);
	expect("GICR_ISPENDR0 of vCPU 1, SGI 5, by the VMM: errno", attr_set(GRP_REDIST_REGS, REDIST_ATTR(1, 0x10000 + GICR_ISPENDR0), 1u << 5), 0);
	expect("GICR_ISPENDR0 of vCPU 1", rd32(SGI_BASE(1) + GICR_ISPENDR0), 1u << 5);
	wr32(SGI_BASE(1) + GICR_ICPENDR0, 1u << 5);
	expect("GICR_ISPENDR0 of vCPU 1 after ICPENDR0", rd32(SGI_BASE(1) + GICR_ISPENDR0), 0);
}

static void cpu1_main(void)
{
	redist_wake(1);
	wr32(SGI_BASE(1) + GICR_ISENABLER0, 0xffff);
	cpu1_up = 1;
	for (;;)
		wfi();
}

/* Interrupts stay masked (PSTATE.I/F) throughout: one taken is a failure. */
void interrupt_handler(u64 fiq);
void interrupt_handler(u64 fiq)
{
	bad_exception(fiq ? 0x100 : 0x80, 0, 0);
}

void guest_main(u64 index);
void guest_main(u64 index)
{
	if (index == 1)
		cpu1_main();
	puts_("gicreplay GICv3 doorbell guest (the gicreplay VMM only)\n");
	puts_("T0 doorbell\n");
	expect("doorbell ID", rd32(DB + DB_ID), DB_MAGIC);
	dist_init();
	device_lines();
	vmm_reads();
	vmm_writes();
	other_redistributor();
	power_off();
}
