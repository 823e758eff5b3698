// SPDX-License-Identifier: GPL-2.0-or-later
// NetlinkSocket: a long-lived libmnl socket in one network namespace, with extended acks.
//
// The helper keeps one rtnetlink socket in openvpn's namespace and one in the target namespace
// for its whole life: no socket is opened per event, and the helper itself never changes
// namespace — a socket created once inside a namespace (see netns.h) keeps working there.
//
// Every request asks for an ack (NLM_F_ACK) with NETLINK_EXT_ACK and NETLINK_CAP_ACK on, so a
// refusal comes back with the kernel's own explanation ("Nexthop has invalid gateway"), which
// the helper passes on to openvpn's log. Replies are matched by port id and sequence number;
// anything else on the socket is ignored.
//
// Builders (rtnl.h) fill a MessageBuffer; this class only sends and receives.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "common/error.h"

namespace vpnns {

// Room for one request message (rtnetlink requests here are well under 1 KiB).
class MessageBuffer {
 public:
  MessageBuffer() { buf_.fill(0); }
  [[nodiscard]] char* data() { return buf_.data(); }
  [[nodiscard]] std::size_t capacity() const { return buf_.size(); }

 private:
  alignas(nlmsghdr) std::array<char, 4096> buf_;
};

class NetlinkSocket {
 public:
  using Handler = std::function<Status(const nlmsghdr*)>;

  // Opens a socket of `bus` (NETLINK_ROUTE, NETLINK_NETFILTER) in the caller's namespace, or
  // in the namespace `netns_fd` refers to.
  static Result<NetlinkSocket> open(int bus, int netns_fd = -1);

  // Sends one request and waits for its ack. `what` names the operation for error messages.
  // Replies that come before the ack (the answer to a GET) go to `handler`.
  Status request(nlmsghdr* nlh, const std::string& what, const Handler& handler = nullptr);

  // Sends a dump request and calls `handler` for every message until NLMSG_DONE.
  Status dump(nlmsghdr* nlh, const Handler& handler, const std::string& what);

  // Sends a batch of messages (nftables: BEGIN ... END) in one write. Every message in the
  // batch that carries NLM_F_ACK must have its own seq in [first_seq, last_seq]; the call waits
  // for all acks and returns the first error, naming the message it belongs to via
  // `describe(seq)`.
  Status batch(std::span<const char> messages, std::uint32_t first_seq, std::uint32_t last_seq,
               const std::function<std::string(std::uint32_t seq)>& describe);

  std::uint32_t next_seq() { return ++seq_; }
  // After a batch numbered by the caller: never reuse its numbers.
  void skip_seq_to(std::uint32_t seq) {
    if (seq_ < seq) seq_ = seq;
  }
  [[nodiscard]] std::uint32_t portid() const { return portid_; }

 private:
  struct Closer {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
  };
  NetlinkSocket(std::unique_ptr<mnl_socket, Closer> sock, std::uint32_t portid)
      : sock_(std::move(sock)),
        portid_(portid),
        buf_(std::make_unique_for_overwrite<char[]>(kReceiveBuffer)) {}

  static constexpr std::size_t kReceiveBuffer = 64 * 1024;

  Status send(const void* data, std::size_t len, const std::string& what);
  // Reads replies until `done(seq)` says everything expected has arrived. `on_message` gets
  // every message of ours that is not an ack or NLMSG_DONE.
  Status receive(const std::function<Status(const nlmsghdr*)>& on_message,
                 const std::function<bool()>& done, const std::string& what);

  std::unique_ptr<mnl_socket, Closer> sock_;
  std::uint32_t portid_;
  std::uint32_t seq_ = 0;
  std::unique_ptr<char[]> buf_;  // one receive buffer for the socket's life
};

// The kernel's extended-ack text of an NLMSG_ERROR message, or "" if it sent none.
std::string extack_message(const nlmsghdr* nlh);

}  // namespace vpnns
