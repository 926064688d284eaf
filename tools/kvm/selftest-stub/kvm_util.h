/*
 * A STUB of the KVM selftest library's interface (tools/testing/selftests/kvm/include/), written
 * for gicreplay's tests: declarations only, so that `gicreplay export --format kvm-selftest`
 * output can be compiled here (aarch64-linux-gnu-gcc -c, no link) where the library itself is
 * not built. It declares just what the exported file uses, with the library's names and
 * argument types as of Linux 6.12; it is not the library, and nothing links against it.
 * Running the exported file needs the kernel tree: copy it to tools/testing/selftests/kvm/arm64/.
 */
#ifndef GICREPLAY_SELFTEST_STUB_KVM_UTIL_H
#define GICREPLAY_SELFTEST_STUB_KVM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "test_util.h"
#include "ucall_common.h"

struct kvm_vm {
	int fd;
	unsigned int page_size;
};

struct kvm_vcpu {
	uint32_t id;
	int fd;
	struct kvm_vm *vm;
	struct kvm_run *run;
};

struct kvm_vm *vm_create_with_vcpus(uint32_t nr_vcpus, void *guest_code, struct kvm_vcpu *vcpus[]);
void kvm_vm_free(struct kvm_vm *vm);
void vcpu_run(struct kvm_vcpu *vcpu);
int __vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long cmd, void *arg);
void virt_map(struct kvm_vm *vm, uint64_t vaddr, uint64_t paddr, unsigned int npages);
void *addr_gva2hva(struct kvm_vm *vm, uint64_t gva);
void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa);

enum vm_mem_backing_src_type { VM_MEM_SRC_ANONYMOUS };
void vm_userspace_mem_region_add(struct kvm_vm *vm, enum vm_mem_backing_src_type src_type, uint64_t guest_paddr, uint32_t slot, uint64_t npages, uint32_t flags);
#define __vm_ioctl(vm, cmd, arg) ioctl((vm)->fd, cmd, arg)

int kvm_create_device(struct kvm_vm *vm, uint64_t type);
int __kvm_device_attr_get(int dev_fd, uint32_t group, uint64_t attr, void *val);
int __kvm_device_attr_set(int dev_fd, uint32_t group, uint64_t attr, void *val);
void kvm_device_attr_get(int dev_fd, uint32_t group, uint64_t attr, void *val);
void kvm_device_attr_set(int dev_fd, uint32_t group, uint64_t attr, void *val);
int _kvm_irq_line(struct kvm_vm *vm, uint32_t irq, int level);

/* The library's: copy a global between the host's and the guest's image of it. */
#define sync_global_to_guest(vm, g) memcpy(addr_gva2hva(vm, (uint64_t)(uintptr_t)&(g)), &(g), sizeof(g))
#define sync_global_from_guest(vm, g) memcpy(&(g), addr_gva2hva(vm, (uint64_t)(uintptr_t)&(g)), sizeof(g))

#endif
