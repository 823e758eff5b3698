// SPDX-License-Identifier: GPL-2.0-or-later
// Orders: what a session's decoder process passes to its privileged process (session.h).
//
// The decoder reads and decodes the client's frames (exec_wire.h's TLV decoder, the parser an
// attacker would aim at) with nothing left to lose: the caller's own uid, no capabilities, a
// Landlock domain that opens nothing (session_confine.h). What it decoded reaches the privileged
// process as an order whose parsing is deliberately dull, so that a decoder taken over by a
// hostile client has no second parser to aim at:
//
//   one SEQPACKET message = a fixed-size header (copied, every field range-checked) followed by
//   exactly argc + envc NUL-terminated strings (split at NUL, counted); the descriptors of the
//   request in SCM_RIGHTS (exec_wire.h's transport).
//
// Kinds: kExec (the one request: namespace name, mode, umask, terminal modes and size, argv,
// env) and kSignal (a signal for the command; the privileged process checks it against
// is_forwardable_signal() again); for `vpnnsctl forward` (socket_wire.h) kForward (the one
// request: namespace name and up to kMaxForwardEndpoints fixed-size endpoints) and kSocketOpen
// (id, endpoint index). The end of the decoder (EOF on the channel) is the client's hang-up.
// Nothing in an order is trusted: the privileged process validates the namespace
// (netns_marker.h), the descriptors, the signal, the endpoints (127.0.0.1 only, ports) and each
// socket request (socket_request.h) as if the client had sent them.
#pragma once

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "common/error.h"
#include "exec_ipc/exec_wire.h"
#include "exec_ipc/socket_wire.h"
#include "ipc/seqpacket.h"

namespace vpnns {

struct SignalOrder {
  int signo = 0;
  friend bool operator==(const SignalOrder&, const SignalOrder&) = default;
};

using SessionOrder = std::variant<ExecRequest, SignalOrder, ForwardRequest, SocketOpen>;

// Bytes of an order (the descriptors travel beside them).
std::vector<std::uint8_t> encode_order(const SessionOrder& order);
// Every field checked against exec_wire.h's limits and as its decoder checks it, every byte as
// encode_order() writes it (an unused field zero); a clear error for anything else.
Result<SessionOrder> decode_order(std::span<const std::uint8_t> bytes);

// The largest order encode_order() makes.
inline constexpr std::size_t kMaxOrder = kMaxExecFrame + 1024;
// What the privileged process reads from the decoder's channel.
inline constexpr SeqpacketLimits kOrderLimits{kMaxOrder, kMaxExecFds, "order"};

}  // namespace vpnns
