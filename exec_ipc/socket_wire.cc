// SPDX-License-Identifier: GPL-2.0-or-later
// Names of the socket requests' endpoints (socket_wire.h); their encoding is exec_wire.cc's.
#include "exec_ipc/socket_wire.h"

namespace vpnns {

const char* socket_kind_name(SocketKind kind) {
  switch (kind) {
    case SocketKind::kTcpConnect:
      return "tcp connect";
    case SocketKind::kTcpListen:
      return "tcp listen";
    case SocketKind::kUdpConnect:
      return "udp connect";
    case SocketKind::kUdpBind:
      return "udp bind";
  }
  return "?";
}

bool socket_kind_listens(SocketKind kind) {
  return kind == SocketKind::kTcpListen || kind == SocketKind::kUdpBind;
}

std::string endpoint_text(const SocketEndpoint& e) {
  return std::string(socket_kind_name(e.kind)) + " " + std::to_string(e.addr[0]) + "." +
         std::to_string(e.addr[1]) + "." + std::to_string(e.addr[2]) + "." +
         std::to_string(e.addr[3]) + ":" + std::to_string(e.port);
}

Status check_forward_request(const ForwardRequest& request) {
  constexpr std::array<std::uint8_t, 4> kLoopback{127, 0, 0, 1};
  if (request.endpoints.empty()) {
    return Error(Code::kInvalidArgument, "a forward without any endpoint");
  }
  for (const SocketEndpoint& e : request.endpoints) {
    if (e.addr != kLoopback) {
      return Error(Code::kPermissionDenied,
                   "refused " + endpoint_text(e) +
                       ": a forward reaches only 127.0.0.1 inside the namespace");
    }
  }
  return ok_status();
}

}  // namespace vpnns
