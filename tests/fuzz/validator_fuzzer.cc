// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz target: the helper's semantic validation (helper/validate.h), fed the way the helper feeds
// it — each input is a frame, decoded with decode_request, and what decodes goes to the checks
// the helper runs for that event:
//   * UP: validate_up with no pinned device and with "tun0" pinned. An accepted UP must have
//     the shape validation promises (an address, MTU and prefix lengths in range, unicast
//     addresses); pinning may only refuse other names. The accepted UP then serves as the link
//     for a plain ROUTE_UP (a network per family, and one via the point-to-point peer), which
//     it must accept: whatever validate_up lets through, validate_route_up can work with.
//   * ROUTE_UP: validate_route_up against three fixed, valid links (dual-stack subnet, IPv4
//     point-to-point, IPv6 only); when accepted, desired_routes for a client and for a server,
//     whose result must hold what the helper installs blindly: destinations without host bits,
//     gateways on the link, only families the link has, no two routes with one destination and
//     metric, every pushed route present, a client's default route per family, and a warning
//     for every route it dropped.
//   * IPCHANGE (and UP's remote): validate_remote accepts exactly the unicast addresses.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "helper/route_plan.h"
#include "helper/validate.h"
#include "helper_ipc/wire.h"
#include "tests/fuzz/fuzz_check.h"

namespace vpnns::fuzz {
namespace {

constexpr int kIfindex = 7;

IpAddr addr(const char* text) { return *IpAddr::parse(text); }
Prefix prefix(const char* text) { return *Prefix::parse(text); }

UpRequest dual_stack_link() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1500;
  up.v4 = Ipv4Config{addr("192.0.2.2"), 24, std::nullopt};
  up.v6 = Ipv6Config{addr("2001:db8:100::1000"), 64};
  return up;
}

UpRequest p2p_link() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1500;
  up.v4 = Ipv4Config{addr("192.0.2.6"), 32, addr("192.0.2.5")};
  return up;
}

UpRequest v6_only_link() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1280;
  up.v6 = Ipv6Config{addr("2001:db8:100::1000"), 64};
  return up;
}

bool has_family(const UpRequest& link, Family f) {
  return f == Family::kV4 ? link.v4.has_value() : link.v6.has_value();
}

std::uint32_t default_metric(Family f) {
  return f == Family::kV4 ? kDefaultMetricV4 : kDefaultMetricV6;
}

// Whether `gw` is a next hop the tunnel `link` can reach, stated independently of validate.cc.
bool on_link(const IpAddr& gw, Family f, const UpRequest& link) {
  if (gw.family() != f || !gw.is_unicast()) return false;
  if (f == Family::kV4) {
    const Ipv4Config& v4 = *link.v4;
    if (gw == v4.local) return false;
    if (v4.peer) return gw == *v4.peer;
    const Prefix subnet{v4.local.masked(v4.prefix_len), v4.prefix_len};
    if (v4.prefix_len <= 30 &&
        (gw == subnet.addr || gw == v4.local.last_in_prefix(v4.prefix_len))) {
      return false;
    }
    return subnet.contains(gw);
  }
  const Ipv6Config& v6 = *link.v6;
  return gw != v6.local && Prefix{v6.local, v6.prefix_len}.contains(gw);
}

// `req` was accepted for `link`: what desired_routes makes of it must be installable as is.
// `add_defaults`: a client's namespace gets a default route per family, a server's does not.
void check_desired_routes(const RouteUpRequest& req, const UpRequest& link, bool add_defaults) {
  std::vector<std::string> warnings;
  const std::vector<RouteSpec> routes = desired_routes(req, link, kIfindex, add_defaults, warnings);
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const RouteSpec& spec = routes[i];
    FUZZ_CHECK(!spec.dst.has_host_bits());
    FUZZ_CHECK(has_family(link, spec.dst.family()));
    FUZZ_CHECK(!spec.gateway || on_link(*spec.gateway, spec.dst.family(), link));
    FUZZ_CHECK(spec.oif == kIfindex && spec.table == kMainTable && spec.protocol == kRouteProtocol);
    for (std::size_t j = 0; j < i; ++j) {
      FUZZ_CHECK(!(routes[j].dst == spec.dst && routes[j].priority == spec.priority));
    }
  }
  for (const Route& r : req.routes) {
    const std::uint32_t priority = r.metric.value_or(default_metric(r.dst.family()));
    FUZZ_CHECK(std::ranges::any_of(
        routes, [&](const RouteSpec& s) { return s.dst == r.dst && s.priority == priority; }));
  }
  std::size_t defaults_added = 0;
  for (Family f : {Family::kV4, Family::kV6}) {
    if (!add_defaults || !has_family(link, f)) continue;
    FUZZ_CHECK(std::ranges::any_of(
        routes, [&](const RouteSpec& s) { return s.dst.family() == f && s.dst.len == 0; }));
    const bool pushed = std::ranges::any_of(
        req.routes, [&](const Route& r) { return r.dst.family() == f && r.dst.len == 0; });
    if (!pushed) ++defaults_added;
  }
  FUZZ_CHECK(routes.size() + warnings.size() == req.routes.size() + defaults_added);
}

// A ROUTE_UP that every valid link must accept.
RouteUpRequest plain_route_up(const UpRequest& link) {
  RouteUpRequest req{link.dev, {}, {}};
  if (link.v4) {
    req.routes.push_back(Route{prefix("198.51.100.0/24"), std::nullopt, std::nullopt});
    if (link.v4->peer) req.routes.push_back(Route{prefix("203.0.113.0/24"), link.v4->peer, 5});
  }
  if (link.v6) req.routes.push_back(Route{prefix("2001:db8:200::/48"), std::nullopt, 100});
  req.dns.servers = {addr("192.0.2.53"), addr("2001:db8:100::53")};
  req.dns.search = {"example.test"};
  return req;
}

void check_remote(const IpAddr& remote) {
  FUZZ_CHECK(validate_remote(remote).ok() == remote.is_unicast());
}

void check_up(const UpRequest& up) {
  const Status unpinned = validate_up(up, std::nullopt);
  const Status pinned = validate_up(up, std::string("tun0"));
  FUZZ_CHECK(!pinned.ok() || (unpinned.ok() && up.dev == "tun0"));
  FUZZ_CHECK(!(unpinned.ok() && up.dev == "tun0") || pinned.ok());
  if (up.remote) check_remote(*up.remote);
  if (!unpinned.ok()) return;

  FUZZ_CHECK(up.v4 || up.v6);
  FUZZ_CHECK(up.mtu >= (up.v6 ? kMinMtuIpv6 : kMinMtu) && up.mtu <= kMaxMtu);
  if (up.v4) {
    FUZZ_CHECK(up.v4->local.is_v4() && up.v4->local.is_unicast());
    FUZZ_CHECK(up.v4->prefix_len >= 1 && up.v4->prefix_len <= 32);
    FUZZ_CHECK(!up.v4->peer || (up.v4->prefix_len == 32 && *up.v4->peer != up.v4->local));
  }
  if (up.v6) {
    FUZZ_CHECK(!up.v6->local.is_v4() && up.v6->local.is_unicast());
    FUZZ_CHECK(up.v6->prefix_len >= 1 && up.v6->prefix_len <= 128);
  }

  const RouteUpRequest req = plain_route_up(up);
  FUZZ_CHECK(validate_route_up(req, up).ok());
  check_desired_routes(req, up, true);
  check_desired_routes(req, up, false);
}

void check_route_up(const RouteUpRequest& req) {
  for (const UpRequest& link : {dual_stack_link(), p2p_link(), v6_only_link()}) {
    const Status s = validate_route_up(req, link);
    if (!s.ok()) continue;
    FUZZ_CHECK(req.dev == link.dev);
    check_desired_routes(req, link, true);
    check_desired_routes(req, link, false);
  }
}

}  // namespace
}  // namespace vpnns::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // The fixed links must be what the helper accepts at UP, or the ROUTE_UP checks mean nothing.
  for (const vpnns::UpRequest& link :
       {vpnns::fuzz::dual_stack_link(), vpnns::fuzz::p2p_link(), vpnns::fuzz::v6_only_link()}) {
    FUZZ_CHECK(vpnns::validate_up(link, std::string("tun0")).ok());
    vpnns::fuzz::check_up(link);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto request = vpnns::decode_request(std::span<const std::uint8_t>(data, size));
  if (!request.ok()) return 0;
  if (const auto* up = std::get_if<vpnns::UpRequest>(&*request)) {
    vpnns::fuzz::check_up(*up);
  } else if (const auto* route_up = std::get_if<vpnns::RouteUpRequest>(&*request)) {
    vpnns::fuzz::check_route_up(*route_up);
  } else if (const auto* ipchange = std::get_if<vpnns::IpChangeRequest>(&*request)) {
    vpnns::fuzz::check_remote(ipchange->remote);
  }
  return 0;
}
