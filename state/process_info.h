// SPDX-License-Identifier: GPL-2.0-or-later
// What /proc says about a process: its name, state, parent and start time.
//
// A pid alone does not identify a process for long: pids are reused. A state file therefore
// records its helper's pid *and* start time (field 22 of /proc/PID/stat, in clock ticks after
// boot), and a helper is alive only if a process with that pid, that start time and the name
// vpnns-helper exists and is not a zombie. Reading /proc/PID/stat needs no privileges.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace vpnns {

inline constexpr const char* kHelperComm = "vpnns-helper";

struct ProcessInfo {
  std::string comm;  // the name between the parentheses (at most 15 characters)
  char state = '?';  // R, S, D, Z, ...
  pid_t ppid = 0;
  std::uint64_t start_time = 0;
};

// Parses the text of /proc/PID/stat; nullopt if it is malformed.
std::optional<ProcessInfo> parse_proc_stat(std::string_view text);

// Reads /proc/PID/stat; nullopt if there is no such process.
std::optional<ProcessInfo> process_info(pid_t pid);

// Alive and not a zombie.
bool process_running(pid_t pid);

// The helper that wrote a state file, still running: same pid and start time, named
// vpnns-helper, not a zombie, uid 0 (helper_identity.h).
bool helper_running(pid_t pid, std::uint64_t start_time);

// A process's effective uid from /proc/PID/status (the kernel's word, not the process's): the
// seal follows openvpn's privilege drop with it, vpnnsctl status shows it.
Result<uid_t> effective_uid_of(pid_t pid);

}  // namespace vpnns
