// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz target: the frame decoders (helper_ipc/wire.h), the first code in the root helper that
// touches what the openvpn side sends, and the plugin's decoder of what the helper answers.
//
// Every input is one datagram, given to both decode_request and decode_helper_message. Beyond
// "no crash, no sanitizer report", it checks:
//   * a refusal is kInvalidArgument with a reason (the helper passes both on to openvpn's log);
//   * a frame is never both a request and a helper message (the type decides);
//   * whatever decodes, re-encodes to a frame that decodes again to an equal value: the encoder
//     and the decoder agree on every value the decoder can produce (attribute order and the
//     absence of optional fields may differ from the input; the value may not);
//   * the re-encoding is canonical: encoding the re-decoded value gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "helper_ipc/wire.h"
#include "tests/fuzz/fuzz_check.h"

namespace vpnns::fuzz {
namespace {

// Whether `frame` decodes as a request; if it does, the round trip holds.
bool check_request(std::span<const std::uint8_t> frame) {
  auto decoded = decode_request(frame);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.error().code() == Code::kInvalidArgument);
    FUZZ_CHECK(!decoded.error().message().empty());
    return false;
  }
  const std::vector<std::uint8_t> again = encode_request(*decoded);
  FUZZ_CHECK(again.size() <= kMaxFrameSize);
  auto redecoded = decode_request(again);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(*redecoded == *decoded);
  FUZZ_CHECK(encode_request(*redecoded) == again);
  return true;
}

std::vector<std::uint8_t> encode_helper_message(const HelperMessage& m) {
  if (const Hello* hello = std::get_if<Hello>(&m)) return encode_hello(*hello);
  return encode_reply(std::get<Reply>(m));
}

// Whether `frame` decodes as a helper message; if it does, the round trip holds.
bool check_helper_message(std::span<const std::uint8_t> frame) {
  auto decoded = decode_helper_message(frame);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.error().code() == Code::kInvalidArgument);
    FUZZ_CHECK(!decoded.error().message().empty());
    return false;
  }
  const std::vector<std::uint8_t> again = encode_helper_message(*decoded);
  auto redecoded = decode_helper_message(again);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(*redecoded == *decoded);
  FUZZ_CHECK(encode_helper_message(*redecoded) == again);
  return true;
}

}  // namespace
}  // namespace vpnns::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> frame(data, size);
  const bool request = vpnns::fuzz::check_request(frame);
  const bool helper_message = vpnns::fuzz::check_helper_message(frame);
  FUZZ_CHECK(!(request && helper_message));
  return 0;
}
