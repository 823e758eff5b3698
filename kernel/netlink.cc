// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/netlink.h"

#include <sys/socket.h>

#include <cerrno>
#include <set>
#include <vector>

#include "kernel/netns.h"

namespace vpnns {
namespace {

// The error code and (if present) extended-ack text of an NLMSG_ERROR message.
struct Ack {
  int error;  // 0 for success, else a positive errno
  std::string message;
};

Ack parse_ack(const nlmsghdr* nlh) {
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) return {EBADMSG, "truncated ack"};
  return {-err->error, extack_message(nlh)};
}

Error kernel_error(const std::string& what, const Ack& ack) {
  std::string m = what;
  if (!ack.message.empty()) m += " (kernel: " + ack.message + ")";
  return sys_error(m, ack.error);
}

}  // namespace

std::string extack_message(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  // With NETLINK_CAP_ACK the request is not echoed (NLM_F_CAPPED), so the TLVs follow the
  // nlmsgerr header directly; otherwise they follow the echoed request.
  unsigned offset = sizeof(nlmsgerr);
  if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0) {
    offset += err->msg.nlmsg_len - static_cast<unsigned>(sizeof(nlmsghdr));
  }
  std::string text;
  const auto* attr = reinterpret_cast<const nlattr*>(
      static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + MNL_ALIGN(offset));
  const char* end = reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len;
  int remaining = static_cast<int>(end - reinterpret_cast<const char*>(attr));
  for (; remaining > 0 && mnl_attr_ok(attr, remaining); attr = mnl_attr_next(attr)) {
    remaining = static_cast<int>(end - reinterpret_cast<const char*>(attr));
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
        mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
      text = mnl_attr_get_str(attr);
      break;
    }
  }
  return text;
}

Result<NetlinkSocket> NetlinkSocket::open(int bus, int netns_fd) {
  int fd;
  if (netns_fd >= 0) {
    VPNNS_ASSIGN_OR_RETURN(UniqueFd s,
                           socket_in_netns(netns_fd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus));
    fd = s.release();
  } else {
    fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus);
    if (fd < 0) return sys_error("opening a netlink socket", errno);
  }
  std::unique_ptr<mnl_socket, Closer> sock(mnl_socket_fdopen(fd));
  if (!sock) {
    const int err = errno;
    ::close(fd);
    return sys_error("mnl_socket_fdopen", err);
  }
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return sys_error("binding a netlink socket", errno);
  }
  int one = 1;
  if (mnl_socket_setsockopt(sock.get(), NETLINK_EXT_ACK, &one, sizeof one) < 0) {
    return sys_error("enabling NETLINK_EXT_ACK", errno);
  }
  if (mnl_socket_setsockopt(sock.get(), NETLINK_CAP_ACK, &one, sizeof one) < 0) {
    return sys_error("enabling NETLINK_CAP_ACK", errno);
  }
  // Room for the largest transaction vpnns sends (a server client's entries leaving every set)
  // and for its acks. Set now: the helper cannot change socket options once confined.
  int bytes = 4 << 20;
  for (auto [forced, plain] : {std::pair{SO_SNDBUFFORCE, SO_SNDBUF}, {SO_RCVBUFFORCE, SO_RCVBUF}}) {
    if (::setsockopt(fd, SOL_SOCKET, forced, &bytes, sizeof bytes) < 0) {
      (void)::setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes);
    }
  }

  const std::uint32_t portid = mnl_socket_get_portid(sock.get());
  return NetlinkSocket(std::move(sock), portid);
}

Status NetlinkSocket::send(const void* data, std::size_t len, const std::string& what) {
  if (mnl_socket_sendto(sock_.get(), data, len) < 0) return sys_error(what + ": send", errno);
  return ok_status();
}

Status NetlinkSocket::receive(const std::function<Status(const nlmsghdr*)>& on_message,
                              const std::function<bool()>& done, const std::string& what) {
  Status first_error;
  while (!done()) {
    const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf_.get(), kReceiveBuffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(what + ": receive", errno);
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.get()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_pid != portid_ && nlh->nlmsg_pid != 0) continue;
      Status s = on_message(nlh);
      if (!s && first_error.ok()) first_error = s;
    }
  }
  return first_error;
}

Status NetlinkSocket::request(nlmsghdr* nlh, const std::string& what, const Handler& handler) {
  const std::uint32_t seq = next_seq();
  nlh->nlmsg_seq = seq;
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  VPNNS_TRY(send(nlh, nlh->nlmsg_len, what));
  bool acked = false;
  Status result;
  VPNNS_TRY(receive(
      [&](const nlmsghdr* m) -> Status {
        if (m->nlmsg_seq != seq) return ok_status();
        if (m->nlmsg_type != NLMSG_ERROR) return handler ? handler(m) : ok_status();
        acked = true;
        const Ack ack = parse_ack(m);
        if (ack.error != 0) result = kernel_error(what, ack);
        return ok_status();
      },
      [&] { return acked; }, what));
  return result;
}

Status NetlinkSocket::dump(nlmsghdr* nlh, const Handler& handler, const std::string& what) {
  const std::uint32_t seq = next_seq();
  nlh->nlmsg_seq = seq;
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
  VPNNS_TRY(send(nlh, nlh->nlmsg_len, what));
  bool finished = false;
  return receive(
      [&](const nlmsghdr* m) -> Status {
        if (m->nlmsg_seq != seq) return ok_status();
        if (m->nlmsg_type == NLMSG_DONE) {
          finished = true;
          return ok_status();
        }
        if (m->nlmsg_type == NLMSG_ERROR) {
          finished = true;
          const Ack ack = parse_ack(m);
          return ack.error == 0 ? ok_status() : Status(kernel_error(what, ack));
        }
        if ((m->nlmsg_flags & NLM_F_DUMP_INTR) != 0) {
          return Error(Code::kSystem, what + ": dump interrupted by a concurrent change", EINTR);
        }
        return handler(m);
      },
      [&] { return finished; }, what);
}

Status NetlinkSocket::batch(std::span<const char> messages, std::uint32_t first_seq,
                            std::uint32_t last_seq,
                            const std::function<std::string(std::uint32_t seq)>& describe) {
  // Which sequence numbers asked for an ack.
  std::set<std::uint32_t> pending;
  int len = static_cast<int>(messages.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(messages.data()); mnl_nlmsg_ok(nlh, len);
       nlh = mnl_nlmsg_next(nlh, &len)) {
    if ((nlh->nlmsg_flags & NLM_F_ACK) != 0) pending.insert(nlh->nlmsg_seq);
  }
  VPNNS_TRY(send(messages.data(), messages.size(), "sending a netlink batch"));
  Status result;
  // netlink runs the whole batch inside sendmsg(): every ack is queued by now. A failed batch
  // acks only the messages that failed, so stop at the first error as well.
  VPNNS_TRY(receive(
      [&](const nlmsghdr* m) -> Status {
        if (m->nlmsg_type != NLMSG_ERROR || m->nlmsg_seq < first_seq || m->nlmsg_seq > last_seq) {
          return ok_status();
        }
        pending.erase(m->nlmsg_seq);
        const Ack ack = parse_ack(m);
        if (ack.error != 0 && result.ok()) result = kernel_error(describe(m->nlmsg_seq), ack);
        return ok_status();
      },
      [&] { return pending.empty() || !result.ok(); }, "netlink batch"));
  return result;
}

}  // namespace vpnns
