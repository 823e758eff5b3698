// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/ns_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vpnns {

Result<UniqueFd> endpoint_socket(const SocketEndpoint& e) {
  const bool tcp = e.kind == SocketKind::kTcpConnect || e.kind == SocketKind::kTcpListen;
  UniqueFd fd(::socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(e.port);
  std::memcpy(&addr.sin_addr, e.addr.data(), 4);
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  const std::string where = endpoint_text(e);
  if (socket_kind_listens(e.kind)) {
    const int one = 1;
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), sa, sizeof addr) < 0) return sys_error(where, errno);
    if (tcp && ::listen(fd.get(), 128) < 0) return sys_error(where + " (listen)", errno);
    return fd;
  }
  const timeval tv{kForwardConnectTimeoutMs / 1000, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), sa, sizeof addr) < 0) {
    const int err = errno == EINPROGRESS ? ETIMEDOUT : errno;
    return sys_error(where, err);
  }
  const timeval none{0, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
  return fd;
}

}  // namespace vpnns
