/* STUB of the KVM selftest library's include/arm64/processor.h (see kvm_util.h here): declarations only. */
#ifndef GICREPLAY_SELFTEST_STUB_PROCESSOR_H
#define GICREPLAY_SELFTEST_STUB_PROCESSOR_H

#include <stdint.h>
#include <linux/kvm.h>

struct kvm_vm;
struct kvm_vcpu;

struct ex_regs {
	uint64_t regs[31];
	uint64_t sp;
	uint64_t pc;
	uint64_t pstate;
};

enum { VECTOR_SYNC_CURRENT, VECTOR_IRQ_CURRENT, VECTOR_FIQ_CURRENT, VECTOR_ERROR_CURRENT };
typedef void (*handler_fn)(struct ex_regs *);

void vm_init_descriptor_tables(struct kvm_vm *vm);
void vcpu_init_descriptor_tables(struct kvm_vcpu *vcpu);
void vm_install_sync_handler(struct kvm_vm *vm, int vector, int ec, handler_fn handler);

#define SYS_MPIDR_EL1 3, 0, 0, 0, 5
#define KVM_ARM64_SYS_REG_(op0, op1, crn, crm, op2) ARM64_SYS_REG(op0, op1, crn, crm, op2)
#define KVM_ARM64_SYS_REG(r) KVM_ARM64_SYS_REG_(r)

#define read_sysreg(r) ({ uint64_t __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(v, r) do { uint64_t __v = (uint64_t)(v); asm volatile("msr " #r ", %x0" : : "rZ"(__v)); } while (0)
#define isb() asm volatile("isb" : : : "memory")

#endif
