// SPDX-License-Identifier: GPL-2.0-or-later
// A session's decoder: the process that reads the client's frames (session.h draws the
// processes; session_confine.h says what it may still do; session_order.h what it passes on).
//
// It reads the one Request or ForwardRequest (within kRequestTimeoutMs), decodes it, checks its
// descriptor count and passes it on as an order with the descriptors; then, until the client
// hangs up, every Signal frame of an exec as a signal order, every SocketOpen of a forward as a
// socket order (socket_wire.h). What it cannot decode it refuses to the client itself (the
// refusal, then the linger of refuse_and_linger()) or, after the request, logs and ignores.
// It exits at the client's EOF: the privileged process reads the channel's EOF as the hang-up.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/error.h"
#include "execd/session.h"

namespace vpnns {

using SessionLog = std::function<void(const std::string&)>;

// Sends `error` as a Refused, stops writing, and reads and drops whatever the client still
// sends, for a while (closing a socket with unread data would reset the connection and hide
// the refusal). Returns the session's exit status (0).
int refuse_and_linger(int conn, const Error& error, std::uint8_t status, const SessionLog& log);

// In the privileged process: waits until the decoder on `chan` ends (at the client's EOF; it logs
// its count of suppressed lines then, and dies with that process), at most `linger_ms` between
// orders, which are dropped.
void await_decoder_end(int chan, int linger_ms);

// Serves `conn` as the decoder; `chan` leads to the privileged process. Returns the exit status.
int run_session_decoder(int conn, int chan, const SessionLog& log);

}  // namespace vpnns
