// SPDX-License-Identifier: GPL-2.0-or-later
// vpnns-execd's running sessions, per uid, counted so that the caps (main.cc) hold across a
// restart of the service.
//
// The service's commands outlive it (KillMode=process: a package upgrade restarts the service,
// not the commands), so a cap counted in memory alone would start from zero after every restart,
// and a member could then run the cap again on top of what still runs. Two ways were open: a
// persisted count, or counting what really runs. A count on disk drifts (a crash between fork
// and update, a session that ends while no service watches it); so each session leaves a record
// and the records are only believed against the live process table:
//
//   SOCKET.sessions/PID     "UID STARTTIME\n", root 0600, in a root-only 0700 directory beside
//                           the socket (one registry per socket: two services never mix)
//
// written by the session process itself, first thing after the fork (so no crash of the service
// can leave a running session unrecorded; STARTTIME is field 22 of /proc/self/stat, the clock
// tick it started at). The service adds the same session to its count in memory at the fork and
// removes record and count when it reaps the session. A service that starts reads every record:
// one whose PID runs with the same start time is a session of an earlier service — it is counted
// and watched through a pidfd (opened first, the start time compared after, so the pidfd is that
// very process); any other record (the process is gone, or its pid now belongs to another
// process) is removed. So the count is at every moment the number of live session processes,
// whatever happened to the services in between.
//
// Trusts: root-owned files in a root-only directory.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns {

class SessionRegistry {
 public:
  // Creates `dir` (0700) if needed, refuses one that is not root's alone, and adopts the live
  // sessions recorded there.
  static Result<SessionRegistry> open(const std::string& dir);

  // In the session process, first: this process serves `uid`.
  Status record_self(uid_t uid) const;
  // In the service: a session forked; a session reaped.
  void started(pid_t pid, uid_t uid);
  void reaped(pid_t pid);

  // Readable when a session of an earlier service may have ended; then call check_adopted().
  [[nodiscard]] int fd() const { return epoll_.get(); }
  void check_adopted();

  [[nodiscard]] std::size_t count() const { return own_.size() + adopted_.size(); }
  [[nodiscard]] std::size_t count(uid_t uid) const;
  [[nodiscard]] std::size_t adopted() const { return adopted_.size(); }
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  struct Adopted {
    uid_t uid;
    UniqueFd pidfd;
  };
  SessionRegistry(std::string dir, UniqueFd epoll)
      : dir_(std::move(dir)), epoll_(std::move(epoll)) {}
  void adopt_or_remove(pid_t pid);
  void remove_record(pid_t pid) const;

  std::string dir_;
  UniqueFd epoll_;
  std::map<pid_t, uid_t> own_;
  std::map<pid_t, Adopted> adopted_;
};

// The start time (clock ticks after boot) of process `pid` ("self" for 0), or 0 if gone.
unsigned long long process_start_time(pid_t pid);

}  // namespace vpnns
