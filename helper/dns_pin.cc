#include "helper/dns_pin.h"

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <algorithm>

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
  return DnsPin(std::move(sock), std::move(spec), config.netns);
}

Status DnsPin::reconcile(std::vector<std::string>& warnings) {
  VPNNS_ASSIGN_OR_RETURN(DnsPinState st, state());
  if (dns_pin_matches(st, spec_)) return ok_status();

  if (dns_pin_intact(st, spec_)) {
    // Only the servers differ: remove the old, add the new, in one transaction.
    NftBatch batch(sock_.next_seq());
    for (const IpAddr& a : st.servers) {
      if (std::ranges::find(spec_.servers, a) == spec_.servers.end()) {
        build_dns_pin_server(batch, spec_.table, false, a);
      }
    }
    for (const IpAddr& a : spec_.servers) {
      if (std::ranges::find(st.servers, a) == st.servers.end()) {
        build_dns_pin_server(batch, spec_.table, true, a);
      }
    }
    return nft_commit(sock_, batch);
  }

  NftBatch full(sock_.next_seq());
  build_dns_pin_install(full, spec_);
  VPNNS_TRY(nft_commit(sock_, full));
  const std::string what =
      "nftables table inet " + spec_.table + " in network namespace '" + netns_ + "'";
  if (!ever_installed_ && st.exists && st.comment != spec_.comment) {
    warnings.push_back("replaced a stale " + what + " (" +
                       (st.comment.empty() ? std::string("an unnamed owner") : st.comment) + ")");
  } else if (ever_installed_) {
    warnings.push_back("the DNS pin (" + what + ") had been " +
                       (st.exists ? "changed" : "removed") + " underneath; reinstalled");
  }
  ever_installed_ = true;
  return ok_status();
}

Result<std::string> DnsPin::apply(const std::vector<IpAddr>& servers,
                                  std::vector<std::string>& warnings) {
  DnsPinSpec before = spec_;
  const bool was_active = active_;
  spec_.servers.clear();
  for (const IpAddr& s : servers) {
    if (std::ranges::find(spec_.servers, s) == spec_.servers.end()) spec_.servers.push_back(s);
  }
  active_ = true;
  if (Status s = reconcile(warnings); !s) {
    // Nothing changed in the kernel (one transaction); keep believing what it holds.
    spec_ = std::move(before);
    active_ = was_active;
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
  return reconcile(warnings);
}

Status DnsPin::remove() {
  active_ = false;
  VPNNS_ASSIGN_OR_RETURN(DnsPinState st, state());
  // Only our own table: one left by an earlier helper is replaced at the next install, and one
  // of another owner is not ours to delete.
  if (!st.exists || st.comment != spec_.comment) return ok_status();
  NftBatch batch(sock_.next_seq());
  nft_table_message(batch, NFT_MSG_DELTABLE, 0, spec_.table, {},
                    "removing " + nft_where(spec_.table));
  return nft_commit(sock_, batch);
}

}  // namespace vpnns
