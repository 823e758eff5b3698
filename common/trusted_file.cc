// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/trusted_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace vpnns {
namespace {

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

Result<UniqueFd> open_trusted_file(const std::string& path, const std::string& what,
                                   Access access) {
  const std::string arg = what + "=" + path;
  auto untrusted = [&](const std::string& why) {
    return Error(Code::kPermissionDenied,
                 arg + ": " + why + "; it decides what a root process does, so it must be a file " +
                     "only root can replace");
  };
  if (path.empty() || path.front() != '/') return untrusted("not an absolute path");
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  const int real_err = errno;
  if (!real) return Error(Code::kNotFound, arg + ": cannot resolve the path", real_err);
  const int flags = access == Access::kExecute ? O_PATH : O_RDONLY;
  UniqueFd fd(::open(real.get(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  const int open_err = errno;
  if (!fd) return Error(Code::kNotFound, arg + ": cannot open", open_err);

  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0) return sys_error(arg + ": fstat", errno);
  if (!S_ISREG(st.st_mode)) return untrusted("not a regular file");
  if (st.st_uid != 0) return untrusted("owned by uid " + std::to_string(st.st_uid));
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return untrusted("writable by group or others (mode " + mode_text(st.st_mode) + ")");
  }
  if (access == Access::kExecute && (st.st_mode & S_IXUSR) == 0) {
    return Error(Code::kPermissionDenied, arg + ": not executable");
  }

  // Every directory above it: whoever may rename entries there may replace the file.
  std::string dir(real.get());
  while (dir.size() > 1) {
    dir.erase(dir.rfind('/'));
    if (dir.empty()) dir = "/";
    struct stat ds = {};
    if (::stat(dir.c_str(), &ds) < 0) return sys_error(arg + ": stat " + dir, errno);
    if (ds.st_uid != 0) {
      return untrusted("directory " + dir + " is owned by uid " + std::to_string(ds.st_uid));
    }
    const bool sticky = (ds.st_mode & S_ISVTX) != 0;
    if ((ds.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky) {
      return untrusted("directory " + dir + " is writable by group or others (mode " +
                       mode_text(ds.st_mode) + ")");
    }
  }
  return fd;
}

}  // namespace vpnns
