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
void ucall(uint64_t cmd, int nargs, ...);
uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
void report_guest_assert(struct ucall *uc);

#define GUEST_SYNC(stage) ucall(UCALL_SYNC, 2, "hello", stage)
#define REPORT_GUEST_ASSERT(uc) report_guest_assert(&(uc))

#endif
