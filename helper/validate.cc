// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/validate.h"

#include <algorithm>

#include "common/names.h"

namespace vpnns {
namespace {

Error refuse(const std::string& why) { return Error(Code::kInvalidArgument, why); }

const char* family_name(Family f) { return f == Family::kV4 ? "IPv4" : "IPv6"; }

Status check_dev(const std::string& dev, const std::optional<std::string>& pinned) {
  if (!is_valid_ifname(dev)) return refuse("device name '" + dev + "' is not a valid name");
  if (pinned && dev != *pinned) {
    return Error(Code::kFailedPrecondition, "request names device '" + dev +
                                                "', but this tunnel's device is '" + *pinned + "'");
  }
  return ok_status();
}

Status check_host_address(const IpAddr& a, Family family, const std::string& what) {
  if (a.family() != family) return refuse(what + " " + a.str() + " is not " + family_name(family));
  if (!a.is_unicast()) return refuse(what + " " + a.str() + " is not a unicast address");
  return ok_status();
}

// Whether `gw` is reachable on the tunnel configured by `link` (on-link, not our own address).
Status check_gateway(const IpAddr& gw, const UpRequest& link, const Route& r) {
  const std::string what = "route " + r.dst.str() + " gateway";
  VPNNS_TRY(check_host_address(gw, r.dst.family(), what));
  if (gw.is_v4()) {
    const Ipv4Config& v4 = *link.v4;
    if (gw == v4.local) return refuse(what + " " + gw.str() + " is the tunnel's own address");
    const bool reachable = v4.peer ? gw == *v4.peer : Prefix{v4.local, v4.prefix_len}.contains(gw);
    const Prefix subnet{v4.local.masked(v4.prefix_len), v4.prefix_len};
    if (!reachable) {
      return refuse(what + " " + gw.str() + " is not reachable through the tunnel (" +
                    (v4.peer ? "peer " + v4.peer->str() : "subnet " + subnet.str()) + ")");
    }
    if (!v4.peer && v4.prefix_len <= 30 &&
        (gw == subnet.addr || gw == v4.local.last_in_prefix(v4.prefix_len))) {
      return refuse(what + " " + gw.str() + " is the network or broadcast address of " +
                    subnet.str());
    }
    return ok_status();
  }
  const Ipv6Config& v6 = *link.v6;
  if (gw == v6.local) return refuse(what + " " + gw.str() + " is the tunnel's own address");
  if (!Prefix{v6.local, v6.prefix_len}.contains(gw)) {
    return refuse(what + " " + gw.str() + " is not reachable through the tunnel (subnet " +
                  Prefix{v6.local.masked(v6.prefix_len), v6.prefix_len}.str() + ")");
  }
  return ok_status();
}

}  // namespace

Status validate_up(const UpRequest& up, const std::optional<std::string>& pinned_dev) {
  VPNNS_TRY(check_dev(up.dev, pinned_dev));
  if (!up.v4 && !up.v6) {
    return refuse("UP carries no tunnel address (neither ifconfig_local nor ifconfig_ipv6_local)");
  }
  const std::uint32_t min_mtu = up.v6 ? kMinMtuIpv6 : kMinMtu;
  if (up.mtu < min_mtu || up.mtu > kMaxMtu) {
    const bool ipv6_floor = up.v6 && up.mtu < kMinMtuIpv6;
    return refuse("tun_mtu " + std::to_string(up.mtu) + " is outside " + std::to_string(min_mtu) +
                  "-" + std::to_string(kMaxMtu) +
                  (ipv6_floor ? " (IPv6 needs at least 1280)" : ""));
  }
  if (up.v4) {
    const Ipv4Config& v4 = *up.v4;
    VPNNS_TRY(check_host_address(v4.local, Family::kV4, "ifconfig_local"));
    if (v4.prefix_len < 1 || v4.prefix_len > 32) {
      return refuse("IPv4 prefix length /" + std::to_string(v4.prefix_len) + " is outside 1-32");
    }
    if (v4.peer) {
      VPNNS_TRY(check_host_address(*v4.peer, Family::kV4, "ifconfig_remote"));
      if (*v4.peer == v4.local) return refuse("ifconfig_remote equals ifconfig_local");
      if (v4.prefix_len != 32) return refuse("a point-to-point address must be a /32");
    } else if (v4.prefix_len <= 30) {
      const IpAddr net = v4.local.masked(v4.prefix_len);
      const Prefix subnet{net, v4.prefix_len};
      const IpAddr last = v4.local.last_in_prefix(v4.prefix_len);
      if (v4.local == net || v4.local == last) {
        return refuse("ifconfig_local " + v4.local.str() +
                      " is the network or broadcast address of " + subnet.str());
      }
    }
  }
  if (up.v6) {
    const Ipv6Config& v6 = *up.v6;
    VPNNS_TRY(check_host_address(v6.local, Family::kV6, "ifconfig_ipv6_local"));
    if (v6.prefix_len < 1 || v6.prefix_len > 128) {
      return refuse("IPv6 prefix length /" + std::to_string(v6.prefix_len) + " is outside 1-128");
    }
  }
  return ok_status();
}

Status validate_remote(const IpAddr& remote) {
  if (!remote.is_unicast()) {
    return refuse("VPN server address " + remote.str() + " is not a unicast address");
  }
  return ok_status();
}

Status validate_route_up(const RouteUpRequest& req, const UpRequest& link) {
  VPNNS_TRY(check_dev(req.dev, link.dev));
  for (const Route& r : req.routes) {
    const Family f = r.dst.family();
    if ((f == Family::kV4 && !link.v4) || (f == Family::kV6 && !link.v6)) {
      return refuse(std::string("route ") + r.dst.str() + ": the tunnel has no " + family_name(f) +
                    " address");
    }
    if (r.dst.has_host_bits()) return refuse("route " + r.dst.str() + " has host bits set");
    if (r.gateway) VPNNS_TRY(check_gateway(*r.gateway, link, r));
  }
  return validate_dns(req.dns);
}

Status validate_dns(const DnsConfig& dns) {
  for (const IpAddr& s : dns.servers) {
    if (!s.is_unicast()) return refuse("DNS server " + s.str() + " is not a unicast address");
  }
  for (const std::string& d : dns.search) {
    if (!is_valid_dns_name(d)) return refuse("DNS search domain '" + d + "' is not a DNS name");
  }
  return ok_status();
}

Status validate_dns_updown(const DnsUpdownRequest& req, const std::optional<std::string>& pinned) {
  VPNNS_TRY(check_dev(req.dev, pinned));
  return validate_dns(req.dns);
}

}  // namespace vpnns
