// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/confine.h"

#include <cap-ng.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/prctl.h>

#include <cerrno>
#include <memory>

namespace vpnns {
namespace {

constexpr const char* kDropIn =
    "install the systemd drop-in that grants it for this instance (vpnns ships it as "
    "/usr/share/vpnns/systemd/openvpn-client@.service.d/vpnns.conf, and the same for "
    "openvpn-server@.service and openvpn@.service; see vpnns(8), SYSTEMD)";

struct Needed {
  int cap;
  const char* name;
  const char* why;
};

std::vector<Needed> needed_at_startup(const Config& config) {
  std::vector<Needed> out = {
      {CAP_NET_ADMIN, "CAP_NET_ADMIN", "which it needs to configure links, routes and nftables"},
      {CAP_SETPCAP, "CAP_SETPCAP",
       "which it needs to give up every capability but CAP_NET_ADMIN after start-up"},
  };
  if (config.netns_mode()) {
    out.push_back({CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
                   "which netns mode needs at start-up to create and enter the network namespace"});
  }
  return out;
}

}  // namespace

Status check_startup_capabilities(const Config& config) {
  capng_clear(CAPNG_SELECT_BOTH);
  if (capng_get_caps_process() != 0) return sys_error("reading the helper's capabilities", errno);
  std::string missing;
  for (const Needed& n : needed_at_startup(config)) {
    if (capng_have_capability(CAPNG_EFFECTIVE, static_cast<unsigned>(n.cap)) == 0) {
      if (!missing.empty()) missing += "; and ";
      missing += std::string(n.name) + ", " + n.why;
    }
  }
  if (!missing.empty()) {
    return Error(Code::kPermissionDenied,
                 "vpnns-helper lacks " + missing +
                     ". openvpn's capability bounding set does not include it (Debian's "
                     "openvpn-client@.service and openvpn-server@.service leave out "
                     "CAP_SYS_ADMIN): " +
                     kDropIn);
  }
  return ok_status();
}

Status drop_privileges() {
  capng_clear(CAPNG_SELECT_ALL);
  if (capng_update(
          CAPNG_ADD,
          static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET),
          CAP_NET_ADMIN) != 0) {
    return Error(Code::kInternal, "capng_update failed");
  }
  // Applies effective/permitted/inheritable, the bounding set and the ambient set in one go;
  // shrinking the bounding set needs CAP_SETPCAP, which is among what is dropped.
  if (const int rc = capng_apply(CAPNG_SELECT_ALL); rc != 0) {
    return Error(Code::kPermissionDenied,
                 "cannot drop capabilities (capng_apply returned " + std::to_string(rc) + ")",
                 errno);
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return sys_error("PR_SET_NO_NEW_PRIVS", errno);
  }
  return ok_status();
}

const std::vector<std::string>& kept_syscalls() {
  // What the event loop does, and nothing else (traced from the end-to-end tests):
  static const std::vector<std::string> calls = {
      // the socketpair and netlink: requests, acks, dumps, nftables notifications
      "recvmsg", "recvfrom", "sendto", "poll", "ppoll",
      // the dns-updown socket (updown_socket.h): one connection per dns-up/dns-down
      "accept4", "getsockopt",
      // DNS files, the state file, /proc/<openvpn>/status, /proc/<pid>/comm
      "openat", "read", "close", "newfstatat", "fstat", "statx", "lseek", "pwrite64", "ftruncate",
      "fchmod", "mkdirat", "unlinkat",
      // the state file's atomic replacement (state_file.h): renameat where the kernel has it
      // (x86_64's glibc calls it), renameat2 where it has not (arm64, riscv64)
      "renameat", "renameat2",
      // the privilege-drop watch
      "timerfd_settime",
      // is a seal table's owner a running helper (state/helper_identity.h): held by a pidfd
      "pidfd_open",
      // memory; one-time initialisation in libstdc++
      "brk", "mmap", "munmap", "mremap", "madvise", "futex",
      // who am I (the Hello); time without a vDSO; leaving
      "getpid", "clock_gettime", "exit", "exit_group", "rt_sigreturn", "restart_syscall"};
  return calls;
}

Status install_seccomp_filter() {
#ifdef VPNNS_SANITIZE
  const std::uint32_t default_action = SCMP_ACT_LOG;
#else
  const std::uint32_t default_action = SCMP_ACT_KILL_PROCESS;
#endif
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(default_action),
                                                       seccomp_release);
  if (!ctx) return Error(Code::kInternal, "seccomp_init failed");
  for (const std::string& name : kept_syscalls()) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not a system call on this architecture
    if (const int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0); rc != 0) {
      return Error(Code::kInternal, "seccomp_rule_add(" + name + ") failed", -rc);
    }
  }
  // write: stderr only (last words into openvpn's log). kill: signal 0 only (is it alive?).
  if (const int rc =
          seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 2));
      rc != 0) {
    return Error(Code::kInternal, "seccomp_rule_add(write) failed", -rc);
  }
  if (const int rc =
          seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A1(SCMP_CMP_EQ, 0));
      rc != 0) {
    return Error(Code::kInternal, "seccomp_rule_add(kill) failed", -rc);
  }
  if (const int rc = seccomp_load(ctx.get()); rc != 0) {
    return Error(Code::kSystem, "installing the seccomp filter", -rc);
  }
  return ok_status();
}

}  // namespace vpnns
