// Error formatting. strerror_r is used in its GNU form (glibc), which may return a static string.
#include "common/error.h"

#include <cstring>

namespace vpnns {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kFailedPrecondition:
      return "failed precondition";
    case Code::kNotFound:
      return "not found";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kSystem:
      return "system error";
    case Code::kInternal:
      return "internal error";
    case Code::kPeerClosed:
      return "peer closed";
  }
  return "unknown";
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
