// SPDX-License-Identifier: GPL-2.0-or-later
// One socket for an endpoint of a forward (exec_ipc/socket_wire.h), made in the network
// namespace of the calling thread: connected (SocketKind::kTcpConnect, kUdpConnect) or bound
// and, for TCP, listening (kTcpListen, kUdpBind). Shared by vpnns-execd (in a child that has
// entered the namespace and taken the caller's identity) and `vpnnsctl forward` run as root
// (which enters the namespace on its own thread for the call and comes back).
//
// A TCP connect waits at most kForwardConnectTimeoutMs (then ETIMEDOUT); on loopback it is
// answered at once unless the listener's queue is full. Errors keep the errno (ECONNREFUSED,
// EADDRINUSE, EACCES) so that callers can word them; the message names the endpoint.
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"
#include "exec_ipc/socket_wire.h"

namespace vpnns {

inline constexpr int kForwardConnectTimeoutMs = 5000;

Result<UniqueFd> endpoint_socket(const SocketEndpoint& e);

}  // namespace vpnns
