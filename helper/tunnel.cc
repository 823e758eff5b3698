// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/tunnel.h"

#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/stat.h>

#include <algorithm>

#include "helper/kernel_real.h"
#include "helper/link_kind.h"
#include "helper/validate.h"
#include "state/netns_marker.h"

namespace vpnns {
namespace {

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

Status check_pinned_dev(const std::string& dev, const std::optional<std::string>& pinned) {
  if (pinned && dev != *pinned) {
    return Error(Code::kFailedPrecondition, "request names device '" + dev +
                                                "', but this tunnel's device is '" + *pinned + "'");
  }
  return ok_status();
}

}  // namespace

Result<NetnsTunnel> NetnsTunnel::open(const Config& config) {
  VPNNS_ASSIGN_OR_RETURN(NetnsHandle ns, open_or_create_netns(config.netns));
  // The marker that makes it a vpnns namespace for vpnnsctl exec and reset (netns_marker.h):
  // removed now, written by the first UP whose isolation check passed, so that a namespace
  // this helper has not checked (or that failed) is never entered through vpnns-execd.
  auto markers = MarkerDir::open();
  if (markers) {
    if (Status s = markers->remove(config.netns); !s) markers = s.error();
  }
  if (!markers) {
    return markers.error().wrap("preparing the marker of network namespace '" + config.netns + "'");
  }
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket outer, NetlinkSocket::open(NETLINK_ROUTE));
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket inner, NetlinkSocket::open(NETLINK_ROUTE, ns.fd.get()));
  std::optional<DnsPin> pin;
  if (config.dns == DnsMode::kPin) {
    VPNNS_ASSIGN_OR_RETURN(DnsPin p, DnsPin::open(config, ns.fd.get()));
    pin.emplace(std::move(p));
  }
  TunnelKernel kernel{std::make_unique<NetlinkLinkOps>(std::move(outer), ns.fd.get()),
                      std::make_unique<NetlinkLinkOps>(std::move(inner))};
  DnsFiles dns(config.netns);
  NetnsTunnel tunnel(config, std::move(ns), std::move(kernel), std::move(dns), std::move(pin));
  tunnel.markers_.emplace(std::move(*markers));
  return tunnel;
}

NetnsTunnel::NetnsTunnel(Config config, NetnsHandle ns, TunnelKernel kernel, DnsFiles dns,
                         std::optional<DnsPin> pin)
    : config_(std::move(config)),
      ns_(std::move(ns)),
      outer_(std::move(kernel.outer)),
      inner_(std::move(kernel.inner)),
      dns_(std::move(dns)),
      dns_pin_(std::move(pin)) {}

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
  VPNNS_ASSIGN_OR_RETURN(auto links, inner_->links());
  for (const auto& l : links) {
    if (l.name == "lo" || l.name == dev) continue;
    // Refused: and no longer enterable, should an earlier UP have marked it.
    if (markers_) (void)markers_->remove(config_.netns);
    return Error(Code::kFailedPrecondition,
                 "network namespace '" + config_.netns + "' holds device '" + l.name +
                     "' besides lo; vpnns needs it to hold nothing but lo and the tunnel, or "
                     "applications in it could bypass the VPN");
  }
  return ok_status();
}

Result<int> NetnsTunnel::move_into_namespace(const LinkInfo& link) {
  VPNNS_TRY(outer_->move_link(
      link.ifindex, "moving " + link.name + " into network namespace '" + config_.netns + "'"));
  VPNNS_ASSIGN_OR_RETURN(auto moved, inner_->find_link(link.name));
  if (!moved) {
    return Error(Code::kInternal,
                 link.name + " vanished while it was moved into '" + config_.netns + "'");
  }
  return moved->ifindex;
}

Status NetnsTunnel::configure_link(int ifindex, const UpRequest& req) {
  LinkOps& ns = *inner_;
  RtnlTransaction txn;
  VPNNS_ASSIGN_OR_RETURN(auto lo, ns.find_link("lo"));
  if (lo && (lo->flags & IFF_UP) == 0) {
    const int lo_index = lo->ifindex;
    txn.add(
        [&ns, lo_index] { return ns.set_link(lo_index, std::nullopt, true, "bringing lo up"); },
        [&ns, lo_index] { return ns.set_link(lo_index, std::nullopt, false, "undoing lo up"); });
  }
  VPNNS_ASSIGN_OR_RETURN(auto links, ns.links());
  auto dev = std::ranges::find_if(links, [&](const LinkInfo& l) { return l.ifindex == ifindex; });
  const std::uint32_t old_mtu = dev != links.end() ? dev->mtu : req.mtu;
  const bool was_up = dev != links.end() && (dev->flags & IFF_UP) != 0;
  txn.add(
      [&ns, ifindex, &req] {
        return ns.set_link(ifindex, req.mtu, true,
                           "setting " + req.dev + " up with mtu " + std::to_string(req.mtu));
      },
      [&ns, ifindex, old_mtu, was_up] {
        return ns.set_link(ifindex, old_mtu, was_up, "undoing a link change");
      });

  // Addresses: everything on the device that is not wanted goes (but the kernel's IPv6
  // link-local address), everything wanted and missing is added.
  const std::vector<AddrSpec> want = wanted_addresses(req);
  VPNNS_ASSIGN_OR_RETURN(auto addrs, ns.addresses());
  std::vector<AddrSpec> have;
  for (const AddrInfo& a : addrs) {
    if (a.ifindex == ifindex && !is_link_local_v6(a.spec.local)) have.push_back(a.spec);
  }
  for (const AddrSpec& a : want) {
    if (std::ranges::find(have, a) != have.end()) continue;
    txn.add(
        [&ns, ifindex, a, &req] {
          return ns.change_address(true, ifindex, a,
                                   "adding address " + a.local.str() + "/" +
                                       std::to_string(a.prefix_len) + " to " + req.dev);
        },
        [&ns, ifindex, a] { return ns.change_address(false, ifindex, a, "undoing an address"); });
  }
  for (const AddrSpec& a : have) {
    if (std::ranges::find(want, a) != want.end()) continue;
    txn.add(
        [&ns, ifindex, a, &req] {
          return ns.change_address(false, ifindex, a,
                                   "removing stale address " + a.local.str() + " from " + req.dev);
        },
        [&ns, ifindex, a] { return ns.change_address(true, ifindex, a, "restoring an address"); },
        true);
  }
  return txn.commit();
}

Status NetnsTunnel::validate(const UpRequest& req) const {
  VPNNS_TRY(validate_up(req, pinned_name_));
  // --up-restart: the device stayed (persist-tun) where the first UP put it.
  if (req.context == Context::kRestart && !pin_) {
    return Error(Code::kFailedPrecondition, "UP restart before any UP init");
  }
  return ok_status();
}

Result<NetnsTunnel::UpPlan> NetnsTunnel::plan(const UpRequest& req, Warnings& /*warnings*/) {
  UpPlan plan{req, std::nullopt, 0};
  if (req.context == Context::kRestart) {
    VPNNS_ASSIGN_OR_RETURN(auto link, inner_->find_link(pin_->name));
    if (!link || link->ifindex != pin_->ifindex) {
      return Error(Code::kFailedPrecondition, "UP restart, but " + pin_->name +
                                                  " is no longer in network namespace '" +
                                                  config_.netns + "'");
    }
    plan.ifindex = pin_->ifindex;
    return plan;
  }
  VPNNS_ASSIGN_OR_RETURN(auto outside, outer_->find_link(req.dev));
  if (outside) {
    VPNNS_TRY(check_plain_tun(*outside));
    VPNNS_TRY(check_unconfigured(*outside));
    VPNNS_TRY(check_isolated(req.dev));
    plan.move = *outside;
    return plan;
  }
  // Already inside: a repeated UP, or a restart that kept the device. It must be the same
  // plain tun the helper pinned, not something else that took its name.
  VPNNS_ASSIGN_OR_RETURN(auto inside, inner_->find_link(req.dev));
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
  plan.ifindex = inside->ifindex;
  return plan;
}

Result<std::string> NetnsTunnel::apply(const UpPlan& plan, Warnings& warnings) {
  const UpRequest& req = plan.req;
  if (req.context == Context::kRestart) {
    VPNNS_TRY(configure_link(plan.ifindex, req));
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
  int ifindex = plan.ifindex;
  if (plan.move) {
    VPNNS_ASSIGN_OR_RETURN(ifindex, move_into_namespace(*plan.move));
  }
  // Pinned from the move on: whatever follows, the device is in the namespace.
  pin_ = Pin{req.dev, ifindex};
  pinned_name_ = req.dev;
  VPNNS_TRY(configure_link(ifindex, req));
  link_ = req;
  // The namespace passed the isolation check (plan): now it is vpnns's (netns_marker.h).
  if (markers_) {
    if (Status s = markers_->write(config_.netns, ns_.fd.get(), config_.role); !s) {
      warnings.push_back(
          s.error()
              .wrap("marking network namespace '" + config_.netns + "' for vpnnsctl exec")
              .text());
    }
  }
  return req.dev + " " + (plan.move ? "moved into" : "kept in") + " network namespace '" +
         config_.netns + "' (ifindex " + std::to_string(ifindex) + "), mtu " +
         std::to_string(req.mtu) + ", " + describe_addresses(req);
}

Status NetnsTunnel::validate(const DownRequest& req) const {
  return check_pinned_dev(req.dev, pin_ ? std::optional(pin_->name) : std::nullopt);
}

Result<NetnsTunnel::DownPlan> NetnsTunnel::plan(const DownRequest& req, Warnings& /*warnings*/) {
  return DownPlan{req.context == Context::kRestart};
}

Result<std::string> NetnsTunnel::apply(const DownPlan& plan, Warnings& warnings) {
  if (plan.restart) return std::string("restart: the tunnel stays configured (persist-tun)");
  teardown(warnings);
  return "network namespace '" + config_.netns + "' kept, with no route out";
}

void NetnsTunnel::teardown(Warnings& warnings) {
  const Status routes_gone = delete_our_routes();
  if (!routes_gone) warnings.push_back(routes_gone.error().text());
  if (pin_) {
    auto link = inner_->find_link(pin_->name);
    if (link && *link && (*link)->ifindex == pin_->ifindex) {
      Status s =
          inner_->set_link(pin_->ifindex, std::nullopt, false, "taking " + pin_->name + " down");
      if (!s && !is_gone(s.error())) warnings.push_back(s.error().text());
    }
  }
  // Routes that could not be deleted may have gone with the link: believe what is left.
  if (!routes_gone) {
    if (auto left = our_routes()) routes_ = std::move(*left);
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
  struct stat st = {};
  if (ns_.fd && ::fstat(ns_.fd.get(), &st) == 0) {
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
