#include "helper/tunnel.h"

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "helper/link_kind.h"
#include "helper/validate.h"
#include "state/netns_marker.h"

namespace vpnns {
namespace {

bool same_key(const RouteSpec& a, const RouteSpec& b) {
  return a.dst == b.dst && a.priority == b.priority && a.table == b.table;
}

bool is_gone(const Error& e) {
  return e.code() == Code::kSystem &&
         (e.sys_errno() == ENODEV || e.sys_errno() == ESRCH || e.sys_errno() == ENOENT);
}

std::string describe_addresses(const UpRequest& req) {
  std::string out;
  if (req.v4) {
    out += req.v4->local.str() + (req.v4->peer ? " peer " + req.v4->peer->str()
                                               : "/" + std::to_string(req.v4->prefix_len));
  }
  if (req.v6) {
    if (!out.empty()) out += ", ";
    out += req.v6->local.str() + "/" + std::to_string(req.v6->prefix_len);
  }
  return out;
}

std::vector<AddrSpec> wanted_addresses(const UpRequest& req) {
  std::vector<AddrSpec> out;
  if (req.v4) out.push_back(AddrSpec{req.v4->local, req.v4->prefix_len, req.v4->peer});
  if (req.v6) out.push_back(AddrSpec{req.v6->local, req.v6->prefix_len, std::nullopt});
  return out;
}

bool is_link_local_v6(const IpAddr& a) {
  return !a.is_v4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

}  // namespace

Result<NetnsTunnel> NetnsTunnel::open(const Config& config) {
  VPNNS_ASSIGN_OR_RETURN(NetnsHandle ns, open_or_create_netns(config.netns));
  // The marker that makes it a vpnns namespace for vpnnsctl exec and reset (netns_marker.h).
  // Written at every start: a namespace re-created since the last run gets its new identity.
  if (Status s = write_netns_marker(config.netns, ns.fd.get()); !s) {
    return s.error().wrap("marking network namespace '" + config.netns + "' as vpnns's");
  }
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket outer, NetlinkSocket::open(NETLINK_ROUTE));
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket inner, NetlinkSocket::open(NETLINK_ROUTE, ns.fd.get()));
  std::optional<DnsPin> pin;
  if (config.dns == DnsMode::kPin) {
    VPNNS_ASSIGN_OR_RETURN(DnsPin p, DnsPin::open(config, ns.fd.get()));
    pin.emplace(std::move(p));
  }
  return NetnsTunnel(config, std::move(ns), std::move(outer), std::move(inner), std::move(pin));
}

Result<std::vector<LinkInfo>> NetnsTunnel::list_links(NetlinkSocket& sock) {
  MessageBuffer buf;
  std::vector<LinkInfo> links;
  VPNNS_TRY(sock.dump(
      build_link_dump(buf),
      [&](const nlmsghdr* nlh) -> Status {
        VPNNS_ASSIGN_OR_RETURN(auto link, parse_link(nlh));
        links.push_back(std::move(link));
        return ok_status();
      },
      "listing devices"));
  return links;
}

Status NetnsTunnel::check_plain_tun(const LinkInfo& link) {
  // DCO devices (ovpn, ovpn-dco) and anything else but a tun are refused (link_kind.h).
  VPNNS_TRY(check_link_kind(link.name, link.kind, DeviceUse::kNetns, false));
  if (link.tun_type && *link.tun_type != IFF_TUN) {
    return Error(Code::kFailedPrecondition,
                 "device " + link.name + " is a tap device; netns mode supports 'dev tun' only");
  }
  return ok_status();
}

Status NetnsTunnel::check_unconfigured(const LinkInfo& link) {
  // A fresh tun is down and has no address. If openvpn brought it up, it configured it itself,
  // and will also try to add routes to a device that is about to leave its namespace.
  if ((link.flags & IFF_UP) != 0) {
    return Error(Code::kFailedPrecondition,
                 "openvpn configured " + link.name +
                     " itself (it is up): netns mode needs 'ifconfig-noexec' and 'route-noexec' "
                     "in the openvpn configuration");
  }
  return ok_status();
}

Status NetnsTunnel::check_isolated(const std::string& dev) {
  // A server's namespace is a gateway's: the administrator puts its other side there.
  if (config_.role == Role::kServer) return ok_status();
  VPNNS_ASSIGN_OR_RETURN(auto links, list_links(inner_));
  for (const auto& l : links) {
    if (l.name == "lo" || l.name == dev) continue;
    return Error(Code::kFailedPrecondition,
                 "network namespace '" + config_.netns + "' holds device '" + l.name +
                     "' besides lo; vpnns needs it to hold nothing but lo and the tunnel, or "
                     "applications in it could bypass the VPN");
  }
  return ok_status();
}

Result<int> NetnsTunnel::move_into_namespace(const LinkInfo& link) {
  MessageBuffer buf;
  VPNNS_TRY(
      outer_.request(build_link_move(buf, link.ifindex, ns_.fd.get()),
                     "moving " + link.name + " into network namespace '" + config_.netns + "'"));
  VPNNS_ASSIGN_OR_RETURN(auto moved, find_link(inner_, link.name));
  if (!moved) {
    return Error(Code::kInternal,
                 link.name + " vanished while it was moved into '" + config_.netns + "'");
  }
  return moved->ifindex;
}

Status NetnsTunnel::configure_link(int ifindex, const UpRequest& req) {
  MessageBuffer buf;
  VPNNS_ASSIGN_OR_RETURN(auto lo, find_link(inner_, "lo"));
  if (lo && (lo->flags & IFF_UP) == 0) {
    VPNNS_TRY(
        inner_.request(build_link_set(buf, lo->ifindex, std::nullopt, true), "bringing lo up"));
  }
  VPNNS_TRY(inner_.request(build_link_set(buf, ifindex, req.mtu, true),
                           "setting " + req.dev + " up with mtu " + std::to_string(req.mtu)));

  // Addresses: everything on the device that is not wanted goes (but the kernel's IPv6
  // link-local address), everything wanted is added or replaced.
  const std::vector<AddrSpec> want = wanted_addresses(req);
  std::vector<AddrSpec> stale;
  VPNNS_TRY(inner_.dump(
      build_addr_dump(buf),
      [&](const nlmsghdr* nlh) -> Status {
        auto a = parse_addr(nlh);
        if (!a || a->ifindex != ifindex) return ok_status();
        if (is_link_local_v6(a->spec.local)) return ok_status();
        if (std::ranges::find(want, a->spec) == want.end()) {
          stale.push_back(a->spec);
        }
        return ok_status();
      },
      "listing addresses"));
  for (const auto& a : want) {
    VPNNS_TRY(inner_.request(
        build_addr(buf, RTM_NEWADDR, ifindex, a),
        "adding address " + a.local.str() + "/" + std::to_string(a.prefix_len) + " to " + req.dev));
  }
  for (const auto& a : stale) {
    Status s = inner_.request(build_addr(buf, RTM_DELADDR, ifindex, a),
                              "removing stale address " + a.local.str() + " from " + req.dev);
    if (!s && !is_gone(s.error())) return s;
  }
  return ok_status();
}

Result<std::string> NetnsTunnel::up(const UpRequest& req, Warnings& warnings) {
  VPNNS_TRY(validate_up(req, pinned_name_));

  if (req.context == Context::kRestart) {
    // --up-restart: the device stayed (persist-tun) where the first UP put it.
    if (!pin_) {
      return Error(Code::kFailedPrecondition, "UP restart before any UP init");
    }
    VPNNS_ASSIGN_OR_RETURN(auto link, find_link(inner_, pin_->name));
    if (!link || link->ifindex != pin_->ifindex) {
      return Error(Code::kFailedPrecondition, "UP restart, but " + pin_->name +
                                                  " is no longer in network namespace '" +
                                                  config_.netns + "'");
    }
    VPNNS_TRY(configure_link(pin_->ifindex, req));
    link_ = req;
    std::string pinned;
    if (dns_pin_ && dns_pin_->active()) {
      // The event carries no DNS servers: keep those of the last ROUTE_UP, repaired if needed.
      VPNNS_TRY(dns_pin_->reassert(warnings));
      pinned = "; DNS pin in place";
    }
    return "restart: " + req.dev + " in network namespace '" + config_.netns +
           "' reconfigured (mtu " + std::to_string(req.mtu) + ", " + describe_addresses(req) + ")" +
           pinned;
  }

  VPNNS_ASSIGN_OR_RETURN(auto outside, find_link(outer_, req.dev));
  int ifindex = 0;
  std::string how;
  if (outside) {
    VPNNS_TRY(check_plain_tun(*outside));
    VPNNS_TRY(check_unconfigured(*outside));
    VPNNS_TRY(check_isolated(req.dev));
    VPNNS_ASSIGN_OR_RETURN(ifindex, move_into_namespace(*outside));
    how = "moved into";
  } else {
    // Already inside: a repeated UP, or a restart that kept the device. It must be the same
    // plain tun the helper pinned, not something else that took its name.
    VPNNS_ASSIGN_OR_RETURN(auto inside, find_link(inner_, req.dev));
    if (!inside) {
      return Error(Code::kNotFound, "device " + req.dev +
                                        " exists neither in openvpn's network namespace nor in '" +
                                        config_.netns + "'");
    }
    if (!pin_ || pin_->ifindex != inside->ifindex) {
      return Error(Code::kFailedPrecondition,
                   "device " + req.dev + " is already in network namespace '" + config_.netns +
                       "' but is not the tunnel vpnns moved there");
    }
    VPNNS_TRY(check_plain_tun(*inside));
    VPNNS_TRY(check_isolated(req.dev));
    ifindex = inside->ifindex;
    how = "kept in";
  }
  pin_ = Pin{req.dev, ifindex};
  pinned_name_ = req.dev;
  VPNNS_TRY(configure_link(ifindex, req));
  link_ = req;
  return req.dev + " " + how + " network namespace '" + config_.netns + "' (ifindex " +
         std::to_string(ifindex) + "), mtu " + std::to_string(req.mtu) + ", " +
         describe_addresses(req);
}

Result<std::vector<RouteSpec>> NetnsTunnel::our_routes() {
  std::vector<RouteSpec> ours;
  MessageBuffer buf;
  for (Family f : {Family::kV4, Family::kV6}) {
    VPNNS_TRY(inner_.dump(
        build_route_dump(buf, f),
        [&](const nlmsghdr* nlh) -> Status {
          auto r = parse_route(nlh);
          if (r && r->spec.protocol == kRouteProtocol && r->spec.table == kMainTable) {
            ours.push_back(r->spec);
          }
          return ok_status();
        },
        "listing routes"));
  }
  return ours;
}

Status NetnsTunnel::apply_routes(const std::vector<RouteSpec>& want,
                                 const std::vector<RouteSpec>& have) {
  MessageBuffer buf;
  std::vector<RouteSpec> applied;
  Status failed;
  for (const auto& w : want) {
    if (std::ranges::find(have, w) != have.end()) continue;
    Status s = inner_.request(build_route(buf, RTM_NEWROUTE, w), "adding route " + w.dst.str());
    if (!s) {
      failed = s;
      break;
    }
    applied.push_back(w);
  }
  if (!failed.ok()) {
    // Put back what was there before this request, so a failed ROUTE_UP changes nothing.
    for (const auto& a : applied) {
      auto old = std::ranges::find_if(have, [&](const RouteSpec& h) { return same_key(h, a); });
      if (old != have.end()) {
        (void)inner_.request(build_route(buf, RTM_NEWROUTE, *old), "restoring a route");
      } else {
        (void)inner_.request(build_route(buf, RTM_DELROUTE, a), "undoing a route");
      }
    }
    return failed;
  }
  for (const auto& h : have) {
    if (std::ranges::any_of(want, [&](const RouteSpec& w) { return same_key(w, h); })) continue;
    Status s =
        inner_.request(build_route(buf, RTM_DELROUTE, h), "removing stale route " + h.dst.str());
    if (!s && !is_gone(s.error())) return s;
  }
  routes_ = want;
  return ok_status();
}

Result<std::string> NetnsTunnel::route_up(const RouteUpRequest& req, Warnings& warnings) {
  if (!link_ || !pin_) return Error(Code::kFailedPrecondition, "ROUTE_UP before UP");
  VPNNS_TRY(validate_route_up(req, *link_));
  const bool client = config_.role == Role::kClient;
  const std::vector<RouteSpec> want = desired_routes(req, *link_, pin_->ifindex, client, warnings);
  VPNNS_ASSIGN_OR_RETURN(auto have, our_routes());

  // DNS is pinned before any route through the tunnel changes, so none exists without the pin.
  const DnsConfig& dns = updown_dns_ ? *updown_dns_ : req.dns;
  std::string pinned;
  std::optional<std::vector<IpAddr>> pinned_before;
  if (dns_pin_) {
    if (dns_pin_->active()) pinned_before = dns_pin_->servers();
    VPNNS_ASSIGN_OR_RETURN(pinned, dns_pin_->apply(dns.servers, warnings));
  }
  if (Status s = apply_routes(want, have); !s) {
    if (dns_pin_) {
      Warnings ignored;
      Status undo =
          pinned_before ? dns_pin_->apply(*pinned_before, ignored).status() : dns_pin_->remove();
      if (!undo) warnings.push_back("putting the DNS pin back: " + undo.error().text());
    }
    return s.error();
  }
  routed_ = true;

  std::string summary = std::to_string(want.size()) + " route" + (want.size() == 1 ? "" : "s") +
                        " through " + pin_->name + " in network namespace '" + config_.netns + "'";
  if (config_.dns != DnsMode::kNo) {
    VPNNS_TRY(dns_.write(dns));
    summary += "; " + describe_dns(dns);
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
  std::string summary;
  std::optional<std::vector<IpAddr>> pinned_before;
  if (dns_pin_) {
    if (dns_pin_->active()) pinned_before = dns_pin_->servers();
    VPNNS_ASSIGN_OR_RETURN(summary, dns_pin_->apply(dns.servers, warnings));
  }
  if (config_.dns != DnsMode::kNo) {
    if (Status s = dns_.write(dns); !s) {
      if (dns_pin_) {
        Warnings ignored;
        Status undo =
            pinned_before ? dns_pin_->apply(*pinned_before, ignored).status() : dns_pin_->remove();
        if (!undo) warnings.push_back("putting the DNS pin back: " + undo.error().text());
      }
      return s.error();
    }
    summary = summary.empty() ? describe_dns(dns) : describe_dns(dns) + "; " + summary;
  }
  return summary;
}

Result<std::string> NetnsTunnel::dns_updown(const DnsUpdownRequest& req, Warnings& warnings) {
  VPNNS_TRY(validate_dns_updown(req, pinned_name_));
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

Status NetnsTunnel::delete_our_routes() {
  VPNNS_ASSIGN_OR_RETURN(auto have, our_routes());
  MessageBuffer buf;
  for (const auto& h : have) {
    Status s = inner_.request(build_route(buf, RTM_DELROUTE, h), "removing route " + h.dst.str());
    if (!s && !is_gone(s.error())) return s;
  }
  routes_.clear();
  return ok_status();
}

Result<std::string> NetnsTunnel::route_predown(const RoutePredownRequest& req) {
  if (!pin_) return std::string("no tunnel configured; nothing to remove");
  if (req.dev != pin_->name) {
    return Error(
        Code::kFailedPrecondition,
        "request names device '" + req.dev + "', but this tunnel's device is '" + pin_->name + "'");
  }
  VPNNS_TRY(delete_our_routes());
  routed_ = false;
  return "routes removed from network namespace '" + config_.netns + "'";
}

Result<std::string> NetnsTunnel::down(const DownRequest& req, Warnings& warnings) {
  if (pin_ && req.dev != pin_->name) {
    return Error(
        Code::kFailedPrecondition,
        "request names device '" + req.dev + "', but this tunnel's device is '" + pin_->name + "'");
  }
  if (req.context == Context::kRestart) {
    return std::string("restart: the tunnel stays configured (persist-tun)");
  }
  teardown(warnings);
  return "network namespace '" + config_.netns + "' kept, with no route out";
}

void NetnsTunnel::teardown(Warnings& warnings) {
  const Status routes_gone = delete_our_routes();
  if (!routes_gone) warnings.push_back(routes_gone.error().text());
  if (pin_) {
    MessageBuffer buf;
    auto link = find_link(inner_, pin_->name);
    if (link && *link && (*link)->ifindex == pin_->ifindex) {
      Status s = inner_.request(build_link_set(buf, pin_->ifindex, std::nullopt, false),
                                "taking " + pin_->name + " down");
      if (!s && !is_gone(s.error())) warnings.push_back(s.error().text());
    }
  }
  if (config_.dns != DnsMode::kNo) {
    if (Status s = dns_.remove(); !s) warnings.push_back(s.error().text());
  }
  // The pin goes only once no route through the tunnel is left (dns_pin.h says why it goes).
  if (dns_pin_ && routes_gone) {
    if (Status s = dns_pin_->remove(); !s) warnings.push_back(s.error().text());
  }
  pin_.reset();
  link_.reset();
  routed_ = false;
}

static_assert(std::string_view(kDnsPinTable) == kStateDnsPinTable);

StateNetns NetnsTunnel::snapshot() const {
  StateNetns out;
  out.name = config_.netns;
  out.created = ns_.created;
  // The identity of the namespace held open (the nsfs inode that /run/netns/NAME shows).
  struct stat st {};
  if (::fstat(ns_.fd.get(), &st) == 0) {
    out.dev = st.st_dev;
    out.ino = st.st_ino;
  }
  out.tunnel_up = pin_.has_value();
  if (pinned_name_) {
    StateDevice dev{*pinned_name_, std::nullopt, std::nullopt};
    if (pin_) dev.ifindex = pin_->ifindex;
    if (link_) dev.mtu = link_->mtu;
    out.device = dev;
  }
  if (link_) {
    for (const AddrSpec& a : wanted_addresses(*link_)) {
      out.addresses.push_back(StateAddress{a.local, a.prefix_len, a.peer});
    }
  }
  for (const RouteSpec& r : routes_) {
    out.routes.push_back(StateRoute{r.dst, r.gateway, r.priority});
  }
  out.dns = dns_.written();
  if (dns_pin_) {
    out.dns_pin = StateDnsPin{dns_pin_->active(), {}};
    if (dns_pin_->active()) out.dns_pin->servers = dns_pin_->servers();
  }
  return out;
}

}  // namespace vpnns
