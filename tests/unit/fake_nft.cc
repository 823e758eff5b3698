// SPDX-License-Identifier: GPL-2.0-or-later
// The in-memory nftables of fake_nft.h: tables as states, sets as prefixes, atomic commits.
#include "tests/unit/fake_nft.h"

#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cerrno>

#include "kernel/nft_build.h"  // kNftTypeIpv4, kNftTypeIpv6

namespace vpnns::testing {
namespace {

Error missing(const std::string& what) { return sys_error(what, ENOENT); }

template <typename T>
Result<T*> table_of(std::map<std::string, FakeNft::Table>& tables, const std::string& name) {
  auto it = tables.find(name);
  if (it == tables.end() || !std::holds_alternative<T>(it->second)) {
    return missing("table inet " + name);
  }
  return &std::get<T>(it->second);
}

Status change_element(std::vector<IpAddr>& set, bool add, const IpAddr& a) {
  auto it = std::ranges::find(set, a);
  if (add) {
    if (it == set.end()) set.push_back(a);
    return ok_status();
  }
  if (it == set.end()) return missing("element " + a.str());
  set.erase(it);
  return ok_status();
}

struct Apply {
  std::map<std::string, FakeNft::Table>& t;
  std::map<SetRef, FakeNft::Set>& sets;

  Status operator()(const nft_change::SetElements& c) const {
    auto it = sets.find(c.set);
    if (it == sets.end()) return missing("set " + c.set.str());
    for (const Prefix& p : c.prefixes) {
      if (c.add) {
        if (!it->second.members.insert(p).second) {
          if (c.exclusive)
            return sys_error("element " + p.str() + " of set " + c.set.str(), EEXIST);
          continue;  // the element keeps its comment
        }
        if (!c.owner.empty()) it->second.owners[p] = c.owner;
      } else if (it->second.members.erase(p) == 0) {
        return missing("element " + p.str() + " of set " + c.set.str());
      } else {
        it->second.owners.erase(p);
      }
    }
    return ok_status();
  }
  Status operator()(const nft_change::SetFlush& c) const {
    auto it = sets.find(c.set);
    if (it == sets.end()) return missing("set " + c.set.str());
    it->second.members.clear();
    it->second.owners.clear();
    return ok_status();
  }

  Status operator()(const nft_change::SealInstall& c) const {
    SealState st;
    st.exists = true;
    st.comment = c.spec.comment;
    st.rules = kSealRules;
    if (!c.spec.mark) st.uids = c.spec.uids;
    if (c.spec.server) st.servers = {*c.spec.server};
    st.has_uid_set = !c.spec.mark;
    st.has_server_sets = true;
    t[c.spec.table] = st;
    return ok_status();
  }
  Status operator()(const nft_change::SealServer& c) const {
    VPNNS_ASSIGN_OR_RETURN(SealState * st, table_of<SealState>(t, c.table));
    return change_element(st->servers, c.add, c.server);
  }
  Status operator()(const nft_change::SealUid& c) const {
    VPNNS_ASSIGN_OR_RETURN(SealState * st, table_of<SealState>(t, c.table));
    if (c.add) {
      st->uids.insert(c.uid);
    } else if (st->uids.erase(c.uid) == 0) {
      return missing("element " + std::to_string(c.uid));
    }
    return ok_status();
  }
  Status operator()(const nft_change::DnsPinInstall& c) const {
    DnsPinState st;
    st.exists = true;
    st.comment = c.spec.comment;
    st.rules = kDnsPinRules;
    st.ports.assign(std::begin(kDnsPorts), std::end(kDnsPorts));
    st.servers = c.spec.servers;
    st.has_server_sets = true;
    t[c.spec.table] = st;
    return ok_status();
  }
  Status operator()(const nft_change::DnsPinServer& c) const {
    VPNNS_ASSIGN_OR_RETURN(DnsPinState * st, table_of<DnsPinState>(t, c.table));
    return change_element(st->servers, c.add, c.server);
  }
  Status operator()(const nft_change::KillSwitchInstall& c) const {
    KillSwitchState st;
    st.exists = true;
    st.comment = c.spec.comment;
    const KillSwitchRules n = killswitch_rule_counts(c.spec);
    st.rules_out = n.out;
    st.rules_fwd = n.fwd;
    st.rules_in = n.in;
    if (!c.spec.mark) {
      st.uids = c.spec.uids;
      st.reconnect_uids = c.spec.reconnect_uids;
    }
    if (c.spec.server) st.servers = {*c.spec.server};
    if (c.spec.tunnel) st.tunnels = {*c.spec.tunnel};
    st.has_uid_set = !c.spec.mark;
    st.has_sets = true;
    t[c.spec.table] = st;
    return ok_status();
  }
  Status operator()(const nft_change::KillSwitchServer& c) const {
    VPNNS_ASSIGN_OR_RETURN(KillSwitchState * st, table_of<KillSwitchState>(t, c.table));
    return change_element(st->servers, c.add, c.server);
  }
  Status operator()(const nft_change::KillSwitchUid& c) const {
    VPNNS_ASSIGN_OR_RETURN(KillSwitchState * st, table_of<KillSwitchState>(t, c.table));
    std::set<std::uint32_t>& set = c.reconnect ? st->reconnect_uids : st->uids;
    if (c.add) {
      set.insert(c.uid);
    } else if (set.erase(c.uid) == 0) {
      return missing("element " + std::to_string(c.uid));
    }
    return ok_status();
  }
  Status operator()(const nft_change::KillSwitchTunnel& c) const {
    VPNNS_ASSIGN_OR_RETURN(KillSwitchState * st, table_of<KillSwitchState>(t, c.table));
    auto it = std::ranges::find(st->tunnels, c.dev);
    if (c.add) {
      if (it == st->tunnels.end()) st->tunnels.push_back(c.dev);
    } else if (it == st->tunnels.end()) {
      return missing("element " + c.dev);
    } else {
      st->tunnels.erase(it);
    }
    return ok_status();
  }
  Status operator()(const nft_change::TableDelete& c) const {
    if (t.erase(c.table) == 0) return missing("table inet " + c.table);
    return ok_status();
  }
};

class FakeNftOps final : public NftOps {
 public:
  explicit FakeNftOps(FakeNft& nft) : nft_(nft) {}
  Result<SealState> read_seal(const std::string& table) override {
    const SealState* st = nft_.seal(table);
    return st ? *st : SealState{};
  }
  Result<DnsPinState> read_dns_pin(const std::string& table) override {
    const DnsPinState* st = nft_.dns_pin(table);
    return st ? *st : DnsPinState{};
  }
  Result<KillSwitchState> read_killswitch(const std::string& table) override {
    const KillSwitchState* st = nft_.killswitch(table);
    return st ? *st : KillSwitchState{};
  }
  Result<std::optional<NftSetInfo>> read_set(const SetRef& ref) override {
    const FakeNft::Set* s = nft_.set(ref);
    if (s == nullptr) return std::optional<NftSetInfo>();
    return std::optional<NftSetInfo>(s->info);
  }
  Result<std::optional<std::vector<SetMember>>> read_members(const SetRef& ref,
                                                             bool /*interval*/) override {
    const FakeNft::Set* s = nft_.set(ref);
    if (s == nullptr) return std::optional<std::vector<SetMember>>();
    std::vector<SetMember> out;
    for (const Prefix& p : s->members) {
      auto o = s->owners.find(p);
      out.push_back(SetMember{p, o == s->owners.end() ? std::string() : o->second});
    }
    return std::optional<std::vector<SetMember>>(std::move(out));
  }
  Status commit(const std::vector<NftChange>& changes) override { return nft_.commit(changes); }

 private:
  FakeNft& nft_;
};

}  // namespace

std::unique_ptr<NftOps> FakeNft::ops() { return std::make_unique<FakeNftOps>(*this); }

Status FakeNft::commit(const std::vector<NftChange>& changes) {
  if (changes.empty()) return ok_status();  // nothing is sent
  int err = 0;
  if (!kernel_.take_change("nft commit of " + std::to_string(changes.size()), err)) {
    return sys_error("nftables transaction", err);
  }
  std::map<std::string, Table> next = tables_;
  std::map<SetRef, Set> next_sets = sets_;
  for (const NftChange& c : changes) {
    VPNNS_TRY(std::visit(Apply{next, next_sets}, c));
  }
  tables_ = std::move(next);
  sets_ = std::move(next_sets);
  ++commits_;
  last_ = changes;
  return ok_status();
}

void FakeNft::declare(const SetRef& ref, Family family, bool interval) {
  const bool v4 = family == Family::kV4;
  sets_[ref] = Set{NftSetInfo{v4 ? kNftTypeIpv4 : kNftTypeIpv6, v4 ? 4U : 16U,
                              interval ? static_cast<std::uint32_t>(NFT_SET_INTERVAL) : 0U},
                   {},
                   {}};
}

void FakeNft::put_member(const SetRef& ref, const Prefix& p, const std::string& comment) {
  Set& s = sets_.at(ref);
  s.members.insert(p);
  if (!comment.empty()) s.owners[p] = comment;
}

const FakeNft::Set* FakeNft::set(const SetRef& ref) const {
  auto it = sets_.find(ref);
  return it == sets_.end() ? nullptr : &it->second;
}

void FakeNft::damage(const std::string& table) {
  auto it = tables_.find(table);
  if (it == tables_.end()) return;
  std::visit(
      [](auto& st) {
        if constexpr (std::is_same_v<std::decay_t<decltype(st)>, KillSwitchState>) {
          st.rules_out = st.rules_out > 0 ? st.rules_out - 1 : 0;
        } else {
          st.rules = st.rules > 0 ? st.rules - 1 : 0;
        }
      },
      it->second);
}

const SealState* FakeNft::seal(const std::string& table) const {
  auto it = tables_.find(table);
  return it != tables_.end() ? std::get_if<SealState>(&it->second) : nullptr;
}

const DnsPinState* FakeNft::dns_pin(const std::string& table) const {
  auto it = tables_.find(table);
  return it != tables_.end() ? std::get_if<DnsPinState>(&it->second) : nullptr;
}

}  // namespace vpnns::testing

namespace vpnns::testing {

const KillSwitchState* FakeNft::killswitch(const std::string& table) const {
  auto it = tables_.find(table);
  return it != tables_.end() ? std::get_if<KillSwitchState>(&it->second) : nullptr;
}

}  // namespace vpnns::testing
