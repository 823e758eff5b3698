// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/printable.h"

namespace vpnns::ctl {
namespace {

// The length of the valid UTF-8 sequence that starts at text[pos] (a byte >= 0x80), or 0 if
// none does (overlong forms, surrogates and values past U+10FFFF are not UTF-8).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (pos + n > text.size()) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
      continue;
    }
    if (c < 0x80) {
      out += s[i];
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    // Not UTF-8, or a C1 control (U+0080..U+009F: 0xc2 0x80..0x9f), which terminals may obey.
    if (n == 0 || (c == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f)) {
      out += '?';
      if (n != 0) i += n - 1;
      continue;
    }
    out.append(s.substr(i, n));
    i += n - 1;
  }
  return out;
}

}  // namespace vpnns::ctl
