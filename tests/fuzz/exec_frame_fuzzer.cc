// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz target: the vpnnsctl <-> vpnns-execd frame decoders (exec_ipc/exec_wire.h). vpnns-execd
// runs decode_exec_client() as root on whatever a member of its group sends; vpnnsctl runs
// decode_exec_service() on the service's answers.
//
// Every input is one datagram, given to both decoders. Beyond "no crash, no sanitizer report",
// it checks:
//   * a refusal is kInvalidArgument with a reason (the service sends it back to the client);
//   * a frame is never both a client and a service message (the type decides);
//   * a decoded client message wants at most kMaxExecFds descriptors (what the transport takes);
//   * whatever decodes, re-encodes to a frame of at most kMaxExecFrame bytes that decodes again
//     to an equal value, and encoding that value again gives the same bytes (canonical).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "exec_ipc/exec_wire.h"
#include "tests/fuzz/fuzz_check.h"

namespace vpnns::fuzz {
namespace {

template <typename Decode>
bool check(std::span<const std::uint8_t> frame, Decode decode) {
  auto decoded = decode(frame);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.error().code() == Code::kInvalidArgument);
    FUZZ_CHECK(!decoded.error().message().empty());
    return false;
  }
  const std::vector<std::uint8_t> again = encode_exec(*decoded);
  FUZZ_CHECK(again.size() <= kMaxExecFrame);
  auto redecoded = decode(std::span<const std::uint8_t>(again));
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(*redecoded == *decoded);
  FUZZ_CHECK(encode_exec(*redecoded) == again);
  return true;
}

}  // namespace
}  // namespace vpnns::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vpnns;
  const std::span<const std::uint8_t> frame(data, size);
  const bool client =
      fuzz::check(frame, [](std::span<const std::uint8_t> f) { return decode_exec_client(f); });
  if (client) FUZZ_CHECK(expected_fds(*decode_exec_client(frame)) <= kMaxExecFds);
  const bool service =
      fuzz::check(frame, [](std::span<const std::uint8_t> f) { return decode_exec_service(f); });
  FUZZ_CHECK(!(client && service));
  return 0;
}
