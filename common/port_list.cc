// SPDX-License-Identifier: GPL-2.0-or-later
// killswitch-ports=PROTO/PORT,...: the ways out the kill switch leaves openvpn's own sockets
// before the server's address is known (common/config.h). Parsed here for the plugin line and
// for the `remote` lines openvpn tells the plugin at open time.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"

namespace vpnns {
namespace {

// 1-65535 as plain decimal digits (no sign, no leading zero); 0 for anything else.
std::uint64_t port_number(std::string_view v) {
  if (v.empty() || v.size() > 5 || v[0] == '0') return 0;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

std::vector<RemotePort> parse_port_list(std::string_view text, std::string& problem) {
  std::vector<RemotePort> out;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto slash = item.find('/');
    const std::string_view proto = item.substr(0, slash);
    const std::uint64_t port =
        slash == std::string_view::npos ? 0 : port_number(item.substr(slash + 1));
    if ((proto != "udp" && proto != "tcp") || port == 0 || port > 65535) {
      problem = "'" + std::string(item) + "' is not PROTO/PORT (udp or tcp, port 1-65535)";
      return {};
    }
    RemotePort p{proto == "tcp", static_cast<std::uint16_t>(port)};
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (out.size() > 16) {
    problem = "more than 16 ports";
    return {};
  }
  return out;
}

}  // namespace vpnns
