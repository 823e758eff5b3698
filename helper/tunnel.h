// SPDX-License-Identifier: GPL-2.0-or-later
// NetnsTunnel: netns mode — the tun device moved into its own namespace and configured there.
//
//   UP (init)      find the device in openvpn's namespace (a plain tun: not DCO, not tap,
//                  not configured by openvpn itself), check the target namespace holds nothing
//                  but lo (a client's; a server's is a gateway the administrator furnishes),
//                  move the device, pin its name and new ifindex, then set MTU, bring
//                  lo and the device up and reconcile its addresses.
//   UP (restart)   (--up-restart) the pinned device is still there: reconcile link and addresses,
//                  and with dns=pin bring the DNS pin back to the last ROUTE_UP's servers.
//   ROUTE_UP       with dns=pin, first pin DNS to the pushed servers (dns_pin.h); then reconcile
//                  the routes vpnns owns in the namespace (the pushed ones plus, for a
//                  client, a default route per configured family through the tunnel; a server's
//                  `route` lines) — add or replace the
//                  wanted ones first, then delete the stale ones, so the namespace is never
//                  without its routes mid-way — and write the DNS files. If the routes cannot be
//                  applied, the pin is put back as it was.
//   ROUTE_PREDOWN  delete vpnns's routes.
//   DOWN (init)    the device is gone or going: delete vpnns's routes, take the device down if it
//                  is still there, remove the DNS files, then the DNS pin, unpin. The namespace
//                  stays, with no route out; applications inside keep running.
//   DOWN (restart) nothing: with persist-tun the device and its configuration stay.
//   teardown       (close, EOF, SIGTERM) the same as DOWN (init).
//
// "Reconcile" means the end state is the same whatever state the namespace was in: the helper
// reads what the kernel holds and changes only the difference. vpnns's routes are recognised
// by their protocol number (rtnl.h); addresses on the pinned device are all vpnns's.
//
// The namespace's marker, /run/vpnns/netns/NAME (state/netns_marker.h), which vpnnsctl exec,
// vpnns-execd and reset check: removed at start-up (open), written with the role by each UP
// (init) whose isolation check passed, removed again when the check refuses the namespace.
//
// Each request goes validate → plan → apply (mode.h): validate judges it against the tunnel's
// own state (validate.h's rules; nothing changes on a refusal), plan reads what the kernel holds
// and what the request wants, apply makes the difference as one transaction (kernel_ops.h:
// undone on failure) and only then updates what the tunnel believes. tunnel.cc holds the
// device's part (UP, DOWN, teardown), tunnel_routes.cc the routes and DNS.
//
// Kernel work goes through two LinkOps (kernel_ops.h): one in openvpn's namespace (to find and
// move the device), one inside the target namespace (everything after the move) — long-lived
// rtnetlink sockets in the helper (kernel_real.h), an in-memory fake in unit tests; with
// dns=pin, also an nftables socket inside the target namespace. All are opened at start-up.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "helper/dns.h"
#include "helper/dns_pin.h"
#include "helper/kernel_ops.h"
#include "helper/mode.h"
#include "helper_ipc/messages.h"
#include "kernel/netlink.h"
#include "kernel/netns.h"
#include "kernel/rtnl.h"
#include "state/netns_marker.h"
#include "state/state.h"

namespace vpnns {

// The kernel as the tunnel sees it: openvpn's namespace and the target namespace (into which
// outer->move_link() moves).
struct TunnelKernel {
  std::unique_ptr<LinkOps> outer;
  std::unique_ptr<LinkOps> inner;
};

class NetnsTunnel {
 public:
  // Opens (or creates) the configured namespace and the sockets. Runs at helper start-up.
  static Result<NetnsTunnel> open(const Config& config);
  // Over a given kernel (unit tests: a fake) and DNS files; `ns` may hold no descriptor.
  NetnsTunnel(Config config, NetnsHandle ns, TunnelKernel kernel, DnsFiles dns,
              std::optional<DnsPin> pin);

  // What each request changes (mode.h). UP: the device to move, or the one already inside.
  struct UpPlan {
    UpRequest req;
    std::optional<LinkInfo> move;  // in openvpn's namespace: to be moved in
    int ifindex = 0;               // otherwise: already inside
  };
  struct RouteUpPlan {
    std::string dev;
    DnsConfig dns;
    std::vector<RouteSpec> want;
    std::vector<RouteSpec> have;  // vpnns's routes the kernel holds now
  };
  struct DnsUpdownPlan {
    DnsUpdownRequest req;
  };
  struct RoutePredownPlan {
    bool nothing = false;  // no tunnel configured
  };
  struct DownPlan {
    bool restart = false;
  };

  Status validate(const UpRequest& req) const;
  Status validate(const RouteUpRequest& req) const;
  // openvpn 2.7's DNS (vpnns-dns-updown): dns-up keeps the values as this tunnel's DNS — applied
  // at once (files, pin) once ROUTE_UP has run, else at ROUTE_UP; dns-down withdraws them (a
  // reconnect that pushes none leaves none at the next ROUTE_UP). Once a dns-up or dns-down came,
  // ROUTE_UP's own DNS (empty on 2.7) is not used.
  Status validate(const DnsUpdownRequest& req) const;
  Status validate(const RoutePredownRequest& req) const;
  Status validate(const DownRequest& req) const;

  Result<UpPlan> plan(const UpRequest& req, Warnings& warnings);
  Result<RouteUpPlan> plan(const RouteUpRequest& req, Warnings& warnings);
  Result<DnsUpdownPlan> plan(const DnsUpdownRequest& req, Warnings& warnings);
  Result<RoutePredownPlan> plan(const RoutePredownRequest& req, Warnings& warnings);
  Result<DownPlan> plan(const DownRequest& req, Warnings& warnings);

  Result<std::string> apply(const UpPlan& plan, Warnings& warnings);
  Result<std::string> apply(const RouteUpPlan& plan, Warnings& warnings);
  Result<std::string> apply(const DnsUpdownPlan& plan, Warnings& warnings);
  Result<std::string> apply(const RoutePredownPlan& plan, Warnings& warnings);
  Result<std::string> apply(const DownPlan& plan, Warnings& warnings);

  // Removes what vpnns added; idempotent. Problems are reported as warnings.
  void teardown(Warnings& warnings);

  [[nodiscard]] bool is_up() const { return link_.has_value(); }
  [[nodiscard]] bool created_namespace() const { return ns_.created; }
  [[nodiscard]] int netns_fd() const { return ns_.fd.get(); }
  // What the tunnel holds now, as the state file reports it.
  [[nodiscard]] StateNetns snapshot() const;

 private:
  struct Pin {
    std::string name;
    int ifindex;  // inside the namespace
  };

  Status check_plain_tun(const LinkInfo& link);
  Status check_unconfigured(const LinkInfo& link);
  Status check_isolated(const std::string& dev);
  Result<int> move_into_namespace(const LinkInfo& link);
  // Link up with the request's MTU, lo up, the addresses reconciled: one transaction.
  Status configure_link(int ifindex, const UpRequest& req);
  Result<std::vector<RouteSpec>> our_routes();
  // Makes vpnns's routes `want` where they are `have`: one transaction. Afterwards routes_ is
  // what the kernel holds (`want`, or `have` again after a failure).
  Status apply_routes(const std::vector<RouteSpec>& want, const std::vector<RouteSpec>& have);
  Status delete_our_routes();
  // Pins DNS to `dns` (dns=pin), writes the files (dns=yes|pin), says what it did; puts the pin
  // back as it was if the files cannot be written.
  Result<std::string> apply_dns(const DnsConfig& dns, Warnings& warnings);
  // Pins DNS to `servers` when there is a pin, keeping in `before` the servers it replaces (for
  // restore_pin()); says what it did ("" without a pin).
  Result<std::string> pin_dns(const std::vector<IpAddr>& servers,
                              std::optional<std::vector<IpAddr>>& before, Warnings& warnings);
  // Puts the pin back to `before` (nullopt: no pin) after a later step failed.
  void restore_pin(const std::optional<std::vector<IpAddr>>& before, Warnings& warnings);
  [[nodiscard]] std::string describe_dns(const DnsConfig& dns) const;

  Config config_;
  NetnsHandle ns_;
  std::unique_ptr<LinkOps> outer_;  // openvpn's namespace
  std::unique_ptr<LinkOps> inner_;  // the target namespace
  DnsFiles dns_;
  std::optional<DnsPin> dns_pin_;     // dns=pin
  std::optional<MarkerDir> markers_;  // open() only: unit tests' tunnels mark nothing
  std::optional<Pin> pin_;
  // The device name of the first UP, kept for the helper's whole life: after a DOWN, openvpn's
  // next UP (a reopen after pulled options changed) brings a new device of the same name, and
  // nothing else.
  std::optional<std::string> pinned_name_;
  std::optional<UpRequest> link_;  // the configuration applied at the last UP
  // vpnns's routes as the kernel holds them after the last apply_routes(), for the state file;
  // cleared by delete_our_routes().
  std::vector<RouteSpec> routes_;
  // ROUTE_UP ran since the last teardown/ROUTE_PREDOWN: DNS from dns-up is applied at once.
  bool routed_ = false;
  // openvpn 2.7's DNS as vpnns-dns-updown last told it (nullopt: never; 2.6 or no --dns-updown).
  std::optional<DnsConfig> updown_dns_;
};

}  // namespace vpnns
