// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/session_confine.h"

#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/landlock.h"

namespace vpnns {
namespace {

Status set_capabilities(const std::vector<KeptCapability>& keep) {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    return sys_error("clearing the ambient capabilities", errno);
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct now[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, now) < 0) return sys_error("capget", errno);
  // Kept if held: a service started without one (a container's bounding set) still starts, and
  // the step that needs it says what failed.
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (const KeptCapability& k : keep) {
    const auto word = static_cast<std::size_t>(k.cap / 32);
    const std::uint32_t bit = 1U << (k.cap % 32);
    data[word].effective |= bit & now[word].permitted;
    data[word].permitted |= bit & now[word].permitted;
  }
  if (::syscall(SYS_capset, &header, data) < 0) return sys_error("capset", errno);
  return ok_status();
}

}  // namespace

const std::vector<KeptCapability>& monitor_capabilities() {
  static const std::vector<KeptCapability> caps = {
      {CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
       "entering the namespace (setns: the command, a forward's socket children), a mount "
       "namespace of the command's own and its view (unshare, mount: netns_view.h)"},
      {CAP_SETUID, "CAP_SETUID",
       "becoming the caller (the command, the decoder, a forward's socket children)"},
      {CAP_SETGID, "CAP_SETGID",
       "the caller's gid and groups (the command, the decoder, a forward's socket children)"},
      // Not CAP_NET_BIND_SERVICE: a forward's sockets are the caller's, made without
      // capabilities; a listener below 1024 is refused (check_forward_endpoints()).
      {CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH",
       "entering the caller's working directory before the mount namespace is made (launch.h)"},
      {CAP_CHOWN, "CAP_CHOWN", "handing the pty's slave to the caller"},
      {CAP_KILL, "CAP_KILL", "forwarding the caller's signals to the command (another uid)"},
      {CAP_AUDIT_CONTROL, "CAP_AUDIT_CONTROL", "the command's loginuid: the caller's session"},
      {CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE",
       "the caller's resource limits and oom_score_adj for the command: the caller's session"},
      {CAP_SYS_NICE, "CAP_SYS_NICE", "the caller's nice value for the command"},
  };
  return caps;
}

Status keep_monitor_capabilities() { return set_capabilities(monitor_capabilities()); }

Result<int> confine_session_decoder(const Identity& caller) {
  if (::setgroups(caller.groups.size(), caller.groups.data()) < 0) {
    return sys_error("setting the caller's groups", errno);
  }
  if (::setresgid(caller.gid, caller.gid, caller.gid) < 0) {
    return sys_error("setting gid " + std::to_string(caller.gid), errno);
  }
  if (::setresuid(caller.uid, caller.uid, caller.uid) < 0) {
    return sys_error("setting uid " + std::to_string(caller.uid), errno);
  }
  // After the switch: changing credentials clears the parent-death signal.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return sys_error("PR_SET_PDEATHSIG", errno);
  // A caller that is uid 0 keeps its capabilities through setresuid(): clear them explicitly.
  VPNNS_TRY(set_capabilities({}));
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return sys_error("PR_SET_NO_NEW_PRIVS", errno);
  // No rule: every file-system right the kernel knows is handled and none is granted.
  return landlock_restrict({});
}

}  // namespace vpnns
