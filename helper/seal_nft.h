// SPDX-License-Identifier: GPL-2.0-or-later
// The seal's nftables table: what it contains, how it is built, how it is read back.
//
//   table inet vpnns-<instance> {
//     comment "vpnns seal ... helper pid N"
//     counter dropped { }
//     set uids    { type uid; elements = { 0, <openvpn's user> } }     (not with seal-mark)
//     set server4 { type ipv4_addr; elements = { <server> } }
//     set server6 { type ipv6_addr; }
//     chain output {
//       type filter hook output priority filter; policy accept;
//       ip daddr @server4 meta skuid @uids accept           (seal-mark=N: meta mark N accept)
//       ip daddr @server4 counter name "dropped" drop
//       ip6 daddr @server6 meta skuid @uids accept
//       ip6 daddr @server6 counter name "dropped" drop
//     }
//   }
//
// Traffic to the VPN server's current address — any protocol, any port — leaves only from
// sockets owned by root or by openvpn's `user` (or carrying openvpn's `mark`); everything else
// is counted and dropped. The server address lives in a set, so following openvpn to a new
// address is one transaction that deletes the old element and adds the new one: there is never a
// moment without a seal.
//
// One table per openvpn instance, in openvpn's own network namespace. Builders are pure and
// write into an NftBatch (tests/unit/seal_nft_test.cc parses them back with libnftnl), from
// kernel/nft_build.h's vocabulary; read_seal_state() (kernel/owned_tables.h) asks the kernel
// what the table really holds.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ip.h"
#include "kernel/nft.h"
#include "kernel/nft_build.h"  // build_table_delete
#include "kernel/owned_tables.h"

namespace vpnns {

// The names, SealState and read_seal_state() are kernel/owned_tables.h's (vpnnsctl reads them
// too).
inline constexpr std::size_t kSealRules = 4;

struct SealSpec {
  std::string table;                  // e.g. "vpnns-work"
  std::string comment;                // names the owner: "... helper pid N"
  std::set<std::uint32_t> uids;       // accepted socket owners (ignored with a mark)
  std::optional<std::uint32_t> mark;  // seal-mark=N: accept this mark instead of owners
  std::optional<IpAddr> server;       // the VPN server's current address
};

// Replaces any table of that name with a fresh one holding `spec`, in one transaction (a
// missing table is created first so the delete cannot fail).
void build_seal_install(NftBatch& batch, const SealSpec& spec);

// Adds (or removes) a server address to (from) the server4/server6 set of its family.
void build_seal_server(NftBatch& batch, const std::string& table, bool add, const IpAddr& server);

// Adds (or removes) an accepted socket owner.
void build_seal_uid(NftBatch& batch, const std::string& table, bool add, std::uint32_t uid);

// Whether `state` is exactly what `spec` asks for.
bool seal_matches(const SealState& state, const SealSpec& spec);

}  // namespace vpnns
