// SPDX-License-Identifier: GPL-2.0-or-later
// A command started by vpnns-execd runs as part of its caller's user session, not in the
// service's context.
//
// Without this, the command would inherit everything of vpnns-execd that is not its identity:
// its cgroup (vpnns-execd.service, outside the user's user-UID.slice: no TasksMax=/MemoryMax= of
// the user's, not ended by logind's KillUserProcesses=), its resource limits, its audit loginuid
// (unset: audit would attribute the command to nobody), its oom_score_adj, nice value, I/O and
// CPU scheduling. So the command's child, still root, just before it drops to the user
// (launch.h's join_session), does what a login does for a session's processes:
//
//   scope      when systemd is PID 1: a transient scope vpnns-exec-NAME-PID.scope (NAME the
//              namespace, PID the command's) under Slice=user-UID.slice, made with sd-bus
//              (systemd_scope.h), waiting for the job. The user's slice limits, accounting and
//              KillUserProcesses= now cover it; `systemctl status` shows it under the user.
//              When systemd is not PID 1 there is no slice to join: the command stays in the
//              service's cgroup, and vpnns-execd says so in its log (at start and per command).
//              A scope that systemd refuses is an error: the command is refused, not run
//              outside the user's slice.
//   loginuid   /proc/self/loginuid := the caller's uid (what pam_loginuid does for cron, a
//              service starting a user's job); the kernel gives the command a fresh audit
//              session id with it. A kernel without audit has no such file: skipped, logged.
//   limits     the user's resource limits from limits.conf and limits.d (user_limits.h: why
//              not the PAM stack); what they do not name keeps the service's values, which
//              under systemd are its DefaultLimit*= — as for sshd's logins.
//   priority   nice := limits.conf's "priority" for the user, else 0; oom_score_adj := 0; I/O
//              priority reset (it then follows nice); scheduling policy SCHED_OTHER; CPU
//              affinity: every CPU. None of the service's own settings is passed on.
//
// The plan (which scope, which limits) is made in the session process before the fork, from
// the kernel's record of the caller (SO_PEERCRED, SO_PEERGROUPS) and root-owned files; the child
// only applies it. Everything here runs as root and trusts: systemd and the system bus, the
// files under /etc/security (owner and mode checked), the passwd and group databases.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "execd/launch.h"

namespace vpnns {

struct UserSession {
  uid_t uid = 0;
  std::string who;                              // "alice (uid 1000)"
  std::vector<std::pair<int, rlimit>> rlimits;  // resource, final soft:hard
  int nice = 0;
  std::string limits_text;            // for the log: "nofile 512:4096 (FILE:LINE), ..."
  std::vector<std::string> warnings;  // lines of the limits files that were skipped
  bool scope = false;                 // systemd is PID 1
  std::string slice;                  // user-UID.slice
  std::string unit_prefix;            // vpnns-exec-NAME-
  std::string description;
};

// In the session process, before the fork.
Result<UserSession> plan_user_session(const Identity& id, std::string_view netns,
                                      std::string_view command);

// In the command's child, as root, before it drops to the user.
Status enter_user_session(const UserSession& session);

// "vpnns-exec-NAME-PID.scope".
std::string user_session_unit(const UserSession& session, pid_t pid);

// One log line about the started command `pid`: its scope (or the fallback), loginuid and audit
// session (read back from /proc), nice, oom_score_adj, limits.
std::string describe_user_session(const UserSession& session, pid_t pid);

// The service's start-up line: scopes in the users' slices, or the fallback.
std::string user_session_mode();

}  // namespace vpnns
