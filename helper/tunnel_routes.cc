// SPDX-License-Identifier: GPL-2.0-or-later
// NetnsTunnel's routes and DNS: ROUTE_UP, dns-up/dns-down, ROUTE_PREDOWN (tunnel.h says what
// each does; tunnel.cc holds the device's part).
#include <algorithm>

#include "helper/route_plan.h"
#include "helper/tunnel.h"
#include "helper/validate.h"

namespace vpnns {
namespace {

bool same_key(const RouteSpec& a, const RouteSpec& b) {
  return a.dst == b.dst && a.priority == b.priority && a.table == b.table;
}

}  // namespace

Result<std::vector<RouteSpec>> NetnsTunnel::our_routes() {
  std::vector<RouteSpec> ours;
  for (Family f : {Family::kV4, Family::kV6}) {
    VPNNS_ASSIGN_OR_RETURN(auto routes, inner_->routes(f));
    for (const RouteInfo& r : routes) {
      if (r.spec.protocol == kRouteProtocol && r.spec.table == kMainTable) ours.push_back(r.spec);
    }
  }
  return ours;
}

Status NetnsTunnel::apply_routes(const std::vector<RouteSpec>& want,
                                 const std::vector<RouteSpec>& have) {
  LinkOps& ns = *inner_;
  RtnlTransaction txn;
  // Wanted ones first (added or replaced), then the stale ones go: the namespace is never
  // without its routes mid-way.
  for (const RouteSpec& w : want) {
    if (std::ranges::find(have, w) != have.end()) continue;
    auto old = std::ranges::find_if(have, [&](const RouteSpec& h) { return same_key(h, w); });
    const std::optional<RouteSpec> before = old != have.end() ? std::optional(*old) : std::nullopt;
    txn.add([&ns, w] { return ns.change_route(true, w, "adding route " + w.dst.str()); },
            [&ns, w, before] {
              // Put back what was there before this request, so a failed ROUTE_UP changes
              // nothing.
              return before ? ns.change_route(true, *before, "restoring a route")
                            : ns.change_route(false, w, "undoing a route");
            });
  }
  for (const RouteSpec& h : have) {
    if (std::ranges::any_of(want, [&](const RouteSpec& w) { return same_key(w, h); })) continue;
    txn.add([&ns, h] { return ns.change_route(false, h, "removing stale route " + h.dst.str()); },
            [&ns, h] { return ns.change_route(true, h, "restoring a route"); }, true);
  }
  if (Status s = txn.commit(); !s) {
    routes_ = have;
    return s;
  }
  routes_ = want;
  return ok_status();
}

Status NetnsTunnel::delete_our_routes() {
  VPNNS_ASSIGN_OR_RETURN(auto have, our_routes());
  return apply_routes({}, have);
}

Result<std::string> NetnsTunnel::pin_dns(const std::vector<IpAddr>& servers,
                                         std::optional<std::vector<IpAddr>>& before,
                                         Warnings& warnings) {
  if (!dns_pin_) return std::string();
  if (dns_pin_->active()) before = dns_pin_->servers();
  return dns_pin_->apply(servers, warnings);
}

void NetnsTunnel::restore_pin(const std::optional<std::vector<IpAddr>>& before,
                              Warnings& warnings) {
  Warnings ignored;
  Status undo = before ? dns_pin_->apply(*before, ignored).status() : dns_pin_->remove();
  if (!undo) warnings.push_back("putting the DNS pin back: " + undo.error().text());
}

Status NetnsTunnel::validate(const RouteUpRequest& req) const {
  if (!link_ || !pin_) return Error(Code::kFailedPrecondition, "ROUTE_UP before UP");
  return validate_route_up(req, *link_);
}

Result<NetnsTunnel::RouteUpPlan> NetnsTunnel::plan(const RouteUpRequest& req, Warnings& warnings) {
  const bool client = config_.role == Role::kClient;
  RouteUpPlan plan;
  plan.dev = req.dev;
  plan.want = desired_routes(req, *link_, pin_->ifindex, client, warnings);
  VPNNS_ASSIGN_OR_RETURN(plan.have, our_routes());
  plan.dns = updown_dns_ ? *updown_dns_ : req.dns;
  return plan;
}

Result<std::string> NetnsTunnel::apply(const RouteUpPlan& plan, Warnings& warnings) {
  // DNS is pinned before any route through the tunnel changes, so none exists without the pin.
  std::optional<std::vector<IpAddr>> pinned_before;
  VPNNS_ASSIGN_OR_RETURN(std::string pinned, pin_dns(plan.dns.servers, pinned_before, warnings));
  if (Status s = apply_routes(plan.want, plan.have); !s) {
    if (dns_pin_) restore_pin(pinned_before, warnings);
    return s.error();
  }
  routed_ = true;

  const std::size_t n = plan.want.size();
  std::string summary = std::to_string(n) + " route" + (n == 1 ? "" : "s") + " through " +
                        pin_->name + " in network namespace '" + config_.netns + "'";
  if (config_.dns != DnsMode::kNo) {
    VPNNS_TRY(dns_.write(plan.dns));
    summary += "; " + describe_dns(plan.dns);
  }
  if (!pinned.empty()) summary += "; " + pinned;
  return summary;
}

std::string NetnsTunnel::describe_dns(const DnsConfig& dns) const {
  std::string out = dns_.dir() + "/resolv.conf: ";
  if (dns.servers.empty()) out += "no DNS servers pushed";
  for (std::size_t i = 0; i < dns.servers.size(); ++i) {
    out += (i ? " " : "") + dns.servers[i].str();
  }
  if (!dns.search.empty()) {
    out += ", search";
    for (const auto& d : dns.search) out += " " + d;
  }
  return out;
}

Result<std::string> NetnsTunnel::apply_dns(const DnsConfig& dns, Warnings& warnings) {
  std::optional<std::vector<IpAddr>> pinned_before;
  VPNNS_ASSIGN_OR_RETURN(std::string summary, pin_dns(dns.servers, pinned_before, warnings));
  if (config_.dns != DnsMode::kNo) {
    if (Status s = dns_.write(dns); !s) {
      if (dns_pin_) restore_pin(pinned_before, warnings);
      return s.error();
    }
    summary = summary.empty() ? describe_dns(dns) : describe_dns(dns) + "; " + summary;
  }
  return summary;
}

Status NetnsTunnel::validate(const DnsUpdownRequest& req) const {
  return validate_dns_updown(req, pinned_name_);
}

Result<NetnsTunnel::DnsUpdownPlan> NetnsTunnel::plan(const DnsUpdownRequest& req,
                                                     Warnings& /*warnings*/) {
  return DnsUpdownPlan{req};
}

Result<std::string> NetnsTunnel::apply(const DnsUpdownPlan& plan, Warnings& warnings) {
  const DnsUpdownRequest& req = plan.req;
  if (!req.up) {
    updown_dns_ = DnsConfig{};
    return std::string("DNS withdrawn; the namespace's files stay until new values or DOWN");
  }
  updown_dns_ = req.dns;
  if (config_.dns == DnsMode::kNo) return std::string("dns=no: DNS left alone");
  if (!routed_ || !pin_) {
    return "DNS kept for the tunnel's ROUTE_UP: " + describe_dns(req.dns);
  }
  return apply_dns(req.dns, warnings);
}

Status NetnsTunnel::validate(const RoutePredownRequest& req) const {
  if (!pin_ || req.dev == pin_->name) return ok_status();
  return Error(
      Code::kFailedPrecondition,
      "request names device '" + req.dev + "', but this tunnel's device is '" + pin_->name + "'");
}

Result<NetnsTunnel::RoutePredownPlan> NetnsTunnel::plan(const RoutePredownRequest& /*req*/,
                                                        Warnings& /*warnings*/) {
  return RoutePredownPlan{!pin_};
}

Result<std::string> NetnsTunnel::apply(const RoutePredownPlan& plan, Warnings& /*warnings*/) {
  if (plan.nothing) return std::string("no tunnel configured; nothing to remove");
  VPNNS_TRY(delete_our_routes());
  routed_ = false;
  return "routes removed from network namespace '" + config_.netns + "'";
}

}  // namespace vpnns
