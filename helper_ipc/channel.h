// SPDX-License-Identifier: GPL-2.0-or-later
// The plugin <-> helper socketpair (and vpnns-dns-updown's connection to the helper): one
// helper_ipc/wire.h frame per datagram, at most kMaxFrameSize bytes. The transport is
// ipc/seqpacket.h; this binds it to the protocol's bounds, so credentials sent along with a
// request are refused, and so is a frame larger than kMaxFrameSize (MSG_TRUNC: never silently
// cut). Descriptors: only the plugin's requests to the helper may carry them, at most
// kMaxRequestFds (UP: openvpn's own tun descriptors, the evidence helper/tun_holder.h asks for);
// the helper refuses them with any other request. Everywhere else a descriptor is refused (and
// closed).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/error.h"
#include "ipc/seqpacket.h"

namespace vpnns {

// Descriptors one request to the helper may carry.
inline constexpr std::size_t kMaxRequestFds = 4;
// Hosts (openvpn's remotes and proxies) the plugin names on the helper's command line at most
// (--remote=HOST, helper/peer_evidence.h).
inline constexpr std::size_t kMaxRemotes = 64;

// Sends one frame (with `fds` attached); a dead peer is Code::kPeerClosed, never SIGPIPE.
Status send_frame(int fd, std::span<const std::uint8_t> frame, std::span<const int> fds = {});

// Receives one frame. timeout_ms < 0 waits forever. A closed peer is Code::kPeerClosed
// (is_peer_closed()); a timeout is Code::kUnavailable.
Result<std::vector<std::uint8_t>> recv_frame(int fd, int timeout_ms);

// The helper's receive of a request from the plugin: a frame and up to kMaxRequestFds
// descriptors (more are refused and closed).
Result<Datagram> recv_request_frame(int fd, int timeout_ms);

}  // namespace vpnns
