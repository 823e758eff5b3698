// SPDX-License-Identifier: GPL-2.0-or-later
// ClientSets' bounds (client_sets.h): what a server's openvpn may put into the sets, fixed by
// trusted configuration before any client exists, and the clash of two owners of one member.
//
// The openvpn process the helper serves may be compromised once clients talk to it; the
// bounds come from what it could not yet have been lying about: the plugin arguments, openvpn's
// configuration as the plugin read it at open (client-pool=, client-max=), and the first UP,
// which openvpn runs as root right after opening its tun. So a client's address must lie in
// those pools (or in client-iroutes=), an iroute subnet in client-iroutes=, and the number of
// clients stays within client-max. Every refusal names the bound, and changes nothing.
//
// What a server's UP env holds (seen with openvpn 2.6.14 and 2.7.6, `server 192.0.2.0
// 255.255.255.0` and `server-ipv6 2001:db8:100::/64`): with `topology subnet`, ifconfig_local
// 192.0.2.1 and ifconfig_netmask 255.255.255.0 — the whole IPv4 pool; with net30, ifconfig_local
// 192.0.2.1 and ifconfig_remote 192.0.2.2 only (the pool shows only as route_network_1/
// route_netmask_1), so the plugin's reading of `server` covers it; in both,
// ifconfig_ipv6_local 2001:db8:100::1 and ifconfig_ipv6_netbits 64 — the IPv6 pool. No
// variable names the pool as such, and none carries max-clients.
#include <algorithm>
#include <cerrno>

#include "common/config_server.h"
#include "helper/client_sets.h"
#include "helper/state_file.h"

namespace vpnns {
namespace {

constexpr std::uint32_t kOpenvpnMaxClients = 1024;  // openvpn's default max-clients

std::string list_or_none(const std::vector<Prefix>& prefixes) {
  return prefixes.empty() ? std::string("none") : prefix_list_str(prefixes);
}

Error refuse(const std::string& why) { return Error(Code::kFailedPrecondition, why); }

std::string whose(const std::string& comment) {
  const std::string owner = owner_of_comment(comment);
  return owner.empty() ? std::string("a member added by hand") : "instance '" + owner + "''s";
}

}  // namespace

Status refuse_running_twin(const std::string& instance, const std::string& state_dir) {
  auto file = StateFile::open(instance, state_dir);
  if (!file && file.error().code() == Code::kFailedPrecondition) {
    return Error(Code::kFailedPrecondition,
                 file.error().message() +
                     " (a server's client set members carry its instance's name: two of one name "
                     "would remove each other's)");
  }
  return ok_status();  // anything else is the state file's business (Service::start)
}

std::uint32_t ClientSets::max_clients() const {
  return config_.client_max != 0 ? config_.client_max : kOpenvpnMaxClients;
}

Status ClientSets::check_bounds(const ClientConnectRequest& req) const {
  if (clients_.size() >= max_clients()) {
    return refuse("client '" + req.common_name + "' refused: " + std::to_string(clients_.size()) +
                  " clients are connected, the most this instance takes (client-max=" +
                  std::to_string(max_clients()) + ")");
  }
  return ok_status();
}

Status ClientSets::check_bounds(const LearnAddressRequest& req) const {
  const Prefix& p = req.address;
  if (p.len == max_prefix_len(p.family())) {
    if (covered_by(pool_, p) || covered_by(config_.client_iroutes, p)) return ok_status();
    return refuse("learn-address " + p.str() + ": outside this server's client pools (" +
                  list_or_none(pool_) + ") and the allowed iroutes (client-iroutes=" +
                  list_or_none(config_.client_iroutes) + ")");
  }
  if (covered_by(config_.client_iroutes, p)) return ok_status();
  return refuse("learn-address " + p.str() +
                ": an iroute subnet outside the prefixes client-iroutes= allows (" +
                list_or_none(config_.client_iroutes) + ")");
}

std::string ClientSets::learn_pool(const UpRequest& req) {
  if (up_seen_ || !clients_.empty()) return "client pools stay " + list_or_none(pool_);
  up_seen_ = true;
  auto add = [&](const IpAddr& local, std::uint8_t len, int min_len) {
    if (len < min_len || len >= max_prefix_len(local.family())) return;
    const Prefix net{local.masked(len), len};
    if (!covered_by(pool_, net)) pool_.push_back(net);
  };
  if (req.v4) add(req.v4->local, req.v4->prefix_len, 8);
  if (req.v6) add(req.v6->local, req.v6->prefix_len, 16);
  return "client pools " + list_or_none(pool_);
}

Status ClientSets::commit_learn(const LearnPlan& plan, Client& client) {
  Status s = nft_->commit(plan.changes);
  if (s.ok() || s.error().sys_errno() != EEXIST) return s;
  // Some member is already there: find whose, set by set.
  const Prefix& p = plan.req.address;
  std::vector<std::pair<SetRef, Prefix>> taken;
  std::string clash;
  bool exact = true;
  for (const NftChange& c : plan.changes) {
    const auto* e = std::get_if<nft_change::SetElements>(&c);
    if (e == nullptr || !e->add) continue;
    VPNNS_ASSIGN_OR_RETURN(auto members, nft_->read_members(e->set, e->interval));
    for (const SetMember& m : members.value_or(std::vector<SetMember>{})) {
      const bool overlaps = m.prefix.family() == p.family() &&
                            (m.prefix.contains(p.addr) || p.contains(m.prefix.addr));
      if (!overlaps) continue;
      taken.emplace_back(e->set, p);
      exact = exact && m.prefix == p;
      if (clash.empty())
        clash = "set " + e->set.str() + " holds " + m.prefix.str() + ", " + whose(m.comment);
      break;
    }
  }
  if (taken.empty()) return s;  // not a clash vpnns can name
  if (!config_.client_set_shared || !exact) {
    return refuse("learn-address " + p.str() + " for '" + client.common_name +
                  "' refused: " + clash +
                  " (instances keep their own members apart; client-set-shared=yes lets "
                  "them serve the same addresses)");
  }
  // Shared: the member stays its owner's; the rest goes in as ours.
  std::vector<NftChange> rest;
  for (const NftChange& c : plan.changes) {
    const auto* e = std::get_if<nft_change::SetElements>(&c);
    if (e != nullptr && e->add && std::ranges::find(taken, std::pair{e->set, p}) != taken.end()) {
      continue;
    }
    rest.push_back(c);
  }
  if (!rest.empty()) VPNNS_TRY(nft_->commit(rest));
  client.borrowed.insert(taken.begin(), taken.end());
  return ok_status();
}

}  // namespace vpnns
