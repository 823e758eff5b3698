// SPDX-License-Identifier: GPL-2.0-or-later
// Sending and receiving one message per datagram over AF_UNIX SOCK_SEQPACKET, with descriptors
// passed by SCM_RIGHTS where a protocol carries them. Both protocols use it: the plugin's
// socketpair to vpnns-helper (helper_ipc/channel.h, no descriptors) and vpnnsctl's connection to
// vpnns-execd (exec_ipc/exec_wire.h: the command's cwd and stdio, the pty master).
//
// SEQPACKET keeps message boundaries (one frame per recv) and, unlike the SOCK_DGRAM pair that
// down-root uses, reports EOF when the other end is closed — which is how the helper learns that
// openvpn died. That close is an outcome, not a failure of the socket: it comes back as
// Code::kPeerClosed (is_peer_closed()), never recognised by its text.
//
// Trust: the receiver trusts nothing that arrives. Every descriptor the kernel hands over is
// owned by a UniqueFd at once, so each refusal below closes them all. Refused, as
// Code::kInvalidArgument: ancillary data other than descriptors (credentials), more descriptors
// than the protocol allows (with limits.max_fds == 0: any), a datagram larger than
// limits.max_bytes (MSG_TRUNC: never silently cut), and an empty datagram that is not a hang-up.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns {

// Descriptors one message may carry at most, in any protocol (the receive buffer has room for
// this many, so a hostile sender's extra descriptors are seen and closed, not dropped unseen).
inline constexpr std::size_t kMaxPassedFds = 16;

// What one protocol accepts.
struct SeqpacketLimits {
  std::size_t max_bytes;  // the largest datagram; also the receive buffer's size
  std::size_t max_fds;    // at most kMaxPassedFds; 0: none
  const char* noun;       // refusals read "malformed <noun>: ..."
};

struct Datagram {
  std::vector<std::uint8_t> bytes;
  std::vector<UniqueFd> fds;  // in the order sent, close-on-exec
};

// Sends one datagram with `fds` attached (at most kMaxPassedFds); never raises SIGPIPE (a dead
// peer is Code::kPeerClosed, not a signal).
Status seqpacket_send(int sock, std::span<const std::uint8_t> bytes, std::span<const int> fds = {});

// Receives one datagram. timeout_ms < 0 waits forever; a timeout is Code::kUnavailable.
Result<Datagram> seqpacket_recv(int sock, int timeout_ms, const SeqpacketLimits& limits);

// True if the error is the peer's close: EOF on receive, EPIPE or ECONNRESET.
bool is_peer_closed(const Error& error);

}  // namespace vpnns
