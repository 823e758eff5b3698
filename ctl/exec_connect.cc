// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/exec_connect.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exec_ipc/exec_wire.h"

namespace vpnns::ctl {
namespace {

std::string own_user_name() {
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) return pw->pw_name;
  return "uid " + std::to_string(::getuid());
}

// The socket's group refused us: the service's own words, plus a hint when the group lists us
// but this login session predates it.
std::string not_in_group(const std::string& socket_path) {
  struct stat st = {};
  std::string group = "vpnns";
  bool listed = false;
  const std::string user = own_user_name();
  if (::stat(socket_path.c_str(), &st) == 0) {
    if (const struct group* g = ::getgrgid(st.st_gid); g != nullptr) {
      group = g->gr_name;
      for (char** m = g->gr_mem; m != nullptr && *m != nullptr; ++m) listed = listed || user == *m;
    } else {
      group = "gid " + std::to_string(st.st_gid);
    }
  }
  std::string text = exec_not_in_group_message(user, group);
  if (listed) {
    text +=
        " (the group lists you, but this login session started before you were added: log "
        "in again)";
  }
  return text;
}

}  // namespace

Result<UniqueFd> connect_service(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return Error(Code::kInvalidArgument, "socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  const int err = errno;
  switch (err) {
    case EACCES:
    case EPERM:
      return Error(Code::kPermissionDenied, not_in_group(path));
    case ENOENT:
      return Error(Code::kUnavailable,
                   "vpnns-execd is not running: no socket at " + path +
                       " (an administrator enables it with `systemctl enable --now "
                       "vpnns-execd.socket`; root can run vpnnsctl exec without it)");
    case ECONNREFUSED:
      return Error(Code::kUnavailable, "vpnns-execd is not running: nothing listens on " + path);
    default:
      return sys_error("connecting to vpnns-execd at " + path, err);
  }
}

}  // namespace vpnns::ctl
