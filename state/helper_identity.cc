// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/helper_identity.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <string>

#include "state/process_info.h"

namespace vpnns {
namespace {

std::optional<std::string> read_at(int dir, const char* name) {
  UniqueFd fd(::openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;  // ESRCH: the process is gone
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 64 * 1024) return std::nullopt;
  }
  return text;
}

// "Uid:\treal\teffective\tsaved\tfs": all four 0.
bool all_uids_root(const std::string& status) {
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("Uid:")) continue;
    std::istringstream fields(line.substr(4));
    unsigned long uid = 0;
    int count = 0;
    while (fields >> uid) {
      if (uid != 0) return false;
      ++count;
    }
    return count == 4;
  }
  return false;
}

}  // namespace

std::optional<RunningHelper> running_helper(const HelperId& id) {
  if (id.pid <= 0) return std::nullopt;
  // Held first: if the pid is reused after this, the pidfd reports the death of the process it
  // was opened for, and the final check below catches it. (glibc 2.36's <sys/pidfd.h> lacks
  // extern "C"; the system call is simple enough.)
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, id.pid, 0)));
  if (!pidfd && errno == ESRCH) return std::nullopt;
  const std::string dir_path = "/proc/" + std::to_string(id.pid);
  UniqueFd dir(::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return std::nullopt;

  const auto stat_text = read_at(dir.get(), "stat");
  if (!stat_text) return std::nullopt;
  const auto info = parse_proc_stat(*stat_text);
  if (!info || info->state == 'Z' || info->state == 'X' || info->comm != kHelperComm) {
    return std::nullopt;
  }
  if (id.start_time && info->start_time != *id.start_time) return std::nullopt;
  const auto status = read_at(dir.get(), "status");
  if (!status || !all_uids_root(*status)) return std::nullopt;

  if (pidfd) {
    // Still alive after the last read: every read above was of the process the pidfd holds.
    pollfd p{pidfd.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) != 0) return std::nullopt;  // exited (or cannot tell: not held)
  }
  return RunningHelper{id.pid, info->start_time, std::move(pidfd)};
}

HelperId own_helper_id() {
  HelperId id{::getpid(), std::nullopt};
  if (const auto info = process_info(id.pid)) id.start_time = info->start_time;
  return id;
}

}  // namespace vpnns
