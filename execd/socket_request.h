// SPDX-License-Identifier: GPL-2.0-or-later
// Sockets inside a vpnns namespace for `vpnnsctl forward`: the service's side of the socket
// requests (exec_ipc/socket_wire.h).
//
// A forward is a session of vpnns-execd like an exec (session.h): the same caller checks and
// the same admission into the namespace, at the same place in session.cc, happen before
// serve_forward() is called — this file decides nothing about who may enter which namespace.
// As for an exec, the client's frames are read and decoded only by the session's landlocked
// decoder; this process (privileged, not landlocked: it writes forward_quota.h's files) gets
// the requests as orders and checks each one again.
// What it adds is what a forward may ask for once admitted:
//
//   * only the endpoints of its first message, all 127.0.0.1 inside the namespace
//     (check_forward_request, socket_wire.h): a relay can reach only what it was started for;
//   * per SocketOpen, one socket, created by a short-lived child that enters the namespace
//     (setns), takes the caller's identity (groups, gid, uid: no capabilities are left) and only
//     then creates the socket and connects, or binds and listens. The child hands the socket to
//     this process, which passes it on with SCM_RIGHTS. The session process never enters the
//     namespace itself, and never reads or writes a byte of what is relayed;
//   * a listening endpoint (kTcpListen, kUdpBind) once per session; a connected one as often as
//     asked, while fewer than kMaxForwardSockets handed-out sockets are alive in this session
//     and fewer than kMaxForwardSocketsPerUser in all the user's forwards (forward_quota.h);
//   * before each socket, the namespace at /run/netns/NAME must still be the one admitted (a
//     namespace removed or replaced since is not followed: the forward is told so).
//
// Alive: this process keeps a duplicate of every socket it handed out and watches it with
// poll() for POLLHUP/POLLERR, which the kernel reports once both directions are shut down or the
// connection is gone — whatever the client claims. vpnnsctl shuts a relayed socket down before it
// closes it, so the count follows the relays exactly; a client that closes without shutting down
// keeps the connection counted (and open) until its session ends. The session ends when the
// client hangs up; every duplicate closes with it and pending children are killed.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "exec_ipc/socket_wire.h"
#include "execd/launch.h"

namespace vpnns {

// Live sockets one forward session may hold, listeners included.
inline constexpr std::size_t kMaxForwardSockets = 256;
// Children creating sockets at once; further requests wait their turn (up to kMaxForwardQueue).
inline constexpr std::size_t kMaxForwardChildren = 8;
inline constexpr std::size_t kMaxForwardQueue = 1024;

// The privileged process's own check of an admitted forward's endpoints (the decoder's word is
// not taken): at least one, all 127.0.0.1 (check_forward_request), and no listener on a port
// below 1024. The sockets are made as the caller without capabilities, and this service keeps no
// CAP_NET_BIND_SERVICE to lend (session_confine.cc): such a bind could only fail later, so the
// forward is refused at once, saying so.
Status check_forward_endpoints(const ForwardRequest& request);

// Serves the admitted forward until the client hangs up; returns the process's exit status.
// Sends ForwardReady first on `conn`; reads the socket requests as orders from the decoder's
// channel `chan` (session_order.h), whose EOF is the client's hang-up. `who` prefixes the log
// lines (stderr, the journal).
int serve_forward(int conn, int chan, UniqueFd netns, const ForwardRequest& request,
                  const Identity& caller, const std::string& who);

}  // namespace vpnns
