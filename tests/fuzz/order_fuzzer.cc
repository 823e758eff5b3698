// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz target: decode_order (execd/session_order.h), the one parser in vpnns-execd's privileged
// session process. Its input comes from the session's decoder child, which a hostile client may
// have taken over through the frame decoder: the bytes are the attacker's.
//
// Every input is tried two ways.
//   * As an order, given to decode_order. Beyond "no crash, no sanitizer report": a refusal is
//     kInvalidArgument with a reason; an accepted order is, byte for byte, what encode_order
//     writes for the value it decoded (no field is ignored and no padding carries anything, so
//     the same value has one spelling); and an accepted request is one the exec frame decoder
//     accepts too (encode_exec of it decodes to an equal value): a decoder taken over can pass on
//     no request that vpnnsctl could not have sent itself.
//   * As a vpnnsctl frame, given to decode_exec_client (what the decoder child runs): a request
//     or a signal it accepts becomes an order that decode_order gives back equal, so the
//     privileged process accepts everything an honest decoder passes on.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "exec_ipc/exec_wire.h"
#include "execd/session_order.h"
#include "tests/fuzz/fuzz_check.h"

namespace vpnns::fuzz {
namespace {

void check_order(std::span<const std::uint8_t> bytes) {
  auto decoded = decode_order(bytes);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.error().code() == Code::kInvalidArgument);
    FUZZ_CHECK(!decoded.error().message().empty());
    return;
  }
  const std::vector<std::uint8_t> again = encode_order(*decoded);
  FUZZ_CHECK(std::ranges::equal(again, bytes));
  auto redecoded = decode_order(again);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(*redecoded == *decoded);

  const auto* request = std::get_if<ExecRequest>(&*decoded);
  if (request == nullptr) return;
  // The order has no framing overhead per string and the frame has; over the frame's bound the
  // comparison says nothing (the transport bounds both).
  const std::vector<std::uint8_t> frame = encode_exec(ExecClientMessage(*request));
  if (frame.size() > kMaxExecFrame) return;
  auto wire = decode_exec_client(frame);
  FUZZ_CHECK(wire.ok());
  FUZZ_CHECK(std::holds_alternative<ExecRequest>(*wire));
  FUZZ_CHECK(std::get<ExecRequest>(*wire) == *request);
}

void check_frame(std::span<const std::uint8_t> bytes) {
  auto message = decode_exec_client(bytes);
  if (!message.ok()) return;
  SessionOrder order;
  if (const auto* request = std::get_if<ExecRequest>(&*message)) {
    order = *request;
  } else {
    order = SignalOrder{std::get<ExecSignal>(*message).signo};
  }
  const std::vector<std::uint8_t> bytes_out = encode_order(order);
  FUZZ_CHECK(bytes_out.size() <= kMaxOrder);
  auto decoded = decode_order(bytes_out);
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(*decoded == order);
}

}  // namespace
}  // namespace vpnns::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  vpnns::fuzz::check_order(bytes);
  vpnns::fuzz::check_frame(bytes);
  return 0;
}
