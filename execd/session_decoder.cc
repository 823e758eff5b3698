// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/session_decoder.h"

#include <poll.h>
#include <sys/socket.h>

#include <vector>

#include "exec_ipc/exec_wire.h"
#include "execd/log_limit.h"
#include "execd/session_order.h"
#include "ipc/seqpacket.h"

namespace vpnns {
namespace {

// How long, and for how many more frames, a refused client is listened to.
constexpr int kLingerMs = 1000;
constexpr int kLingerFrames = 4;
// Ignored frames logged: 5 at once, then one every 10 s; the rest counted (log_limit.h). The
// client decides how many it sends.
constexpr std::uint32_t kIgnoredBurst = 5;
constexpr std::int64_t kIgnoredRefillMs = 10'000;

}  // namespace

int refuse_and_linger(int conn, const Error& error, std::uint8_t status, const SessionLog& log) {
  log("refused: " + error.text());
  (void)send_exec_frame(
      conn, encode_exec(ExecServiceMessage(ExecRefused{error.code(), error.text(), status})), {});
  (void)::shutdown(conn, SHUT_WR);
  for (int i = 0; i < kLingerFrames; ++i) {
    auto frame = recv_exec_frame(conn, kLingerMs);
    if (!frame && frame.error().code() != Code::kInvalidArgument) break;  // EOF, timeout
  }
  return 0;
}

void await_decoder_end(int chan, int linger_ms) {
  pollfd p{chan, POLLIN, 0};
  while (::poll(&p, 1, linger_ms) > 0) {
    auto dropped = seqpacket_recv(chan, 0, kOrderLimits);
    if (!dropped && dropped.error().code() != Code::kInvalidArgument) break;  // it ended
  }
}

int run_session_decoder(int conn, int chan, const SessionLog& log) {
  auto frame = recv_exec_frame(conn, kRequestTimeoutMs);
  if (!frame) {
    if (is_peer_closed(frame.error())) return 0;
    return refuse_and_linger(conn, frame.error(), 125, log);
  }
  auto message = decode_exec_client(frame->bytes);
  if (!message) return refuse_and_linger(conn, message.error(), 125, log);
  const auto* request = std::get_if<ExecRequest>(&*message);
  const auto* forward = std::get_if<ForwardRequest>(&*message);  // vpnnsctl forward
  if (request == nullptr && forward == nullptr) {
    return refuse_and_linger(
        conn, Error(Code::kInvalidArgument, "the first message must be a request"), 125, log);
  }
  if (Status s = check_fd_count(*frame, expected_fds(*message), "the request"); !s) {
    return refuse_and_linger(conn, s.error(), 125, log);
  }
  std::vector<int> fds;
  for (const UniqueFd& fd : frame->fds) fds.push_back(fd.get());
  const SessionOrder first = request != nullptr ? SessionOrder(*request) : SessionOrder(*forward);
  if (Status s = seqpacket_send(chan, encode_order(first), fds); !s) {
    log("could not pass the request on: " + s.error().text());
    return 1;
  }
  frame->fds.clear();  // the privileged process holds them now

  LogLimit ignored(kIgnoredBurst, kIgnoredRefillMs);
  const auto log_ignored = [&](const std::string& what) {
    for (const std::string& line : ignored.admit("ignored: " + what, monotonic_ms())) log(line);
  };
  const auto done = [&] {
    if (std::string note = ignored.flush(); !note.empty()) log(note);
    return 0;
  };
  for (;;) {
    auto next = recv_exec_frame(conn, -1);
    if (!next) {
      if (next.error().code() == Code::kInvalidArgument) {
        log_ignored(next.error().text());
        continue;
      }
      return done();  // the client hung up (or the socket failed): our EOF tells the other side
    }
    // After an exec request only signals, after a forward only socket requests.
    auto m = decode_exec_client(next->bytes);
    const auto* signal = m ? std::get_if<ExecSignal>(&*m) : nullptr;
    const auto* open = m ? std::get_if<SocketOpen>(&*m) : nullptr;
    if (!next->fds.empty() || (request != nullptr ? signal == nullptr : open == nullptr)) {
      log_ignored(std::string(request != nullptr ? "a message that is not a signal: "
                                                 : "a message that is not a socket request: ") +
                  (m ? std::string("unexpected type or descriptors") : m.error().text()));
      continue;
    }
    // A message that counts says how many ignored ones came before it: the decoder dies with its
    // session (PR_SET_PDEATHSIG), often before the client's hang-up would flush the count.
    if (std::string note = ignored.flush(); !note.empty()) log(note);
    const SessionOrder order =
        signal != nullptr ? SessionOrder(SignalOrder{signal->signo}) : SessionOrder(*open);
    if (!seqpacket_send(chan, encode_order(order), {})) return done();  // the session is over
  }
}

}  // namespace vpnns
