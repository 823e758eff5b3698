// SPDX-License-Identifier: GPL-2.0-or-later
// The seal's nftables messages, parsed back with libnftnl and compared: objects, names, types,
// and every rule expression for expression with what `nft --debug=netlink` generates from the
// textual rules in helper/seal_nft.h.
#include "helper/seal_nft.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <gtest/gtest.h>

#include "tests/support/nft_messages.h"

namespace vpnns {
namespace {

using testing::nft_messages;
using testing::nft_msg_type;
using testing::nft_rule_expressions;

SealSpec spec() {
  SealSpec s;
  s.table = "vpnns-work";
  s.comment = "vpnns seal for openvpn instance 'work'; helper pid 42";
  s.uids = {0, 65534};
  s.server = *IpAddr::parse("198.51.100.1");
  return s;
}

constexpr const char* kV4Accept =
    "[ meta load nfproto => reg 1 ]\n"
    "[ cmp eq reg 1 0x00000002 ]\n"
    "[ payload load 4b @ network header + 16 => reg 1 ]\n"
    "[ lookup reg 1 set server4 ]\n"
    "[ meta load skuid => reg 1 ]\n"
    "[ lookup reg 1 set uids ]\n"
    "[ immediate reg 0 accept ]\n";
constexpr const char* kV4Drop =
    "[ meta load nfproto => reg 1 ]\n"
    "[ cmp eq reg 1 0x00000002 ]\n"
    "[ payload load 4b @ network header + 16 => reg 1 ]\n"
    "[ lookup reg 1 set server4 ]\n"
    "[ objref type 1 name dropped ]\n"
    "[ immediate reg 0 drop ]\n";
constexpr const char* kV6Accept =
    "[ meta load nfproto => reg 1 ]\n"
    "[ cmp eq reg 1 0x0000000a ]\n"
    "[ payload load 16b @ network header + 24 => reg 1 ]\n"
    "[ lookup reg 1 set server6 ]\n"
    "[ meta load skuid => reg 1 ]\n"
    "[ lookup reg 1 set uids ]\n"
    "[ immediate reg 0 accept ]\n";
constexpr const char* kV6Drop =
    "[ meta load nfproto => reg 1 ]\n"
    "[ cmp eq reg 1 0x0000000a ]\n"
    "[ payload load 16b @ network header + 24 => reg 1 ]\n"
    "[ lookup reg 1 set server6 ]\n"
    "[ objref type 1 name dropped ]\n"
    "[ immediate reg 0 drop ]\n";

TEST(SealNft, InstallIsOneTransactionThatReplacesTheTable) {
  NftBatch b(100);
  build_seal_install(b, spec());
  auto msgs = nft_messages(b.finish());
  ASSERT_EQ(msgs.size(), 17u);
  EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i]->nlmsg_seq, 100 + i);
    if (i > 0 && i + 1 < msgs.size()) {
      EXPECT_NE(msgs[i]->nlmsg_flags & NLM_F_ACK, 0) << i;
      EXPECT_EQ(msgs[i]->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES) << i;
    }
  }
  // Make sure it exists, delete it, create it fresh: a stale table is replaced atomically.
  EXPECT_EQ(nft_msg_type(msgs[1]), NFT_MSG_NEWTABLE);
  EXPECT_EQ(msgs[1]->nlmsg_flags & NLM_F_EXCL, 0);
  EXPECT_EQ(nft_msg_type(msgs[2]), NFT_MSG_DELTABLE);
  EXPECT_EQ(nft_msg_type(msgs[3]), NFT_MSG_NEWTABLE);
  EXPECT_NE(msgs[3]->nlmsg_flags & NLM_F_EXCL, 0);
  NftTable t(nftnl_table_alloc());
  ASSERT_EQ(nftnl_table_nlmsg_parse(msgs[3], t.get()), 0);
  EXPECT_STREQ(nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME), "vpnns-work");
  EXPECT_EQ(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY), static_cast<unsigned>(NFPROTO_INET));
  std::uint32_t ulen = 0;
  const auto* ud =
      static_cast<const char*>(nftnl_table_get_data(t.get(), NFTNL_TABLE_USERDATA, &ulen));
  ASSERT_NE(ud, nullptr);
  // TLV: type 0 (comment), length, NUL-terminated text — what nft writes for `comment "..."`.
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
  const SetWant sets[] = {{"uids", 24, 4}, {"server4", 7, 4}, {"server6", 8, 16}};
  for (int i = 0; i < 3; ++i) {
    const nlmsghdr* m = msgs[5 + static_cast<std::size_t>(i)];
    EXPECT_EQ(nft_msg_type(m), NFT_MSG_NEWSET);
    NftSet s(nftnl_set_alloc());
    ASSERT_EQ(nftnl_set_nlmsg_parse(m, s.get()), 0);
    EXPECT_STREQ(nftnl_set_get_str(s.get(), NFTNL_SET_NAME), sets[i].name);
    EXPECT_STREQ(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE), "vpnns-work");
    EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE), sets[i].type);
    EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN), sets[i].len);
  }
  // Elements: uid 0, uid 65534, the server.
  for (std::size_t i = 8; i <= 10; ++i) EXPECT_EQ(nft_msg_type(msgs[i]), NFT_MSG_NEWSETELEM) << i;
  NftSet elems(nftnl_set_alloc());
  ASSERT_EQ(nftnl_set_elems_nlmsg_parse(msgs[10], elems.get()), 0);
  EXPECT_STREQ(nftnl_set_get_str(elems.get(), NFTNL_SET_NAME), "server4");

  EXPECT_EQ(nft_msg_type(msgs[11]), NFT_MSG_NEWCHAIN);
  NftChain c(nftnl_chain_alloc());
  ASSERT_EQ(nftnl_chain_nlmsg_parse(msgs[11], c.get()), 0);
  EXPECT_STREQ(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME), "output");
  EXPECT_STREQ(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE), "filter");
  EXPECT_EQ(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM),
            static_cast<unsigned>(NF_INET_LOCAL_OUT));
  EXPECT_EQ(nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO), 0);
  EXPECT_EQ(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_POLICY), static_cast<unsigned>(NF_ACCEPT));

  for (std::size_t i = 12; i <= 15; ++i) EXPECT_EQ(nft_msg_type(msgs[i]), NFT_MSG_NEWRULE);
  EXPECT_EQ(nft_rule_expressions(msgs[12]), kV4Accept);
  EXPECT_EQ(nft_rule_expressions(msgs[13]), kV4Drop);
  EXPECT_EQ(nft_rule_expressions(msgs[14]), kV6Accept);
  EXPECT_EQ(nft_rule_expressions(msgs[15]), kV6Drop);
  EXPECT_NE(b.describe(114).find("adding the IPv6 accept rule to table inet vpnns-work"),
            std::string::npos);
}

TEST(SealNft, MarkModeMatchesTheMarkAndHasNoUidSet) {
  SealSpec s = spec();
  s.mark = 5;
  s.server = *IpAddr::parse("2001:db8:1::1");
  NftBatch b(1);
  build_seal_install(b, s);
  auto msgs = nft_messages(b.finish());
  bool saw_uid_set = false;
  std::string accept_rules;
  for (const nlmsghdr* m : msgs) {
    if ((m->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;
    if (nft_msg_type(m) == NFT_MSG_NEWSET) {
      NftSet set(nftnl_set_alloc());
      nftnl_set_nlmsg_parse(m, set.get());
      saw_uid_set |= std::string(nftnl_set_get_str(set.get(), NFTNL_SET_NAME)) == "uids";
    }
    if (nft_msg_type(m) == NFT_MSG_NEWRULE) {
      const std::string text = nft_rule_expressions(m);
      if (text.find("accept") != std::string::npos) accept_rules += text;
    }
  }
  EXPECT_FALSE(saw_uid_set);
  EXPECT_NE(accept_rules.find("[ meta load mark => reg 1 ]\n[ cmp eq reg 1 0x00000005 ]\n"
                              "[ immediate reg 0 accept ]"),
            std::string::npos)
      << accept_rules;
  EXPECT_EQ(accept_rules.find("skuid"), std::string::npos);
}

TEST(SealNft, ServerSwapIsOneTransaction) {
  NftBatch b(7);
  build_seal_server(b, "vpnns-work", false, *IpAddr::parse("198.51.100.1"));
  build_seal_server(b, "vpnns-work", true, *IpAddr::parse("2001:db8:1::1"));
  auto msgs = nft_messages(b.finish());
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(nft_msg_type(msgs[1]), NFT_MSG_DELSETELEM);
  EXPECT_EQ(nft_msg_type(msgs[2]), NFT_MSG_NEWSETELEM);
  EXPECT_EQ(msgs[3]->nlmsg_type, NFNL_MSG_BATCH_END);
  NftSet del(nftnl_set_alloc());
  ASSERT_EQ(nftnl_set_elems_nlmsg_parse(msgs[1], del.get()), 0);
  EXPECT_STREQ(nftnl_set_get_str(del.get(), NFTNL_SET_NAME), "server4");
  NftSet add(nftnl_set_alloc());
  ASSERT_EQ(nftnl_set_elems_nlmsg_parse(msgs[2], add.get()), 0);
  EXPECT_STREQ(nftnl_set_get_str(add.get(), NFTNL_SET_NAME), "server6");
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(add.get());
  nftnl_set_elem* e = nftnl_set_elems_iter_next(it);
  ASSERT_NE(e, nullptr);
  std::uint32_t len = 0;
  const auto* key =
      static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
  EXPECT_EQ(IpAddr::from_bytes({key, len})->str(), "2001:db8:1::1");
  nftnl_set_elems_iter_destroy(it);
  EXPECT_NE(b.describe(8).find("removing address 198.51.100.1 from set server4"),
            std::string::npos);
}

TEST(SealNft, Matches) {
  SealState st;
  st.exists = true;
  st.comment = spec().comment;
  st.rules = kSealRules;
  st.has_server_sets = true;
  st.has_uid_set = true;
  st.uids = {0, 65534};
  st.servers = {*IpAddr::parse("198.51.100.1")};
  EXPECT_TRUE(seal_matches(st, spec()));
  SealState other = st;
  other.servers = {*IpAddr::parse("198.51.100.2")};
  EXPECT_FALSE(seal_matches(other, spec()));
  other = st;
  other.rules = 3;  // `nft flush chain` or a deleted rule
  EXPECT_FALSE(seal_matches(other, spec()));
  other = st;
  other.uids = {0};
  EXPECT_FALSE(seal_matches(other, spec()));
  other = st;
  other.comment = "vpnns seal for openvpn instance 'work'; helper pid 41";
  EXPECT_FALSE(seal_matches(other, spec()));
  EXPECT_FALSE(seal_matches(SealState{}, spec()));
}

}  // namespace
}  // namespace vpnns
