// SPDX-License-Identifier: GPL-2.0-or-later
// NftOps: the seam between the nftables modes (seal.h, dns_pin.h) and the kernel's nftables.
//
// A mode reads its table back as a state (SealState, DnsPinState: what the kernel holds; for
// client_sets.h, the declaration of an administrator's set) and
// changes it with one commit of NftChanges — one BEGIN/END batch, all or nothing, so a failure
// changes nothing. The changes are the modes' vocabulary (install the whole table, add or remove
// one set element, delete the table), not netlink messages: the real implementation
// (kernel_real.h) turns each into the builders of seal_nft.h and dns_pin_nft.h; the unit tests'
// fake (tests/unit/fake_nft.h) applies them to tables held in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/ip.h"
#include "helper/dns_pin_nft.h"
#include "helper/killswitch_nft.h"
#include "helper/seal_nft.h"
#include "kernel/nft_read.h"  // NftSetInfo
#include "kernel/nft_sets.h"  // SetMember

namespace vpnns {

namespace nft_change {
// Replaces any table of the spec's name with a fresh one holding the spec.
struct SealInstall {
  SealSpec spec;
};
struct SealServer {
  std::string table;
  bool add;
  IpAddr server;
};
struct SealUid {
  std::string table;
  bool add;
  std::uint32_t uid;
};
struct DnsPinInstall {
  DnsPinSpec spec;
};
struct DnsPinServer {
  std::string table;
  bool add;
  IpAddr server;
};
// The kill switch (killswitch_nft.h): the whole table, or one element of one of its sets.
struct KillSwitchInstall {
  KillSwitchSpec spec;
};
struct KillSwitchServer {
  std::string table;
  bool add;
  IpAddr server;
};
struct KillSwitchUid {
  std::string table;
  bool add;
  std::uint32_t uid;
  bool reconnect = false;  // the reconnect_uids set
};
struct KillSwitchTunnel {
  std::string table;
  bool add;
  std::string dev;
};
struct TableDelete {
  std::string table;
};
// An administrator's set (client_sets.h): `prefixes` added to or removed from `set` — in an
// interval set each as its range, in a plain set each as its address. Added elements carry
// `owner` as their comment (nft_sets.h); `exclusive`: an element already there fails the
// transaction with EEXIST.
struct SetElements {
  SetRef set;
  bool interval;
  bool add;
  std::vector<Prefix> prefixes;
  std::string owner = {};
  bool exclusive = false;
};
// Every element of `set` removed.
struct SetFlush {
  SetRef set;
};
}  // namespace nft_change

using NftChange =
    std::variant<nft_change::SealInstall, nft_change::SealServer, nft_change::SealUid,
                 nft_change::DnsPinInstall, nft_change::DnsPinServer, nft_change::TableDelete,
                 nft_change::SetElements, nft_change::SetFlush, nft_change::KillSwitchInstall,
                 nft_change::KillSwitchServer, nft_change::KillSwitchUid,
                 nft_change::KillSwitchTunnel>;

// A plan for one of vpnns's own tables (the seal, the DNS pin): what the table must hold, and the
// changes that get it there in one transaction.
template <typename Spec>
struct TablePlan {
  Spec want;
  std::vector<NftChange> changes;  // one transaction; empty if the table already matches
  bool replace = false;            // the whole table (missing, damaged or someone else's)
  bool existed = false;            // (when replaced) a table of that name was there
};

// `plan`, turned into replacing the whole table with `install`.
template <typename Plan, typename Install>
Plan replacing(Plan plan, bool existed, Install install) {
  plan.replace = true;
  plan.existed = existed;
  plan.changes.push_back(std::move(install));
  return plan;
}

class NftOps {
 public:
  virtual ~NftOps() = default;
  // What the kernel holds under `table` (exists == false if nothing).
  virtual Result<SealState> read_seal(const std::string& table) = 0;
  virtual Result<DnsPinState> read_dns_pin(const std::string& table) = 0;
  virtual Result<KillSwitchState> read_killswitch(const std::string& table) = 0;
  // An administrator's set as the kernel declares it; nullopt if there is no such set.
  virtual Result<std::optional<NftSetInfo>> read_set(const SetRef& set) = 0;
  // Every member of an administrator's set with its comment; nullopt if there is no such set.
  virtual Result<std::optional<std::vector<SetMember>>> read_members(const SetRef& set,
                                                                     bool interval) = 0;
  // All of `changes` in one transaction.
  virtual Status commit(const std::vector<NftChange>& changes) = 0;
};

// Commits `plan`; once the kernel took it (and only then), `spec` and `active` say what the table
// holds.
template <typename Spec>
Status commit_table(NftOps& nft, const TablePlan<Spec>& plan, Spec& spec, bool& active) {
  if (!plan.changes.empty()) VPNNS_TRY(nft.commit(plan.changes));
  spec = plan.want;
  active = true;
  return ok_status();
}

}  // namespace vpnns
