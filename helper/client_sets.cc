// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/client_sets.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>

#include "kernel/nft_build.h"  // kNftTypeIpv4, kNftTypeIpv6
#include "kernel/nft_read.h"

#include "helper/kernel_real.h"

namespace vpnns {
namespace {

std::string join(const std::vector<SetRef>& sets) {
  std::string out;
  for (const auto& s : sets) out += (out.empty() ? "" : ", ") + s.str();
  return out.empty() ? "no sets" : out;
}

Error refuse(const std::string& why) { return Error(Code::kInvalidArgument, why); }

}  // namespace

Result<ClientSets> ClientSets::open(const Config& config, int netns_fd) {
  std::vector<ClassRule> rules;
  if (!config.client_classes.empty()) {
    VPNNS_ASSIGN_OR_RETURN(rules, load_classes(config.client_classes));
  }
  VPNNS_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_NETFILTER, netns_fd));
  return open(config, std::make_unique<NetlinkNftOps>(std::move(sock)), std::move(rules));
}

Result<ClientSets> ClientSets::open(const Config& config, std::unique_ptr<NftOps> nft,
                                    std::vector<ClassRule> rules) {
  std::vector<SetRef> all = config.client_sets;
  for (const ClassRule& r : rules) all.insert(all.end(), r.sets.begin(), r.sets.end());
  std::map<SetRef, SetKind> kinds;
  std::string problems;
  for (const SetRef& ref : all) {
    if (kinds.contains(ref)) continue;
    VPNNS_ASSIGN_OR_RETURN(std::optional<NftSetInfo> info, nft->read_set(ref));
    const NftSetInfo c = info.value_or(NftSetInfo{});
    std::string problem;
    if (!info) {
      problem = "does not exist";
    } else if ((c.flags & (NFT_SET_MAP | NFT_SET_OBJECT | NFT_SET_CONCAT)) != 0) {
      problem = "is a map or a concatenation, not a set of addresses";
    } else if (!(c.key_type == kNftTypeIpv4 && c.key_len == 4) &&
               !(c.key_type == kNftTypeIpv6 && c.key_len == 16)) {
      problem = "is not of type ipv4_addr or ipv6_addr";
    }
    if (!problem.empty()) {
      if (!problems.empty()) problems += "; ";
      problems += "set " + ref.str() + " " + problem;
      continue;
    }
    kinds.emplace(ref, SetKind{c.key_type == kNftTypeIpv4 ? Family::kV4 : Family::kV6,
                               (c.flags & NFT_SET_INTERVAL) != 0});
  }
  if (!problems.empty()) {
    return Error(Code::kFailedPrecondition,
                 problems +
                     " — declare each in the ruleset, e.g. `set NAME { type ipv4_addr; }` "
                     "(add `flags interval;` for iroute subnets), before openvpn starts");
  }
  ClientSets sets(std::move(nft), config, std::move(rules), std::move(kinds));
  // What a SIGKILLed helper of this instance left behind, and nothing else.
  VPNNS_TRY(sets.purge_own());
  return sets;
}

Result<std::size_t> ClientSets::purge_own() {
  std::vector<NftChange> changes;
  std::size_t n = 0;
  for (const auto& [ref, kind] : kinds_) {
    VPNNS_ASSIGN_OR_RETURN(auto members, nft_->read_members(ref, kind.interval));
    if (!members) continue;  // the set is gone: nothing of ours in it
    std::vector<Prefix> mine;
    for (const SetMember& m : *members) {
      if (m.comment == tag_) mine.push_back(m.prefix);
    }
    n += mine.size();
    if (!mine.empty()) {
      changes.push_back(nft_change::SetElements{ref, kind.interval, false, std::move(mine)});
    }
  }
  if (!changes.empty()) VPNNS_TRY(nft_->commit(changes));
  return n;
}

Status ClientSets::remove_own() {
  // From the records, in one batch, as fast as emptying the sets was (openvpn is gone and the
  // members should be too); if that fails (say an element was deleted by hand), by the tags.
  std::vector<NftChange> changes;
  for (const auto& [id, client] : clients_) {
    change(changes, client, false,
           std::vector<Prefix>(client.entries.begin(), client.entries.end()));
  }
  if (changes.empty() || !nft_->commit(changes).ok()) VPNNS_TRY(purge_own());
  clients_.clear();
  owner_.clear();
  members_.clear();
  return ok_status();
}

void ClientSets::count(const Client& client, bool add, const std::vector<Prefix>& prefixes) {
  for (const SetRef& ref : client.sets) {
    auto k = kinds_.find(ref);
    if (k == kinds_.end()) continue;
    for (const Prefix& p : prefixes) {
      if (!fits(k->second, p) || client.borrowed.contains({ref, p})) continue;
      std::uint64_t& n = members_[ref];
      n = add ? n + 1 : (n > 0 ? n - 1 : 0);
    }
  }
}

StateClientSets ClientSets::snapshot() const {
  StateClientSets out;
  if (!config_.netns.empty()) out.netns = config_.netns;
  out.clients = clients_.size();
  for (const auto& [ref, kind] : kinds_) {
    const auto n = members_.find(ref);
    out.sets.push_back(StateSet{ref, n == members_.end() ? 0 : n->second, kind.interval});
  }
  return out;
}

void ClientSets::change(std::vector<NftChange>& changes, const Client& client, bool add,
                        const std::vector<Prefix>& prefixes) const {
  for (const SetRef& ref : client.sets) {
    auto k = kinds_.find(ref);
    if (k == kinds_.end()) continue;
    std::vector<Prefix> mine;
    for (const Prefix& p : prefixes) {
      // A borrowed member (client-set-shared) is its owner's to remove, not ours.
      if (fits(k->second, p) && !(!add && client.borrowed.contains({ref, p}))) mine.push_back(p);
    }
    if (!mine.empty()) {
      changes.push_back(nft_change::SetElements{ref, k->second.interval, add, std::move(mine),
                                                add ? tag_ : std::string(), add});
    }
  }
}

Status ClientSets::validate(const ClientConnectRequest& req) const {
  if (clients_.contains(req.client)) {
    return refuse("client #" + std::to_string(req.client) + " is already connected");
  }
  return check_bounds(req);
}

Result<ClientSets::ConnectPlan> ClientSets::plan(const ClientConnectRequest& req,
                                                 std::vector<std::string>& /*warnings*/) {
  ConnectPlan plan{req.client, {}};
  plan.record.common_name = req.common_name;
  plan.record.sets = config_.client_sets;
  for (const SetRef& s : classes_of(rules_, req.common_name)) {
    if (std::ranges::find(plan.record.sets, s) == plan.record.sets.end()) {
      plan.record.sets.push_back(s);
    }
  }
  return plan;
}

Result<std::string> ClientSets::apply(const ConnectPlan& plan,
                                      std::vector<std::string>& /*warnings*/) {
  const std::string summary = "client '" + plan.record.common_name + "' (#" +
                              std::to_string(plan.client) + ") goes into " + join(plan.record.sets);
  clients_.emplace(plan.client, plan.record);
  return summary;
}

Status ClientSets::validate(const ClientDisconnectRequest& req) const {
  auto it = clients_.find(req.client);
  if (it != clients_.end() && it->second.common_name != req.common_name) {
    return refuse("client #" + std::to_string(req.client) + " connected as '" +
                  it->second.common_name + "', not '" + req.common_name + "'");
  }
  return ok_status();
}

Result<ClientSets::DisconnectPlan> ClientSets::plan(const ClientDisconnectRequest& req,
                                                    std::vector<std::string>& /*warnings*/) {
  DisconnectPlan plan{req.client, false, {}};
  auto it = clients_.find(req.client);
  if (it == clients_.end()) return plan;
  plan.known = true;
  change(plan.changes, it->second, false,
         std::vector<Prefix>(it->second.entries.begin(), it->second.entries.end()));
  return plan;
}

Result<std::string> ClientSets::apply(const DisconnectPlan& plan,
                                      std::vector<std::string>& /*warnings*/) {
  if (!plan.known) return "client #" + std::to_string(plan.client) + " was not known";
  if (!plan.changes.empty()) VPNNS_TRY(nft_->commit(plan.changes));
  Client& c = clients_.at(plan.client);
  const std::vector<Prefix> gone(c.entries.begin(), c.entries.end());
  count(c, false, gone);
  for (const Prefix& p : gone) owner_.erase(p);
  const std::string summary = "client '" + c.common_name +
                              "' left: " + std::to_string(gone.size()) + " entr" +
                              (gone.size() == 1 ? "y" : "ies") + " removed";
  clients_.erase(plan.client);
  return summary;
}

Status ClientSets::validate(const LearnAddressRequest& req) const {
  const Prefix& p = req.address;
  const int min_len = p.family() == Family::kV4 ? 8 : 16;
  if (p.len < min_len) {
    return refuse("learn-address " + p.str() + ": prefixes shorter than /" +
                  std::to_string(min_len) + " are refused");
  }
  if (p.has_host_bits()) return refuse("learn-address " + p.str() + ": host bits set");
  if (!p.addr.is_unicast()) return refuse("learn-address " + p.str() + ": not a unicast address");
  if (req.op == LearnOp::kDelete) return ok_status();

  if (!req.client) return refuse("learn-address without a client");
  auto it = clients_.find(*req.client);
  if (it == clients_.end()) {
    return Error(
        Code::kFailedPrecondition,
        "learn-address for client #" + std::to_string(*req.client) + " that did not connect");
  }
  const Client& client = it->second;
  if (!req.common_name.empty() && req.common_name != client.common_name) {
    return refuse("learn-address names '" + req.common_name + "', but client #" +
                  std::to_string(*req.client) + " connected as '" + client.common_name + "'");
  }
  auto owned = owner_.find(p);
  if (owned != owner_.end() && owned->second == *req.client) return ok_status();  // in place
  // A subnet (an iroute) goes only into interval sets; if the client has sets of its family but
  // none can hold it, the learn is refused (openvpn then does not route the subnet).
  std::vector<SetRef> plain;
  bool held = false;
  for (const SetRef& ref : client.sets) {
    auto k = kinds_.find(ref);
    if (k == kinds_.end() || k->second.family != p.family()) continue;
    if (fits(k->second, p)) {
      held = true;
    } else {
      plain.push_back(ref);
    }
  }
  if (!held && !plain.empty()) {
    return refuse("learn-address " + p.str() +
                  ": a subnet needs a set with 'flags interval', and " + "client '" +
                  client.common_name + "' has only " + join(plain));
  }
  if (client.entries.size() >= config_.client_max_entries) {
    return refuse(
        "client '" + client.common_name + "' already has " + std::to_string(client.entries.size()) +
        " entries (client-max-entries=" + std::to_string(config_.client_max_entries) + ")");
  }
  return check_bounds(req);
}

Result<ClientSets::LearnPlan> ClientSets::plan(const LearnAddressRequest& req,
                                               std::vector<std::string>& /*warnings*/) {
  LearnPlan plan{req, std::nullopt, false, {}};
  const Prefix& p = req.address;
  auto owned = owner_.find(p);
  if (owned != owner_.end()) plan.previous = owned->second;
  if (req.op == LearnOp::kDelete) {
    plan.nothing = !plan.previous;
    if (plan.previous) change(plan.changes, clients_.at(*plan.previous), false, {p});
    return plan;
  }
  if (plan.previous == req.client) {
    plan.nothing = true;
    return plan;
  }
  // One transaction: out of the previous owner's sets, into the new owner's.
  if (plan.previous) change(plan.changes, clients_.at(*plan.previous), false, {p});
  change(plan.changes, clients_.at(*req.client), true, {p});
  return plan;
}

Result<std::string> ClientSets::apply(const LearnPlan& plan,
                                      std::vector<std::string>& /*warnings*/) {
  const Prefix& p = plan.req.address;
  if (plan.req.op == LearnOp::kDelete) {
    if (plan.nothing) return p.str() + " was not known";
    if (!plan.changes.empty()) VPNNS_TRY(nft_->commit(plan.changes));
    Client& old = clients_.at(*plan.previous);
    count(old, false, {p});
    old.entries.erase(p);
    std::erase_if(old.borrowed, [&](const auto& b) { return b.second == p; });
    owner_.erase(p);
    return p.str() + " removed (it was '" + old.common_name + "')";
  }
  if (plan.nothing) return p.str() + " already in place";
  Client& client = clients_.at(*plan.req.client);
  VPNNS_TRY(commit_learn(plan, client));
  std::string summary = p.str() + " -> '" + client.common_name + "'";
  if (plan.previous) {
    Client& previous = clients_.at(*plan.previous);
    count(previous, false, {p});
    previous.entries.erase(p);
    std::erase_if(previous.borrowed, [&](const auto& b) { return b.second == p; });
    summary += " (moved from '" + previous.common_name + "')";
  }
  count(client, true, {p});
  client.entries.insert(p);
  owner_[p] = *plan.req.client;
  return summary;
}

}  // namespace vpnns
