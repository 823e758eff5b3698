// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel/killswitch_table.h"

#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <charconv>
#include <cstring>
#include <span>
#include <string_view>

#include "kernel/nft.h"
#include "kernel/nft_read.h"

namespace vpnns {
namespace {

// The whole of `text` as a number, or nullopt.
template <typename T>
std::optional<T> number(std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Consumes `word` from the front of `text`.
bool eat(std::string_view& text, std::string_view word) {
  if (!text.starts_with(word)) return false;
  text.remove_prefix(word.size());
  return true;
}

}  // namespace

std::string killswitch_comment_prefix(const std::string& instance) {
  return "vpnns kill switch for openvpn instance '" + instance + "'";
}

std::string killswitch_comment(const KillSwitchOwner& o) {
  return killswitch_comment_prefix(o.instance) + "; killswitch=" + o.mode +
         "; allow-lan=" + (o.allow_lan ? "yes" : "no") + "; since " + std::to_string(o.since) +
         "; helper pid " + std::to_string(o.helper_pid);
}

std::optional<KillSwitchOwner> parse_killswitch_comment(const std::string& comment) {
  std::string_view t = comment;
  KillSwitchOwner o;
  if (!eat(t, "vpnns kill switch for openvpn instance '")) return std::nullopt;
  const auto quote = t.find('\'');
  if (quote == std::string_view::npos || quote == 0) return std::nullopt;
  o.instance = std::string(t.substr(0, quote));
  t.remove_prefix(quote + 1);
  if (!eat(t, "; killswitch=")) return std::nullopt;
  if (eat(t, "yes")) {
    o.mode = "yes";
  } else if (eat(t, "lockdown")) {
    o.mode = "lockdown";
  } else {
    return std::nullopt;
  }
  if (eat(t, "; allow-lan=yes")) {
    o.allow_lan = true;
  } else if (!eat(t, "; allow-lan=no")) {
    return std::nullopt;
  }
  if (!eat(t, "; since ")) return std::nullopt;
  const auto semi = t.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  auto since = number<std::int64_t>(t.substr(0, semi));
  t.remove_prefix(semi);
  if (!since || !eat(t, "; helper pid ")) return std::nullopt;
  auto pid = number<pid_t>(t);
  if (!pid || *pid <= 0) return std::nullopt;
  o.since = *since;
  o.helper_pid = *pid;
  if (killswitch_comment(o) != comment) return std::nullopt;  // exactly our own form
  return o;
}

Result<KillSwitchState> read_killswitch_state(NetlinkSocket& sock, const std::string& table) {
  KillSwitchState st;
  VPNNS_ASSIGN_OR_RETURN(std::optional<std::string> comment, nft_read_table(sock, table));
  if (!comment) return st;
  st.exists = true;
  st.comment = std::move(*comment);
  VPNNS_ASSIGN_OR_RETURN(st.rules_out, nft_count_rules(sock, table, kKsOutput));
  VPNNS_ASSIGN_OR_RETURN(st.rules_fwd, nft_count_rules(sock, table, kKsForward));
  VPNNS_ASSIGN_OR_RETURN(st.rules_in, nft_count_rules(sock, table, kKsInput));
  for (const auto& [set, target] :
       {std::pair{kKsUids, &st.uids}, std::pair{kKsReconnectUids, &st.reconnect_uids}}) {
    auto* into = target;  // a structured binding cannot be captured before C++20's clang 16
    VPNNS_ASSIGN_OR_RETURN(bool has,
                           nft_read_set(sock, table, set, [into](std::span<const std::uint8_t> k) {
                             std::uint32_t uid = 0;
                             if (k.size() == sizeof uid) {
                               std::memcpy(&uid, k.data(), sizeof uid);
                               into->insert(uid);
                             }
                           }));
    if (set == kKsUids) st.has_uid_set = has;
  }
  auto add_server = [&](std::span<const std::uint8_t> k) {
    if (auto a = IpAddr::from_bytes(k)) st.servers.push_back(*a);
  };
  VPNNS_ASSIGN_OR_RETURN(bool has4, nft_read_set(sock, table, kKsServer4, add_server));
  VPNNS_ASSIGN_OR_RETURN(bool has6, nft_read_set(sock, table, kKsServer6, add_server));
  VPNNS_ASSIGN_OR_RETURN(
      bool has_tun, nft_read_set(sock, table, kKsTunnels, [&](std::span<const std::uint8_t> k) {
        const auto* p = reinterpret_cast<const char*>(k.data());
        st.tunnels.emplace_back(p, ::strnlen(p, k.size()));
      }));
  st.has_sets = has4 && has6 && has_tun;
  for (auto [name, out] :
       {std::pair{kKsDroppedOut, &st.dropped_out}, std::pair{kKsDroppedFwd, &st.dropped_fwd},
        std::pair{kKsDroppedIn, &st.dropped_in}}) {
    VPNNS_ASSIGN_OR_RETURN(std::optional<std::uint64_t> n, nft_read_counter(sock, table, name));
    *out = n.value_or(0);
  }
  return st;
}

Result<std::vector<std::string>> list_killswitch_tables(NetlinkSocket& sock) {
  alignas(nlmsghdr) char buf[4096];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, 0);
  std::vector<std::string> out;
  VPNNS_TRY(sock.dump(
      nlh,
      [&](const nlmsghdr* m) -> Status {
        NftTable t(nftnl_table_alloc());
        if (nftnl_table_nlmsg_parse(m, t.get()) < 0) return ok_status();
        const char* name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
        if (name != nullptr && std::string_view(name).starts_with(kKsTablePrefix)) {
          out.emplace_back(name);
        }
        return ok_status();
      },
      "listing nftables tables"));
  return out;
}

}  // namespace vpnns
