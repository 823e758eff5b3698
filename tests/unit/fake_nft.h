// SPDX-License-Identifier: GPL-2.0-or-later
// FakeNft: nftables as the seal and the DNS pin see it (helper/nft_ops.h), held in memory.
//
// Tables are kept as the states the modes read back (SealState, DnsPinState). A commit applies
// its changes to a copy and keeps the copy only if every change succeeded — all or nothing, as
// an nftables batch is. It fails as the kernel does where the modes depend on it: a change to a
// missing table, or the removal of a missing element or table, is ENOENT. A commit counts as one
// change of the FakeKernel it shares (fail_at() there makes it fail, changing nothing).
//
// Administrators' sets hold prefixes with their comments: adding one already there is no error
// (NLM_F_CREATE without EXCL) unless the change is exclusive (EEXIST), removing one that is not
// is ENOENT, as is any change to an undeclared set.
//
// Tests play the world around the modes with flush() (`nft flush ruleset`) and damage() (a rule
// deleted by hand), and look at tables(), commits() and last_commit().
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "helper/nft_ops.h"
#include "tests/unit/fake_kernel.h"

namespace vpnns::testing {

class FakeNft {
 public:
  using Table = std::variant<SealState, DnsPinState, KillSwitchState>;

  explicit FakeNft(FakeKernel& kernel) : kernel_(kernel) {}

  std::unique_ptr<NftOps> ops();

  Status commit(const std::vector<NftChange>& changes);

  void flush() { tables_.clear(); }
  // Someone deleted a rule of `table` by hand.
  void damage(const std::string& table);
  // Someone else's table of that name (another owner's comment).
  void put(const std::string& name, Table table) { tables_[name] = std::move(table); }
  // An administrator's set (client sets): declared with `info`, holding `members`.
  // `owners`: the comment of each member that has one (nft_sets.h: vpnns's owner tag).
  struct Set {
    NftSetInfo info;
    std::set<Prefix> members;
    std::map<Prefix, std::string> owners;
  };
  // A member put in by hand (or by another instance: comment "vpnns:NAME").
  void put_member(const SetRef& ref, const Prefix& p, const std::string& comment = {});
  void declare(const SetRef& ref, Family family, bool interval);
  [[nodiscard]] const Set* set(const SetRef& ref) const;

  [[nodiscard]] const SealState* seal(const std::string& table) const;
  [[nodiscard]] const DnsPinState* dns_pin(const std::string& table) const;
  [[nodiscard]] const KillSwitchState* killswitch(const std::string& table) const;
  [[nodiscard]] int commits() const { return commits_; }
  [[nodiscard]] const std::vector<NftChange>& last_commit() const { return last_; }

 private:
  FakeKernel& kernel_;
  std::map<std::string, Table> tables_;
  std::map<SetRef, Set> sets_;
  int commits_ = 0;
  std::vector<NftChange> last_;
};

}  // namespace vpnns::testing
