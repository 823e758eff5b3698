// SPDX-License-Identifier: GPL-2.0-or-later
#include "state/netns_marker.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "common/names.h"

namespace vpnns {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { (void)::closedir(d); }
};

// A marker is one short line; anything longer is not one.
constexpr std::size_t kMaxMarkerSize = 64;

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Why `st` (of `what`) is not something only root can have written; empty if it is.
std::string untrusted_reason(const struct stat& st, const std::string& what, bool allow_sticky) {
  if (st.st_uid != 0) return what + " is owned by uid " + std::to_string(st.st_uid) + ", not root";
  const bool sticky = allow_sticky && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky) {
    return what + " is writable by group or others (mode " + mode_text(st.st_mode) + ")";
  }
  return {};
}

// Creates `path` (0755) if missing and checks that root owns it and nobody else may write it.
Result<UniqueFd> trusted_dir_for_writing(const std::string& path) {
  bool created = false;
  if (::mkdir(path.c_str(), 0755) == 0) {
    created = true;
  } else if (errno != EEXIST) {
    return sys_error("creating " + path, errno);
  }
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return sys_error("opening " + path, errno);
  if (created && ::fchmod(dir.get(), 0755) < 0) return sys_error("chmod 0755 " + path, errno);
  struct stat st = {};
  if (::fstat(dir.get(), &st) < 0) return sys_error("fstat " + path, errno);
  if (std::string why = untrusted_reason(st, path, false); !why.empty()) {
    return Error(Code::kPermissionDenied, "refusing to write namespace markers there: " + why);
  }
  return dir;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

Result<NetnsId> id_of(int fd, const std::string& what) {
  struct stat st = {};
  if (::fstat(fd, &st) < 0) return sys_error("fstat " + what, errno);
  return NetnsId{st.st_dev, st.st_ino};
}

std::string id_text(NetnsId id) {
  std::string s = format_netns_marker(id);
  s.pop_back();
  return s;
}

// Every directory from `dir` up to "/" must belong to root and be writable only by root (or be
// sticky, like /tmp, where only root may rename root's files).
Status check_marker_dirs(const std::string& dir, const std::string& marker) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(dir.c_str(), nullptr), &std::free);
  if (!real) {
    const int err = errno;
    if (err == ENOENT) {
      return Error(Code::kNotFound,
                   "no marker " + marker + " (no vpnns-helper has written any marker yet)");
    }
    return sys_error("resolving " + dir, err);
  }
  std::string d(real.get());
  for (;;) {
    struct stat st = {};
    if (::stat(d.c_str(), &st) < 0) return sys_error("stat " + d, errno);
    if (std::string why = untrusted_reason(st, "directory " + d, true); !why.empty()) {
      return Error(Code::kPermissionDenied, "the marker " + marker + " cannot be trusted: " + why);
    }
    if (d == "/") return ok_status();
    d = parent_of(d);
  }
}

}  // namespace

std::string printable_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 80)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (name.size() > 80) out += "...";
  return out;
}

const char* role_word(Role role) { return role == Role::kServer ? "server" : "client"; }

std::string format_netns_marker(NetnsId id, std::optional<Role> role) {
  return std::to_string(static_cast<unsigned long long>(id.dev)) + ":" +
         std::to_string(static_cast<unsigned long long>(id.ino)) +
         (role ? std::string(" ") + role_word(*role) : std::string()) + "\n";
}

Result<NetnsId> parse_netns_marker(std::string_view content) {
  VPNNS_ASSIGN_OR_RETURN(NetnsMarker m, parse_netns_marker_record(content));
  return m.id;
}

Result<NetnsMarker> parse_netns_marker_record(std::string_view content) {
  auto bad = [&] {
    return Error(Code::kInvalidArgument, "malformed content '" + printable_name(content) +
                                             "' (expected one line DEV:INO ROLE)");
  };
  if (content.size() < 4 || content.back() != '\n') return bad();
  content.remove_suffix(1);
  std::optional<Role> role;
  if (const auto space = content.find(' '); space != std::string_view::npos) {
    const std::string_view word = content.substr(space + 1);
    if (word == "client") {
      role = Role::kClient;
    } else if (word == "server") {
      role = Role::kServer;
    } else {
      return bad();
    }
    content = content.substr(0, space);
  }
  const auto colon = content.find(':');
  if (colon == std::string_view::npos) return bad();
  auto number = [](std::string_view s, unsigned long long& out) {
    if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  unsigned long long dev = 0, ino = 0;
  if (!number(content.substr(0, colon), dev) || !number(content.substr(colon + 1), ino)) {
    return bad();
  }
  return NetnsMarker{NetnsId{static_cast<dev_t>(dev), static_cast<ino_t>(ino)}, role};
}

Result<MarkerDir> MarkerDir::open(const NetnsPaths& paths) {
  VPNNS_ASSIGN_OR_RETURN(UniqueFd parent, trusted_dir_for_writing(parent_of(paths.marker_dir)));
  VPNNS_ASSIGN_OR_RETURN(UniqueFd dir, trusted_dir_for_writing(paths.marker_dir));
  return MarkerDir(std::move(dir), paths.marker_dir);
}

Status MarkerDir::write(const std::string& name, int netns_fd, Role role) {
  if (!is_valid_netns_name(name)) {
    return Error(Code::kInvalidArgument, "invalid namespace name '" + printable_name(name) + "'");
  }
  VPNNS_ASSIGN_OR_RETURN(const NetnsId id, id_of(netns_fd, "the namespace " + name));
  const std::string path = path_ + "/" + name;
  // '~' is not a namespace-name character: a temporary file never passes for a marker.
  const std::string tmp = "~" + name + "~" + std::to_string(::getpid());
  (void)::unlinkat(dir_.get(), tmp.c_str(), 0);  // one left by a helper that died mid-write
  UniqueFd file(::openat(dir_.get(), tmp.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!file) return sys_error("creating " + path_ + "/" + tmp, errno);
  const std::string content = format_netns_marker(id, role);
  Status written = ok_status();
  if (::fchmod(file.get(), 0644) < 0) {
    written = sys_error("chmod 0644 " + path, errno);
  } else if (::pwrite(file.get(), content.data(), content.size(), 0) !=
             static_cast<ssize_t>(content.size())) {
    written = sys_error("writing " + path, errno);
  } else if (::renameat(dir_.get(), tmp.c_str(), dir_.get(), name.c_str()) < 0) {
    written = sys_error("renaming the new marker to " + path, errno);
  }
  if (!written) (void)::unlinkat(dir_.get(), tmp.c_str(), 0);
  return written;
}

Status MarkerDir::remove(const std::string& name) {
  if (!is_valid_netns_name(name)) {
    return Error(Code::kInvalidArgument, "invalid namespace name '" + printable_name(name) + "'");
  }
  if (::unlinkat(dir_.get(), name.c_str(), 0) < 0 && errno != ENOENT) {
    return sys_error("removing " + path_ + "/" + name, errno);
  }
  return ok_status();
}

Status write_netns_marker(const std::string& name, int netns_fd, Role role,
                          const NetnsPaths& paths) {
  VPNNS_ASSIGN_OR_RETURN(MarkerDir dir, MarkerDir::open(paths));
  return dir.write(name, netns_fd, role);
}

Result<UniqueFd> open_vpnns_netns(std::string_view name, const NetnsPaths& paths) {
  VPNNS_ASSIGN_OR_RETURN(MarkedNetns marked, open_marked_netns(name, paths));
  return std::move(marked.fd);
}

Result<MarkedNetns> open_marked_netns(std::string_view name, const NetnsPaths& paths) {
  const std::string quoted = "'" + printable_name(name) + "'";
  if (!is_valid_netns_name(name)) {
    return Error(Code::kInvalidArgument,
                 quoted +
                     " is not a valid network namespace name (1-64 characters of A-Z a-z 0-9 _ . "
                     "-, not . or ..)");
  }
  const std::string ns_path = paths.netns_dir + "/" + std::string(name);
  UniqueFd ns(::open(ns_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!ns) {
    const int err = errno;
    if (err == ENOENT) {
      return Error(Code::kNotFound,
                   "network namespace " + quoted + " does not exist (no " + ns_path + ")");
    }
    return sys_error("opening " + ns_path, err);
  }
  struct statfs fs = {};
  if (::fstatfs(ns.get(), &fs) < 0) return sys_error("statfs " + ns_path, errno);
  if (fs.f_type != NSFS_MAGIC || ::ioctl(ns.get(), NS_GET_NSTYPE) != CLONE_NEWNET) {
    return Error(Code::kFailedPrecondition, ns_path + " is not a network namespace");
  }
  VPNNS_ASSIGN_OR_RETURN(const NetnsId current, id_of(ns.get(), ns_path));

  const std::string marker = paths.marker_dir + "/" + std::string(name);
  const std::string not_vpnns = "network namespace " + quoted + " is not a vpnns namespace: ";
  if (Status s = check_marker_dirs(paths.marker_dir, marker); !s) {
    return Error(s.error().code(), not_vpnns + s.error().message(), s.error().sys_errno());
  }
  UniqueFd file(::open(marker.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!file) {
    const int err = errno;
    if (err == ENOENT) {
      return Error(
          Code::kNotFound,
          not_vpnns + "no marker " + marker +
              " (vpnns-helper writes it once openvpn with netns=" + printable_name(name) +
              " brought its tunnel up there and the namespace passed the isolation check)");
    }
    if (err == ELOOP) {
      return Error(Code::kPermissionDenied, not_vpnns + "the marker " + marker + " is a symlink");
    }
    return Error(Code::kSystem, not_vpnns + "opening the marker " + marker, err);
  }
  struct stat st = {};
  if (::fstat(file.get(), &st) < 0) return sys_error("fstat " + marker, errno);
  if (!S_ISREG(st.st_mode)) {
    return Error(Code::kPermissionDenied,
                 not_vpnns + "the marker " + marker + " is not a regular file");
  }
  if (std::string why = untrusted_reason(st, "the marker " + marker, false); !why.empty()) {
    return Error(Code::kPermissionDenied, not_vpnns + why);
  }
  char buf[kMaxMarkerSize + 1];
  const ssize_t n = ::read(file.get(), buf, sizeof buf);
  if (n < 0) return sys_error("reading " + marker, errno);
  if (static_cast<std::size_t>(n) > kMaxMarkerSize) {
    return Error(Code::kInvalidArgument, not_vpnns + "the marker " + marker + " is too long");
  }
  auto recorded = parse_netns_marker_record(std::string_view(buf, static_cast<std::size_t>(n)));
  if (!recorded) {
    return Error(Code::kInvalidArgument,
                 not_vpnns + "the marker " + marker + " has " + recorded.error().message());
  }
  if (!(recorded->id == current)) {
    return Error(Code::kFailedPrecondition,
                 not_vpnns + "the marker " + marker + " is stale: it names namespace " +
                     id_text(recorded->id) + ", but " + ns_path + " is " + id_text(current) +
                     " (the namespace was re-created since vpnns used it)");
  }

  UniqueFd own(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) return sys_error("opening /proc/self/ns/net", errno);
  VPNNS_ASSIGN_OR_RETURN(const NetnsId self, id_of(own.get(), "/proc/self/ns/net"));
  if (self == current) {
    return Error(Code::kFailedPrecondition,
                 "network namespace " + quoted + " is the one this process already runs in");
  }
  return MarkedNetns{std::move(ns), recorded->role};
}

std::vector<std::string> list_vpnns_netns(const NetnsPaths& paths) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, DirCloser> dir(::opendir(paths.marker_dir.c_str()));
  if (!dir) return names;
  while (const dirent* e = ::readdir(dir.get())) {
    const std::string_view name = e->d_name;
    if (!is_valid_netns_name(name)) continue;
    if (open_vpnns_netns(name, paths).ok()) names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace vpnns
