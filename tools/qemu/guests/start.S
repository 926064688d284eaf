/*
 * Boot code of the gicreplay QEMU test guests (tools/qemu/guests).
 * QEMU's -M virt loads the ELF with -kernel and starts CPU0 at _start in EL1 with the MMU off;
 * the other CPUs stay off until PSCI CPU_ON, which starts them at cpu_entry with x0 = the
 * context argument (here: the CPU's index, used to pick its stack).
 */
	.section .text.boot, "ax"
	.global _start
_start:
	mrs	x1, mpidr_el1
	and	x1, x1, #0xffffff
	cbnz	x1, 9f			/* only CPU0 boots through here */
	mov	x0, #0
	b	common_entry
9:	wfe
	b	9b

	.global cpu_entry
cpu_entry:				/* x0 = CPU index from CPU_ON */
	b	common_entry

common_entry:
	/* sp = stacks + (index + 1) * STACK_SIZE */
	adrp	x1, guest_stacks
	add	x1, x1, :lo12:guest_stacks
	add	x2, x0, #1
	lsl	x2, x2, #12
	add	sp, x1, x2
	adrp	x1, vector_table
	add	x1, x1, :lo12:vector_table
	msr	vbar_el1, x1
	isb
	cbnz	x0, 1f
	/* CPU0 clears .bss before any C code runs */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
2:	cmp	x1, x2
	b.hs	1f
	str	xzr, [x1], #8
	b	2b
1:	bl	guest_main		/* guest_main(index) never returns */
3:	wfi
	b	3b

/* Exception entry: the caller-saved registers the C handler may clobber, plus x29/x30. */
.macro ENTRY_SAVE
	stp	x29, x30, [sp, #-16]!
	stp	x17, x18, [sp, #-16]!
	stp	x15, x16, [sp, #-16]!
	stp	x13, x14, [sp, #-16]!
	stp	x11, x12, [sp, #-16]!
	stp	x9, x10, [sp, #-16]!
	stp	x7, x8, [sp, #-16]!
	stp	x5, x6, [sp, #-16]!
	stp	x3, x4, [sp, #-16]!
	stp	x1, x2, [sp, #-16]!
	str	x0, [sp, #-16]!
.endm
.macro EXIT_RESTORE
	ldr	x0, [sp], #16
	ldp	x1, x2, [sp], #16
	ldp	x3, x4, [sp], #16
	ldp	x5, x6, [sp], #16
	ldp	x7, x8, [sp], #16
	ldp	x9, x10, [sp], #16
	ldp	x11, x12, [sp], #16
	ldp	x13, x14, [sp], #16
	ldp	x15, x16, [sp], #16
	ldp	x17, x18, [sp], #16
	ldp	x29, x30, [sp], #16
.endm

.macro VEC_BAD n
	.balign	0x80
	mov	x0, #\n
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	b	bad_exception
.endm
.macro VEC_INT fiq
	.balign	0x80
	ENTRY_SAVE
	mov	x0, #\fiq
	bl	interrupt_handler
	EXIT_RESTORE
	eret
.endm

	.balign	2048
vector_table:
	VEC_BAD 0		/* current EL with SP_EL0 */
	VEC_BAD 1
	VEC_BAD 2
	VEC_BAD 3
	VEC_BAD 4		/* current EL with SP_ELx: synchronous */
	VEC_INT 0		/* IRQ: Group 1 without EL3 */
	VEC_INT 1		/* FIQ: Group 0 without EL3 */
	VEC_BAD 7
	VEC_BAD 8		/* lower EL, AArch64 */
	VEC_BAD 9
	VEC_BAD 10
	VEC_BAD 11
	VEC_BAD 12		/* lower EL, AArch32 */
	VEC_BAD 13
	VEC_BAD 14
	VEC_BAD 15
