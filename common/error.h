// SPDX-License-Identifier: GPL-2.0-or-later
// Error, Status and Result<T>: how every fallible function in vpnns reports failure.
//
// An Error is a small fixed code, the errno of the failing call (0 if none) and a message that
// says what failed, why, and quotes the offending value. Nothing throws across a layer: functions
// return Status or Result<T>, both [[nodiscard]], so a caller cannot drop a failure by accident.
// The code travels over the wire (a refusal from the helper keeps its code in openvpn's log), so
// the numbering is part of the protocol: append, never renumber.
#pragma once

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vpnns {

enum class Code : std::uint8_t {
  kOk = 0,
  kInvalidArgument = 1,     // malformed or out-of-range input: refused, nothing changed
  kFailedPrecondition = 2,  // valid input the current state does not allow (event order, pins)
  kNotFound = 3,            // a named thing (device, namespace, set) does not exist
  kPermissionDenied = 4,    // a privilege or ownership check failed
  kUnavailable = 5,         // the other side is gone or did not answer in time
  kSystem = 6,              // a kernel or libc call failed; errno says why
  kInternal = 7,            // a broken invariant
  // The other end of this process's own socket closed it (EOF, EPIPE, ECONNRESET: ipc/
  // seqpacket.h). Never sent: the protocols' decoders refuse any code above kInternal.
  kPeerClosed = 8,
};

const char* code_name(Code code);

class Error {
 public:
  Error(Code code, std::string message, int err = 0)
      : code_(code), errno_(err), message_(std::move(message)) {}

  [[nodiscard]] Code code() const { return code_; }
  [[nodiscard]] int sys_errno() const { return errno_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  // The message with the errno text appended, e.g. "moving tun0: File exists (errno 17)".
  [[nodiscard]] std::string text() const;

  // Prefixes context: Error("x").wrap("while y") says "while y: x".
  [[nodiscard]] Error wrap(const std::string& context) const;

 private:
  Code code_;
  int errno_;
  std::string message_;
};

// Builds an Error from errno captured by the caller right after the failing call.
inline Error sys_error(std::string message, int err) {
  return Error(Code::kSystem, std::move(message), err);
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Status ok_status() { return {}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace vpnns

#define VPNNS_CONCAT_INNER(a, b) a##b
#define VPNNS_CONCAT(a, b) VPNNS_CONCAT_INNER(a, b)

// Returns the error of a Status or Result expression from the enclosing function.
#define VPNNS_TRY(expr)                                          \
  do {                                                           \
    auto&& vpnns_try_result = (expr);                            \
    if (!vpnns_try_result.ok()) return vpnns_try_result.error(); \
  } while (0)

// `VPNNS_ASSIGN_OR_RETURN(auto x, f());` declares x from a Result or returns its error.
#define VPNNS_ASSIGN_OR_RETURN(lhs, expr) \
  VPNNS_ASSIGN_OR_RETURN_IMPL(VPNNS_CONCAT(vpnns_result_, __LINE__), lhs, expr)
#define VPNNS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
