// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/forward_ns.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

#include "ctl/exec_connect.h"
#include "exec_ipc/exec_wire.h"
#include "execd/ns_socket.h"
#include "state/netns_marker.h"

namespace vpnns::ctl {
namespace {

Error answer_error(const SocketFailed& f) {
  Error e(f.code, f.message, static_cast<int>(f.sys_errno));
  return e;
}

class ServiceNsSockets final : public NsSockets {
 public:
  explicit ServiceNsSockets(UniqueFd conn) : conn_(std::move(conn)) {}

  void open(std::uint32_t id, std::uint16_t index) override {
    if (Status s =
            send_exec_frame(conn_.get(), encode_exec(ExecClientMessage(SocketOpen{id, index})), {});
        !s) {
      answers_.push_back({id, s.error()});
    }
  }

  Result<UniqueFd> open_now(std::uint16_t index) override {
    constexpr std::uint32_t kStartId = 0xffffffffU;
    open(kStartId, index);
    while (answers_.empty()) VPNNS_TRY(read_one(-1));
    NsAnswer a = std::move(answers_.front());
    answers_.pop_front();
    return std::move(a.socket);
  }

  [[nodiscard]] int poll_fd() const override { return conn_.get(); }
  Status on_readable() override { return read_one(0); }

  Status start(const ForwardRequest& request) {
    VPNNS_TRY(send_exec_frame(conn_.get(), encode_exec(ExecClientMessage(request)), {}));
    auto frame = recv_exec_frame(conn_.get(), -1);
    if (!frame) return gone(frame.error());
    auto message = decode_exec_service(frame->bytes);
    if (!message) return message.error();
    if (const auto* refused = std::get_if<ExecRefused>(&*message)) {
      return Error(refused->code, refused->message);
    }
    if (!std::holds_alternative<ForwardReady>(*message)) {
      return Error(Code::kInternal, "vpnns-execd answered with an unexpected message");
    }
    return ok_status();
  }

 private:
  static Error gone(const Error& e) {
    if (!is_peer_closed(e)) return e;
    return Error(Code::kUnavailable,
                 "vpnns-execd closed the connection (was it stopped? the forward must be started "
                 "again)");
  }

  Status read_one(int timeout_ms) {
    auto frame = recv_exec_frame(conn_.get(), timeout_ms);
    if (!frame) return gone(frame.error());
    auto message = decode_exec_service(frame->bytes);
    if (!message) return message.error();
    if (const auto* opened = std::get_if<SocketOpened>(&*message)) {
      VPNNS_TRY(check_fd_count(*frame, 1, "a socket"));
      answers_.push_back({opened->id, std::move(frame->fds.front())});
    } else if (const auto* failed = std::get_if<SocketFailed>(&*message)) {
      answers_.push_back({failed->id, answer_error(*failed)});
    } else {
      return Error(Code::kInternal, "vpnns-execd sent an unexpected message");
    }
    return ok_status();
  }

  UniqueFd conn_;
};

class DirectNsSockets final : public NsSockets {
 public:
  DirectNsSockets(UniqueFd home, UniqueFd netns, ForwardRequest request)
      : home_(std::move(home)), netns_(std::move(netns)), request_(std::move(request)) {}

  void open(std::uint32_t id, std::uint16_t index) override {
    answers_.push_back({id, open_now(index)});
  }

  Result<UniqueFd> open_now(std::uint16_t index) override {
    if (::setns(netns_.get(), CLONE_NEWNET) < 0) {
      return sys_error("entering namespace '" + request_.netns + "'", errno);
    }
    auto socket = endpoint_socket(request_.endpoints.at(index));
    // Back home, or every later socket of ours would be made in the namespace.
    if (::setns(home_.get(), CLONE_NEWNET) < 0) ::abort();
    if (!socket) {
      return Error(socket.error().code(),
                   socket.error().message() + " in namespace '" + request_.netns + "'",
                   socket.error().sys_errno());
    }
    return socket;
  }

  [[nodiscard]] int poll_fd() const override { return -1; }
  Status on_readable() override { return ok_status(); }

 private:
  UniqueFd home_, netns_;
  ForwardRequest request_;
};

}  // namespace

Result<std::unique_ptr<NsSockets>> service_ns_sockets(const std::string& socket_path,
                                                      const ForwardRequest& request) {
  VPNNS_ASSIGN_OR_RETURN(UniqueFd conn, connect_service(socket_path));
  auto sockets = std::make_unique<ServiceNsSockets>(std::move(conn));
  VPNNS_TRY(sockets->start(request));
  return std::unique_ptr<NsSockets>(std::move(sockets));
}

Result<std::unique_ptr<NsSockets>> direct_ns_sockets(const ForwardRequest& request) {
  VPNNS_ASSIGN_OR_RETURN(UniqueFd netns, open_vpnns_netns(request.netns));
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return sys_error("opening this thread's network namespace", errno);
  return std::unique_ptr<NsSockets>(
      std::make_unique<DirectNsSockets>(std::move(home), std::move(netns), request));
}

}  // namespace vpnns::ctl
