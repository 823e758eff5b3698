// SPDX-License-Identifier: GPL-2.0-or-later
// The SEQPACKET transport of ipc/seqpacket.h: sendmsg/recvmsg, SCM_RIGHTS, and the rules for
// what a receiver refuses.
#include "ipc/seqpacket.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace vpnns {
namespace {

constexpr const char* kPeerClosedText = "peer closed the connection";

Error refused(const SeqpacketLimits& limits, const std::string& what) {
  return Error(Code::kInvalidArgument, std::string("malformed ") + limits.noun + ": " + what);
}

// Takes every descriptor of the SCM_RIGHTS messages in `msg` into `out`; returns false if the
// message carries ancillary data of another kind.
bool take_fds(msghdr& msg, std::vector<UniqueFd>& out) {
  bool only_fds = true;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
      only_fds = false;
      continue;
    }
    const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < n; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      out.emplace_back(fd);
    }
  }
  return only_fds;
}

}  // namespace

Status seqpacket_send(int sock, std::span<const std::uint8_t> bytes, std::span<const int> fds) {
  if (fds.size() > kMaxPassedFds) return Error(Code::kInternal, "too many descriptors to send");
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  if (!fds.empty()) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    // Without descriptors send(2) (sendto): the helper's seccomp filter (helper/confine.cc)
    // allows sendto, not sendmsg, and it never passes descriptors.
    const ssize_t n = fds.empty() ? ::send(sock, bytes.data(), bytes.size(), MSG_NOSIGNAL)
                                  : ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    const int err = errno;
    if (n >= 0) {
      if (static_cast<std::size_t>(n) != bytes.size()) {
        return Error(Code::kInternal, "short send on a SEQPACKET socket");
      }
      return ok_status();
    }
    if (err == EINTR) continue;
    if (err == EPIPE || err == ECONNRESET) return Error(Code::kPeerClosed, kPeerClosedText, err);
    return sys_error("sending a message", err);
  }
}

Result<Datagram> seqpacket_recv(int sock, int timeout_ms, const SeqpacketLimits& limits) {
  if (limits.max_fds > kMaxPassedFds) {
    return Error(Code::kInternal, "a protocol allows more descriptors than the transport takes");
  }
  if (timeout_ms >= 0) {
    pollfd p{sock, POLLIN, 0};
    for (;;) {
      const int r = ::poll(&p, 1, timeout_ms);
      const int err = errno;
      if (r > 0) break;
      if (r == 0) {
        return Error(Code::kUnavailable,
                     "no answer within " + std::to_string(timeout_ms / 1000) + " s");
      }
      if (err != EINTR) return sys_error("waiting for a message", err);
    }
  }

  // Not zero-filled: only the n bytes received are used.
  auto buf = std::make_unique_for_overwrite<std::uint8_t[]>(limits.max_bytes);
  // Room for kMaxPassedFds descriptors and credentials: enough to see (and close) what a hostile
  // peer sends. What does not fit the kernel closes itself, and says so with MSG_CTRUNC.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds) + CMSG_SPACE(64)];
  for (;;) {
    iovec iov{buf.get(), limits.max_bytes};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    const int err = errno;
    if (n < 0) {
      if (err == EINTR) continue;
      if (err == ECONNRESET) return Error(Code::kPeerClosed, kPeerClosedText, err);
      return sys_error("receiving a message", err);
    }
    // Own every descriptor first, so that each refusal below closes them. MSG_CTRUNC: the
    // kernel had more than the buffer holds (and closed the rest itself).
    Datagram out;
    const bool only_fds = take_fds(msg, out.fds);
    const bool truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
    if (limits.max_fds == 0 && (!only_fds || truncated || !out.fds.empty())) {
      return refused(limits,
                     "unexpected ancillary data (file descriptors or credentials are never part "
                     "of a message); any passed descriptor was closed");
    }
    if (!only_fds) {
      return refused(limits,
                     "unexpected ancillary data (other than descriptors); any passed descriptor "
                     "was closed");
    }
    if (truncated || out.fds.size() > limits.max_fds) {
      return refused(limits, "more than " + std::to_string(limits.max_fds) +
                                 " descriptors (all of them closed)");
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      return refused(limits,
                     "too large: larger than " + std::to_string(limits.max_bytes) + " bytes");
    }
    if (n == 0) {
      // Zero bytes is EOF — or an empty datagram, which AF_UNIX SEQPACKET lets a peer send.
      // Only a hang-up is EOF; an empty datagram must not pass for openvpn's death.
      pollfd p{sock, POLLIN | POLLRDHUP, 0};
      if (out.fds.empty() && ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP)) != 0) {
        return Error(Code::kPeerClosed, kPeerClosedText);
      }
      return refused(limits, "empty");
    }
    out.bytes.assign(buf.get(), buf.get() + n);
    return out;
  }
}

bool is_peer_closed(const Error& error) { return error.code() == Code::kPeerClosed; }

}  // namespace vpnns
