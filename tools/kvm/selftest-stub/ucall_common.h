/* STUB of the KVM selftest library's ucall_common.h (see kvm_util.h here): declarations only. */
#ifndef GICREPLAY_SELFTEST_STUB_UCALL_COMMON_H
#define GICREPLAY_SELFTEST_STUB_UCALL_COMMON_H

#include <stdint.h>

enum { UCALL_NONE, UCALL_SYNC, UCALL_ABORT, UCALL_PRINTF, UCALL_DONE, UCALL_UNHANDLED };
#define UCALL_MAX_ARGS 7

struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_MAX_ARGS];
	char buffer[1024];
};

struct kvm_vcpu;
struct kvm_vm;
void ucall(uint64_t cmd, int nargs, ...);
#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/* 6.1's, which the test calls itself there (the UAPI headers here may be 6.1's). */
void ucall_init(struct kvm_vm *vm, void *arg);
#endif
uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
void report_guest_assert(struct ucall *uc);

#define GUEST_SYNC(stage) ucall(UCALL_SYNC, 2, "hello", stage)
#define REPORT_GUEST_ASSERT(uc) report_guest_assert(&(uc))

#endif
