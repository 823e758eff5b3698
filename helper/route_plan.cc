// SPDX-License-Identifier: GPL-2.0-or-later
// desired_routes (route_plan.h): pure; what a validated ROUTE_UP installs.
#include "helper/route_plan.h"

#include <algorithm>

namespace vpnns {
namespace {

std::uint32_t default_metric(Family f) {
  return f == Family::kV4 ? kDefaultMetricV4 : kDefaultMetricV6;
}

}  // namespace

std::vector<RouteSpec> desired_routes(const RouteUpRequest& req, const UpRequest& link, int ifindex,
                                      bool add_defaults, std::vector<std::string>& warnings) {
  std::vector<RouteSpec> out;
  auto add = [&](const RouteSpec& spec) {
    auto same = std::ranges::find_if(
        out, [&](const RouteSpec& s) { return s.dst == spec.dst && s.priority == spec.priority; });
    if (same != out.end()) {
      warnings.push_back("route " + spec.dst.str() + " metric " + std::to_string(spec.priority) +
                         " given twice; the first one is used");
      return;
    }
    out.push_back(spec);
  };
  for (const Route& r : req.routes) {
    add(RouteSpec{r.dst, r.gateway, ifindex, r.metric.value_or(default_metric(r.dst.family())),
                  kMainTable, kRouteProtocol});
  }
  // The namespace has no other way out than the tunnel, so every configured family gets a
  // default route through it (openvpn does not reveal redirect-gateway under route-noexec).
  for (Family f : {Family::kV4, Family::kV6}) {
    if (!add_defaults) break;
    if ((f == Family::kV4 && !link.v4) || (f == Family::kV6 && !link.v6)) continue;
    const IpAddr any = f == Family::kV4 ? IpAddr::v4({}) : IpAddr::v6({});
    const bool pushed = std::ranges::any_of(
        out, [&](const RouteSpec& s) { return s.dst.family() == f && s.dst.len == 0; });
    if (!pushed) {
      out.push_back(RouteSpec{Prefix{any, 0}, std::nullopt, ifindex, default_metric(f), kMainTable,
                              kRouteProtocol});
    }
  }
  return out;
}

}  // namespace vpnns
