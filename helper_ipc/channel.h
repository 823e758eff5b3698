// SPDX-License-Identifier: GPL-2.0-or-later
// The plugin <-> helper socketpair (and vpnns-dns-updown's connection to the helper): one
// helper_ipc/wire.h frame per datagram, at most kMaxFrameSize bytes, never a descriptor. The
// transport is ipc/seqpacket.h; this binds it to the protocol's bounds, so a descriptor or
// credentials sent along with a request are refused (and closed), and so is a frame larger than
// kMaxFrameSize (MSG_TRUNC: never silently cut).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/error.h"
#include "ipc/seqpacket.h"

namespace vpnns {

// Sends one frame; a dead peer is Code::kPeerClosed, never SIGPIPE.
Status send_frame(int fd, std::span<const std::uint8_t> frame);

// Receives one frame. timeout_ms < 0 waits forever. A closed peer is Code::kPeerClosed
// (is_peer_closed()); a timeout is Code::kUnavailable.
Result<std::vector<std::uint8_t>> recv_frame(int fd, int timeout_ms);

}  // namespace vpnns
