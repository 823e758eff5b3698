// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/owned_tables.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <span>
#include <string_view>

#include "kernel/nft_read.h"

namespace vpnns {

std::string seal_comment_prefix(const std::string& instance) {
  return "vpnns seal for openvpn instance '" + instance + "'";
}

std::string seal_comment(const std::string& instance, pid_t helper_pid,
                         std::optional<std::uint64_t> start_time) {
  return seal_comment_prefix(instance) + "; helper pid " + std::to_string(helper_pid) +
         (start_time ? " start " + std::to_string(*start_time) : std::string());
}

std::optional<TableOwner> table_owner(const std::string& comment) {
  constexpr std::string_view kPid = "; helper pid ";
  constexpr std::string_view kStart = " start ";
  const auto at = comment.rfind(kPid);
  if (at == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(comment).substr(at + kPid.size());
  TableOwner owner;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), owner.pid);
  if (ec != std::errc() || owner.pid <= 0) return std::nullopt;
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  if (rest.empty()) return owner;
  if (!rest.starts_with(kStart) || rest.size() == kStart.size()) return std::nullopt;
  rest.remove_prefix(kStart.size());
  std::uint64_t start = 0;
  const auto [end2, ec2] = std::from_chars(rest.data(), rest.data() + rest.size(), start);
  if (ec2 != std::errc() || end2 != rest.data() + rest.size()) return std::nullopt;
  owner.start_time = start;
  return owner;
}

std::optional<pid_t> seal_owner_pid(const std::string& comment) {
  const auto owner = table_owner(comment);
  return owner ? std::optional<pid_t>(owner->pid) : std::nullopt;
}

std::string dns_pin_comment_prefix(const std::string& instance) {
  return "vpnns DNS pin for openvpn instance '" + instance + "'";
}

std::string dns_pin_comment(const std::string& instance, const std::string& netns,
                            pid_t helper_pid) {
  return dns_pin_comment_prefix(instance) + " in network namespace '" + netns + "'; helper pid " +
         std::to_string(helper_pid);
}

namespace {

// The table's comment and the rule count of its chain into `st`; false if there is no table.
template <typename State>
Result<bool> read_table_head(NetlinkSocket& sock, const std::string& table, const char* chain,
                             State& st) {
  VPNNS_ASSIGN_OR_RETURN(std::optional<std::string> comment, nft_read_table(sock, table));
  if (!comment) return false;
  st.exists = true;
  st.comment = std::move(*comment);
  VPNNS_ASSIGN_OR_RETURN(st.rules, nft_count_rules(sock, table, chain));
  return true;
}

// The addresses in a table's IPv4 and IPv6 server sets; true if both sets exist.
Result<bool> read_server_sets(NetlinkSocket& sock, const std::string& table, const char* set4,
                              const char* set6, std::vector<IpAddr>& servers) {
  auto add_server = [&](std::span<const std::uint8_t> k) {
    if (auto a = IpAddr::from_bytes(k)) servers.push_back(*a);
  };
  VPNNS_ASSIGN_OR_RETURN(bool has4, nft_read_set(sock, table, set4, add_server));
  VPNNS_ASSIGN_OR_RETURN(bool has6, nft_read_set(sock, table, set6, add_server));
  return has4 && has6;
}

}  // namespace

Result<SealState> read_seal_state(NetlinkSocket& sock, const std::string& table) {
  SealState st;
  VPNNS_ASSIGN_OR_RETURN(bool exists, read_table_head(sock, table, kSealChain, st));
  if (!exists) return st;
  VPNNS_ASSIGN_OR_RETURN(st.has_uid_set,
                         nft_read_set(sock, table, kSealUids, [&](std::span<const std::uint8_t> k) {
                           std::uint32_t uid = 0;
                           if (k.size() == sizeof uid) {
                             std::memcpy(&uid, k.data(), sizeof uid);
                             st.uids.insert(uid);
                           }
                         }));
  VPNNS_ASSIGN_OR_RETURN(st.has_server_sets,
                         read_server_sets(sock, table, kSealServer4, kSealServer6, st.servers));
  VPNNS_ASSIGN_OR_RETURN(std::optional<std::uint64_t> dropped,
                         nft_read_counter(sock, table, kSealCounter));
  if (dropped) st.dropped_packets = *dropped;
  return st;
}

Result<DnsPinState> read_dns_pin_state(NetlinkSocket& sock, const std::string& table) {
  DnsPinState st;
  VPNNS_ASSIGN_OR_RETURN(bool exists, read_table_head(sock, table, kDnsPinChain, st));
  if (!exists) return st;
  VPNNS_ASSIGN_OR_RETURN(
      bool has_ports, nft_read_set(sock, table, kDnsPinPorts, [&](std::span<const std::uint8_t> k) {
        std::uint16_t port = 0;
        if (k.size() == sizeof port) {
          std::memcpy(&port, k.data(), sizeof port);
          st.ports.push_back(ntohs(port));
        }
      }));
  (void)has_ports;  // a missing set leaves `ports` empty, which no spec matches
  VPNNS_ASSIGN_OR_RETURN(st.has_server_sets, read_server_sets(sock, table, kDnsPinServers4,
                                                              kDnsPinServers6, st.servers));
  VPNNS_ASSIGN_OR_RETURN(std::optional<std::uint64_t> dropped,
                         nft_read_counter(sock, table, kDnsPinCounter));
  st.dropped_packets = dropped.value_or(0);
  return st;
}

}  // namespace vpnns
