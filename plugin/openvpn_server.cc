// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/openvpn_server.h"

#include <charconv>

#include "common/config_server.h"

namespace vpnns {

std::vector<std::string> take_server_options(const OpenvpnOptions& o, Config& config) {
  std::vector<std::string> warnings;
  auto add_pool = [&](const Prefix& p) {
    if (!covered_by(config.client_pool, p)) config.client_pool.push_back(p);
  };
  if (o.server) {
    const auto net = IpAddr::parse(o.server->first);
    const auto mask = IpAddr::parse(o.server->second);
    const auto len = mask ? netmask_to_prefix_len(*mask) : std::nullopt;
    if (net && len && net->family() == Family::kV4) {
      add_pool(Prefix{net->masked(*len), *len});
    } else {
      warnings.push_back("openvpn's 'server " + o.server->first + " " + o.server->second +
                         "' does not parse: client pools come from UP and client-pool= only");
    }
  }
  if (o.server_ipv6) {
    const auto p = Prefix::parse(*o.server_ipv6);
    if (p && p->family() == Family::kV6) {
      add_pool(Prefix{p->addr.masked(p->len), p->len});
    } else {
      warnings.push_back("openvpn's 'server-ipv6 " + *o.server_ipv6 +
                         "' does not parse: client pools come from UP and client-pool= only");
    }
  }
  if (o.max_clients && config.client_max == 0) {
    std::uint32_t n = 0;
    const std::string& t = *o.max_clients;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec == std::errc() && end == t.data() + t.size() && n > 0) {
      config.client_max = n;
    } else {
      warnings.push_back("openvpn's 'max-clients " + t + "' does not parse: client-max=1024");
    }
  }
  return warnings;
}

}  // namespace vpnns
