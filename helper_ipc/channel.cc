// SPDX-License-Identifier: GPL-2.0-or-later
// helper_ipc/channel.h: the SEQPACKET transport with the plugin <-> helper protocol's bounds.
#include "helper_ipc/channel.h"

#include "helper_ipc/wire.h"

namespace vpnns {

Status send_frame(int fd, std::span<const std::uint8_t> frame, std::span<const int> fds) {
  return seqpacket_send(fd, frame, fds);
}

Result<std::vector<std::uint8_t>> recv_frame(int fd, int timeout_ms) {
  VPNNS_ASSIGN_OR_RETURN(Datagram d, seqpacket_recv(fd, timeout_ms, {kMaxFrameSize, 0, "frame"}));
  return std::move(d.bytes);
}

Result<Datagram> recv_request_frame(int fd, int timeout_ms) {
  return seqpacket_recv(fd, timeout_ms, {kMaxFrameSize, kMaxRequestFds, "frame"});
}

}  // namespace vpnns
