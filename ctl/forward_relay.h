// SPDX-License-Identifier: GPL-2.0-or-later
// The relays of `vpnnsctl forward`: one single-threaded epoll loop for every spec.
//
//   tcp            each accepted connection gets its other side (forward: a socket connected
//                  inside the namespace, from NsSockets; --reverse: a non-blocking connect to the
//                  host address) and bytes are moved both ways with splice(2) through a pipe per
//                  direction, without copying them through user space. A half-close is passed
//                  on (shutdown SHUT_WR); a reset or a failed other side closes both, the client
//                  side with a reset (SO_LINGER 0) so that it sees a failure, not an empty answer.
//   udp            request/response flows: the first datagram from a new source address opens a
//                  flow (a socket of its own towards the destination, so that answers find their
//                  way back); a flow idle for the flow timeout is closed.
//
// Limits: at most max_connections connections (tcp) or flows (udp) per spec at once (a
// connection over it is accepted and reset at once, a datagram dropped; both said on stderr,
// at most a few lines a second); a tcp connection idle (no byte either way) for idle_timeout
// seconds is closed. Every relayed socket is shut down before it is closed, so vpnns-execd sees
// it gone (execd/socket_request.h).
//
// What it trusts: nothing it relays is parsed. The sockets of the namespace's side come from
// NsSockets only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ctl/forward_ns.h"
#include "ctl/forward_spec.h"

namespace vpnns::ctl {

struct RelayOptions {
  std::size_t max_connections = 64;
  int idle_timeout_s = 3600;  // tcp; 0: never
  int udp_timeout_s = 30;
  bool verbose = false;
};

// Opens every listening side (a taken port or a refusal is an error before anything relays),
// says on stderr what it relays, and relays until `signal_fd` (a signalfd) reads a signal
// (then 0) or the service goes away (an error).
Status run_relays(const std::vector<ForwardSpec>& specs, const std::string& netns, NsSockets& ns,
                  const RelayOptions& options, int signal_fd);

}  // namespace vpnns::ctl
