#include "helper/client_sets.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>

#include "kernel/nft_build.h"  // kNftTypeIpv4, kNftTypeIpv6
#include "kernel/nft_read.h"

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

  std::vector<SetRef> all = config.client_sets;
  for (const ClassRule& r : rules) all.insert(all.end(), r.sets.begin(), r.sets.end());
  std::map<SetRef, SetKind> kinds;
  std::string problems;
  for (const SetRef& ref : all) {
    if (kinds.contains(ref)) continue;
    VPNNS_ASSIGN_OR_RETURN(std::optional<NftSetInfo> info, nft_read_set_info(sock, ref));
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
  ClientSets sets(std::move(sock), config, std::move(rules), std::move(kinds));
  VPNNS_TRY(sets.flush_all());
  return sets;
}

Status ClientSets::commit(NftBatch& batch) {
  if (batch.size() == 0) return ok_status();
  return nft_commit(sock_, batch);
}

Status ClientSets::flush_all() {
  NftBatch batch(sock_.next_seq());
  for (const auto& [ref, kind] : kinds_) build_set_flush(batch, ref);
  VPNNS_TRY(commit(batch));
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
      if (!fits(k->second, p)) continue;
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

void ClientSets::change(NftBatch& batch, const Client& client, bool add,
                        const std::vector<Prefix>& prefixes) const {
  for (const SetRef& ref : client.sets) {
    auto k = kinds_.find(ref);
    if (k == kinds_.end()) continue;
    std::vector<Prefix> mine;
    for (const Prefix& p : prefixes) {
      if (fits(k->second, p)) mine.push_back(p);
    }
    // Several messages if need be (an element list is one attribute of at most 64 KiB); they are
    // one transaction all the same.
    for (std::size_t i = 0; i < mine.size(); i += kMaxPrefixesPerMessage) {
      const auto last = std::min(mine.size(), i + kMaxPrefixesPerMessage);
      build_set_prefixes(batch, ref, k->second.interval, add,
                         std::vector<Prefix>(mine.begin() + static_cast<long>(i),
                                             mine.begin() + static_cast<long>(last)));
    }
  }
}

Result<std::string> ClientSets::connect(const ClientConnectRequest& req) {
  if (clients_.contains(req.client)) {
    return refuse("client #" + std::to_string(req.client) + " is already connected");
  }
  Client c;
  c.common_name = req.common_name;
  c.sets = config_.client_sets;
  for (const SetRef& s : classes_of(rules_, req.common_name)) {
    if (std::find(c.sets.begin(), c.sets.end(), s) == c.sets.end()) c.sets.push_back(s);
  }
  const std::string summary = "client '" + req.common_name + "' (#" + std::to_string(req.client) +
                              ") goes into " + join(c.sets);
  clients_.emplace(req.client, std::move(c));
  return summary;
}

Result<std::string> ClientSets::disconnect(const ClientDisconnectRequest& req) {
  auto it = clients_.find(req.client);
  if (it == clients_.end())
    return std::string("client #" + std::to_string(req.client) + " was not known");
  if (it->second.common_name != req.common_name) {
    return refuse("client #" + std::to_string(req.client) + " connected as '" +
                  it->second.common_name + "', not '" + req.common_name + "'");
  }
  NftBatch batch(sock_.next_seq());
  change(batch, it->second, false,
         std::vector<Prefix>(it->second.entries.begin(), it->second.entries.end()));
  VPNNS_TRY(commit(batch));
  count(it->second, false,
        std::vector<Prefix>(it->second.entries.begin(), it->second.entries.end()));
  for (const Prefix& p : it->second.entries) owner_.erase(p);
  const std::size_t n = it->second.entries.size();
  clients_.erase(it);
  return "client '" + req.common_name + "' left: " + std::to_string(n) + " entr" +
         (n == 1 ? "y" : "ies") + " removed";
}

Result<std::string> ClientSets::learn(const LearnAddressRequest& req) {
  const Prefix& p = req.address;
  const int min_len = p.family() == Family::kV4 ? 8 : 16;
  if (p.len < min_len) {
    return refuse("learn-address " + p.str() + ": prefixes shorter than /" +
                  std::to_string(min_len) + " are refused");
  }
  if (p.has_host_bits()) return refuse("learn-address " + p.str() + ": host bits set");
  if (!p.addr.is_unicast()) return refuse("learn-address " + p.str() + ": not a unicast address");

  auto owned = owner_.find(p);
  if (req.op == LearnOp::kDelete) {
    if (owned == owner_.end()) return p.str() + " was not known";
    Client& old = clients_.at(owned->second);
    NftBatch batch(sock_.next_seq());
    change(batch, old, false, {p});
    VPNNS_TRY(commit(batch));
    count(old, false, {p});
    old.entries.erase(p);
    owner_.erase(owned);
    return p.str() + " removed (it was '" + old.common_name + "')";
  }

  if (!req.client) return refuse("learn-address without a client");
  auto it = clients_.find(*req.client);
  if (it == clients_.end()) {
    return Error(
        Code::kFailedPrecondition,
        "learn-address for client #" + std::to_string(*req.client) + " that did not connect");
  }
  Client& client = it->second;
  if (!req.common_name.empty() && req.common_name != client.common_name) {
    return refuse("learn-address names '" + req.common_name + "', but client #" +
                  std::to_string(*req.client) + " connected as '" + client.common_name + "'");
  }
  if (owned != owner_.end() && owned->second == *req.client) return p.str() + " already in place";
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
  // One transaction: out of the previous owner's sets, into the new owner's.
  NftBatch batch(sock_.next_seq());
  Client* previous = owned != owner_.end() ? &clients_.at(owned->second) : nullptr;
  if (previous != nullptr) change(batch, *previous, false, {p});
  change(batch, client, true, {p});

  VPNNS_TRY(commit(batch));
  if (previous != nullptr) count(*previous, false, {p});
  count(client, true, {p});
  std::string summary = p.str() + " -> '" + client.common_name + "'";
  if (previous != nullptr) {
    previous->entries.erase(p);
    summary += " (moved from '" + previous->common_name + "')";
  }
  client.entries.insert(p);
  owner_[p] = *req.client;
  return summary;
}

}  // namespace vpnns
