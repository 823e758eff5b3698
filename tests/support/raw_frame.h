// SPDX-License-Identifier: GPL-2.0-or-later
// Frames of the plugin <-> helper protocol (helper_ipc/wire.h) built byte by byte, so that tests
// can send what encode_request() never would: wrong versions, lengths, attributes, garbage.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace vpnns::testing {

// The 12-byte header: magic "VPNS", version, type, total length (all big-endian).
inline std::vector<std::uint8_t> raw_header(std::uint16_t type, std::uint32_t len,
                                            std::uint16_t version = 1) {
  return {'V',
          'P',
          'N',
          'S',
          static_cast<std::uint8_t>(version >> 8),
          static_cast<std::uint8_t>(version),
          static_cast<std::uint8_t>(type >> 8),
          static_cast<std::uint8_t>(type),
          static_cast<std::uint8_t>(len >> 24),
          static_cast<std::uint8_t>(len >> 16),
          static_cast<std::uint8_t>(len >> 8),
          static_cast<std::uint8_t>(len)};
}

// Appends one attribute: id, value length, value.
inline void raw_attr(std::vector<std::uint8_t>& f, std::uint16_t id,
                     const std::vector<std::uint8_t>& v) {
  f.insert(f.end(),
           {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id),
            static_cast<std::uint8_t>(v.size() >> 8), static_cast<std::uint8_t>(v.size())});
  f.insert(f.end(), v.begin(), v.end());
}

// Sets the header's length to the frame's size.
inline void raw_fix_length(std::vector<std::uint8_t>& f) {
  const auto n = static_cast<std::uint32_t>(f.size());
  f[8] = static_cast<std::uint8_t>(n >> 24);
  f[9] = static_cast<std::uint8_t>(n >> 16);
  f[10] = static_cast<std::uint8_t>(n >> 8);
  f[11] = static_cast<std::uint8_t>(n);
}

// A frame of `type` with these attributes, its length right.
inline std::vector<std::uint8_t> raw_frame(
    std::uint16_t type,
    const std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>>& attrs) {
  auto f = raw_header(type, 0);
  for (const auto& [id, v] : attrs) raw_attr(f, id, v);
  raw_fix_length(f);
  return f;
}

}  // namespace vpnns::testing
