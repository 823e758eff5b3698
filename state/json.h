// SPDX-License-Identifier: GPL-2.0-or-later
// Json: vpnns's two JSON documents, through nlohmann/json (Debian's nlohmann-json3-dev).
//
// Two documents need JSON: the state file the helper writes under /run/vpnns (state/state.h) and
// `vpnnsctl status --json` (ctl/status_json.cc). The value type is nlohmann's ordered_json, so
// members keep their insertion order and the output is stable and diffs are readable; this file
// adds only vpnns's policy on top of the library.
//
// Reading is strict, because a state file is read back by root and anything but what vpnns writes
// is an error, not a guess: the library refuses what is not JSON (trailing bytes, invalid UTF-8,
// lone surrogates, leading zeros, comments), and json_parse also refuses numbers with a fraction
// or an exponent, integers outside int64, duplicate member names, nesting deeper than
// kJsonMaxDepth and texts over kJsonMaxText bytes. Integers are always read as int64.
//
// Writing (json_dump) escapes control characters, '"' and '\\'; valid UTF-8 passes through and
// every byte that is not part of it becomes U+FFFD (event messages may quote a hostile peer's
// bytes): whatever is written parses. One line, or two spaces of indent per level with `pretty`.
//
// Only the library's forward declarations are included here; code that builds or reads values
// includes <nlohmann/json.hpp> itself.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace vpnns {

using Json = nlohmann::ordered_json;

inline constexpr int kJsonMaxDepth = 32;
inline constexpr std::size_t kJsonMaxText = 1 << 20;

// One JSON document, strictly (see above); the error says what is wrong and where.
[[nodiscard]] Result<Json> json_parse(std::string_view text);

// The document as text: one line, or indented with `pretty`.
std::string json_dump(const Json& value, bool pretty = false);

// `s` as a JSON string literal, quotes included (for error messages that quote a value).
std::string json_quote(std::string_view s);

// The member `key` of an object, or nullptr (also when `value` is not an object).
const Json* json_find(const Json& value, std::string_view key);

}  // namespace vpnns
