// SPDX-License-Identifier: GPL-2.0-or-later
// The seccomp filter the helper installs, applied by the same code to a small child process:
// the calls the event loop makes still work, anything else kills the process. (The running
// helper's own confinement is checked in tests/priv and tests/e2e.)
#include "helper/confine.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>

namespace vpnns {
namespace {

// Runs `body` in a child under the filter; returns the child's wait status.
int run_confined(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!install_seccomp_filter()) ::_exit(100);
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(Confine, AllowedCallsWork) {
  const int status = run_confined([] {
    char buf[16];
    int fds[2];
    (void)buf;
    (void)fds;
    if (::getpid() <= 0) ::_exit(1);
    // write on stderr is allowed; on any other descriptor it is not (checked below).
    if (::write(2, "", 0) != 0) ::_exit(2);
    // The state file's rename (here of a file that does not exist: the call is made, and fails).
    if (::renameat(AT_FDCWD, "/nonexistent/vpnns-a", AT_FDCWD, "/nonexistent/vpnns-b") == 0 ||
        errno != ENOENT) {
      ::_exit(3);
    }
    // The modes of vpnns's files, on a descriptor that is not open (the call is made, fails).
    if (::fchmod(-1, 0644) == 0 || errno != EBADF || ::fchmod(-1, 0640) == 0 || errno != EBADF ||
        ::fchmod(-1, 0755) == 0 || errno != EBADF) {
      ::_exit(4);
    }
    // Plain memory, an empty directory's removal and a plain rename stay allowed.
    void* m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) ::_exit(5);
    if (::unlinkat(AT_FDCWD, "/nonexistent/vpnns-d", AT_REMOVEDIR) == 0 || errno != ENOENT) {
      ::_exit(6);
    }
    if (::syscall(SYS_renameat2, AT_FDCWD, "/nonexistent/a", AT_FDCWD, "/nonexistent/b", 0) == 0 ||
        errno != ENOENT) {
      ::_exit(7);
    }
    // UP's questions about openvpn's tun descriptors (tun_holder.h): made, and refused by a
    // descriptor that is no tun.
    ifreq ifr{};
    if (::ioctl(2, TUNGETIFF, &ifr) == 0 || ::ioctl(2, TUNGETDEVNETNS) >= 0) ::_exit(8);
  });
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

#ifndef VPNNS_SANITIZE
TEST(Confine, ACallOutsideTheListKillsTheProcess) {
  struct Forbidden {
    const char* name;
    std::function<void()> call;
  };
  const Forbidden forbidden[] = {
      {"socket", [] { (void)::socket(AF_INET, SOCK_DGRAM, 0); }},
      {"setns", [] { (void)::syscall(SYS_setns, 0, 0); }},
      {"unshare", [] { (void)::syscall(SYS_unshare, 0); }},
      {"mount", [] { (void)::syscall(SYS_mount, "none", "/", "none", 0, nullptr); }},
      {"execve", [] { (void)::syscall(SYS_execve, "/bin/true", nullptr, nullptr); }},
      {"ptrace", [] { (void)::syscall(SYS_ptrace, 0, 0, 0, 0); }},
      {"write to stdout", [] { (void)::write(1, "x", 1); }},
      {"ioctl other than TUNGETIFF and TUNGETDEVNETNS",
       [] {
         int n = 0;
         (void)::ioctl(2, FIONREAD, &n);
       }},
      // A harmless target: if the filter ever let it through, only SIGCONT to itself.
      {"kill with a real signal", [] { (void)::kill(::getpid(), SIGCONT); }},
      // Landlock does not govern chmod: only the modes of vpnns's own files pass.
      {"fchmod 0666", [] { (void)::fchmod(0, 0666); }},
      {"fchmod 04755", [] { (void)::fchmod(0, 04755); }},
      {"mmap PROT_EXEC",
       [] {
         (void)::mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
       }},
      {"renameat2 RENAME_EXCHANGE",
       [] {
         (void)::syscall(SYS_renameat2, AT_FDCWD, "/nonexistent/a", AT_FDCWD, "/nonexistent/b",
                         RENAME_EXCHANGE);
       }},
      {"unlinkat with unknown flags",
       [] { (void)::syscall(SYS_unlinkat, AT_FDCWD, "/x", 0x8000); }},
      // The ruleset cannot be loosened or a new one stacked.
      {"landlock_create_ruleset", [] { (void)::syscall(444, nullptr, 0, 1); }},
  };
  for (const auto& f : forbidden) {
    const int status = run_confined([&] {
      f.call();
      ::_exit(0);  // reaching this means the call went through
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << f.name << ": status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGSYS) << f.name;
  }
}
#else
TEST(Confine, SanitizerBuildsLogInsteadOfKilling) {
  // The sanitizer runtimes make system calls of their own; the filter only logs there.
  const int status = run_confined([] { (void)::socket(AF_INET, SOCK_DGRAM, 0); });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}
#endif

TEST(Confine, TheListHoldsNothingDangerous) {
  const auto& calls = kept_syscalls();
  for (const char* never : {"socket",
                            "setns",
                            "unshare",
                            "mount",
                            "umount2",
                            "execve",
                            "execveat",
                            "ptrace",
                            "clone",
                            "clone3",
                            "fork",
                            "vfork",
                            "bpf",
                            "ioctl",
                            "setuid",
                            "setresuid",
                            "capset",
                            "prctl",
                            "init_module",
                            "kill",
                            "write",
                            "fchmod",
                            "mmap",
                            "renameat2",
                            "unlinkat",
                            "mprotect",
                            "landlock_create_ruleset",
                            "landlock_add_rule",
                            "landlock_restrict_self",
                            "chmod",
                            "fchmodat",
                            "chown",
                            "fchown"}) {
    EXPECT_EQ(std::find(calls.begin(), calls.end(), never), calls.end()) << never;
  }
}

}  // namespace
}  // namespace vpnns
