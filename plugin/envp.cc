// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/envp.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/names.h"
#include "plugin/envp_values.h"

namespace vpnns {
namespace {

using envp::bad;
using envp::parse_uint;
using envp::require;

Result<std::string> dev_of(const Env& env) {
  VPNNS_ASSIGN_OR_RETURN(auto dev, require(env, "dev"));
  if (!is_valid_ifname(dev)) {
    return bad("dev", dev, "not an interface name (1-15 characters of A-Z a-z 0-9 _ . -)");
  }
  return std::string(dev);
}

Result<Context> context_of(const Env& env) {
  auto v = env.get("script_context");
  if (!v || *v == "init") return Context::kInit;
  if (*v == "restart") return Context::kRestart;
  return bad("script_context", *v, "expected 'init' or 'restart'");
}

Result<IpAddr> addr_var(const Env& env, std::string_view name, Family family) {
  VPNNS_ASSIGN_OR_RETURN(auto text, require(env, name));
  auto a = IpAddr::parse(text, family);
  if (!a)
    return bad(name, text, family == Family::kV4 ? "not an IPv4 address" : "not an IPv6 address");
  return *a;
}

std::string indexed(std::string_view prefix, std::size_t n, std::string_view suffix = {}) {
  return std::string(prefix) + std::to_string(n) + std::string(suffix);
}

template <typename T>
void push_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// The variables openvpn sets for the routes of one family: route_network_N, route_gateway_N ...
// and route_ipv6_network_N ... (IPv4 also has route_netmask_N, IPv6 a prefix in its network).
struct RouteVars {
  Family family;
  const char* net_gateway;
  const char* network;
  const char* gateway;
  const char* metric;
};
constexpr RouteVars kRouteVarsV4{Family::kV4, "route_net_gateway", "route_network_",
                                 "route_gateway_", "route_metric_"};
constexpr RouteVars kRouteVarsV6{Family::kV6, "net_gateway_ipv6", "route_ipv6_network_",
                                 "route_ipv6_gateway_", "route_ipv6_metric_"};

// Route N's destination: IPv4 as network and netmask, IPv6 as one prefix.
Result<Prefix> route_dst(const Env& env, const RouteVars& vars, std::size_t n,
                         std::string_view net_text) {
  const std::string net_var = indexed(vars.network, n);
  if (vars.family == Family::kV6) {
    auto dst = Prefix::parse(net_text);
    if (!dst || dst->family() != Family::kV6) return bad(net_var, net_text, "not an IPv6 prefix");
    if (dst->has_host_bits()) return bad(net_var, net_text, "has host bits set");
    return *dst;
  }
  VPNNS_ASSIGN_OR_RETURN(auto net, addr_var(env, net_var, Family::kV4));
  const std::string mask_var = indexed("route_netmask_", n);
  VPNNS_ASSIGN_OR_RETURN(auto mask, addr_var(env, mask_var, Family::kV4));
  auto len = netmask_to_prefix_len(mask);
  if (!len) return bad(mask_var, mask.str(), "not a contiguous netmask");
  Prefix dst{net, *len};
  if (dst.has_host_bits()) {
    return bad(net_var, net.str(), "has host bits set for netmask " + mask.str());
  }
  return dst;
}

Status parse_routes(const Env& env, const RouteVars& vars, Parsed<RouteUpRequest>& out) {
  std::optional<IpAddr> net_gateway;
  if (auto g = env.get(vars.net_gateway)) net_gateway = IpAddr::parse(*g, vars.family);
  for (std::size_t n = 1;; ++n) {
    auto net_text = env.get(indexed(vars.network, n));
    if (!net_text) break;
    if (out.request.routes.size() >= kMaxRoutes) {
      return Error(Code::kInvalidArgument, "more than " + std::to_string(kMaxRoutes) + " routes");
    }
    VPNNS_ASSIGN_OR_RETURN(auto dst, route_dst(env, vars, n, *net_text));
    Route r{dst, std::nullopt, std::nullopt};
    const std::string gw_var = indexed(vars.gateway, n);
    if (env.get(gw_var)) {
      VPNNS_ASSIGN_OR_RETURN(auto gw, addr_var(env, gw_var, vars.family));
      if (net_gateway && gw == *net_gateway) {
        out.warnings.push_back("route " + r.dst.str() + " via net_gateway " + gw.str() +
                               " ignored: the namespace has no way out but the tunnel");
        continue;
      }
      r.gateway = gw;
    }
    const std::string metric_var = indexed(vars.metric, n);
    if (auto m = env.get(metric_var)) {
      auto v = parse_uint(*m);
      if (!v || *v > 0xffffffffu) return bad(metric_var, *m, "not a metric (0-4294967295)");
      r.metric = static_cast<std::uint32_t>(*v);
    }
    out.request.routes.push_back(r);
  }
  return ok_status();
}

Status add_dns_server(const std::string& var, std::string_view text, DnsConfig& dns) {
  auto a = IpAddr::parse(text);
  if (!a) return bad(var, text, "not an IP address");
  push_unique(dns.servers, *a);
  if (dns.servers.size() > kMaxDnsServers) {
    return Error(Code::kInvalidArgument,
                 "more than " + std::to_string(kMaxDnsServers) + " DNS servers");
  }
  return ok_status();
}

Status add_search_domain(const std::string& var, std::string_view text, DnsConfig& dns) {
  if (!is_valid_dns_name(text)) return bad(var, text, "not a DNS domain name");
  push_unique(dns.search, std::string(text));
  if (dns.search.size() > kMaxDnsSearch) {
    return Error(Code::kInvalidArgument,
                 "more than " + std::to_string(kMaxDnsSearch) + " DNS search domains");
  }
  return ok_status();
}

// --dns (2.6 in the plugin's env; 2.7 only in the env of the dns-updown command):
// dns_server_N_address_M (+ _port_M), dns_server_N_transport, _sni, _dnssec,
// _resolve_domain_K, dns_search_domain_N. Every value is checked, also those resolv.conf cannot
// use (a hostile server must not get anything odd past vpnns); servers resolv.conf cannot express
// (another transport, another port) are left out with a warning.
Status parse_dns_options(const Env& env, DnsConfig& dns, std::vector<std::string>& warnings) {
  for (std::size_t n = 1; n <= 64; ++n) {
    const std::string server = indexed("dns_server_", n, "_");
    if (!env.get(server + "address_1")) break;
    const auto transport = env.get(server + "transport");
    if (transport && *transport != "plain" && *transport != "DoH" && *transport != "DoT") {
      return bad(server + "transport", *transport, "not plain, DoH or DoT");
    }
    if (auto sni = env.get(server + "sni"); sni && !is_valid_dns_name(*sni)) {
      return bad(server + "sni", *sni, "not a DNS name");
    }
    if (auto sec = env.get(server + "dnssec");
        sec && *sec != "yes" && *sec != "no" && *sec != "optional") {
      return bad(server + "dnssec", *sec, "not yes, no or optional");
    }
    std::string resolve;
    for (std::size_t k = 1;; ++k) {
      const std::string var = server + "resolve_domain_" + std::to_string(k);
      auto d = env.get(var);
      if (!d) break;
      if (k > kMaxDnsSearch) {
        return Error(Code::kInvalidArgument, "more than " + std::to_string(kMaxDnsSearch) +
                                                 " resolve-domains for DNS server " +
                                                 std::to_string(n));
      }
      if (!is_valid_dns_name(*d)) return bad(var, *d, "not a DNS domain name");
      resolve += " " + std::string(*d);
    }
    for (std::size_t m = 1; m <= 8; ++m) {
      const std::string var = server + "address_" + std::to_string(m);
      auto text = env.get(var);
      if (!text) break;
      const std::string port_var = server + "port_" + std::to_string(m);
      const auto port = env.get(port_var);
      if (port) {
        auto p = parse_uint(*port);
        if (!p || *p == 0 || *p > 65535) return bad(port_var, *port, "not a port (1-65535)");
      }
      if (transport && *transport != "plain") {
        warnings.push_back("DNS server " + std::string(*text) + " uses transport " +
                           std::string(*transport) + ", which resolv.conf cannot express; ignored");
        continue;
      }
      if (port && *port != "53") {
        warnings.push_back("DNS server " + std::string(*text) + " on port " + std::string(*port) +
                           ": resolv.conf cannot express a port; ignored");
        continue;
      }
      VPNNS_TRY(add_dns_server(var, *text, dns));
    }
    if (!resolve.empty()) {
      warnings.push_back("DNS server " + std::to_string(n) + " is for" + resolve +
                         " only; the namespace has no other resolver, so it gets every name");
    }
  }
  for (std::size_t n = 1;; ++n) {
    const std::string var = indexed("dns_search_domain_", n);
    auto text = env.get(var);
    // openvpn 2.7 leaves _1 unset when it made its list from dhcp-option DOMAIN-SEARCH pushed
    // without dhcp-option DOMAIN (that slot is the DOMAIN's), and starts at _2.
    if (!text && n == 1) continue;
    if (!text) break;
    VPNNS_TRY(add_search_domain(var, *text, dns));
  }
  return ok_status();
}

// foreign_option_N = "dhcp-option TYPE VALUE" (pushed, or re-added from --dns).
Status parse_foreign_options(const Env& env, Parsed<RouteUpRequest>& out) {
  DnsConfig& dns = out.request.dns;
  for (std::size_t n = 1;; ++n) {
    const std::string var = indexed("foreign_option_", n);
    auto text = env.get(var);
    if (!text) break;
    constexpr std::string_view kPrefix = "dhcp-option ";
    if (!text->starts_with(kPrefix)) continue;
    std::string_view rest = text->substr(kPrefix.size());
    const auto space = rest.find(' ');
    const std::string_view type = rest.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (type == "DNS" || type == "DNS6") {
      VPNNS_TRY(add_dns_server(var, value, dns));
    } else if (type == "DOMAIN" || type == "DOMAIN-SEARCH") {
      VPNNS_TRY(add_search_domain(var, value, dns));
    }
    // Other dhcp-options (WINS, NTP, PROXY_*, ...) mean nothing inside a Linux namespace.
  }
  return ok_status();
}

}  // namespace

Env::Env(const char* const* envp) : envp_(envp) {}

std::optional<std::string_view> Env::get(std::string_view name) const {
  if (envp_ == nullptr) return std::nullopt;
  for (const char* const* e = envp_; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name)) {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

Result<Parsed<UpRequest>> parse_up(const Env& env) {
  Parsed<UpRequest> out;
  UpRequest& r = out.request;
  VPNNS_ASSIGN_OR_RETURN(r.dev, dev_of(env));
  VPNNS_ASSIGN_OR_RETURN(r.context, context_of(env));
  VPNNS_ASSIGN_OR_RETURN(auto mtu_text, require(env, "tun_mtu"));
  auto mtu = parse_uint(mtu_text);
  if (!mtu || *mtu > 0xffffffffu) return bad("tun_mtu", mtu_text, "not a number");
  r.mtu = static_cast<std::uint32_t>(*mtu);

  if (env.get("ifconfig_local")) {
    VPNNS_ASSIGN_OR_RETURN(auto local, addr_var(env, "ifconfig_local", Family::kV4));
    if (env.get("ifconfig_remote")) {
      // topology net30 / p2p: a point-to-point address with the peer as the other end.
      VPNNS_ASSIGN_OR_RETURN(auto peer, addr_var(env, "ifconfig_remote", Family::kV4));
      r.v4 = Ipv4Config{local, 32, peer};
    } else if (env.get("ifconfig_netmask")) {
      // topology subnet.
      VPNNS_ASSIGN_OR_RETURN(auto mask, addr_var(env, "ifconfig_netmask", Family::kV4));
      auto len = netmask_to_prefix_len(mask);
      if (!len) return bad("ifconfig_netmask", mask.str(), "not a contiguous netmask");
      r.v4 = Ipv4Config{local, *len, std::nullopt};
    } else {
      return Error(Code::kInvalidArgument,
                   "ifconfig_local is set but neither ifconfig_remote nor ifconfig_netmask");
    }
  }
  // The server's address, for the seal. trusted_ip6 is set instead of trusted_ip for an IPv6
  // peer; the helper prefers what IPCHANGE told it (the env set can hold a stale one).
  for (const char* var : {"trusted_ip6", "trusted_ip"}) {
    if (auto text = env.get(var)) {
      auto a = IpAddr::parse(*text);
      if (!a) return bad(var, *text, "not an IP address");
      r.remote = a->unmapped();
      break;
    }
  }
  if (env.get("ifconfig_ipv6_local")) {
    VPNNS_ASSIGN_OR_RETURN(auto local, addr_var(env, "ifconfig_ipv6_local", Family::kV6));
    VPNNS_ASSIGN_OR_RETURN(auto bits_text, require(env, "ifconfig_ipv6_netbits"));
    auto bits = parse_uint(bits_text);
    if (!bits || *bits > 128) return bad("ifconfig_ipv6_netbits", bits_text, "not 0-128");
    r.v6 = Ipv6Config{local, static_cast<std::uint8_t>(*bits)};
  }
  return out;
}

Result<Parsed<RouteUpRequest>> parse_route_up(const Env& env, bool netns_mode) {
  Parsed<RouteUpRequest> out;
  VPNNS_ASSIGN_OR_RETURN(out.request.dev, dev_of(env));
  VPNNS_TRY(parse_routes(env, kRouteVarsV4, out));
  VPNNS_TRY(parse_routes(env, kRouteVarsV6, out));
  VPNNS_TRY(parse_dns_options(env, out.request.dns, out.warnings));
  VPNNS_TRY(parse_foreign_options(env, out));
  if (netns_mode && env.get("redirect_gateway")) {
    // openvpn sets it only when it added routes itself, i.e. without route-noexec.
    out.warnings.push_back(
        "openvpn is adding routes itself: add 'route-noexec' (and 'ifconfig-noexec') to the "
        "openvpn configuration; in netns mode vpnns sets the routes inside the namespace");
  }
  return out;
}

Result<Parsed<DnsUpdownRequest>> parse_dns_updown(const Env& env) {
  Parsed<DnsUpdownRequest> out;
  VPNNS_ASSIGN_OR_RETURN(auto type, require(env, "script_type"));
  if (type != "dns-up" && type != "dns-down")
    return bad("script_type", type, "not dns-up or dns-down");
  out.request.up = type == "dns-up";
  VPNNS_ASSIGN_OR_RETURN(out.request.dev, dev_of(env));
  // dns-down repeats the values of the dns-up it undoes; what goes is what the helper holds.
  if (out.request.up) VPNNS_TRY(parse_dns_options(env, out.request.dns, out.warnings));
  return out;
}

Result<Parsed<RoutePredownRequest>> parse_route_predown(const Env& env) {
  Parsed<RoutePredownRequest> out;
  VPNNS_ASSIGN_OR_RETURN(out.request.dev, dev_of(env));
  return out;
}

Result<Parsed<DownRequest>> parse_down(const Env& env) {
  Parsed<DownRequest> out;
  VPNNS_ASSIGN_OR_RETURN(out.request.dev, dev_of(env));
  VPNNS_ASSIGN_OR_RETURN(out.request.context, context_of(env));
  return out;
}

Result<Parsed<IpChangeRequest>> parse_ipchange(const Env& env, const char* const* argv) {
  // argv[1] is the peer as openvpn prints it: "[AF_INET]192.0.2.1 1194" (or a bare address,
  // or the port as a separate word). It is this event's own value; trusted_ip/trusted_ip6 in
  // the env set can be stale after a switch of address family, so they are only a fallback.
  std::string joined;
  for (const char* const* a = argv != nullptr && argv[0] != nullptr ? argv + 1 : nullptr;
       a != nullptr && *a != nullptr; ++a) {
    if (!joined.empty()) joined += ' ';
    joined += *a;
  }
  std::string_view peer = joined;
  for (std::string_view tag : {"[AF_INET6]", "[AF_INET]"}) {
    if (peer.starts_with(tag)) peer.remove_prefix(tag.size());
  }
  std::string_view addr_text, port_text;
  std::string addr_var_name = "argv[1]";
  if (const auto space = peer.rfind(' '); space != std::string_view::npos) {
    addr_text = peer.substr(0, space);
    port_text = peer.substr(space + 1);
  } else {
    addr_var_name = env.get("trusted_ip6") ? "trusted_ip6" : "trusted_ip";
    VPNNS_ASSIGN_OR_RETURN(addr_text, require(env, addr_var_name));
    VPNNS_ASSIGN_OR_RETURN(port_text, require(env, "trusted_port"));
  }
  auto addr = IpAddr::parse(addr_text);
  if (!addr) return bad(addr_var_name, addr_text, "not an IP address");
  auto port = parse_uint(port_text);
  if (!port || *port == 0 || *port > 65535) return bad(addr_var_name, port_text, "not a port");
  Parsed<IpChangeRequest> out;
  // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; on the wire it is IPv4.
  out.request = IpChangeRequest{addr->unmapped(), static_cast<std::uint16_t>(*port)};
  return out;
}

}  // namespace vpnns
