// SPDX-License-Identifier: GPL-2.0-or-later
// The frame walk and the writer of ipc/tlv.h. Both protocols' wire formats are defined by this
// file's byte order and by their schemas; the fuzz corpora (tests/fuzz/corpus/) are encodings,
// so a change here that changes a byte changes them.
#include "ipc/tlv.h"

#include <algorithm>

namespace vpnns::tlv {
namespace {

// "route" -> "routes", "environment entry" -> "environment entries".
std::string plural(std::string_view name) {
  if (name.ends_with('y')) return std::string(name.substr(0, name.size() - 1)) + "ies";
  return std::string(name) + "s";
}

}  // namespace

Error malformed(const Dialect& dialect, const std::string& what) {
  return Error(Code::kInvalidArgument, std::string("malformed ") + dialect.noun + ": " + what);
}

Writer::Writer(const Dialect& dialect, std::uint16_t type) {
  buf_.insert(buf_.end(), dialect.magic.begin(), dialect.magic.end());
  put_u16(buf_, dialect.version);
  put_u16(buf_, type);
  put_u32(buf_, 0);  // length, patched by finish()
}

void Writer::u16(std::uint16_t id, std::uint16_t v) {
  const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  bytes(id, b);
}

void Writer::u32(std::uint16_t id, std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  bytes(id, b);
}

void Writer::u64(std::uint16_t id, std::uint64_t v) {
  std::uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
  bytes(id, b);
}

void Writer::bytes(std::uint16_t id, Bytes value) {
  const std::size_t n = std::min<std::size_t>(value.size(), 0xffff);
  put_u16(buf_, id);
  put_u16(buf_, static_cast<std::uint16_t>(n));
  buf_.insert(buf_.end(), value.begin(), value.begin() + static_cast<std::ptrdiff_t>(n));
}

std::vector<std::uint8_t> Writer::finish() && {
  const auto n = static_cast<std::uint32_t>(buf_.size());
  for (std::size_t i = 0; i < 4; ++i) buf_[8 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  return std::move(buf_);
}

const std::vector<Bytes>& Attrs::all(std::uint16_t id) const {
  static const std::vector<Bytes> kEmpty;
  auto it = values_.find(id);
  return it == values_.end() ? kEmpty : it->second;
}

Result<Frame> parse(const Dialect& dialect, Bytes frame) {
  auto refuse = [&](const std::string& what) { return malformed(dialect, what); };
  if (frame.size() < kHeaderSize) {
    return refuse("truncated header (" + std::to_string(frame.size()) + " bytes)");
  }
  if (frame.size() > dialect.max_frame) {
    return refuse("oversized, too large (" + std::to_string(frame.size()) + " bytes, at most " +
                  std::to_string(dialect.max_frame) + ")");
  }
  if (!std::equal(dialect.magic.begin(), dialect.magic.end(), frame.begin())) {
    return refuse("bad magic");
  }
  const std::uint16_t version = get_u16(&frame[4]);
  if (version != dialect.version) {
    return refuse("protocol version " + std::to_string(version) + ", expected " +
                  std::to_string(dialect.version));
  }
  const std::uint16_t type = get_u16(&frame[6]);
  const Schema* rules = dialect.schema(type);
  if (rules == nullptr) return refuse("unknown message type " + std::to_string(type));
  const std::uint32_t length = get_u32(&frame[8]);
  if (length != frame.size()) {
    return refuse("length field says " + std::to_string(length) + " bytes, frame has " +
                  std::to_string(frame.size()));
  }

  Frame out{type, {}};
  std::map<std::uint16_t, std::size_t> counts;
  std::size_t pos = kHeaderSize;
  while (pos < frame.size()) {
    if (frame.size() - pos < kAttrHeaderSize) return refuse("truncated attribute header");
    const std::uint16_t id = get_u16(&frame[pos]);
    const std::uint16_t len = get_u16(&frame[pos + 2]);
    pos += kAttrHeaderSize;
    if (frame.size() - pos < len) {
      return refuse("attribute " + std::to_string(id) + " runs past the end of the frame");
    }
    auto rule = std::ranges::find(*rules, id, &AttrRule::id);
    if (rule == rules->end()) {
      return refuse("unexpected attribute " + std::to_string(id) + " in message type " +
                    std::to_string(type));
    }
    if (len < rule->min_len || len > rule->max_len) {
      return refuse(std::string(rule->name) + " has length " + std::to_string(len));
    }
    if (++counts[id] > rule->max_count) {
      return refuse(rule->max_count == 1 ? std::string("duplicate ") + rule->name
                                         : "too many " + plural(rule->name) + " (at most " +
                                               std::to_string(rule->max_count) + ")");
    }
    out.attrs.add(id, frame.subspan(pos, len));
    pos += len;
  }
  for (const auto& rule : *rules) {
    if (rule.required && !out.attrs.has(rule.id)) {
      return refuse(std::string("missing ") + rule.name);
    }
  }
  return out;
}

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put_u16(out, static_cast<std::uint16_t>(v >> 16));
  put_u16(out, static_cast<std::uint16_t>(v));
}

bool has_control(Bytes v) {
  return std::ranges::any_of(v, [](std::uint8_t c) { return c < 0x20 || c == 0x7f; });
}

bool has_nul(Bytes v) { return std::ranges::find(v, std::uint8_t{0}) != v.end(); }

std::string as_string(Bytes v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

Result<std::string> text(const Dialect& dialect, Bytes v, const char* what) {
  if (has_control(v)) {
    return malformed(dialect, std::string(what) + " contains a control character");
  }
  return as_string(v);
}

std::string clean_text(std::string_view text, std::size_t max) {
  std::string out(text.substr(0, max));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

}  // namespace vpnns::tlv
