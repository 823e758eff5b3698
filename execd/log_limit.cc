// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/log_limit.h"

#include <time.h>

namespace vpnns {

std::vector<std::string> LogLimit::admit(const std::string& line, std::int64_t now_ms) {
  if (last_refill_ < 0) last_refill_ = now_ms;
  if (now_ms > last_refill_ && refill_ms_ > 0) {
    const std::int64_t earned = (now_ms - last_refill_) / refill_ms_;
    if (earned > 0) {
      const std::int64_t sum = static_cast<std::int64_t>(tokens_) + earned;
      tokens_ = sum > burst_ ? burst_ : static_cast<std::uint32_t>(sum);
      last_refill_ += earned * refill_ms_;
    }
  }
  if (tokens_ == 0) {
    ++suppressed_;
    return {};
  }
  --tokens_;
  std::vector<std::string> out;
  if (std::string note = flush(); !note.empty()) out.push_back(std::move(note));
  out.push_back(line);
  return out;
}

std::string LogLimit::flush() {
  if (suppressed_ == 0) return {};
  std::string note = std::to_string(suppressed_) + " similar message" +
                     (suppressed_ == 1 ? "" : "s") + " suppressed (rate limit)";
  suppressed_ = 0;
  return note;
}

std::int64_t monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace vpnns
