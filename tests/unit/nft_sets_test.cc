// SPDX-License-Identifier: GPL-2.0-or-later
// The element messages for the administrator's sets (kernel/nft_sets.h; the client sets fill
// them), parsed back: an address or iroute subnet is the interval [network, broadcast + 1) in
// the set of its family; emptying a set is a DELSETELEM without elements.
#include "kernel/nft_sets.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <endian.h>

#include <gtest/gtest.h>

#include "tests/support/nft_messages.h"

namespace vpnns {
namespace {

struct Element {
  std::string key;
  bool end;
};

struct Message {
  int type;
  std::uint16_t family;
  std::string set, table;
  std::vector<Element> elements;
};

// libnftnl's own parser wants every nested element typed NFTA_LIST_ELEM, while its builder
// numbers them 1, 2, ... (the kernel takes either): the elements are read with libmnl here.
template <typename Fn>
void for_each_attr(const nlattr* nest, Fn fn) {
  mnl_attr_parse_nested(
      nest,
      [](const nlattr* a, void* data) {
        (*static_cast<Fn*>(data))(a);
        return MNL_CB_OK;
      },
      &fn);
}

std::vector<Element> elements_of(const nlmsghdr* nlh) {
  std::vector<Element> out;
  auto on_top = [&](const nlattr* list) {
    if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS) return;
    for_each_attr(list, [&](const nlattr* elem) {
      Element e{"", false};
      for_each_attr(elem, [&](const nlattr* a) {
        if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS) {
          e.end = (be32toh(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END) != 0;
        }
        if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY) {
          for_each_attr(a, [&](const nlattr* v) {
            e.key = IpAddr::from_bytes({static_cast<const std::uint8_t*>(mnl_attr_get_payload(v)),
                                        mnl_attr_get_payload_len(v)})
                        ->str();
          });
        }
      });
      out.push_back(e);
    });
  };
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* a, void* data) {
        (*static_cast<decltype(on_top)*>(data))(a);
        return MNL_CB_OK;
      },
      &on_top);
  return out;
}

std::vector<Message> parse(NftBatch& b) {
  std::vector<Message> out;
  for (const nlmsghdr* nlh : testing::nft_messages(b.finish())) {
    if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;
    Message m;
    m.type = nlh->nlmsg_type & 0xff;
    m.family = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->nfgen_family;
    auto names = [&](const nlattr* a) {
      if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET) m.set = mnl_attr_get_str(a);
      if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_TABLE) m.table = mnl_attr_get_str(a);
    };
    mnl_attr_parse(
        nlh, sizeof(nfgenmsg),
        [](const nlattr* a, void* data) {
          (*static_cast<decltype(names)*>(data))(a);
          return MNL_CB_OK;
        },
        &names);
    m.elements = elements_of(nlh);
    out.push_back(std::move(m));
  }
  return out;
}

TEST(NftSets, AnAddressIsAOneAddressInterval) {
  NftBatch b(1);
  build_set_prefix(b, SetRef{"inet", "fw", "clients"}, true, true, *Prefix::parse("192.0.2.2/32"));
  auto msgs = parse(b);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, NFT_MSG_NEWSETELEM);
  EXPECT_EQ(msgs[0].family, NFPROTO_INET);
  EXPECT_EQ(msgs[0].table, "fw");
  EXPECT_EQ(msgs[0].set, "clients");
  ASSERT_EQ(msgs[0].elements.size(), 2u);
  EXPECT_EQ(msgs[0].elements[0].key, "192.0.2.2");
  EXPECT_FALSE(msgs[0].elements[0].end);
  EXPECT_EQ(msgs[0].elements[1].key, "192.0.2.3");
  EXPECT_TRUE(msgs[0].elements[1].end);
}

TEST(NftSets, SubnetsAndIpv6) {
  NftBatch b(1);
  build_set_prefix(b, SetRef{"ip", "f", "s"}, true, true, *Prefix::parse("203.0.113.128/25"));
  build_set_prefix(b, SetRef{"ip6", "f", "s6"}, true, false,
                   *Prefix::parse("2001:db8:100::ffff/128"));
  build_set_prefix(b, SetRef{"inet", "f", "s6"}, true, true, *Prefix::parse("2001:db8:5::/48"));
  auto msgs = parse(b);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].family, NFPROTO_IPV4);
  EXPECT_EQ(msgs[0].elements[0].key, "203.0.113.128");
  EXPECT_EQ(msgs[0].elements[1].key, "203.0.114.0");
  EXPECT_EQ(msgs[1].type, NFT_MSG_DELSETELEM);
  EXPECT_EQ(msgs[1].family, NFPROTO_IPV6);
  EXPECT_EQ(msgs[1].elements[1].key, "2001:db8:100::1:0");
  EXPECT_EQ(msgs[2].elements[1].key, "2001:db8:6::");
}

TEST(NftSets, TheTopOfTheAddressSpaceHasNoEndElement) {
  NftBatch b(1);
  build_set_prefix(b, SetRef{"ip", "f", "s"}, true, true, *Prefix::parse("255.255.255.255/32"));
  auto msgs = parse(b);
  ASSERT_EQ(msgs[0].elements.size(), 1u);
}

TEST(NftSets, APlainSetHoldsTheAddressAlone) {
  NftBatch b(1);
  build_set_prefixes(b, SetRef{"inet", "fw", "hosts"}, false, true,
                     {*Prefix::parse("192.0.2.2/32"), *Prefix::parse("192.0.2.9/32")});
  auto msgs = parse(b);
  ASSERT_EQ(msgs.size(), 1u);  // one message for all of an event's members of a set
  ASSERT_EQ(msgs[0].elements.size(), 2u);
  EXPECT_EQ(msgs[0].elements[0].key, "192.0.2.2");
  EXPECT_FALSE(msgs[0].elements[0].end);
  EXPECT_EQ(msgs[0].elements[1].key, "192.0.2.9");
  EXPECT_FALSE(msgs[0].elements[1].end);
}

TEST(NftSets, FlushIsADeleteWithoutElements) {
  NftBatch b(1);
  build_set_flush(b, SetRef{"inet", "fw", "clients"});
  auto msgs = parse(b);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, NFT_MSG_DELSETELEM);
  EXPECT_TRUE(msgs[0].elements.empty());
  EXPECT_EQ(msgs[0].set, "clients");
}

}  // namespace
}  // namespace vpnns
