#include "plugin/envp_values.h"

#include <algorithm>
#include <charconv>

#include "common/messages.h"

namespace vpnns::envp {

Error bad(std::string_view var, std::string_view value, std::string_view why) {
  return Error(Code::kInvalidArgument, std::string(var) + "='" + std::string(value.substr(0, 200)) +
                                           "': " + std::string(why));
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
