#include "ipc/seqpacket.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "helper_ipc/wire.h"

namespace vpnns {
namespace {

constexpr const char* kPeerClosed = "peer closed the connection";

// Closes every descriptor carried by SCM_RIGHTS messages in `msg`.
void close_passed_fds(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < n; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (fd >= 0) (void)::close(fd);
    }
  }
}

}  // namespace

Status send_frame(int fd, std::span<const std::uint8_t> frame) {
  for (;;) {
    const ssize_t n = ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
    const int err = errno;
    if (n >= 0) {
      if (static_cast<std::size_t>(n) != frame.size()) {
        return Error(Code::kInternal, "short send on a SEQPACKET socket");
      }
      return ok_status();
    }
    if (err == EINTR) continue;
    if (err == EPIPE || err == ECONNRESET) return Error(Code::kUnavailable, kPeerClosed, err);
    return sys_error("sending a frame", err);
  }
}

Result<std::vector<std::uint8_t>> recv_frame(int fd, int timeout_ms) {
  if (timeout_ms >= 0) {
    pollfd p{fd, POLLIN, 0};
    for (;;) {
      const int r = ::poll(&p, 1, timeout_ms);
      const int err = errno;
      if (r > 0) break;
      if (r == 0) {
        return Error(Code::kUnavailable,
                     "no answer within " + std::to_string(timeout_ms / 1000) + " s");
      }
      if (err != EINTR) return sys_error("waiting for a frame", err);
    }
  }

  // Not zero-filled: only the n bytes received are used.
  auto buf = std::make_unique_for_overwrite<std::uint8_t[]>(kMaxFrameSize);
  // Room for a few fds or credentials: enough to see (and close) what a hostile peer sends.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16) + CMSG_SPACE(64)];
  for (;;) {
    iovec iov{buf.get(), kMaxFrameSize};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    const int err = errno;
    if (n < 0) {
      if (err == EINTR) continue;
      if (err == ECONNRESET) return Error(Code::kUnavailable, kPeerClosed, err);
      return sys_error("receiving a frame", err);
    }
    if (msg.msg_controllen > 0) {
      close_passed_fds(msg);
      return Error(Code::kInvalidArgument,
                   "malformed frame: unexpected ancillary data (file descriptors or credentials "
                   "are never part of a request); any passed descriptor was closed");
    }
    if ((msg.msg_flags & MSG_CTRUNC) != 0) {
      return Error(Code::kInvalidArgument, "malformed frame: truncated ancillary data");
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      return Error(Code::kInvalidArgument,
                   "malformed frame: larger than " + std::to_string(kMaxFrameSize) + " bytes");
    }
    if (n == 0) {
      // Zero bytes is EOF — or an empty datagram, which AF_UNIX SEQPACKET lets a peer send.
      // Only a hang-up is EOF; an empty datagram must not pass for openvpn's death.
      pollfd p{fd, POLLIN | POLLRDHUP, 0};
      if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP)) != 0) {
        return Error(Code::kUnavailable, kPeerClosed);
      }
      return Error(Code::kInvalidArgument, "malformed frame: empty");
    }
    return std::vector<std::uint8_t>(buf.get(), buf.get() + n);
  }
}

bool is_peer_closed(const Error& error) {
  return error.code() == Code::kUnavailable && error.message() == kPeerClosed;
}

}  // namespace vpnns
