// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/envp_values.h"

#include <algorithm>
#include <charconv>

#include "helper_ipc/messages.h"

namespace vpnns::envp {

// The value as it may be quoted in openvpn's log: at most 200 bytes, and every byte that is not
// printable ASCII (control characters, C1 controls, any byte of a multi-byte sequence) as \xNN,
// so that a hostile value cannot write terminal escapes or fake lines into the log.
std::string quoted(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : value.substr(0, 200)) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

Error bad(std::string_view var, std::string_view value, std::string_view why) {
  return Error(Code::kInvalidArgument,
               std::string(var) + "='" + quoted(value) + "': " + std::string(why));
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<std::string_view> require(const Env& env, std::string_view name) {
  auto v = env.get(name);
  if (!v) return Error(Code::kInvalidArgument, std::string(name) + " is not set");
  return *v;
}

Result<std::string> common_name(std::string_view var, std::string_view cn) {
  if (cn.empty() || cn.size() > kMaxCommonName) return bad(var, cn, "not 1-64 characters");
  if (std::any_of(cn.begin(), cn.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return bad(var, cn, "contains a control character");
  }
  return std::string(cn);
}

Result<std::string> common_name_of(const Env& env) {
  VPNNS_ASSIGN_OR_RETURN(auto cn, require(env, "common_name"));
  return common_name("common_name", cn);
}

}  // namespace vpnns::envp
