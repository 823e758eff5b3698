// SPDX-License-Identifier: GPL-2.0-or-later
// Error formatting. strerror_r is used in its GNU form (glibc), which may return a static string.
#include "common/error.h"

#include <cstring>
#include <iterator>

namespace vpnns {

// Indexed by the code's number (error.h numbers them 0 to 8, as they go on the wire). A new code
// adds its name at the end and names itself in the static_assert below.
constexpr const char* kCodeNames[] = {
    "ok",                   // kOk
    "invalid argument",     // kInvalidArgument
    "failed precondition",  // kFailedPrecondition
    "not found",            // kNotFound
    "permission denied",    // kPermissionDenied
    "unavailable",          // kUnavailable
    "system error",         // kSystem
    "internal error",       // kInternal
    "peer closed",          // kPeerClosed
};
static_assert(std::size(kCodeNames) == static_cast<std::size_t>(Code::kPeerClosed) + 1);

const char* code_name(Code code) {
  const auto i = static_cast<std::size_t>(code);
  return i < std::size(kCodeNames) ? kCodeNames[i] : "unknown";
}

std::string Error::text() const {
  if (errno_ == 0) return message_;
  char buf[128];
  const char* s = strerror_r(errno_, buf, sizeof buf);
  return message_ + ": " + s + " (errno " + std::to_string(errno_) + ")";
}

Error Error::wrap(const std::string& context) const {
  return Error(code_, context + ": " + message_, errno_);
}

}  // namespace vpnns
