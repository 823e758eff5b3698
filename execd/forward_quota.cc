// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/forward_quota.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>

namespace vpnns {
namespace {

constexpr std::size_t kRecord = 11;  // "%10zu\n"

// The count in a file another session holds locked; 0 for a stale file (removed) or garbage.
std::size_t read_count(int dir_fd, const char* name) {
  UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return 0;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) {
    (void)::unlinkat(dir_fd, name, 0);  // nobody holds it: its session is gone
    return 0;
  }
  char buf[kRecord] = {};
  const ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
  if (n <= 0) return 0;
  const char* p = buf;
  while (p < buf + n && *p == ' ') ++p;
  std::size_t v = 0;
  (void)std::from_chars(p, buf + n, v);
  return v;
}

}  // namespace

Result<ForwardQuota> ForwardQuota::open(uid_t uid, const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
    return sys_error("creating " + dir, errno);
  }
  struct stat st = {};
  if (::lstat(dir.c_str(), &st) < 0) return sys_error("stat " + dir, errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0) {
    return Error(Code::kPermissionDenied, dir + " must be a directory of root's, mode 0700");
  }
  const std::string path = dir + "/" + std::to_string(uid) + "." + std::to_string(::getpid());
  // Made under another name and renamed once locked, so that no reader takes it for stale.
  const std::string fresh = path + ".new";
  UniqueFd fd(::open(fresh.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return sys_error("creating " + fresh, errno);
  if (::flock(fd.get(), LOCK_EX) < 0) return sys_error("locking " + fresh, errno);
  ForwardQuota quota(dir, path, uid, std::move(fd));
  quota.publish(0);
  if (::rename(fresh.c_str(), path.c_str()) < 0) {
    const int err = errno;
    (void)::unlink(fresh.c_str());
    return sys_error("renaming " + fresh, err);
  }
  return quota;
}

ForwardQuota::~ForwardQuota() {
  if (fd_) (void)::unlink(path_.c_str());
}

void ForwardQuota::publish(std::size_t mine) {
  mine_ = mine;
  char buf[kRecord + 1];
  std::snprintf(buf, sizeof buf, "%10zu\n", mine);
  (void)::pwrite(fd_.get(), buf, kRecord, 0);
}

std::size_t ForwardQuota::total() const {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir_.c_str()), ::closedir);
  if (!d) return mine_;
  const std::string prefix = std::to_string(uid_) + ".";
  const std::string own = path_.substr(path_.rfind('/') + 1);
  std::size_t sum = mine_;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (!name.starts_with(prefix) || name == own || name.ends_with(".new")) continue;
    sum += read_count(::dirfd(d.get()), e->d_name);
  }
  return sum;
}

}  // namespace vpnns
