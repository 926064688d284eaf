// /init for running exported reproducers (gicreplay export --format c) on the nested KVM host:
// every executable in /repro, in name order, with its output on the console one line at a time
// as "@@<name> <line>", then "@@<name> exit <status>", then "@@done", and power off. One boot
// runs them all. Build: aarch64-linux-gnu-gcc -static -O2 (engine/export/run.ts).

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *name, const char *line) {
  char buf[1200];
  int n = snprintf(buf, sizeof buf, "@@%s %s\n", name, line);
  if (n > (int)sizeof buf - 1) n = sizeof buf - 1, buf[n - 1] = '\n';
  if (write(1, buf, (size_t)n) < 0) return;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void run(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "/repro/%s", name);
  int fds[2];
  if (pipe(fds) < 0) {
    say(name, "exit 127 (pipe failed)");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    // argv[0] is the name, run from /repro: a KVM selftest opens its own ELF by argv[0] (kvm_vm_elf_load).
    if (chdir("/repro") < 0) _exit(127);
    execl(path, name, (char *)NULL);
    printf("cannot run %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  char line[1024];
  size_t len = 0;
  char c;
  for (;;) {
    ssize_t r = read(fds[0], &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (c == '\n' || len == sizeof line - 1) {
      line[len] = 0;
      say(name, line);
      len = 0;
      if (c == '\n') continue;
    }
    line[len++] = c;
  }
  if (len) {
    line[len] = 0;
    say(name, line);
  }
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  char end[64];
  if (WIFEXITED(st)) snprintf(end, sizeof end, "exit %d", WEXITSTATUS(st));
  else snprintf(end, sizeof end, "signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  say(name, end);
}

int main(void) {
  mkdir("/dev", 0755);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mkdir("/proc", 0755);
  mount("proc", "/proc", "proc", 0, NULL);
  if (access("/dev/kvm", F_OK) < 0) mknod("/dev/kvm", S_IFCHR | 0600, makedev(10, 232));
  struct dirent **list;
  int n = scandir("/repro", &list, NULL, by_name);
  for (int i = 0; i < n; i++) {
    if (list[i]->d_name[0] != '.') run(list[i]->d_name);
    free(list[i]);
  }
  if (n >= 0) free(list);
  say("done", n < 0 ? "no /repro folder" : "");
  sync();
  if (getpid() == 1) reboot(LINUX_REBOOT_CMD_POWER_OFF);
  return 0;
}
