// SPDX-License-Identifier: GPL-2.0-or-later
// The nftables tables vpnns owns, as the kernel holds them: their names, the owner comment,
// and reading each back into a plain struct. The helper builds and repairs them; vpnnsctl reads
// them (status) and removes abandoned ones (reset); both read through this file, so the two sides
// cannot disagree about a name.
//
//   seal      table inet vpnns-<instance>, in openvpn's namespace: chain output, counter
//             dropped, sets uids (not with seal-mark), server4, server6
//   DNS pin   table inet vpnns-dns, in the protected namespace: chain output, counter dropped,
//             sets ports, servers4, servers6
//
// The comment names the owner: "vpnns seal for openvpn instance 'NAME'; helper pid N start T" and
// "vpnns DNS pin for openvpn instance 'NAME' in network namespace 'NS'; helper pid N". Only a
// table whose comment starts with the instance's prefix is vpnns's.
//
// Reading only: what a table should hold, how it is built and whether what is there matches is
// the helper's (helper/seal_nft.h, helper/dns_pin_nft.h). A missing table reads as exists=false.
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

inline constexpr const char* kSealChain = "output";
inline constexpr const char* kSealCounter = "dropped";
inline constexpr const char* kSealUids = "uids";
inline constexpr const char* kSealServer4 = "server4";
inline constexpr const char* kSealServer6 = "server6";

inline constexpr const char* kDnsPinTable = "vpnns-dns";
inline constexpr const char* kDnsPinChain = "output";
inline constexpr const char* kDnsPinCounter = "dropped";
inline constexpr const char* kDnsPinPorts = "ports";
inline constexpr const char* kDnsPinServers4 = "servers4";
inline constexpr const char* kDnsPinServers6 = "servers6";

// --- owner comments

std::string seal_comment_prefix(const std::string& instance);
// "...; helper pid N start T" (T: the helper's start time, helper_identity.h), or without
// " start T" when it is not known.
std::string seal_comment(const std::string& instance, pid_t helper_pid,
                         std::optional<std::uint64_t> start_time = std::nullopt);
std::string dns_pin_comment_prefix(const std::string& instance);
std::string dns_pin_comment(const std::string& instance, const std::string& netns,
                            pid_t helper_pid);
// The helper pid at the end of either comment ("; helper pid N", "; helper pid N start T").
std::optional<pid_t> seal_owner_pid(const std::string& comment);
// The pid and, where the comment records it, the start time.
struct TableOwner {
  pid_t pid = 0;
  std::optional<std::uint64_t> start_time;
};
std::optional<TableOwner> table_owner(const std::string& comment);

// --- reading back (over a NETLINK_NETFILTER socket in the table's namespace)

// What the kernel holds under the seal's table name.
struct SealState {
  bool exists = false;
  std::string comment;
  std::size_t rules = 0;  // in chain "output"
  std::set<std::uint32_t> uids;
  std::vector<IpAddr> servers;  // server4 and server6 elements
  bool has_uid_set = false;
  bool has_server_sets = false;
  std::uint64_t dropped_packets = 0;
};
Result<SealState> read_seal_state(NetlinkSocket& sock, const std::string& table);

// What the kernel holds under the pin's table name.
struct DnsPinState {
  bool exists = false;
  std::string comment;
  std::size_t rules = 0;             // in chain "output"
  std::vector<std::uint16_t> ports;  // elements of "ports", host byte order
  std::vector<IpAddr> servers;       // servers4 and servers6 elements
  bool has_server_sets = false;
  std::uint64_t dropped_packets = 0;
};
Result<DnsPinState> read_dns_pin_state(NetlinkSocket& sock, const std::string& table);

}  // namespace vpnns
