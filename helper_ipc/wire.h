// SPDX-License-Identifier: GPL-2.0-or-later
// The plugin <-> helper protocol's encoding: one message per SOCK_SEQPACKET datagram on the
// socketpair (helper_ipc/channel.h), in the TLV frames of ipc/tlv.h with the magic "VPNS":
//
//   frame  = magic "VPNS" | version u16 | type u16 | length u32 (whole frame) | attribute*
//   attr   = id u16 | length u16 | value[length]             (all integers big-endian)
//
// Each message type has a schema: which attribute ids it may carry, how long each value must be,
// and how often it may appear (required, optional, or repeated up to a bound). The decoder is
// strict — a frame is refused if it is truncated, longer than its length field, of an unknown
// version or type, carries an unknown, duplicated, over-long or over-counted attribute, a string
// with a control character, or a record with non-zero padding — and it says which. It is pure
// (bytes in, typed message or Error out) so it can be fuzzed and unit-tested without a socket.
#pragma once

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "common/error.h"
#include "helper_ipc/messages.h"

namespace vpnns {

// Larger than any valid frame (kMaxRoutes routes fit in ~23 KiB); also the receive buffer size.
inline constexpr std::size_t kMaxFrameSize = 64 * 1024;

enum class MsgType : std::uint16_t {
  kHello = 1,
  kReply = 2,
  kUp = 16,
  kRouteUp = 17,
  kRoutePredown = 18,
  kDown = 19,
  kIpChange = 20,
  kClose = 21,
  kClientConnect = 22,
  kClientDisconnect = 23,
  kLearnAddress = 24,
  kDnsUpdown = 25,
};

std::vector<std::uint8_t> encode_request(const Request& request);
Result<Request> decode_request(std::span<const std::uint8_t> frame);

// What the helper sends: Hello once at start, then one Reply per request.
using HelperMessage = std::variant<Hello, Reply>;
std::vector<std::uint8_t> encode_hello(const Hello& hello);
std::vector<std::uint8_t> encode_reply(const Reply& reply);
Result<HelperMessage> decode_helper_message(std::span<const std::uint8_t> frame);

}  // namespace vpnns
