// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/session_registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/read_fd.h"

namespace vpnns {
namespace {

std::string read_small(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return "";
  auto text = read_fd(fd.get(), 4096, path);
  return text ? *text : "";
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() < 11 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

unsigned long long process_start_time(pid_t pid) {
  const std::string stat =
      read_small(pid == 0 ? "/proc/self/stat" : "/proc/" + std::to_string(pid) + "/stat");
  // "PID (COMM) S PPID ...": COMM may hold anything, so count the fields after its last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  const char* p = stat.c_str() + close + 1;
  // Field 3 (state) is the first after ')'; the start time is field 22.
  for (int field = 3; field < 22; ++field) {
    while (*p == ' ') ++p;
    while (*p != ' ' && *p != '\0') ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

Result<SessionRegistry> SessionRegistry::open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
    return sys_error("creating the sessions directory " + dir, errno);
  }
  struct stat st = {};
  if (::lstat(dir.c_str(), &st) < 0) return sys_error("stat " + dir, errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0) {
    return Error(Code::kPermissionDenied,
                 "the sessions directory " + dir + " must be a directory of root's, mode 0700");
  }
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return sys_error("epoll_create1", errno);
  SessionRegistry registry(dir, std::move(epoll));
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return sys_error("reading " + dir, errno);
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  for (const std::string& name : names) {
    if (all_digits(name)) {
      registry.adopt_or_remove(static_cast<pid_t>(std::atol(name.c_str())));
    } else if (name.starts_with(".") && name.ends_with(".tmp") && name.size() > 5 &&
               all_digits(name.substr(1, name.size() - 5)) &&
               process_start_time(std::atoi(name.c_str() + 1)) == 0) {
      // A record half-written by a session that is gone.
      (void)::unlink((dir + "/" + name).c_str());
    }
  }
  return registry;
}

void SessionRegistry::adopt_or_remove(pid_t pid) {
  const std::string record = read_small(dir_ + "/" + std::to_string(pid));
  unsigned uid = 0;
  unsigned long long start = 0;
  if (std::sscanf(record.c_str(), "%u %llu", &uid, &start) != 2) return remove_record(pid);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  // Opened first, compared second: if the start time matches now, the pidfd is the very
  // process that wrote the record.
  if (!pidfd || process_start_time(pid) != start) return remove_record(pid);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<std::uint64_t>(pid);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd.get(), &ev) < 0) {
    std::fprintf(stderr, "vpnns-execd: cannot watch session pid %d: %s\n", static_cast<int>(pid),
                 std::strerror(errno));
  }
  adopted_.emplace(pid, Adopted{static_cast<uid_t>(uid), std::move(pidfd)});
}

void SessionRegistry::remove_record(pid_t pid) const {
  (void)::unlink((dir_ + "/" + std::to_string(pid)).c_str());
}

Status SessionRegistry::record_self(uid_t uid) const {
  const pid_t self = ::getpid();
  const std::string path = dir_ + "/" + std::to_string(self);
  const std::string tmp = dir_ + "/." + std::to_string(self) + ".tmp";
  const std::string text = std::to_string(uid) + " " + std::to_string(process_start_time(0)) + "\n";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return sys_error("creating " + tmp, errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return sys_error("writing " + tmp, errno);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) < 0) return sys_error("renaming " + tmp, errno);
  return ok_status();
}

void SessionRegistry::started(pid_t pid, uid_t uid) {
  // An adopted session with this pid is gone (its pid was free for the fork); its record is
  // now this session's: keep the file, drop the old entry.
  adopted_.erase(pid);
  own_[pid] = uid;
}

void SessionRegistry::reaped(pid_t pid) {
  if (own_.erase(pid) > 0) remove_record(pid);
}

void SessionRegistry::check_adopted() {
  epoll_event events[16];
  const int n = ::epoll_wait(epoll_.get(), events, 16, 0);
  for (int i = 0; i < n; ++i) {
    const auto pid = static_cast<pid_t>(events[i].data.u64);
    if (adopted_.erase(pid) > 0) remove_record(pid);
  }
}

std::size_t SessionRegistry::count(uid_t uid) const {
  std::size_t n = 0;
  for (const auto& [pid, u] : own_) n += u == uid ? 1 : 0;
  for (const auto& [pid, a] : adopted_) n += a.uid == uid ? 1 : 0;
  return n;
}

}  // namespace vpnns
