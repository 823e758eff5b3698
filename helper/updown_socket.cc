// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/updown_socket.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "state/process_info.h"

namespace vpnns {
namespace {

constexpr int kMaxGenerations = 4;

std::optional<pid_t> pid_of_name(std::string_view name) {
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc() || end != name.data() + name.size() || pid <= 0) return std::nullopt;
  return pid;
}

// A root-owned directory that nobody else may write to (created 0700 if missing).
Status ensure_private_dir(const std::string& dir) {
  const auto slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string parent = dir.substr(0, slash);
    if (::mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST) {
      return sys_error("mkdir " + parent, errno);
    }
  }
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return sys_error("mkdir " + dir, errno);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error("opening " + dir, errno);
  struct stat st = {};
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + dir, errno);
  if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error(Code::kPermissionDenied,
                 dir + " is not a directory that only root may write to; remove it");
  }
  return ok_status();
}

// Sockets of openvpn processes that are gone (a helper killed with SIGKILL leaves its own).
void remove_stale(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    auto pid = pid_of_name(e->d_name);
    if (!pid || process_running(*pid)) continue;
    (void)::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
}

}  // namespace

bool descends_from(pid_t pid, pid_t ancestor) {
  for (int i = 0; i < kMaxGenerations && pid > 1; ++i) {
    auto info = process_info(pid);
    if (!info) return false;
    if (info->ppid == ancestor) return true;
    pid = info->ppid;
  }
  return false;
}

Result<UpdownSocket> UpdownSocket::open(pid_t openvpn_pid, const std::string& dir) {
  VPNNS_TRY(ensure_private_dir(dir));
  remove_stale(dir);
  const std::string path = dns_updown_socket_path(openvpn_pid, dir);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return Error(Code::kInvalidArgument, "socket path " + path + " is too long");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return sys_error("socket for " + path, errno);
  if (::unlinkat(AT_FDCWD, path.c_str(), 0) < 0 && errno != ENOENT) {
    return sys_error("removing the old " + path, errno);
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    return sys_error("bind " + path, errno);
  }
  if (::listen(fd.get(), 4) < 0) {
    (void)::unlinkat(AT_FDCWD, path.c_str(), 0);
    return sys_error("listen " + path, errno);
  }
  return UpdownSocket(std::move(fd), path, openvpn_pid);
}

Result<UniqueFd> UpdownSocket::accept() {
  UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return sys_error("accept on " + path_, errno);
  return conn;
}

Status UpdownSocket::check_caller(int conn) const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    return sys_error("SO_PEERCRED on " + path_, errno);
  }
  std::string why;
  if (cred.uid != 0) {
    why = "uid " + std::to_string(cred.uid) + " is not root";
  } else if (!descends_from(cred.pid, openvpn_pid_)) {
    why = "process " + std::to_string(cred.pid) + " is not a child of openvpn (pid " +
          std::to_string(openvpn_pid_) + ")";
  }
  if (!why.empty()) return Error(Code::kPermissionDenied, "dns-updown connection refused: " + why);
  return ok_status();
}

void UpdownSocket::remove() {
  if (path_.empty()) return;
  (void)::unlinkat(AT_FDCWD, path_.c_str(), 0);
  path_.clear();
  listen_.reset();
}

}  // namespace vpnns
