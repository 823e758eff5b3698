// SPDX-License-Identifier: GPL-2.0-or-later
// The kill switch's nftables messages, parsed back with libnftnl: the objects of the one
// transaction, the chains and their hooks, and the rules expression by expression where they
// matter (the first and last of each chain, the family tests, the prefix masks, ct state). The
// textual form `nft list` prints is checked against the kernel in tests/priv/killswitch_test.cc.
#include "helper/killswitch_nft.h"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <gtest/gtest.h>

#include <map>

#include "tests/support/nft_messages.h"

namespace vpnns {
namespace {

using testing::nft_messages;
using testing::nft_msg_type;
using testing::nft_rule_expressions;

KillSwitchSpec spec() {
  KillSwitchSpec s;
  s.table = "vpnns-ks-work";
  s.comment = killswitch_comment(KillSwitchOwner{"work", "yes", false, 1735689600, 42});
  s.uids = {0, 65534};
  s.reconnect_uids = {0};
  s.ports = {RemotePort{false, 1194}};
  return s;
}

// What one install batch holds: the rules of each chain (as expression text), the sets and
// their key types, the chains and their hooks, the counters.
struct Parsed {
  std::map<std::string, std::vector<std::string>> rules;
  std::map<std::string, std::uint32_t> set_types;
  std::map<std::string, std::uint32_t> hooks;
  std::vector<std::string> counters;
  std::vector<std::string> element_sets;
};

Parsed parse(const KillSwitchSpec& s) {
  NftBatch b(1);
  build_killswitch_install(b, s);
  Parsed p;
  for (const nlmsghdr* m : nft_messages(b.finish())) {
    if ((m->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;
    switch (nft_msg_type(m)) {
      case NFT_MSG_NEWRULE: {
        NftRule r(nftnl_rule_alloc());
        nftnl_rule_nlmsg_parse(m, r.get());
        p.rules[nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)].push_back(nft_rule_expressions(m));
        break;
      }
      case NFT_MSG_NEWSET: {
        NftSet set(nftnl_set_alloc());
        nftnl_set_nlmsg_parse(m, set.get());
        p.set_types[nftnl_set_get_str(set.get(), NFTNL_SET_NAME)] =
            nftnl_set_get_u32(set.get(), NFTNL_SET_KEY_TYPE);
        break;
      }
      case NFT_MSG_NEWSETELEM: {
        NftSet set(nftnl_set_alloc());
        nftnl_set_elems_nlmsg_parse(m, set.get());
        p.element_sets.emplace_back(nftnl_set_get_str(set.get(), NFTNL_SET_NAME));
        break;
      }
      case NFT_MSG_NEWCHAIN: {
        NftChain c(nftnl_chain_alloc());
        nftnl_chain_nlmsg_parse(m, c.get());
        p.hooks[nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME)] =
            nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM);
        EXPECT_EQ(nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO), 0);
        EXPECT_EQ(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_POLICY),
                  static_cast<unsigned>(NF_ACCEPT));
        break;
      }
      case NFT_MSG_NEWOBJ: {
        NftObj o(nftnl_obj_alloc());
        nftnl_obj_nlmsg_parse(m, o.get());
        p.counters.emplace_back(nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME));
        break;
      }
      default:
        break;
    }
  }
  return p;
}

bool any_contains(const std::vector<std::string>& rules, const std::string& text) {
  for (const auto& r : rules) {
    if (r.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(KillSwitchNft, InstallReplacesTheTableInOneTransaction) {
  NftBatch b(100);
  build_killswitch_install(b, spec());
  auto msgs = nft_messages(b.finish());
  EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
  // Make sure it exists, delete it, create it fresh: a held table is replaced atomically.
  EXPECT_EQ(nft_msg_type(msgs[1]), NFT_MSG_NEWTABLE);
  EXPECT_EQ(nft_msg_type(msgs[2]), NFT_MSG_DELTABLE);
  EXPECT_EQ(nft_msg_type(msgs[3]), NFT_MSG_NEWTABLE);
  EXPECT_NE(msgs[3]->nlmsg_flags & NLM_F_EXCL, 0);
}

TEST(KillSwitchNft, ChainsSetsCounters) {
  const Parsed p = parse(spec());
  EXPECT_EQ(p.hooks.at("output"), static_cast<unsigned>(NF_INET_LOCAL_OUT));
  EXPECT_EQ(p.hooks.at("forward"), static_cast<unsigned>(NF_INET_FORWARD));
  EXPECT_EQ(p.hooks.at("input"), static_cast<unsigned>(NF_INET_LOCAL_IN));
  EXPECT_EQ(p.counters, (std::vector<std::string>{"dropped_out", "dropped_fwd", "dropped_in"}));
  EXPECT_EQ(p.set_types.at("uids"), 24u);
  EXPECT_EQ(p.set_types.at("reconnect_uids"), 24u);
  EXPECT_EQ(p.set_types.at("server4"), 7u);
  EXPECT_EQ(p.set_types.at("server6"), 8u);
  EXPECT_EQ(p.set_types.at("tunnels"), 41u);  // ifname: `nft list` prints names
  // uid 0 and 65534 in uids, uid 0 in reconnect_uids; no server, no tunnel yet.
  EXPECT_EQ(p.element_sets, (std::vector<std::string>{"uids", "uids", "reconnect_uids"}));
  const KillSwitchRules n = killswitch_rule_counts(spec());
  EXPECT_EQ(p.rules.at("output").size(), n.out);
  EXPECT_EQ(p.rules.at("forward").size(), n.fwd);
  EXPECT_EQ(p.rules.at("input").size(), n.in);
}

TEST(KillSwitchNft, TunnelFirstCountedDropLast) {
  const Parsed p = parse(spec());
  const auto& out = p.rules.at("output");
  EXPECT_EQ(out.front(),
            "[ meta load oifname => reg 1 ]\n[ lookup reg 1 set tunnels ]\n"
            "[ immediate reg 0 accept ]\n");
  for (const auto& [chain, counter] : std::map<std::string, std::string>{
           {"output", "dropped_out"}, {"forward", "dropped_fwd"}, {"input", "dropped_in"}}) {
    EXPECT_EQ(p.rules.at(chain).back(),
              "[ objref type 1 name " + counter + " ]\n[ immediate reg 0 drop ]\n")
        << chain;
  }
  EXPECT_EQ(p.rules.at("forward").front(), out.front());
}

TEST(KillSwitchNft, NoEstablishedOnTheWayOut) {
  const Parsed p = parse(spec());
  EXPECT_FALSE(any_contains(p.rules.at("output"), "ct load state"));
  // Forward: only for what comes back from the tunnel.
  EXPECT_TRUE(any_contains(p.rules.at("forward"),
                           "[ meta load iifname => reg 1 ]\n[ lookup reg 1 set tunnels ]\n"
                           "[ ct load state => reg 1 ]\n"
                           "[ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]\n"
                           "[ cmp neq reg 1 0x00000000 ]\n"));
  EXPECT_TRUE(any_contains(p.rules.at("input"), "[ ct load state => reg 1 ]\n"));
}

TEST(KillSwitchNft, OpenvpnsSocketsByOwner) {
  const Parsed p = parse(spec());
  const auto& out = p.rules.at("output");
  EXPECT_TRUE(any_contains(out,
                           "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x00000002 ]\n"
                           "[ payload load 4b @ network header + 16 => reg 1 ]\n"
                           "[ lookup reg 1 set server4 ]\n[ meta load skuid => reg 1 ]\n"
                           "[ lookup reg 1 set uids ]\n[ immediate reg 0 accept ]\n"));
  // killswitch-ports=udp/1194 and DNS: new sockets only (reconnect_uids).
  EXPECT_TRUE(any_contains(out,
                           "[ meta load l4proto => reg 1 ]\n[ cmp eq reg 1 0x00000011 ]\n"
                           "[ payload load 2b @ transport header + 2 => reg 1 ]\n"
                           "[ cmp eq reg 1 0x0000aa04 ]\n[ meta load skuid => reg 1 ]\n"
                           "[ lookup reg 1 set reconnect_uids ]\n"));
  EXPECT_TRUE(any_contains(out,
                           "[ meta load l4proto => reg 1 ]\n[ cmp eq reg 1 0x00000006 ]\n"
                           "[ payload load 2b @ transport header + 2 => reg 1 ]\n"
                           "[ cmp eq reg 1 0x00003500 ]\n[ meta load skuid => reg 1 ]\n"
                           "[ lookup reg 1 set reconnect_uids ]\n"));
}

TEST(KillSwitchNft, MarkModeHasNoUidSets) {
  KillSwitchSpec s = spec();
  s.mark = 7;
  const Parsed p = parse(s);
  EXPECT_EQ(p.set_types.count("uids"), 0u);
  EXPECT_EQ(p.set_types.count("reconnect_uids"), 0u);
  EXPECT_FALSE(any_contains(p.rules.at("output"), "skuid"));
  EXPECT_TRUE(any_contains(p.rules.at("output"),
                           "[ meta load mark => reg 1 ]\n[ cmp eq reg 1 0x00000007 ]\n"));
}

TEST(KillSwitchNft, LinkNeedsOnly) {
  const Parsed p = parse(spec());
  const auto& out = p.rules.at("output");
  // DHCPv4 68 -> 67, IPv4 only.
  EXPECT_TRUE(any_contains(out,
                           "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x00000002 ]\n"
                           "[ meta load l4proto => reg 1 ]\n[ cmp eq reg 1 0x00000011 ]\n"
                           "[ payload load 4b @ transport header + 0 => reg 1 ]\n"
                           "[ cmp eq reg 1 0x43004400 ]\n[ immediate reg 0 accept ]\n"));
  // Neighbour solicitation, hop limit 255 (never routed).
  EXPECT_TRUE(any_contains(out,
                           "[ payload load 1b @ transport header + 0 => reg 1 ]\n"
                           "[ cmp eq reg 1 0x00000087 ]\n"
                           "[ payload load 1b @ network header + 7 => reg 1 ]\n"
                           "[ cmp eq reg 1 0x000000ff ]\n"));
}

TEST(KillSwitchNft, AllowLanAddsPrivateRangesOnly) {
  const Parsed closed = parse(spec());
  EXPECT_FALSE(any_contains(closed.rules.at("output"), "bitwise"));
  KillSwitchSpec s = spec();
  s.allow_lan = true;
  const Parsed open = parse(s);
  // 172.16.0.0/12: masked with 255.240.0.0, compared with the network.
  const std::string lan172 =
      "[ payload load 4b @ network header + 16 => reg 1 ]\n"
      "[ bitwise reg 1 = ( reg 1 & 0x0000f0ff ) ^ 0x00000000 ]\n[ cmp eq reg 1 0x000010ac ]\n"
      "[ immediate reg 0 accept ]\n";
  EXPECT_TRUE(any_contains(open.rules.at("output"), lan172));
  EXPECT_TRUE(any_contains(open.rules.at("forward"), lan172));
  // Inbound by source, unicast ranges only.
  EXPECT_TRUE(any_contains(open.rules.at("input"), "network header + 12"));
  EXPECT_FALSE(any_contains(open.rules.at("input"), "0x000000e0"));  // 224.0.0.0/24
  const KillSwitchRules a = killswitch_rule_counts(spec()), b = killswitch_rule_counts(s);
  EXPECT_EQ(b.out - a.out, kLanPrefixes.size());
  EXPECT_EQ(b.fwd - a.fwd, kLanPrefixes.size());
  EXPECT_EQ(b.in - a.in, 6u);
  // Never a public range.
  for (const char* text : kLanPrefixes) {
    const Prefix p = *Prefix::parse(text);
    EXPECT_FALSE(p.contains(*IpAddr::parse("198.51.100.1"))) << text;
    EXPECT_FALSE(p.contains(*IpAddr::parse("2001:db8::1"))) << text;
  }
}

TEST(KillSwitchNft, TunnelElementIsAPaddedName) {
  NftBatch b(1);
  build_killswitch_tunnel(b, "vpnns-ks-work", true, "tun0");
  auto msgs = nft_messages(b.finish());
  ASSERT_EQ(msgs.size(), 3u);
  NftSet set(nftnl_set_alloc());
  ASSERT_EQ(nftnl_set_elems_nlmsg_parse(msgs[1], set.get()), 0);
  EXPECT_STREQ(nftnl_set_get_str(set.get(), NFTNL_SET_NAME), "tunnels");
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(set.get());
  nftnl_set_elem* e = nftnl_set_elems_iter_next(it);
  ASSERT_NE(e, nullptr);
  std::uint32_t len = 0;
  const auto* key = static_cast<const char*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
  EXPECT_EQ(len, 16u);
  EXPECT_EQ(std::string(key, 5), std::string("tun0\0", 5));
  nftnl_set_elems_iter_destroy(it);
}

TEST(KillSwitchNft, Matches) {
  KillSwitchSpec s = spec();
  KillSwitchState st;
  st.exists = true;
  st.comment = s.comment;
  const KillSwitchRules n = killswitch_rule_counts(s);
  st.rules_out = n.out;
  st.rules_fwd = n.fwd;
  st.rules_in = n.in;
  st.uids = s.uids;
  st.reconnect_uids = s.reconnect_uids;
  st.has_uid_set = true;
  st.has_sets = true;
  EXPECT_TRUE(killswitch_matches(st, s));
  s.tunnel = "tun0";
  EXPECT_FALSE(killswitch_matches(st, s));
  EXPECT_TRUE(killswitch_intact(st, s));
  st.tunnels = {"tun0"};
  EXPECT_TRUE(killswitch_matches(st, s));
  st.rules_in -= 1;
  EXPECT_FALSE(killswitch_intact(st, s));
}

TEST(KillSwitchTable, CommentRoundTrip) {
  const KillSwitchOwner o{"work", "lockdown", true, 1735689600, 4242};
  const std::string c = killswitch_comment(o);
  EXPECT_EQ(c,
            "vpnns kill switch for openvpn instance 'work'; killswitch=lockdown; allow-lan=yes; "
            "since 1735689600; helper pid 4242");
  auto back = parse_killswitch_comment(c);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->instance, "work");
  EXPECT_EQ(back->mode, "lockdown");
  EXPECT_TRUE(back->allow_lan);
  EXPECT_EQ(back->since, 1735689600);
  EXPECT_EQ(back->helper_pid, 4242);
  for (const char* bad :
       {"", "vpnns seal for openvpn instance 'work'; helper pid 1",
        "vpnns kill switch for openvpn instance 'work'; killswitch=maybe; allow-lan=no; since 1; "
        "helper pid 2",
        "vpnns kill switch for openvpn instance 'work'; killswitch=yes; allow-lan=no; since 1; "
        "helper pid 0",
        "vpnns kill switch for openvpn instance 'work'; killswitch=yes; allow-lan=no; since 1; "
        "helper pid 2x"}) {
    EXPECT_FALSE(parse_killswitch_comment(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace vpnns
