// SPDX-License-Identifier: GPL-2.0-or-later
// The socket requests of `vpnnsctl forward`: messages of the vpnnsctl <-> vpnns-execd protocol
// (exec_wire.h: same frames, magic, version and transport; these are further message types).
//
//   vpnnsctl                                               vpnns-execd
//   ForwardRequest (namespace, endpoints)              →   admitted like an exec Request
//                                                      ←   ForwardReady, or Refused
//   SocketOpen (id, endpoint index)*                   →
//                                                      ←   SocketOpened (id) + the socket, or
//                                                          SocketFailed (id, why)
//
// The endpoints are fixed by the first message and are all loopback addresses inside the
// namespace: 127.0.0.1 and nothing else (the service refuses any other address, so a relay can
// reach only what it was started for). Each SocketOpen names one of them by index:
//   kTcpConnect  a TCP socket connected to it (one per relayed connection)
//   kTcpListen   a TCP socket bound to it and listening (once per session)
//   kUdpConnect  a UDP socket connected to it (one per relayed flow)
//   kUdpBind     a UDP socket bound to it (once per session)
// The socket is created inside the namespace as the caller (uid, gid, groups; no capabilities),
// so it is the caller's socket in every way the kernel counts (owner, privileged ports).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace vpnns {

inline constexpr std::size_t kMaxForwardEndpoints = 32;

enum class SocketKind : std::uint8_t {
  kTcpConnect = 0,
  kTcpListen = 1,
  kUdpConnect = 2,
  kUdpBind = 3,
};

const char* socket_kind_name(SocketKind kind);
bool socket_kind_listens(SocketKind kind);  // kTcpListen, kUdpBind: once per session

struct SocketEndpoint {
  SocketKind kind = SocketKind::kTcpConnect;
  std::array<std::uint8_t, 4> addr{127, 0, 0, 1};  // IPv4, network order
  std::uint16_t port = 0;
  friend bool operator==(const SocketEndpoint&, const SocketEndpoint&) = default;
};

// "tcp 127.0.0.1:8080"
std::string endpoint_text(const SocketEndpoint& e);

struct ForwardRequest {
  std::string netns;  // unvalidated here: the service checks it as for an exec Request
  std::vector<SocketEndpoint> endpoints;
  friend bool operator==(const ForwardRequest&, const ForwardRequest&) = default;
};

struct SocketOpen {
  std::uint32_t id = 0;  // the client's, echoed in the answer
  std::uint16_t endpoint = 0;
  friend bool operator==(const SocketOpen&, const SocketOpen&) = default;
};

struct ForwardReady {
  friend bool operator==(const ForwardReady&, const ForwardReady&) = default;
};

struct SocketOpened {
  std::uint32_t id = 0;
  friend bool operator==(const SocketOpened&, const SocketOpened&) = default;
};

struct SocketFailed {
  std::uint32_t id = 0;
  Code code = Code::kInternal;
  std::uint32_t sys_errno = 0;  // e.g. ECONNREFUSED, EADDRINUSE: the client words it
  std::string message;
  friend bool operator==(const SocketFailed&, const SocketFailed&) = default;
};

// The first message's own rules, which the service checks before it answers: at least one
// endpoint, every one 127.0.0.1. (The decoder has checked kinds, ports and counts.)
Status check_forward_request(const ForwardRequest& request);

}  // namespace vpnns
