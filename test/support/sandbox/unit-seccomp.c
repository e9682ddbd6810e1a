/*
 * unit-seccomp: applies the seccomp part of a systemd unit's sandbox to a command, for tests on
 * machines where systemd is not PID 1 (test/support/unit-sandbox.ts builds and runs it).
 *
 *   unit-seccomp <allowed-syscalls-file> <address-families> -- command [args...]
 *
 * - SystemCallFilter= (allow list) with SystemCallErrorNumber=EPERM: every system call not named
 *   in the file fails with EPERM, as under systemd;
 * - RestrictAddressFamilies=: socket() only for the listed families (numbers, comma-separated);
 * - RestrictNamespaces=true: no unshare/setns, no clone() with CLONE_NEW* flags, clone3() ENOSYS
 *   (its flags are in memory; glibc falls back to clone), as systemd does;
 * - LockPersonality=true: personality() only to query or keep PER_LINUX;
 * - SystemCallArchitectures=native: libseccomp's default (other ABIs are refused).
 * No libseccomp headers are needed: the few declarations below match libseccomp 2.x.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void *scmp_filter_ctx;
struct scmp_arg_cmp {
  unsigned int arg;
  int op;
  uint64_t datum_a;
  uint64_t datum_b;
};
extern scmp_filter_ctx seccomp_init(uint32_t def_action);
extern int seccomp_rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt, ...);
extern int seccomp_syscall_resolve_name(const char *name);
extern int seccomp_load(scmp_filter_ctx ctx);

#define ACT_ALLOW 0x7fff0000U
#define ACT_ERRNO(x) (0x00050000U | ((x) & 0x0000ffffU))
#define CMP_EQ 4
#define CMP_MASKED_EQ 7
/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME */
#define CLONE_NEW_ALL (0x00020000ULL | 0x02000000ULL | 0x04000000ULL | 0x08000000ULL | 0x10000000ULL | 0x20000000ULL | 0x40000000ULL | 0x00000080ULL)

static int special(const char *name) {
  return !strcmp(name, "socket") || !strcmp(name, "unshare") || !strcmp(name, "setns") || !strcmp(name, "clone") ||
         !strcmp(name, "clone3") || !strcmp(name, "personality");
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: unit-seccomp <syscalls-file> <af,af,...> -- command [args...]\n");
    return 64;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 66;
  }
  scmp_filter_ctx ctx = seccomp_init(ACT_ERRNO(EPERM));
  if (!ctx) {
    fprintf(stderr, "unit-seccomp: seccomp_init failed\n");
    return 70;
  }
  char name[128];
  int allow_clone = 0, allow_socket = 0, allow_personality = 0;
  while (fscanf(f, "%127s", name) == 1) {
    if (!strcmp(name, "clone")) allow_clone = 1;
    if (!strcmp(name, "socket")) allow_socket = 1;
    if (!strcmp(name, "personality")) allow_personality = 1;
    if (special(name)) continue;
    int nr = seccomp_syscall_resolve_name(name);
    if (nr < 0) continue; /* not a system call of this architecture */
    seccomp_rule_add(ctx, ACT_ALLOW, nr, 0);
  }
  fclose(f);
  if (allow_socket) {
    int nr = seccomp_syscall_resolve_name("socket");
    char *list = strdup(argv[2]);
    for (char *af = strtok(list, ","); af; af = strtok(NULL, ",")) {
      struct scmp_arg_cmp eq = {0, CMP_EQ, strtoull(af, NULL, 10), 0};
      if (seccomp_rule_add(ctx, ACT_ALLOW, nr, 1, eq) < 0) fprintf(stderr, "unit-seccomp: socket rule %s failed\n", af);
    }
  }
  if (allow_clone) {
    struct scmp_arg_cmp no_ns = {0, CMP_MASKED_EQ, CLONE_NEW_ALL, 0};
    if (seccomp_rule_add(ctx, ACT_ALLOW, seccomp_syscall_resolve_name("clone"), 1, no_ns) < 0)
      fprintf(stderr, "unit-seccomp: clone rule failed\n");
    int clone3 = seccomp_syscall_resolve_name("clone3");
    if (clone3 >= 0) seccomp_rule_add(ctx, ACT_ERRNO(ENOSYS), clone3, 0);
  }
  if (allow_personality) {
    int nr = seccomp_syscall_resolve_name("personality");
    struct scmp_arg_cmp linux_ = {0, CMP_EQ, 0, 0};
    struct scmp_arg_cmp query = {0, CMP_EQ, 0xffffffffULL, 0};
    seccomp_rule_add(ctx, ACT_ALLOW, nr, 1, linux_);
    seccomp_rule_add(ctx, ACT_ALLOW, nr, 1, query);
  }
  if (seccomp_load(ctx) < 0) {
    fprintf(stderr, "unit-seccomp: seccomp_load failed\n");
    return 70;
  }
  execvp(argv[4], argv + 4);
  perror(argv[4]);
  return 127;
}
