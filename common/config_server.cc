// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/config_server.h"

namespace vpnns {

std::vector<Prefix> parse_prefix_list(std::string_view text, std::string& problem) {
  std::vector<Prefix> out;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    auto p = Prefix::parse(item);
    if (!p) {
      problem = "'" + std::string(item) + "' is not a PREFIX/LEN";
      return {};
    }
    if (p->has_host_bits()) {
      problem = "'" + std::string(item) + "' has host bits set (write the network, e.g. " +
                Prefix{p->addr.masked(p->len), p->len}.str() + ")";
      return {};
    }
    out.push_back(*p);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string prefix_list_str(const std::vector<Prefix>& prefixes) {
  std::string out;
  for (const Prefix& p : prefixes) out += (out.empty() ? "" : ",") + p.str();
  return out;
}

bool covered_by(const std::vector<Prefix>& within, const Prefix& p) {
  for (const Prefix& w : within) {
    if (w.family() == p.family() && w.len <= p.len && w.contains(p.addr)) return true;
  }
  return false;
}

}  // namespace vpnns
