// Sending and receiving whole frames over the AF_UNIX SOCK_SEQPACKET socketpair.
//
// SEQPACKET keeps message boundaries (one frame per recv) and, unlike the SOCK_DGRAM pair that
// down-root uses, reports EOF when the other end is closed — which is how the helper learns that
// openvpn died. The receiver asks for no ancillary data, so any it gets (an fd passed with
// SCM_RIGHTS, credentials) is unexpected: passed fds are closed at once and the frame is
// refused. A frame larger than the buffer is refused (MSG_TRUNC), never silently cut.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/error.h"

namespace vpnns {

// Sends one frame; never raises SIGPIPE (a dead peer is an error, not a signal).
Status send_frame(int fd, std::span<const std::uint8_t> frame);

// Receives one frame. timeout_ms < 0 waits forever. A closed peer is Code::kUnavailable with
// the message "peer closed the connection"; a timeout is Code::kUnavailable too.
Result<std::vector<std::uint8_t>> recv_frame(int fd, int timeout_ms);

// True if the error is the peer's orderly close (EOF).
bool is_peer_closed(const Error& error);

}  // namespace vpnns
