// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/status_words.h"

namespace vpnns::ctl {

std::string ip_text(const IpAddr& a) { return a.str(); }

std::string addr_text(const StateAddress& a) {
  return address_text(a) + (a.peer ? " peer " + a.peer->str() : "");
}

std::string route_text(const StateRoute& r) {
  std::string out = r.dst.str();
  if (r.gateway) out += " via " + r.gateway->str();
  const std::uint32_t usual = r.dst.family() == Family::kV4 ? 0 : 1024;
  if (r.metric != usual) out += " metric " + std::to_string(r.metric);
  return out;
}

std::string or_none(const std::string& s) { return s.empty() ? "none" : s; }

}  // namespace vpnns::ctl
