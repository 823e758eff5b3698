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
  std::string comment = {};  // the NFTNL_UDATA_SET_ELEM_COMMENT TLV of its userdata
};

struct Message {
  int type;
  std::uint16_t flags = 0;
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
        if (mnl_attr_get_type(a) == NFTA_SET_ELEM_USERDATA) {
          // TLVs: type (1 byte), length (1 byte), value; the comment is type 0, NUL-terminated.
          const auto* u = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
          if (mnl_attr_get_payload_len(a) >= 2 && u[0] == 0 && u[1] > 0) {
            e.comment.assign(reinterpret_cast<const char*>(u + 2), u[1] - 1U);
          }
        }
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
    m.flags = nlh->nlmsg_flags;
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

TEST(NftSets, AddedElementsCarryTheirOwnerAndMayBeExclusive) {
  NftBatch b(1);
  build_set_prefixes(b, SetRef{"inet", "fw", "nets"}, true, true,
                     {*Prefix::parse("198.51.100.0/24")}, "vpnns:udp", true);
  build_set_prefixes(b, SetRef{"inet", "fw", "hosts"}, false, false,
                     {*Prefix::parse("192.0.2.2/32")}, "vpnns:udp", true);
  auto msgs = parse(b);
  ASSERT_EQ(msgs.size(), 2u);
  ASSERT_EQ(msgs[0].elements.size(), 2u);
  EXPECT_EQ(msgs[0].elements[0].comment, "vpnns:udp");  // on the range's start
  EXPECT_EQ(msgs[0].elements[1].comment, "");
  EXPECT_NE(msgs[0].flags & NLM_F_EXCL, 0);
  EXPECT_NE(msgs[0].flags & NLM_F_CREATE, 0);
  EXPECT_EQ(msgs[1].elements[0].comment, "");  // a removal carries none
  EXPECT_EQ(msgs[1].flags & NLM_F_EXCL, 0);
}

TEST(NftSets, RangesReadBackAsPrefixes) {
  auto a = [](const char* s) { return *IpAddr::parse(s); };
  EXPECT_EQ(prefix_of_range(a("198.51.100.0"), a("198.51.101.0")),
            Prefix::parse("198.51.100.0/24"));
  EXPECT_EQ(prefix_of_range(a("192.0.2.7"), a("192.0.2.8")), Prefix::parse("192.0.2.7/32"));
  EXPECT_EQ(prefix_of_range(a("2001:db8::"), a("2001:db8:0:1::")), Prefix::parse("2001:db8::/64"));
  EXPECT_EQ(prefix_of_range(a("255.255.255.0"), std::nullopt), Prefix::parse("255.255.255.0/24"));
  EXPECT_EQ(prefix_of_range(a("192.0.2.1"), a("192.0.2.5")), std::nullopt);  // no prefix
  EXPECT_EQ(owner_of_comment("vpnns:udp"), "udp");
  EXPECT_EQ(owner_of_comment("vpnns:"), "");
  EXPECT_EQ(owner_of_comment("admins"), "");
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
