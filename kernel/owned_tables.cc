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

std::string seal_comment(const std::string& instance, pid_t helper_pid) {
  return seal_comment_prefix(instance) + "; helper pid " + std::to_string(helper_pid);
}

std::optional<pid_t> seal_owner_pid(const std::string& comment) {
  constexpr std::string_view kPid = "; helper pid ";
  const auto at = comment.rfind(kPid);
  if (at == std::string::npos) return std::nullopt;
  const std::string_view digits = std::string_view(comment).substr(at + kPid.size());
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) return std::nullopt;
  return pid;
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
