// PID 1 of the MSI initramfs (tools/qemu/initrd): loads the virtio-pci and virtio-blk modules that
// Debian builds as modules (their probe enables MSI-X, so Linux maps the device through the ITS
// with MAPD/MAPTI, and the partition-table read completes through an LPI), reads the disk once
// more, and powers off through PSCI SYSTEM_OFF so QEMU exits 0. No shell, no busybox: static libc.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *s) { (void)!write(1, s, strlen(s)); }

static void load(const char *ko) {
  int fd = open(ko, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0) { say("init: cannot load "); say(ko); say("\n"); }
  else { say("init: loaded "); say(ko); say("\n"); }
  if (fd >= 0) close(fd);
}

int main(void) {
  say("init: msi initramfs\n");
  // dependency order (modules.dep of 6.1.0-*-arm64)
  load("/virtio_pci_legacy_dev.ko");
  load("/virtio_pci_modern_dev.ko");
  load("/virtio_pci.ko");
  load("/virtio_blk.ko");
  mount("devtmpfs", "/dev", "devtmpfs", 0, "");
  int fd = open("/dev/vda", O_RDONLY | O_DIRECT);
  static char buf[4096] __attribute__((aligned(4096)));
  if (fd >= 0 && pread(fd, buf, sizeof buf, 4096) == (ssize_t)sizeof buf) say("init: read /dev/vda\n");
  else say("init: no /dev/vda\n");
  say("init: power off\n");
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
