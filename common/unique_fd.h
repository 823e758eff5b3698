// SPDX-License-Identifier: GPL-2.0-or-later
// UniqueFd: the one owner of a file descriptor.
//
// Move-only; closes on destruction. Both processes use it for every descriptor they hold (the
// socketpair ends, namespace fds, netlink sockets, files), so no path can leak one: the helper
// runs for the whole life of openvpn, and a leaked fd there would keep a namespace or a tun device
// alive after it should be gone.
#pragma once

#include <unistd.h>

#include <utility>

namespace vpnns {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

  void reset(int fd = -1) {
    // close() errors are not actionable here: the descriptor is gone either way (Linux
    // releases it even on EINTR).
    if (fd_ >= 0) (void)::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace vpnns
