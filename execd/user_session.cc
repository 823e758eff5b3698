// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/user_session.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/read_fd.h"
#include "common/unique_fd.h"
#include "execd/systemd_scope.h"
#include "execd/user_limits.h"
#include "state/netns_marker.h"

namespace vpnns {
namespace {

std::string rlim_text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

// The user as pam_limits sees them (passwd, group database) plus the groups the command runs
// with.
LimitsUser limits_user(const Identity& id) {
  LimitsUser u;
  u.uid = id.uid;
  u.primary_gid = id.gid;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(id.uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    u.name = found->pw_name;
    u.primary_gid = found->pw_gid;
    int n = 64;
    std::vector<gid_t> list(static_cast<std::size_t>(n));
    if (::getgrouplist(found->pw_name, found->pw_gid, list.data(), &n) < 0) {
      list.resize(static_cast<std::size_t>(n));
      if (::getgrouplist(found->pw_name, found->pw_gid, list.data(), &n) < 0) n = 0;
    }
    list.resize(static_cast<std::size_t>(n));
    u.gids = list;
  }
  u.gids.push_back(id.gid);
  u.gids.insert(u.gids.end(), id.groups.begin(), id.groups.end());
  std::ranges::sort(u.gids);
  u.gids.erase(std::unique(u.gids.begin(), u.gids.end()), u.gids.end());
  for (gid_t g : u.gids) {
    group gr{};
    group* got = nullptr;
    std::vector<char> gbuf(65536);
    if (::getgrgid_r(g, &gr, gbuf.data(), gbuf.size(), &got) == 0 && got != nullptr) {
      u.group_names.emplace_back(got->gr_name);
    }
  }
  return u;
}

rlim_t nr_open() {
  UniqueFd fd(::open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC));
  if (fd) {
    if (auto text = read_fd(fd.get(), 64, "/proc/sys/fs/nr_open"); text && !text->empty()) {
      return static_cast<rlim_t>(std::strtoull(text->c_str(), nullptr, 10));
    }
  }
  return 1024 * 1024;  // the kernel's default
}

Status write_proc_self(const char* file, const std::string& value, bool optional) {
  const std::string path = std::string("/proc/self/") + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    if (optional && errno == ENOENT) return ok_status();
    return sys_error("opening " + path, errno);
  }
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return sys_error("writing " + value + " to " + path, errno);
  }
  return ok_status();
}

std::string read_proc(pid_t pid, const char* file) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  auto text = read_fd(fd.get(), 64, path);
  if (!text) return "";
  std::string t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

// Where a limit's soft and hard values come from: "FILE:LINE", "FILE:LINE,LINE" or both.
std::string origins(const LimitValue& v) {
  if (v.soft_origin.empty() || v.soft_origin == v.hard_origin) return v.hard_origin;
  if (v.hard_origin.empty()) return v.soft_origin;
  const auto colon = v.soft_origin.rfind(':');
  if (v.hard_origin.compare(0, colon + 1, v.soft_origin, 0, colon + 1) == 0) {
    return v.soft_origin + "," + v.hard_origin.substr(colon + 1);
  }
  return v.soft_origin + ", " + v.hard_origin;
}

}  // namespace

Result<UserSession> plan_user_session(const Identity& id, std::string_view netns,
                                      std::string_view command) {
  UserSession s;
  s.uid = id.uid;
  const LimitsUser user = limits_user(id);
  s.who = (user.name.empty() ? std::string("uid ") : printable_name(user.name) + " (uid ") +
          std::to_string(id.uid) + (user.name.empty() ? "" : ")");

  auto files = read_limits_files();
  if (!files) return files.error().wrap("reading the user's resource limits");
  const LimitsPlan plan = evaluate_limits(*files, user, nr_open());
  s.warnings = plan.warnings;
  if (!plan.no_limits.empty()) {
    s.limits_text = "none (\"-\" entry at " + plan.no_limits + ")";
  } else {
    for (int r = 0; r < RLIM_NLIMITS; ++r) {
      const LimitValue& v = plan.limits[static_cast<std::size_t>(r)];
      if (!v.soft && !v.hard) continue;
      rlimit now{};
      if (::getrlimit(r, &now) < 0) continue;  // not known to this kernel
      rlimit want{v.soft.value_or(now.rlim_cur), v.hard.value_or(now.rlim_max)};
      want.rlim_cur = std::min(want.rlim_cur, want.rlim_max);
      s.rlimits.emplace_back(r, want);
      if (!s.limits_text.empty()) s.limits_text += ", ";
      s.limits_text += limit_item_name(r) + " " + rlim_text(want.rlim_cur) + ":" +
                       rlim_text(want.rlim_max) + " (" + origins(v) + ")";
    }
    s.nice = plan.priority.value_or(0);
    if (s.limits_text.empty()) s.limits_text = "none configured for this user";
  }

  s.scope = systemd_is_init();
  s.slice = "user-" + std::to_string(id.uid) + ".slice";
  // Namespace names are [A-Za-z0-9_.-] (common/names.h): valid in a unit name as they are.
  s.unit_prefix = "vpnns-exec-" + std::string(netns) + "-";
  s.description = "vpnns exec: " + printable_name(command) + " in network namespace " +
                  std::string(netns) + " for " + s.who;
  return s;
}

std::string user_session_unit(const UserSession& session, pid_t pid) {
  return session.unit_prefix + std::to_string(pid) + ".scope";
}

Status enter_user_session(const UserSession& s) {
  const pid_t self = ::getpid();
  if (s.scope) {
    VPNNS_TRY(start_scope(
        ScopeRequest{user_session_unit(s, self), s.slice, s.description, self, 15'000}));
  }
  // Absent without kernel audit support; otherwise a failure is an error (the command would
  // run unattributed).
  VPNNS_TRY(write_proc_self("loginuid", std::to_string(s.uid), true));
  VPNNS_TRY(write_proc_self("oom_score_adj", "0", false));
  sched_param param{};
  if (::sched_setscheduler(0, SCHED_OTHER, &param) < 0) {
    return sys_error("resetting the scheduling policy to SCHED_OTHER", errno);
  }
  // IOPRIO_WHO_PROCESS (1), class none (0): the I/O priority follows the nice value.
  if (::syscall(SYS_ioprio_set, 1, 0, 0) < 0) return sys_error("resetting the I/O priority", errno);
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &all);
  if (::sched_setaffinity(0, sizeof all, &all) < 0) {
    return sys_error("allowing every CPU (sched_setaffinity)", errno);
  }
  if (::setpriority(PRIO_PROCESS, 0, s.nice) < 0) {
    return sys_error("setting nice " + std::to_string(s.nice), errno);
  }
  for (const auto& [resource, value] : s.rlimits) {
    if (::setrlimit(resource, &value) < 0) {
      return sys_error("setting the limit " + limit_item_name(resource) + " to " +
                           rlim_text(value.rlim_cur) + ":" + rlim_text(value.rlim_max) +
                           " (limits.conf)",
                       errno);
    }
  }
  return ok_status();
}

std::string describe_user_session(const UserSession& s, pid_t pid) {
  std::string text = "pid " + std::to_string(pid) + " runs as " + s.who + "; ";
  if (s.scope) {
    text += "in " + user_session_unit(s, pid) + " under " + s.slice;
  } else {
    text +=
        "fallback, systemd is not PID 1: not in " + s.slice + " (stays in vpnns-execd's cgroup)";
  }
  const std::string loginuid = read_proc(pid, "loginuid");
  const std::string session = read_proc(pid, "sessionid");
  text += loginuid.empty() ? "; no loginuid (kernel without audit)"
                           : "; loginuid " + loginuid + ", audit session " + session;
  text += "; nice " + std::to_string(s.nice) + ", oom_score_adj 0; limits: " + s.limits_text;
  return text;
}

std::string user_session_mode() {
  if (systemd_is_init()) {
    return "systemd is PID 1: each command runs in a transient scope vpnns-exec-NAME-PID.scope "
           "under its user's user-UID.slice, with the user's limits (limits.conf), loginuid, "
           "nice 0 and oom_score_adj 0";
  }
  return "fallback: systemd is not PID 1 (no /run/systemd/system), so commands cannot join "
         "their user's user-UID.slice and stay in vpnns-execd's cgroup; the user's limits "
         "(limits.conf), loginuid, nice 0 and oom_score_adj 0 are applied directly";
}

}  // namespace vpnns
