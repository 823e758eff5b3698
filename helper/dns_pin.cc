// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/dns_pin.h"

#include <linux/netlink.h>
#include <unistd.h>

#include <algorithm>

#include "helper/kernel_real.h"
#include "kernel/nft_build.h"

namespace vpnns {
namespace {

std::string list(const std::vector<IpAddr>& servers) {
  std::string out;
  for (const IpAddr& s : servers) out += (out.empty() ? "" : " ") + s.str();
  return out;
}

}  // namespace

Result<DnsPin> DnsPin::open(const Config& config, int netns_fd) {
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_NETFILTER, netns_fd));
  DnsPinSpec spec;
  spec.comment = dns_pin_comment(config.instance, config.netns, ::getpid());
  return DnsPin(std::move(spec), std::make_unique<NetlinkNftOps>(std::move(sock)), config.netns);
}

Result<DnsPin::Plan> DnsPin::plan_for(DnsPinSpec want) {
  Plan plan;
  VPNNS_ASSIGN_OR_RETURN(DnsPinState st, state());
  plan.want = std::move(want);
  const DnsPinSpec& w = plan.want;
  if (dns_pin_matches(st, w)) return plan;
  if (dns_pin_intact(st, w)) {
    // Only the servers differ: remove the old, add the new, in one transaction.
    using nft_change::DnsPinServer;
    for (const IpAddr& a : st.servers) {
      if (std::ranges::find(w.servers, a) == w.servers.end()) {
        plan.changes.push_back(DnsPinServer{w.table, false, a});
      }
    }
    for (const IpAddr& a : w.servers) {
      if (std::ranges::find(st.servers, a) == st.servers.end()) {
        plan.changes.push_back(DnsPinServer{w.table, true, a});
      }
    }
    return plan;
  }
  plan.found_comment = st.comment;
  return replacing(std::move(plan), st.exists, nft_change::DnsPinInstall{w});
}

Status DnsPin::commit(const Plan& plan, std::vector<std::string>& warnings) {
  VPNNS_TRY(commit_table(*nft_, plan, spec_, active_));
  if (!plan.replace) return ok_status();
  const std::string what =
      "nftables table inet " + spec_.table + " in network namespace '" + netns_ + "'";
  if (!ever_installed_ && plan.existed && plan.found_comment != spec_.comment) {
    warnings.push_back(
        "replaced a stale " + what + " (" +
        (plan.found_comment.empty() ? std::string("an unnamed owner") : plan.found_comment) + ")");
  } else if (ever_installed_) {
    warnings.push_back("the DNS pin (" + what + ") had been " +
                       (plan.existed ? "changed" : "removed") + " underneath; reinstalled");
  }
  ever_installed_ = true;
  return ok_status();
}

Result<std::string> DnsPin::apply(const std::vector<IpAddr>& servers,
                                  std::vector<std::string>& warnings) {
  DnsPinSpec want = spec_;
  want.servers.clear();
  for (const IpAddr& s : servers) {
    if (std::ranges::find(want.servers, s) == want.servers.end()) want.servers.push_back(s);
  }
  auto plan = plan_for(std::move(want));
  Status s = plan ? commit(*plan, warnings) : plan.status();
  if (!s) {
    // Nothing changed in the kernel (one transaction); keep believing what it holds.
    return s.error().wrap("the DNS pin in network namespace '" + netns_ + "' was NOT updated");
  }
  if (spec_.servers.empty()) {
    return "no DNS servers pushed: DNS (ports 53 and 853) from network namespace '" + netns_ +
           "' is dropped";
  }
  return "DNS pinned to " + list(spec_.servers);
}

Status DnsPin::reassert(std::vector<std::string>& warnings) {
  if (!active_) return ok_status();
  VPNNS_ASSIGN_OR_RETURN(Plan plan, plan_for(spec_));
  return commit(plan, warnings);
}

Status DnsPin::remove() {
  active_ = false;
  VPNNS_ASSIGN_OR_RETURN(DnsPinState st, state());
  // Only our own table: one left by an earlier helper is replaced at the next install, and one
  // of another owner is not ours to delete.
  if (!st.exists || st.comment != spec_.comment) return ok_status();
  return nft_->commit({nft_change::TableDelete{spec_.table}});
}

}  // namespace vpnns
