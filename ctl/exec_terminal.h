// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl exec's own terminal in a pty mode: its modes as the service applies them to the pty
// (modes_of), raw mode while bytes are relayed (RawTerminal, restored on every way out, also
// when vpnnsctl stops itself for Ctrl-Z), and writes that finish on a non-blocking descriptor.
#pragma once

#include <termios.h>

#include <cstddef>
#include <optional>

#include "common/error.h"
#include "exec_ipc/exec_wire.h"

namespace vpnns::ctl {

// The terminal modes `t` as the exec protocol carries them.
ExecTermModes modes_of(const termios& t);

// Restores the terminal on every way out of the relay.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {}
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() { restore(); }

  Status enter() {
    if (!saved_) {
      termios t{};
      if (::tcgetattr(fd_, &t) < 0) return sys_error("tcgetattr", errno);
      saved_ = t;
    }
    termios raw = *saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd_, TCSADRAIN, &raw) < 0) return sys_error("raw mode", errno);
    return ok_status();
  }
  void restore() {
    if (saved_) (void)::tcsetattr(fd_, TCSADRAIN, &*saved_);
  }
  [[nodiscard]] const std::optional<termios>& saved() const { return saved_; }

 private:
  int fd_;
  std::optional<termios> saved_;
};

// Writes all `n` bytes (waiting while `fd` would block); false on an error.
bool write_all(int fd, const char* data, std::size_t n);

}  // namespace vpnns::ctl
