// SPDX-License-Identifier: GPL-2.0-or-later
// A token bucket for log lines that a client can cause at will.
//
// vpnns-execd logs every message it ignores while a command runs (a frame that does not decode,
// a message that is not a signal). The client decides how many it sends, and the log is the
// journal: unlimited, one member of the group could flood it. So those lines pass through a
// LogLimit: `burst` lines at once, then one more every `refill_ms`; the lines refused in between
// are counted, and the next line that passes (or flush(), when the session ends) is preceded by
// "N similar messages suppressed". Pure: the caller passes the time (monotonic milliseconds),
// so the unit tests need no clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vpnns {

class LogLimit {
 public:
  LogLimit(std::uint32_t burst, std::int64_t refill_ms)
      : burst_(burst), refill_ms_(refill_ms), tokens_(burst) {}

  // The lines to write now for `line` at time `now_ms`: none (suppressed), the line, or the
  // suppressed count and then the line.
  std::vector<std::string> admit(const std::string& line, std::int64_t now_ms);
  // The suppressed count not yet reported, as a line ("" if none); resets it.
  std::string flush();

  [[nodiscard]] std::uint64_t suppressed() const { return suppressed_; }

 private:
  std::uint32_t burst_;
  std::int64_t refill_ms_;
  std::uint32_t tokens_;
  std::int64_t last_refill_ = -1;
  std::uint64_t suppressed_ = 0;
};

// The wall-clock-free time LogLimit wants (CLOCK_MONOTONIC, in milliseconds).
std::int64_t monotonic_ms();

}  // namespace vpnns
