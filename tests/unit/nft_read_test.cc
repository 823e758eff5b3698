// SPDX-License-Identifier: GPL-2.0-or-later
// The nftables readers' parsers (kernel/nft_read.h): a message built with kernel/'s builders, or
// laid out the way the kernel answers a dump, parsed back and compared — table comments, a
// set's key type and flags, and set elements with the interval end flag.
#include "kernel/nft_read.h"

#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel/nft_build.h"
#include "kernel/nft_sets.h"
#include "tests/support/nft_messages.h"

namespace vpnns {
namespace {

using testing::nft_messages;
using testing::nft_msg_type;

// The messages of a batch, BEGIN and END left out.
std::vector<const nlmsghdr*> objects(NftBatch& b) {
  std::vector<const nlmsghdr*> out;
  for (const nlmsghdr* nlh : nft_messages(b.finish())) {
    if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) out.push_back(nlh);
  }
  return out;
}

struct Element {
  std::string key;
  bool end;
  friend bool operator==(const Element&, const Element&) = default;
};

std::vector<Element> elements(const nlmsghdr* nlh, bool* parsed = nullptr) {
  std::vector<Element> out;
  const bool ok = parse_set_elements(nlh, [&](const NftElement& e) {
    auto a = IpAddr::from_bytes(e.key);
    out.push_back(Element{a ? a->str() : "?", e.interval_end});
  });
  if (parsed != nullptr) *parsed = ok;
  return out;
}

// A NEWSETELEM message as the kernel sends it in a GETSETELEM dump: every element a nest of
// type NFTA_LIST_ELEM (libnftnl's builder numbers them instead, which its parser refuses).
struct KernelElements {
  alignas(nlmsghdr) char buf[4096];
  nlmsghdr* nlh;
  nlattr* list;

  KernelElements(std::uint16_t family, const char* table, const char* set) {
    nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM;
    auto* g = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    g->nfgen_family = static_cast<std::uint8_t>(family);
    g->version = NFNETLINK_V0;
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
    list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
  }
  void add(const char* addr, bool end) {
    const IpAddr a = *IpAddr::parse(addr);
    nlattr* e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
    mnl_attr_put(nlh, NFTA_DATA_VALUE, a.bytes().size(), a.bytes().data());
    mnl_attr_nest_end(nlh, key);
    if (end) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htobe32(NFT_SET_ELEM_INTERVAL_END));
    mnl_attr_nest_end(nlh, e);
  }
  const nlmsghdr* done() {
    mnl_attr_nest_end(nlh, list);
    return nlh;
  }
};

TEST(NftRead, TableCommentRoundTrips) {
  NftBatch b(1);
  nft_table_message(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "vpnns-work", "vpnns seal; helper pid 7",
                    "creating");
  nft_table_message(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "plain", "", "creating");
  auto msgs = objects(b);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(parse_table_comment(msgs[0]), "vpnns seal; helper pid 7");
  EXPECT_EQ(parse_table_comment(msgs[1]), "");
}

TEST(NftRead, SetInfoRoundTrips) {
  NftBatch b(1);
  nft_set(b, "vpnns-work", "server6", 3, kNftTypeIpv6, 16, kNftByteorderBig);
  nft_set(b, "vpnns-work", "uids", 1, kNftTypeUid, 4, kNftByteorderHost);
  auto msgs = objects(b);
  ASSERT_EQ(msgs.size(), 2u);
  ASSERT_EQ(nft_msg_type(msgs[0]), NFT_MSG_NEWSET);
  auto v6 = parse_set_info(msgs[0]);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->key_type, kNftTypeIpv6);
  EXPECT_EQ(v6->key_len, 16u);
  EXPECT_EQ(v6->flags, 0u);
  auto uids = parse_set_info(msgs[1]);
  ASSERT_TRUE(uids.has_value());
  EXPECT_EQ(uids->key_type, kNftTypeUid);
  EXPECT_EQ(uids->key_len, 4u);
}

TEST(NftRead, AnElementRoundTrips) {
  NftBatch b(1);
  build_set_prefix(b, SetRef{"ip", "fw", "hosts"}, false, true, *Prefix::parse("192.0.2.7/32"));
  auto msgs = objects(b);
  ASSERT_EQ(msgs.size(), 1u);
  bool parsed = false;
  EXPECT_EQ(elements(msgs[0], &parsed), (std::vector<Element>{{"192.0.2.7", false}}));
  EXPECT_TRUE(parsed);
}

TEST(NftRead, IntervalEndMarkersAreReported) {
  // `nft list set` of an interval set holding 192.0.2.2 and 203.0.113.128/25, as dumped.
  KernelElements m(NFPROTO_IPV4, "fw", "clients");
  m.add("192.0.2.2", false);
  m.add("192.0.2.3", true);
  m.add("203.0.113.128", false);
  m.add("203.0.114.0", true);
  bool parsed = false;
  EXPECT_EQ(elements(m.done(), &parsed), (std::vector<Element>{{"192.0.2.2", false},
                                                               {"192.0.2.3", true},
                                                               {"203.0.113.128", false},
                                                               {"203.0.114.0", true}}));
  EXPECT_TRUE(parsed);
}

TEST(NftRead, Ipv6ElementsOfAnInetSet) {
  KernelElements m(NFPROTO_INET, "fw", "clients6");
  m.add("2001:db8:5::", false);
  m.add("2001:db8:6::", true);
  EXPECT_EQ(elements(m.done()),
            (std::vector<Element>{{"2001:db8:5::", false}, {"2001:db8:6::", true}}));
}

TEST(NftRead, AnEmptySetHasNoElements) {
  NftBatch b(1);
  build_set_flush(b, SetRef{"inet", "fw", "clients"});
  bool parsed = false;
  EXPECT_TRUE(elements(objects(b)[0], &parsed).empty());
  EXPECT_TRUE(parsed);
}

TEST(NftRead, FamilyNames) {
  EXPECT_EQ(nfproto_of("ip"), NFPROTO_IPV4);
  EXPECT_EQ(nfproto_of("ip6"), NFPROTO_IPV6);
  EXPECT_EQ(nfproto_of("inet"), NFPROTO_INET);
  EXPECT_EQ(nft_where("vpnns-dns"), "table inet vpnns-dns");
}

}  // namespace
}  // namespace vpnns
