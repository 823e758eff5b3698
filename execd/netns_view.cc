// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/netns_view.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/unique_fd.h"

namespace vpnns {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { (void)::closedir(d); }
};

// Directories whose sockets carry name resolution out of the namespace.
constexpr const char* kResolverDirs[] = {"/run/systemd/resolve", "/run/nscd", "/var/run/nscd"};

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Result<std::string> real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return sys_error("resolving " + path, errno);
  return std::string(real.get());
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Step 1: an empty tmpfs over each resolver directory that exists. Returns their real paths.
Result<std::vector<std::string>> hide_resolver_sockets() {
  std::vector<std::string> hidden;
  for (const char* dir : kResolverDirs) {
    auto real = real_path(dir);
    if (!real) {
      if (real.error().sys_errno() == ENOENT) continue;
      return real.error();
    }
    struct stat st = {};
    if (::stat(real->c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (std::ranges::find(hidden, *real) != hidden.end()) continue;  // /var/run -> /run
    if (::mount("vpnns-hidden", real->c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=0755,size=64k") < 0) {
      return sys_error("hiding " + *real + " (a tmpfs over it)", errno);
    }
    hidden.push_back(*real);
  }
  return hidden;
}

// Where a bind over `dst` (in /etc) lands: `dst` itself, or the end of its symlink chain. A
// dangling chain that ends in a hidden directory gets its file created there (a private tmpfs).
Result<std::string> bind_target(const std::string& dst, const std::vector<std::string>& hidden) {
  std::string path = dst;
  for (int hops = 0; hops < 16; ++hops) {
    struct stat st = {};
    if (::lstat(path.c_str(), &st) < 0) {
      const int err = errno;
      if (err != ENOENT) return sys_error("lstat " + path, err);
      if (path == dst) {
        return Error(Code::kNotFound, dst + " does not exist (nothing is created in /etc)");
      }
      auto dir = real_path(dir_of(path));
      if (dir && std::ranges::find(hidden, *dir) != hidden.end()) {
        const std::string file = *dir + "/" + base_of(path);
        UniqueFd fd(
            ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!fd) return sys_error("creating " + file + " in the hidden " + *dir, errno);
        return file;
      }
      return Error(Code::kNotFound, dst + " is a symlink to " + path + ", which does not exist");
    }
    if (!S_ISLNK(st.st_mode)) return path;
    char buf[4096];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return sys_error("readlink " + path, errno);
    std::string target(buf, static_cast<std::size_t>(n));
    if (target.empty()) return Error(Code::kNotFound, path + " is an empty symlink");
    if (target.front() != '/') target = dir_of(path) + "/" + target;
    path = target;
  }
  return Error(Code::kFailedPrecondition, dst + ": too many levels of symlinks");
}

// Step 2: /etc/netns/NAME/* over /etc/*.
Status bind_etc(const std::string& name, const std::vector<std::string>& hidden) {
  const std::string src_dir = "/etc/netns/" + name;
  UniqueFd dir(::open(src_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    const int err = errno;
    if (err == ENOENT) return ok_status();  // dns=no: the host's files stay
    return sys_error("opening " + src_dir, err);
  }
  auto untrusted = [&](const std::string& what, const struct stat& st) -> std::string {
    if (st.st_uid != 0) return what + " is owned by uid " + std::to_string(st.st_uid);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
      return what + " is writable by group or others (mode " + mode_text(st.st_mode) + ")";
    }
    return {};
  };
  struct stat st = {};
  if (::fstat(dir.get(), &st) < 0) return sys_error("fstat " + src_dir, errno);
  if (std::string why = untrusted(src_dir, st); !why.empty()) {
    return Error(Code::kPermissionDenied, "refusing to use " + src_dir + ": " + why);
  }
  std::unique_ptr<DIR, DirCloser> d(::fdopendir(::dup(dir.get())));
  if (!d) return sys_error("reading " + src_dir, errno);
  std::vector<std::string> entries;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string entry = e->d_name;
    if (entry != "." && entry != "..") entries.push_back(entry);
  }
  std::sort(entries.begin(), entries.end());
  for (const std::string& entry : entries) {
    const std::string src = src_dir + "/" + entry;
    if (::fstatat(dir.get(), entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      return sys_error("lstat " + src, errno);
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
      return Error(Code::kPermissionDenied,
                   "refusing to use " + src + ": neither a file nor a directory");
    }
    if (std::string why = untrusted(src, st); !why.empty()) {
      return Error(Code::kPermissionDenied, "refusing to use " + src + ": " + why);
    }
    VPNNS_ASSIGN_OR_RETURN(const std::string target, bind_target("/etc/" + entry, hidden));
    if (::mount(src.c_str(), target.c_str(), "none", MS_BIND, nullptr) < 0) {
      return sys_error("bind-mounting " + src + " on " + target, errno);
    }
  }
  return ok_status();
}

// Step 3: a sysfs of the namespace on /sys, with the host's cgroup hierarchy carried over.
Status remount_sys() {
  struct statvfs vfs = {};
  const bool read_only = ::statvfs("/sys", &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
  // A detached copy of /sys/fs/cgroup and everything below it; best effort (no cgroup, no copy).
  UniqueFd cgroup(static_cast<int>(
      ::open_tree(AT_FDCWD, "/sys/fs/cgroup", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
  if (::umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL) {
    return sys_error("unmounting the host's /sys", errno);
  }
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (read_only) flags |= MS_RDONLY;
  if (::mount("sysfs", "/sys", "sysfs", flags, nullptr) < 0) {
    return sys_error("mounting a sysfs of the namespace on /sys", errno);
  }
  if (cgroup) {
    (void)::move_mount(cgroup.get(), "", AT_FDCWD, "/sys/fs/cgroup", MOVE_MOUNT_F_EMPTY_PATH);
  }
  return ok_status();
}

}  // namespace

Status prepare_netns_view(const std::string& netns_name) {
  VPNNS_ASSIGN_OR_RETURN(const std::vector<std::string> hidden, hide_resolver_sockets());
  VPNNS_TRY(bind_etc(netns_name, hidden));
  VPNNS_TRY(remount_sys());
  return ok_status();
}

}  // namespace vpnns
