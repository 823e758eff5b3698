// SPDX-License-Identifier: GPL-2.0-or-later
// The value checks every envp parser shares (envp.cc for a client's events, envp_server.cc for a
// server's): a refusal that quotes the variable and its value (cut at 200 bytes), an unsigned
// number without sign, spaces or leading zeros, a variable that must be set, and a certificate's
// common name as the helper will accept it. Pure, like envp.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "plugin/envp.h"

namespace vpnns::envp {

// "VAR='VALUE': WHY", as an invalid-argument error.
Error bad(std::string_view var, std::string_view value, std::string_view why);
std::optional<std::uint64_t> parse_uint(std::string_view s);
// The value of `name`, or an error saying it is not set.
Result<std::string_view> require(const Env& env, std::string_view name);
// 1-64 characters, no control characters (openvpn itself maps them to '_'; anything else did
// not come from openvpn).
Result<std::string> common_name(std::string_view var, std::string_view cn);
// The env's common_name, checked as above.
Result<std::string> common_name_of(const Env& env);

}  // namespace vpnns::envp
