// SPDX-License-Identifier: GPL-2.0-or-later
// The TLV codec that both of vpnns's protocols are written in: one frame per SOCK_SEQPACKET
// datagram (ipc/seqpacket.h carries it), each protocol a Dialect (magic, version, size bound, a
// schema per message type) of the same encoding:
//
//   frame = magic[4] | version u16 | type u16 | length u32 (whole frame) | attribute*
//   attr  = id u16 | length u16 | value[length]                      (integers big-endian)
//
// helper_ipc/ (plugin <-> vpnns-helper, magic "VPNS") and exec_ipc/ (vpnnsctl <-> vpnns-execd,
// magic "VPNX") keep only their schemas and typed messages; the frame layout, the attribute
// walk and the rules every schema states (which ids a type may carry, each one's length bounds
// and count, which are required) live here, once. Decoding is two steps: parse() walks the frame
// against the type's schema and returns the value spans by id; the protocol's builder then
// checks what a schema cannot say (ranges, padding, which attributes go together, characters).
//
// Trust: parse() trusts nothing in the bytes. A frame is refused if it is truncated, larger than
// the dialect allows, of another magic or version, of a type without a schema, if its length
// field is not its size, or if an attribute is unknown for the type, runs past the end, has a
// length out of bounds, comes more often than allowed, or a required one is missing — and the
// refusal (Code::kInvalidArgument, "malformed <noun>: ...") names the attribute. It is pure:
// bytes in, table or Error out, so it is unit-tested (tests/unit/tlv_test.cc) and fuzzed
// without a socket.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/error.h"

namespace vpnns::tlv {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kAttrHeaderSize = 4;

// What a message type may carry of one attribute.
struct AttrRule {
  std::uint16_t id;
  const char* name;  // in refusals: "dev has length 16", "missing dev", "too many routes"
  std::size_t min_len;
  std::size_t max_len;
  std::size_t max_count;  // 1 for a scalar
  bool required;
};

using Schema = std::vector<AttrRule>;

// One protocol's framing. `schema` returns nullptr for a type the protocol does not know (a
// known type without attributes has an empty schema).
struct Dialect {
  std::array<std::uint8_t, 4> magic;
  std::uint16_t version;
  std::size_t max_frame;
  const char* noun;  // refusals read "malformed <noun>: <what>"
  const Schema* (*schema)(std::uint16_t type);
};

// The refusal of a malformed frame of `dialect`.
Error malformed(const Dialect& dialect, const std::string& what);

// Builds one frame. Values longer than a u16 length are cut to it: a programming error of the
// sender, which the receiver refuses as too long (the senders check their bounds first).
class Writer {
 public:
  Writer(const Dialect& dialect, std::uint16_t type);
  template <typename Type, typename = std::enable_if_t<std::is_enum_v<Type>>>
  Writer(const Dialect& dialect, Type type) : Writer(dialect, static_cast<std::uint16_t>(type)) {}

  void u8(std::uint16_t id, std::uint8_t v) { bytes(id, {&v, 1}); }
  void u16(std::uint16_t id, std::uint16_t v);
  void u32(std::uint16_t id, std::uint32_t v);
  void u64(std::uint16_t id, std::uint64_t v);
  void str(std::uint16_t id, std::string_view s) {
    bytes(id, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  void bytes(std::uint16_t id, Bytes value);

  // The frame, with its length field set.
  std::vector<std::uint8_t> finish() &&;

 private:
  std::vector<std::uint8_t> buf_;
};

// The attributes of a parsed frame: spans into the caller's bytes, by id, in frame order.
class Attrs {
 public:
  [[nodiscard]] bool has(std::uint16_t id) const { return values_.contains(id); }
  // The value of a present attribute (the schema made a required one present).
  [[nodiscard]] Bytes one(std::uint16_t id) const { return values_.at(id).front(); }
  [[nodiscard]] const std::vector<Bytes>& all(std::uint16_t id) const;
  void add(std::uint16_t id, Bytes v) { values_[id].push_back(v); }

 private:
  std::map<std::uint16_t, std::vector<Bytes>> values_;
};

struct Frame {
  std::uint16_t type;
  Attrs attrs;
};

// Checks the header and every attribute against the type's schema. The Frame's spans point
// into `frame`, which must outlive it.
Result<Frame> parse(const Dialect& dialect, Bytes frame);

// The same, with the type as the protocol's enum (the schema admitted only known types).
template <typename Type>
struct TypedFrame {
  Type type;
  Attrs attrs;
};
template <typename Type>
Result<TypedFrame<Type>> parse_as(const Dialect& dialect, Bytes frame) {
  VPNNS_ASSIGN_OR_RETURN(Frame f, parse(dialect, frame));
  return TypedFrame<Type>{static_cast<Type>(f.type), std::move(f.attrs)};
}

// Big-endian integers, for the builders (the schema checked the lengths).
inline std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline std::uint64_t get_u64(const std::uint8_t* p) {
  return (std::uint64_t{get_u32(p)} << 32) | get_u32(p + 4);
}
void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v);
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v);

// Strings. Names and messages hold no control characters (C0 or DEL); text() refuses them
// naming `what` ("dev contains a control character"). Values that may hold any byte but NUL
// (arguments, environment entries) check has_nul() themselves.
bool has_control(Bytes v);
bool has_nul(Bytes v);
std::string as_string(Bytes v);
Result<std::string> text(const Dialect& dialect, Bytes v, const char* what);

// A message for the other side: cut to `max` bytes, control characters replaced by '?', so a
// refusal that quotes hostile input is always decodable.
std::string clean_text(std::string_view text, std::size_t max);

}  // namespace vpnns::tlv
