// SPDX-License-Identifier: GPL-2.0-or-later
// DnsPin (dns=pin): inside the protected namespace, DNS may reach only the servers the VPN
// pushed. dns_pin_nft.h says what the table holds and why a firewall is needed besides
// resolv.conf.
//
//   ROUTE_UP       apply(the pushed servers): before the routes change (tunnel.cc), so that no
//                  route through the tunnel exists without the pin. If the table is intact, only
//                  the servers that differ change; if it is missing or damaged (someone ran
//                  `nft flush ruleset` in the namespace), or left by an earlier helper, it is
//                  replaced whole. Either way one transaction: there is never a moment without a
//                  pin, and the next reply says when one was repaired.
//   UP (restart)   (--up-restart) reassert(): its event carries no DNS servers (openvpn does not
//                  repeat the routes and options there; a change of pushed options makes openvpn
//                  reopen the device, which brings UP init and ROUTE_UP), so the table is brought
//                  back to the servers of the last ROUTE_UP, repaired if damaged.
//   DOWN (init), teardown   remove(), after the routes are gone. Kept instead it would guard a
//                  namespace that has no route out anyway (the tunnel is down and vpnns deleted
//                  its routes), and it would be one more thing left behind by an openvpn that
//                  is gone (DESIGN principle 4); the next ROUTE_UP installs it before any route.
//                  If the routes could not be deleted, the pin stays.
//
// Only a table whose comment names this helper is ever deleted: a namespace could be named by
// a second openvpn's configuration by mistake (its UP is refused, but its teardown still runs).
//
// The nftables socket is opened inside the namespace at start-up, before the helper confines
// itself (helper/confine.h): afterwards it only sends and receives. Needs CAP_NET_ADMIN.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/ip.h"
#include "helper/dns_pin_nft.h"
#include "helper/nft_ops.h"
#include "kernel/netlink.h"

namespace vpnns {

// The table's comment names its owner (dns_pin_comment(): kernel/owned_tables.h).

class DnsPin {
 public:
  // Opens an nftables socket in the namespace `netns_fd` (start-up only).
  static Result<DnsPin> open(const Config& config, int netns_fd);
  // Over a given nftables (unit tests: a fake).
  DnsPin(DnsPinSpec spec, std::unique_ptr<NftOps> nft, std::string netns)
      : nft_(std::move(nft)), spec_(std::move(spec)), netns_(std::move(netns)) {}

  // What a change of the pin does: the table made to hold `want` (mode.h's plan).
  struct Plan : TablePlan<DnsPinSpec> {
    std::string found_comment;  // (when replaced) the comment of the table that was there
  };

  // Makes the pin hold exactly `servers`; returns a summary for openvpn's log. On failure
  // nothing changed, in the kernel or here.
  Result<std::string> apply(const std::vector<IpAddr>& servers, std::vector<std::string>& warnings);
  // Brings the table back to the last applied servers, if a pin is in place.
  Status reassert(std::vector<std::string>& warnings);
  // Removes this helper's table (not one of another owner). Idempotent.
  Status remove();

  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] const std::vector<IpAddr>& servers() const { return spec_.servers; }

  Result<DnsPinState> state() { return nft_->read_dns_pin(spec_.table); }

 private:
  // Reads the table and plans the changes that make it hold `want`.
  Result<Plan> plan_for(DnsPinSpec want);
  // Commits the plan; only then does the pin believe `plan.want` (and that it is active).
  Status commit(const Plan& plan, std::vector<std::string>& warnings);

  std::unique_ptr<NftOps> nft_;  // inside the namespace
  DnsPinSpec spec_;              // what the table holds (while active_)
  std::string netns_;
  bool active_ = false;  // the pin should exist now
  bool ever_installed_ = false;
};

}  // namespace vpnns
