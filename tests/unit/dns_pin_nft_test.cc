// SPDX-License-Identifier: GPL-2.0-or-later
// The DNS pin's nftables messages, parsed back with libnftnl and compared: objects, names, types,
// set elements, and every rule expression for expression with what `nft --debug=netlink`
// generates from the textual rules in helper/dns_pin_nft.h.
#include "helper/dns_pin_nft.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <gtest/gtest.h>

#include <cstring>

#include "tests/support/nft_messages.h"

namespace vpnns {
namespace {

using testing::nft_messages;
using testing::nft_msg_type;
using testing::nft_rule_expressions;

std::string rule_text(const nlmsghdr* nlh) {
  NftRule r(nftnl_rule_alloc());
  EXPECT_EQ(nftnl_rule_nlmsg_parse(nlh, r.get()), 0);
  EXPECT_STREQ(nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE), "vpnns-dns");
  EXPECT_STREQ(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN), "output");
  return nft_rule_expressions(nlh);
}

// The set a NEWSETELEM/DELSETELEM message names, and its one element's key.
std::pair<std::string, std::vector<std::uint8_t>> element(const nlmsghdr* nlh) {
  NftSet s(nftnl_set_alloc());
  EXPECT_EQ(nftnl_set_elems_nlmsg_parse(nlh, s.get()), 0);
  std::vector<std::uint8_t> key;
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s.get());
  if (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e != nullptr) {
    std::uint32_t len = 0;
    const auto* k =
        static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
    key.assign(k, k + len);
  }
  EXPECT_EQ(nftnl_set_elems_iter_next(it), nullptr) << "one element per message";
  nftnl_set_elems_iter_destroy(it);
  return {nftnl_set_get_str(s.get(), NFTNL_SET_NAME), key};
}

std::vector<std::uint8_t> addr_key(const char* text) {
  auto a = IpAddr::parse(text);
  return {a->bytes().begin(), a->bytes().end()};
}

std::vector<std::uint8_t> port_key(std::uint16_t port) {
  const std::uint16_t be = htons(port);
  std::vector<std::uint8_t> out(2);
  std::memcpy(out.data(), &be, 2);
  return out;
}

DnsPinSpec spec() {
  DnsPinSpec s;
  s.comment =
      "vpnns DNS pin for openvpn instance 'work' in network namespace 'work'; helper pid 42";
  s.servers = {*IpAddr::parse("192.0.2.53"), *IpAddr::parse("2001:db8:100::53")};
  return s;
}

constexpr const char* kLoopback =
    "[ meta load oif => reg 1 ]\n"
    "[ cmp eq reg 1 0x00000001 ]\n"
    "[ immediate reg 0 accept ]\n";
constexpr const char* kV4Servers =
    "[ meta load nfproto => reg 1 ]\n"
    "[ cmp eq reg 1 0x00000002 ]\n"
    "[ payload load 4b @ network header + 16 => reg 1 ]\n"
    "[ lookup reg 1 set servers4 ]\n"
    "[ immediate reg 0 accept ]\n";
constexpr const char* kV6Servers =
    "[ meta load nfproto => reg 1 ]\n"
    "[ cmp eq reg 1 0x0000000a ]\n"
    "[ payload load 16b @ network header + 24 => reg 1 ]\n"
    "[ lookup reg 1 set servers6 ]\n"
    "[ immediate reg 0 accept ]\n";
constexpr const char* kUdpDrop =
    "[ meta load l4proto => reg 1 ]\n"
    "[ cmp eq reg 1 0x00000011 ]\n"
    "[ payload load 2b @ transport header + 2 => reg 1 ]\n"
    "[ lookup reg 1 set ports ]\n"
    "[ objref type 1 name dropped ]\n"
    "[ immediate reg 0 drop ]\n";
constexpr const char* kTcpDrop =
    "[ meta load l4proto => reg 1 ]\n"
    "[ cmp eq reg 1 0x00000006 ]\n"
    "[ payload load 2b @ transport header + 2 => reg 1 ]\n"
    "[ lookup reg 1 set ports ]\n"
    "[ objref type 1 name dropped ]\n"
    "[ immediate reg 0 drop ]\n";

TEST(DnsPinNft, InstallIsOneTransactionThatReplacesTheTable) {
  NftBatch b(300);
  build_dns_pin_install(b, spec());
  auto msgs = nft_messages(b.finish());
  ASSERT_EQ(msgs.size(), 19u);
  EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i]->nlmsg_seq, 300 + i);
    if (i > 0 && i + 1 < msgs.size()) {
      EXPECT_NE(msgs[i]->nlmsg_flags & NLM_F_ACK, 0) << i;
      EXPECT_EQ(msgs[i]->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES) << i;
    }
  }
  // Make sure it exists, delete it, create it fresh: a stale or damaged table is replaced in
  // the same transaction.
  EXPECT_EQ(nft_msg_type(msgs[1]), NFT_MSG_NEWTABLE);
  EXPECT_EQ(msgs[1]->nlmsg_flags & NLM_F_EXCL, 0);
  EXPECT_EQ(nft_msg_type(msgs[2]), NFT_MSG_DELTABLE);
  EXPECT_EQ(nft_msg_type(msgs[3]), NFT_MSG_NEWTABLE);
  EXPECT_NE(msgs[3]->nlmsg_flags & NLM_F_EXCL, 0);
  NftTable t(nftnl_table_alloc());
  ASSERT_EQ(nftnl_table_nlmsg_parse(msgs[3], t.get()), 0);
  EXPECT_STREQ(nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME), "vpnns-dns");
  EXPECT_EQ(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY), static_cast<unsigned>(NFPROTO_INET));
  std::uint32_t ulen = 0;
  const auto* ud =
      static_cast<const char*>(nftnl_table_get_data(t.get(), NFTNL_TABLE_USERDATA, &ulen));
  ASSERT_NE(ud, nullptr);
  EXPECT_EQ(ud[0], NFTNL_UDATA_TABLE_COMMENT);
  EXPECT_STREQ(ud + 2, spec().comment.c_str());

  EXPECT_EQ(nft_msg_type(msgs[4]), NFT_MSG_NEWOBJ);
  NftObj o(nftnl_obj_alloc());
  ASSERT_EQ(nftnl_obj_nlmsg_parse(msgs[4], o.get()), 0);
  EXPECT_STREQ(nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME), "dropped");
  EXPECT_EQ(nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE), static_cast<unsigned>(NFT_OBJECT_COUNTER));

  struct SetWant {
    const char* name;
    std::uint32_t type, len;
  };
  const SetWant sets[] = {{"ports", 13, 2}, {"servers4", 7, 4}, {"servers6", 8, 16}};
  for (int i = 0; i < 3; ++i) {
    const nlmsghdr* m = msgs[5 + static_cast<std::size_t>(i)];
    EXPECT_EQ(nft_msg_type(m), NFT_MSG_NEWSET);
    NftSet s(nftnl_set_alloc());
    ASSERT_EQ(nftnl_set_nlmsg_parse(m, s.get()), 0);
    EXPECT_STREQ(nftnl_set_get_str(s.get(), NFTNL_SET_NAME), sets[i].name);
    EXPECT_STREQ(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE), "vpnns-dns");
    EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE), sets[i].type);
    EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN), sets[i].len);
  }

  // Elements: the two ports in network byte order, then the servers, each in its family's set.
  for (std::size_t i = 8; i <= 11; ++i) EXPECT_EQ(nft_msg_type(msgs[i]), NFT_MSG_NEWSETELEM) << i;
  EXPECT_EQ(element(msgs[8]), std::make_pair(std::string("ports"), port_key(53)));
  EXPECT_EQ(element(msgs[9]), std::make_pair(std::string("ports"), port_key(853)));
  EXPECT_EQ(element(msgs[10]), std::make_pair(std::string("servers4"), addr_key("192.0.2.53")));
  EXPECT_EQ(element(msgs[11]),
            std::make_pair(std::string("servers6"), addr_key("2001:db8:100::53")));

  EXPECT_EQ(nft_msg_type(msgs[12]), NFT_MSG_NEWCHAIN);
  NftChain c(nftnl_chain_alloc());
  ASSERT_EQ(nftnl_chain_nlmsg_parse(msgs[12], c.get()), 0);
  EXPECT_STREQ(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME), "output");
  EXPECT_STREQ(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE), "filter");
  EXPECT_EQ(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM),
            static_cast<unsigned>(NF_INET_LOCAL_OUT));
  EXPECT_EQ(nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO), 0);
  EXPECT_EQ(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_POLICY), static_cast<unsigned>(NF_ACCEPT));

  for (std::size_t i = 13; i <= 17; ++i) EXPECT_EQ(nft_msg_type(msgs[i]), NFT_MSG_NEWRULE) << i;
  EXPECT_EQ(rule_text(msgs[13]), kLoopback);
  EXPECT_EQ(rule_text(msgs[14]), kV4Servers);
  EXPECT_EQ(rule_text(msgs[15]), kV6Servers);
  EXPECT_EQ(rule_text(msgs[16]), kUdpDrop);
  EXPECT_EQ(rule_text(msgs[17]), kTcpDrop);
  EXPECT_NE(b.describe(316).find("adding the UDP drop rule to table inet vpnns-dns"),
            std::string::npos);
  EXPECT_NE(b.describe(310).find("adding DNS server 192.0.2.53 to set servers4"),
            std::string::npos);
}

TEST(DnsPinNft, NoServersStillDropsEverything) {
  // Fail closed: the same table with empty server sets.
  DnsPinSpec s = spec();
  s.servers.clear();
  NftBatch b(1);
  build_dns_pin_install(b, s);
  auto msgs = nft_messages(b.finish());
  ASSERT_EQ(msgs.size(), 17u);
  std::string rules;
  int server_elements = 0;
  for (const nlmsghdr* m : msgs) {
    if ((m->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;
    if (nft_msg_type(m) == NFT_MSG_NEWRULE) rules += rule_text(m);
    if (nft_msg_type(m) == NFT_MSG_NEWSETELEM && element(m).first != "ports") ++server_elements;
  }
  EXPECT_EQ(server_elements, 0);
  EXPECT_EQ(rules, std::string(kLoopback) + kV4Servers + kV6Servers + kUdpDrop + kTcpDrop);
}

TEST(DnsPinNft, ServerChangeIsOneTransaction) {
  NftBatch b(7);
  build_dns_pin_server(b, "vpnns-dns", false, *IpAddr::parse("192.0.2.53"));
  build_dns_pin_server(b, "vpnns-dns", true, *IpAddr::parse("2001:db8:100::54"));
  auto msgs = nft_messages(b.finish());
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(nft_msg_type(msgs[1]), NFT_MSG_DELSETELEM);
  EXPECT_EQ(nft_msg_type(msgs[2]), NFT_MSG_NEWSETELEM);
  EXPECT_EQ(msgs[3]->nlmsg_type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(element(msgs[1]), std::make_pair(std::string("servers4"), addr_key("192.0.2.53")));
  EXPECT_EQ(element(msgs[2]),
            std::make_pair(std::string("servers6"), addr_key("2001:db8:100::54")));
  EXPECT_NE(b.describe(8).find("removing DNS server 192.0.2.53 from set servers4 of table inet "
                               "vpnns-dns"),
            std::string::npos);
}

TEST(DnsPinNft, IntactAndMatches) {
  DnsPinState st;
  st.exists = true;
  st.comment = spec().comment;
  st.rules = kDnsPinRules;
  st.ports = {853, 53};
  st.has_server_sets = true;
  st.servers = {*IpAddr::parse("2001:db8:100::53"), *IpAddr::parse("192.0.2.53")};
  EXPECT_TRUE(dns_pin_intact(st, spec()));
  EXPECT_TRUE(dns_pin_matches(st, spec()));  // order does not matter

  DnsPinState other = st;
  other.servers.pop_back();
  EXPECT_TRUE(dns_pin_intact(other, spec()));
  EXPECT_FALSE(dns_pin_matches(other, spec()));
  other = st;
  other.rules = 4;  // a deleted rule, `nft flush chain`
  EXPECT_FALSE(dns_pin_intact(other, spec()));
  other = st;
  other.ports = {53};
  EXPECT_FALSE(dns_pin_intact(other, spec()));
  other = st;
  other.has_server_sets = false;
  EXPECT_FALSE(dns_pin_intact(other, spec()));
  other = st;
  other.comment =
      "vpnns DNS pin for openvpn instance 'work' in network namespace 'work'; helper "
      "pid 41";  // an earlier helper's
  EXPECT_FALSE(dns_pin_intact(other, spec()));
  EXPECT_FALSE(dns_pin_intact(DnsPinState{}, spec()));
  DnsPinSpec none = spec();
  none.servers.clear();
  other = st;
  other.servers.clear();
  EXPECT_TRUE(dns_pin_matches(other, none));
  EXPECT_FALSE(dns_pin_matches(st, none));
}

}  // namespace
}  // namespace vpnns
