// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/dns_pin_nft.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "kernel/nft_build.h"

namespace vpnns {
namespace {

// Batch-local set ids, so rules and elements can name sets created in the same transaction.
constexpr std::uint32_t kPortsId = 1;
constexpr std::uint32_t kServers4Id = 2;
constexpr std::uint32_t kServers6Id = 3;

// The loopback device has index 1 in every network namespace (LOOPBACK_IFINDEX).
constexpr std::uint32_t kLoopbackIfindex = 1;

void server_element(NftBatch& b, bool add, const std::string& table, const IpAddr& a) {
  const bool v4 = a.is_v4();
  nft_set_element(b, add, table, v4 ? kDnsPinServers4 : kDnsPinServers6,
                  v4 ? kServers4Id : kServers6Id, a.bytes().data(),
                  static_cast<std::uint32_t>(a.bytes().size()), "DNS server " + a.str());
}

// `ip daddr @servers4 accept` / `ip6 daddr @servers6 accept`.
NftRule server_rule(const std::string& table, Family f) {
  NftRule r = nft_rule(table, kDnsPinChain);
  nft_meta(r.get(), NFT_META_NFPROTO);
  const std::uint8_t proto = f == Family::kV4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  nft_cmp_eq(r.get(), &proto, sizeof proto);
  nft_payload(r.get(), NFT_PAYLOAD_NETWORK_HEADER, f == Family::kV4 ? 16 : 24,
              f == Family::kV4 ? 4 : 16);
  nft_lookup(r.get(), f == Family::kV4 ? kDnsPinServers4 : kDnsPinServers6,
             f == Family::kV4 ? kServers4Id : kServers6Id);
  nft_verdict(r.get(), NF_ACCEPT);
  return r;
}

// `udp dport @ports counter name "dropped" drop` (and tcp): protocol check, destination port,
// set lookup.
NftRule drop_rule(const std::string& table, std::uint8_t l4proto) {
  NftRule r = nft_rule(table, kDnsPinChain);
  nft_meta(r.get(), NFT_META_L4PROTO);
  nft_cmp_eq(r.get(), &l4proto, sizeof l4proto);
  nft_payload(r.get(), NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  nft_lookup(r.get(), kDnsPinPorts, kPortsId);
  nft_counter_ref(r.get(), kDnsPinCounter);
  nft_verdict(r.get(), NF_DROP);
  return r;
}

}  // namespace

void build_dns_pin_install(NftBatch& b, const DnsPinSpec& spec) {
  const std::string& t = spec.table;
  nft_table_replace(b, t, spec.comment);
  nft_counter(b, t, kDnsPinCounter);
  nft_set(b, t, kDnsPinPorts, kPortsId, kNftTypeInetService, 2, kNftByteorderBig);
  nft_set(b, t, kDnsPinServers4, kServers4Id, kNftTypeIpv4, 4, kNftByteorderBig);
  nft_set(b, t, kDnsPinServers6, kServers6Id, kNftTypeIpv6, 16, kNftByteorderBig);
  for (std::uint16_t port : kDnsPorts) {
    const std::uint16_t key = htons(port);
    nft_set_element(b, true, t, kDnsPinPorts, kPortsId, &key, sizeof key,
                    "port " + std::to_string(port));
  }
  for (const IpAddr& s : spec.servers) server_element(b, true, t, s);
  nft_base_chain(b, t, kDnsPinChain, NF_INET_LOCAL_OUT, 0);

  NftRule lo = nft_rule(t, kDnsPinChain);
  nft_meta(lo.get(), NFT_META_OIF);
  nft_cmp_eq(lo.get(), &kLoopbackIfindex, sizeof kLoopbackIfindex);
  nft_verdict(lo.get(), NF_ACCEPT);
  nft_append_rule(b, lo, "adding the loopback rule to " + nft_where(t));
  nft_append_rule(b, server_rule(t, Family::kV4),
                  "adding the IPv4 DNS server rule to " + nft_where(t));
  nft_append_rule(b, server_rule(t, Family::kV6),
                  "adding the IPv6 DNS server rule to " + nft_where(t));
  nft_append_rule(b, drop_rule(t, IPPROTO_UDP), "adding the UDP drop rule to " + nft_where(t));
  nft_append_rule(b, drop_rule(t, IPPROTO_TCP), "adding the TCP drop rule to " + nft_where(t));
}

void build_dns_pin_server(NftBatch& b, const std::string& table, bool add, const IpAddr& server) {
  server_element(b, add, table, server);
}

bool dns_pin_intact(const DnsPinState& st, const DnsPinSpec& spec) {
  std::vector<std::uint16_t> ports = st.ports;
  std::ranges::sort(ports);
  return st.exists && st.comment == spec.comment && st.rules == kDnsPinRules &&
         st.has_server_sets && std::ranges::equal(ports, kDnsPorts);
}

bool dns_pin_matches(const DnsPinState& st, const DnsPinSpec& spec) {
  if (!dns_pin_intact(st, spec)) return false;
  std::vector<IpAddr> have = st.servers;
  std::vector<IpAddr> want = spec.servers;
  std::ranges::sort(have);
  std::ranges::sort(want);
  return have == want;
}

}  // namespace vpnns
