// SPDX-License-Identifier: GPL-2.0-or-later
#include "helper/seal_nft.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "kernel/nft_build.h"

namespace vpnns {
namespace {

// Batch-local set ids, so rules and elements can name sets created in the same transaction.
constexpr std::uint32_t kUidsId = 1;
constexpr std::uint32_t kServer4Id = 2;
constexpr std::uint32_t kServer6Id = 3;

// `ip daddr @server4 meta skuid @uids accept` (or `meta mark N`), or
// `ip daddr @server4 counter name "dropped" drop`; the same for IPv6.
NftRule seal_rule(const SealSpec& spec, Family f, bool accept) {
  NftRule r = nft_rule(spec.table, kSealChain);
  const bool v4 = f == Family::kV4;
  nft_meta(r.get(), NFT_META_NFPROTO);
  const std::uint8_t proto = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  nft_cmp_eq(r.get(), &proto, sizeof proto);
  nft_payload(r.get(), NFT_PAYLOAD_NETWORK_HEADER, v4 ? 16 : 24, v4 ? 4 : 16);
  nft_lookup(r.get(), v4 ? kSealServer4 : kSealServer6, v4 ? kServer4Id : kServer6Id);
  if (accept) {
    if (spec.mark) {
      nft_meta(r.get(), NFT_META_MARK);
      nft_cmp_eq(r.get(), &*spec.mark, sizeof *spec.mark);
    } else {
      nft_meta(r.get(), NFT_META_SKUID);
      nft_lookup(r.get(), kSealUids, kUidsId);
    }
    nft_verdict(r.get(), NF_ACCEPT);
  } else {
    nft_counter_ref(r.get(), kSealCounter);
    nft_verdict(r.get(), NF_DROP);
  }
  return r;
}

void server_element(NftBatch& b, bool add, const std::string& table, const IpAddr& a) {
  const bool v4 = a.is_v4();
  nft_set_element(b, add, table, v4 ? kSealServer4 : kSealServer6, v4 ? kServer4Id : kServer6Id,
                  a.bytes().data(), static_cast<std::uint32_t>(a.bytes().size()),
                  "address " + a.str());
}

void uid_element(NftBatch& b, bool add, const std::string& table, std::uint32_t uid) {
  nft_set_element(b, add, table, kSealUids, kUidsId, &uid, sizeof uid,
                  "uid " + std::to_string(uid));
}

}  // namespace

void build_seal_install(NftBatch& b, const SealSpec& spec) {
  const std::string& t = spec.table;
  nft_table_replace(b, t, spec.comment);
  nft_counter(b, t, kSealCounter);
  if (!spec.mark) nft_set(b, t, kSealUids, kUidsId, kNftTypeUid, 4, kNftByteorderHost);
  nft_set(b, t, kSealServer4, kServer4Id, kNftTypeIpv4, 4, kNftByteorderBig);
  nft_set(b, t, kSealServer6, kServer6Id, kNftTypeIpv6, 16, kNftByteorderBig);
  if (!spec.mark) {
    for (std::uint32_t uid : spec.uids) uid_element(b, true, t, uid);
  }
  if (spec.server) server_element(b, true, t, *spec.server);
  nft_base_chain(b, t, kSealChain, NF_INET_LOCAL_OUT, 0);
  for (Family f : {Family::kV4, Family::kV6}) {
    for (bool accept : {true, false}) {
      nft_append_rule(b, seal_rule(spec, f, accept),
                      std::string("adding the ") + (f == Family::kV4 ? "IPv4 " : "IPv6 ") +
                          (accept ? "accept" : "drop") + " rule to " + nft_where(t));
    }
  }
}

void build_seal_server(NftBatch& b, const std::string& table, bool add, const IpAddr& server) {
  server_element(b, add, table, server);
}

void build_seal_uid(NftBatch& b, const std::string& table, bool add, std::uint32_t uid) {
  uid_element(b, add, table, uid);
}

bool seal_matches(const SealState& st, const SealSpec& spec) {
  if (!st.exists || st.comment != spec.comment || st.rules != kSealRules || !st.has_server_sets) {
    return false;
  }
  if (spec.mark ? st.has_uid_set : (!st.has_uid_set || st.uids != spec.uids)) return false;
  const std::vector<IpAddr> want =
      spec.server ? std::vector<IpAddr>{*spec.server} : std::vector<IpAddr>{};
  return st.servers == want;
}

}  // namespace vpnns
