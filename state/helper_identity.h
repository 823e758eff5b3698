// SPDX-License-Identifier: GPL-2.0-or-later
// Is that pid a running vpnns-helper? Asked wherever a pid decides something: a seal table's
// owner (helper/seal.cc: is the table another instance's?), `vpnnsctl reset` (refuse while a
// helper owns the instance), a state file's writer (status, the next helper's start).
//
// A pid and a process name prove nothing: a dead helper's pid is in its state file and its
// table's comment, pids are reused, and anyone can run a program called vpnns-helper (a copy,
// a symlink: the kernel names a process after the file it executed). So a process counts as a
// running helper only if all of these hold, read from one descriptor of /proc/PID (whose reads
// fail once that process is gone, even if the pid is reused meanwhile) and with the process held
// by a pidfd (pidfd_open) from before the first read to after the last one, which must find it
// still alive — so every answer describes one and the same process:
//
//   * it is alive (not a zombie) and named vpnns-helper (/proc/PID/stat);
//   * its start time (field 22 of /proc/PID/stat, clock ticks after boot) is the one recorded
//     with the pid, when one was recorded (state files and new seal comments record it): a pid
//     reused by any later process, whatever its name or owner, does not match;
//   * its real, effective, saved and file-system uids are all 0 (/proc/PID/status): the helper
//     keeps uid 0 for its whole life, and a local user's process, set-uid programs included
//     (their real uid stays the user's), is never taken for it.
//
// Reading /proc/PID/stat and /proc/PID/status needs no privilege.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "common/unique_fd.h"

namespace vpnns {

// Who wrote a record: a pid and that process's start time.
struct HelperId {
  pid_t pid = 0;
  std::optional<std::uint64_t> start_time;  // nullopt: the record has none (older format)
};

// A running helper, still held: `pidfd` refers to the process every check was made on (invalid
// only where the kernel has no pidfd_open).
struct RunningHelper {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  UniqueFd pidfd;
};

// The running helper `id` names, or nullopt (every check above).
std::optional<RunningHelper> running_helper(const HelperId& id);

// This process's own identity (pid and start time), for the records it writes.
HelperId own_helper_id();

}  // namespace vpnns
