// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/killswitch_nft.h"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "kernel/nft_build.h"

namespace vpnns {
namespace {

// Batch-local set ids, so rules and elements can name sets created in the same transaction.
constexpr std::uint32_t kUidsId = 1;
constexpr std::uint32_t kServer4Id = 2;
constexpr std::uint32_t kServer6Id = 3;
constexpr std::uint32_t kTunnelsId = 4;
constexpr std::uint32_t kReconnectUidsId = 5;
// nftables' datatype for interface names (TYPE_IFNAME, src/datatype.h).
constexpr std::uint32_t kNftTypeIfname = 41;
constexpr std::uint8_t kIcmpv6 = IPPROTO_ICMPV6;

using Expr = std::unique_ptr<nftnl_expr, NftDeleter>;
using Ifname = std::array<char, IFNAMSIZ>;

Ifname ifname(const std::string& name) {
  Ifname out{};
  std::memcpy(out.data(), name.data(), std::min(name.size(), out.size() - 1));
  return out;
}

void cmp(nftnl_rule* r, std::uint32_t op, const void* data, std::uint32_t len) {
  Expr e(nftnl_expr_alloc("cmp"));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
  nftnl_rule_add_expr(r, e.release());
}

// [ bitwise reg 1 = (reg 1 & MASK) ^ 0 ]
void mask(nftnl_rule* r, const void* m, std::uint32_t len) {
  Expr e(nftnl_expr_alloc("bitwise"));
  const std::array<std::uint8_t, 16> zero{};
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, len);
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, m, len);
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, zero.data(), len);
  nftnl_rule_add_expr(r, e.release());
}

void family(nftnl_rule* r, Family f) {
  nft_meta(r, NFT_META_NFPROTO);
  const std::uint8_t proto = f == Family::kV4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  nft_cmp_eq(r, &proto, sizeof proto);
}

void l4proto(nftnl_rule* r, std::uint8_t proto) {
  nft_meta(r, NFT_META_L4PROTO);
  nft_cmp_eq(r, &proto, sizeof proto);
}

// `oifname @tunnels` / `iifname @tunnels`
void dev_in_tunnels(nftnl_rule* r, bool out) {
  nft_meta(r, out ? NFT_META_OIFNAME : NFT_META_IIFNAME);
  nft_lookup(r, kKsTunnels, kTunnelsId);
}

// `meta skuid @uids` or `meta mark N`: a packet from openvpn's own sockets (the seal's test).
// `reconnect`: a socket openvpn opens anew (@reconnect_uids).
void from_openvpn(nftnl_rule* r, const KillSwitchSpec& spec, bool reconnect = false) {
  if (spec.mark) {
    nft_meta(r, NFT_META_MARK);
    nft_cmp_eq(r, &*spec.mark, sizeof *spec.mark);
  } else {
    nft_meta(r, NFT_META_SKUID);
    nft_lookup(r, reconnect ? kKsReconnectUids : kKsUids, reconnect ? kReconnectUidsId : kUidsId);
  }
}

// `th dport N` (after an l4proto test).
void dport(nftnl_rule* r, std::uint16_t port) {
  nft_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  const std::uint16_t be = htons(port);
  nft_cmp_eq(r, &be, sizeof be);
}

// `meta nfproto F udp sport S udp dport D`
void udp_ports(nftnl_rule* r, Family f, std::uint16_t sport, std::uint16_t dport_) {
  family(r, f);
  l4proto(r, IPPROTO_UDP);
  nft_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4);
  const std::array<std::uint16_t, 2> ports = {htons(sport), htons(dport_)};
  nft_cmp_eq(r, ports.data(), sizeof ports);
}

// `icmpv6 type T ip6 hoplimit H`: neighbour discovery (hop limit 255) and multicast listener
// reports (hop limit 1), which never leave the link.
void nd(nftnl_rule* r, std::uint8_t type, std::uint8_t hoplimit = 255) {
  family(r, Family::kV6);
  l4proto(r, kIcmpv6);
  nft_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
  nft_cmp_eq(r, &type, sizeof type);
  nft_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 7, 1);
  nft_cmp_eq(r, &hoplimit, sizeof hoplimit);
}

// `ct state established,related`
void established(nftnl_rule* r) {
  Expr e(nftnl_expr_alloc("ct"));
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_DREG, NFT_REG_1);
  nftnl_rule_add_expr(r, e.release());
  const std::uint32_t bits = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
  mask(r, &bits, sizeof bits);
  const std::uint32_t zero = 0;
  cmp(r, NFT_CMP_NEQ, &zero, sizeof zero);
}

// `ip daddr PREFIX` / `ip6 saddr PREFIX`
void in_prefix(nftnl_rule* r, const Prefix& p, bool dst) {
  const bool v4 = p.family() == Family::kV4;
  family(r, p.family());
  const std::uint32_t len = v4 ? 4 : 16;
  nft_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? (dst ? 16 : 12) : (dst ? 24 : 8), len);
  if (p.len < len * 8) {
    std::array<std::uint8_t, 16> m{};
    for (std::uint32_t bit = 0; bit < p.len; ++bit) m[bit / 8] |= std::uint8_t(0x80u >> (bit % 8));
    mask(r, m.data(), len);
  }
  nft_cmp_eq(r, p.addr.masked(p.len).bytes().data(), len);
}

void lo(nftnl_rule* r, bool out) {
  nft_meta(r, out ? NFT_META_OIFNAME : NFT_META_IIFNAME);
  const Ifname name = ifname("lo");
  nft_cmp_eq(r, name.data(), name.size());
}

struct Rules {
  std::vector<NftRule> out, fwd, in;
};

// Every rule, in order; `accept` is appended to each here, the counted drops last.
Rules rules_of(const KillSwitchSpec& spec) {
  Rules rs;
  const std::string& t = spec.table;
  auto rule = [&](std::vector<NftRule>& chain, const char* name) -> nftnl_rule* {
    chain.push_back(nft_rule(t, name));
    return chain.back().get();
  };
  auto out = [&] { return rule(rs.out, kKsOutput); };
  auto fwd = [&] { return rule(rs.fwd, kKsForward); };
  auto in = [&] { return rule(rs.in, kKsInput); };

  dev_in_tunnels(out(), true);
  lo(out(), true);
  for (Family f : {Family::kV4, Family::kV6}) {
    nftnl_rule* r = out();
    family(r, f);
    const bool v4 = f == Family::kV4;
    nft_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 16 : 24, v4 ? 4 : 16);
    nft_lookup(r, v4 ? kKsServer4 : kKsServer6, v4 ? kServer4Id : kServer6Id);
    from_openvpn(r, spec);
  }
  for (const RemotePort& p : spec.ports) {
    nftnl_rule* r = out();
    l4proto(r, p.tcp ? IPPROTO_TCP : IPPROTO_UDP);
    dport(r, p.port);
    from_openvpn(r, spec, true);
  }
  for (std::uint8_t proto : {std::uint8_t{IPPROTO_UDP}, std::uint8_t{IPPROTO_TCP}}) {
    nftnl_rule* r = out();
    l4proto(r, proto);
    dport(r, 53);
    from_openvpn(r, spec, true);
  }
  udp_ports(out(), Family::kV4, 68, 67);
  udp_ports(out(), Family::kV6, 546, 547);
  for (int type : {133, 135, 136}) nd(out(), static_cast<std::uint8_t>(type));
  // MLDv2 reports: switches that snoop multicast forward neighbour solicitations by them.
  nd(out(), 143, 1);

  dev_in_tunnels(fwd(), true);
  {
    nftnl_rule* r = fwd();
    dev_in_tunnels(r, false);
    established(r);
  }

  lo(in(), false);
  established(in());
  dev_in_tunnels(in(), false);
  udp_ports(in(), Family::kV4, 67, 68);
  udp_ports(in(), Family::kV6, 547, 546);
  for (int type : {134, 135, 136}) nd(in(), static_cast<std::uint8_t>(type));

  if (spec.allow_lan) {
    for (const char* text : kLanPrefixes) {
      const Prefix p = *Prefix::parse(text);
      in_prefix(out(), p, true);
      in_prefix(fwd(), p, true);
      // Inbound, a LAN host is known by its (unicast) source address.
      const std::uint8_t first = p.addr.bytes()[0];
      if (p.addr.is_v4() ? first < 224 : first != 0xff) in_prefix(in(), p, false);
    }
  }
  for (auto* chain : {&rs.out, &rs.fwd, &rs.in}) {
    for (NftRule& r : *chain) nft_verdict(r.get(), NF_ACCEPT);
  }
  for (auto [chain, counter] :
       {std::pair{&rs.out, kKsDroppedOut}, std::pair{&rs.fwd, kKsDroppedFwd},
        std::pair{&rs.in, kKsDroppedIn}}) {
    const char* name = chain == &rs.out ? kKsOutput : chain == &rs.fwd ? kKsForward : kKsInput;
    nftnl_rule* r = rule(*chain, name);
    nft_counter_ref(r, counter);
    nft_verdict(r, NF_DROP);
  }
  return rs;
}

void server_element(NftBatch& b, bool add, const std::string& table, const IpAddr& a) {
  const bool v4 = a.is_v4();
  nft_set_element(b, add, table, v4 ? kKsServer4 : kKsServer6, v4 ? kServer4Id : kServer6Id,
                  a.bytes().data(), static_cast<std::uint32_t>(a.bytes().size()),
                  "address " + a.str());
}

void uid_element(NftBatch& b, bool add, const std::string& table, std::uint32_t uid,
                 bool reconnect = false) {
  nft_set_element(b, add, table, reconnect ? kKsReconnectUids : kKsUids,
                  reconnect ? kReconnectUidsId : kUidsId, &uid, sizeof uid,
                  "uid " + std::to_string(uid));
}

void tunnel_element(NftBatch& b, bool add, const std::string& table, const std::string& dev) {
  const Ifname name = ifname(dev);
  nft_set_element(b, add, table, kKsTunnels, kTunnelsId, name.data(), name.size(), "device " + dev);
}

}  // namespace

KillSwitchRules killswitch_rule_counts(const KillSwitchSpec& spec) {
  const Rules rs = rules_of(spec);
  return {rs.out.size(), rs.fwd.size(), rs.in.size()};
}

void build_killswitch_install(NftBatch& b, const KillSwitchSpec& spec) {
  const std::string& t = spec.table;
  nft_table_replace(b, t, spec.comment);
  for (const char* c : {kKsDroppedOut, kKsDroppedFwd, kKsDroppedIn}) nft_counter(b, t, c);
  if (!spec.mark) {
    nft_set(b, t, kKsUids, kUidsId, kNftTypeUid, 4, kNftByteorderHost);
    nft_set(b, t, kKsReconnectUids, kReconnectUidsId, kNftTypeUid, 4, kNftByteorderHost);
  }
  nft_set(b, t, kKsServer4, kServer4Id, kNftTypeIpv4, 4, kNftByteorderBig);
  nft_set(b, t, kKsServer6, kServer6Id, kNftTypeIpv6, 16, kNftByteorderBig);
  nft_set(b, t, kKsTunnels, kTunnelsId, kNftTypeIfname, IFNAMSIZ, kNftByteorderHost);
  if (!spec.mark) {
    for (std::uint32_t uid : spec.uids) uid_element(b, true, t, uid);
    for (std::uint32_t uid : spec.reconnect_uids) uid_element(b, true, t, uid, true);
  }
  if (spec.server) server_element(b, true, t, *spec.server);
  if (spec.tunnel) tunnel_element(b, true, t, *spec.tunnel);
  nft_base_chain(b, t, kKsOutput, NF_INET_LOCAL_OUT, 0);
  nft_base_chain(b, t, kKsForward, NF_INET_FORWARD, 0);
  nft_base_chain(b, t, kKsInput, NF_INET_LOCAL_IN, 0);
  const Rules rs = rules_of(spec);
  for (const auto* chain : {&rs.out, &rs.fwd, &rs.in}) {
    for (const NftRule& r : *chain) {
      nft_append_rule(b, r, "adding a kill switch rule to " + nft_where(t));
    }
  }
}

void build_killswitch_server(NftBatch& b, const std::string& table, bool add,
                             const IpAddr& server) {
  server_element(b, add, table, server);
}

void build_killswitch_uid(NftBatch& b, const std::string& table, bool add, std::uint32_t uid,
                          bool reconnect) {
  uid_element(b, add, table, uid, reconnect);
}

void build_killswitch_tunnel(NftBatch& b, const std::string& table, bool add,
                             const std::string& dev) {
  tunnel_element(b, add, table, dev);
}

bool killswitch_intact(const KillSwitchState& st, const KillSwitchSpec& spec) {
  if (!st.exists || st.comment != spec.comment || !st.has_sets) return false;
  if (st.has_uid_set == spec.mark.has_value()) return false;
  const KillSwitchRules n = killswitch_rule_counts(spec);
  return st.rules_out == n.out && st.rules_fwd == n.fwd && st.rules_in == n.in;
}

bool killswitch_matches(const KillSwitchState& st, const KillSwitchSpec& spec) {
  if (!killswitch_intact(st, spec)) return false;
  if (!spec.mark && (st.uids != spec.uids || st.reconnect_uids != spec.reconnect_uids)) {
    return false;
  }
  const std::vector<IpAddr> servers =
      spec.server ? std::vector<IpAddr>{*spec.server} : std::vector<IpAddr>{};
  const std::vector<std::string> tunnels =
      spec.tunnel ? std::vector<std::string>{*spec.tunnel} : std::vector<std::string>{};
  return st.servers == servers && st.tunnels == tunnels;
}

}  // namespace vpnns
