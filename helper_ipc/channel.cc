// SPDX-License-Identifier: GPL-2.0-or-later
// helper_ipc/channel.h: the SEQPACKET transport with the plugin <-> helper protocol's bounds.
#include "helper_ipc/channel.h"

#include "helper_ipc/wire.h"

namespace vpnns {

Status send_frame(int fd, std::span<const std::uint8_t> frame) { return seqpacket_send(fd, frame); }

Result<std::vector<std::uint8_t>> recv_frame(int fd, int timeout_ms) {
  VPNNS_ASSIGN_OR_RETURN(Datagram d, seqpacket_recv(fd, timeout_ms, {kMaxFrameSize, 0, "frame"}));
  return std::move(d.bytes);
}

}  // namespace vpnns
