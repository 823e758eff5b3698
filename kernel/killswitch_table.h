// SPDX-License-Identifier: GPL-2.0-or-later
// The kill switch's nftables table as the kernel holds it: its names, its owner comment, and
// reading it back. The helper builds and repairs it (helper/killswitch_nft.h); vpnnsctl reads it
// (status) and lifts a held one (reset). Both go through this file, so they agree on the names.
//
//   table inet vpnns-ks-<instance>, in openvpn's network namespace: chains output, forward,
//   input; counters dropped_out, dropped_fwd, dropped_in; sets uids and reconnect_uids (not
//   with seal-mark), server4, server6, tunnels.
//
// The comment names the owner and what the table is, so that a table left behind (held) still
// says so after its helper is gone:
//   "vpnns kill switch for openvpn instance 'NAME'; killswitch=yes; allow-lan=no;
//    since 1735689600; helper pid N"
// A table whose comment does not start with the instance's prefix is not vpnns's.
//
// Reading only. A missing table reads as exists=false.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ip.h"
#include "kernel/netlink.h"

namespace vpnns {

inline constexpr const char* kKsTablePrefix = "vpnns-ks-";
inline constexpr const char* kKsOutput = "output";
inline constexpr const char* kKsForward = "forward";
inline constexpr const char* kKsInput = "input";
inline constexpr const char* kKsDroppedOut = "dropped_out";
inline constexpr const char* kKsDroppedFwd = "dropped_fwd";
inline constexpr const char* kKsDroppedIn = "dropped_in";
inline constexpr const char* kKsUids = "uids";
inline constexpr const char* kKsReconnectUids = "reconnect_uids";
inline constexpr const char* kKsServer4 = "server4";
inline constexpr const char* kKsServer6 = "server6";
inline constexpr const char* kKsTunnels = "tunnels";

// What the comment says about the kill switch.
struct KillSwitchOwner {
  std::string instance;
  std::string mode;  // "yes" or "lockdown"
  bool allow_lan = false;
  std::int64_t since = 0;
  pid_t helper_pid = 0;
};

std::string killswitch_comment_prefix(const std::string& instance);
std::string killswitch_comment(const KillSwitchOwner& owner);
// nullopt unless `comment` is exactly what killswitch_comment() writes.
std::optional<KillSwitchOwner> parse_killswitch_comment(const std::string& comment);

struct KillSwitchState {
  bool exists = false;
  std::string comment;
  std::size_t rules_out = 0, rules_fwd = 0, rules_in = 0;
  std::set<std::uint32_t> uids;
  std::set<std::uint32_t> reconnect_uids;
  std::vector<IpAddr> servers;       // server4 and server6 elements
  std::vector<std::string> tunnels;  // elements of "tunnels"
  bool has_uid_set = false;
  bool has_sets = false;  // server4, server6 and tunnels
  std::uint64_t dropped_out = 0, dropped_fwd = 0, dropped_in = 0;
  friend bool operator==(const KillSwitchState&, const KillSwitchState&) = default;
};
Result<KillSwitchState> read_killswitch_state(NetlinkSocket& sock, const std::string& table);

// The names of every table in family inet that starts with kKsTablePrefix.
Result<std::vector<std::string>> list_killswitch_tables(NetlinkSocket& sock);

}  // namespace vpnns
