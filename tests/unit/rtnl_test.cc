// SPDX-License-Identifier: GPL-2.0-or-later
// rtnetlink builders: build a message, parse it back with libmnl, compare. The kernel's side of
// the same messages is exercised by tests/priv.
#include "kernel/rtnl.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <map>

namespace vpnns {
namespace {

std::map<int, const nlattr*> attrs_of(const nlmsghdr* nlh, std::size_t hdr) {
  std::map<int, const nlattr*> out;
  mnl_attr_parse(
      nlh, static_cast<unsigned>(hdr),
      [](const nlattr* a, void* data) {
        (*static_cast<std::map<int, const nlattr*>*>(data))[mnl_attr_get_type(a)] = a;
        return MNL_CB_OK;
      },
      &out);
  return out;
}

IpAddr addr_of(const nlattr* a) {
  return *IpAddr::from_bytes(
      {static_cast<const std::uint8_t*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a)});
}

TEST(Rtnl, LinkMove) {
  MessageBuffer buf;
  nlmsghdr* nlh = build_link_move(buf, 7, 42);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWLINK);
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifm->ifi_index, 7);
  auto at = attrs_of(nlh, sizeof(ifinfomsg));
  ASSERT_TRUE(at.count(IFLA_NET_NS_FD));
  EXPECT_EQ(mnl_attr_get_u32(at[IFLA_NET_NS_FD]), 42u);
  EXPECT_EQ(at.size(), 1u);
}

TEST(Rtnl, LinkSet) {
  MessageBuffer buf;
  nlmsghdr* nlh = build_link_set(buf, 3, 1400, true);
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifm->ifi_change, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifm->ifi_flags, static_cast<unsigned>(IFF_UP));
  auto at = attrs_of(nlh, sizeof(ifinfomsg));
  EXPECT_EQ(mnl_attr_get_u32(at[IFLA_MTU]), 1400u);
  nlh = build_link_set(buf, 3, std::nullopt, false);
  ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifm->ifi_change, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifm->ifi_flags, 0u);
  EXPECT_TRUE(attrs_of(nlh, sizeof(ifinfomsg)).empty());
}

TEST(Rtnl, LinkGetByName) {
  MessageBuffer buf;
  nlmsghdr* nlh = build_link_get(buf, "tun0");
  auto at = attrs_of(nlh, sizeof(ifinfomsg));
  EXPECT_STREQ(mnl_attr_get_str(at[IFLA_IFNAME]), "tun0");
}

TEST(Rtnl, AddrSubnetGetsBroadcast) {
  MessageBuffer buf;
  AddrSpec spec{*IpAddr::parse("192.0.2.2"), 24, std::nullopt};
  nlmsghdr* nlh = build_addr(buf, RTM_NEWADDR, 5, spec);
  EXPECT_EQ(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE), NLM_F_CREATE | NLM_F_REPLACE);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifa->ifa_family, AF_INET);
  EXPECT_EQ(ifa->ifa_prefixlen, 24);
  EXPECT_EQ(ifa->ifa_index, 5u);
  auto at = attrs_of(nlh, sizeof(ifaddrmsg));
  EXPECT_EQ(addr_of(at[IFA_LOCAL]).str(), "192.0.2.2");
  EXPECT_EQ(addr_of(at[IFA_ADDRESS]).str(), "192.0.2.2");
  EXPECT_EQ(addr_of(at[IFA_BROADCAST]).str(), "192.0.2.255");
  // And the parser reads back what was built (as the kernel echoes it).
  nlh->nlmsg_type = RTM_NEWADDR;
  auto parsed = parse_addr(nlh);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->spec, spec);
  EXPECT_EQ(parsed->ifindex, 5);
}

TEST(Rtnl, AddrPeerAndV6) {
  MessageBuffer buf;
  AddrSpec p2p{*IpAddr::parse("192.0.2.6"), 32, *IpAddr::parse("192.0.2.5")};
  nlmsghdr* nlh = build_addr(buf, RTM_NEWADDR, 5, p2p);
  auto at = attrs_of(nlh, sizeof(ifaddrmsg));
  EXPECT_EQ(addr_of(at[IFA_ADDRESS]).str(), "192.0.2.5");
  EXPECT_FALSE(at.count(IFA_BROADCAST));
  EXPECT_EQ(parse_addr(nlh)->spec, p2p);

  AddrSpec v6{*IpAddr::parse("2001:db8:100::1000"), 64, std::nullopt};
  nlh = build_addr(buf, RTM_NEWADDR, 5, v6);
  at = attrs_of(nlh, sizeof(ifaddrmsg));
  EXPECT_EQ(mnl_attr_get_u32(at[IFA_FLAGS]) & IFA_F_NODAD, static_cast<unsigned>(IFA_F_NODAD));
  EXPECT_EQ(parse_addr(nlh)->spec, v6);

  nlh = build_addr(buf, RTM_DELADDR, 5, v6);
  EXPECT_EQ(nlh->nlmsg_flags & NLM_F_CREATE, 0);
}

TEST(Rtnl, RouteRoundTrip) {
  MessageBuffer buf;
  const RouteSpec specs[] = {
      {*Prefix::parse("203.0.113.0/24"), *IpAddr::parse("192.0.2.1"), 7, 5},
      {*Prefix::parse("0.0.0.0/0"), std::nullopt, 7, 0},
      {*Prefix::parse("2001:db8:200::/48"), *IpAddr::parse("2001:db8:100::1"), 7, 1024},
      {*Prefix::parse("::/0"), std::nullopt, 9, 1024},
  };
  for (const auto& spec : specs) {
    nlmsghdr* nlh = build_route(buf, RTM_NEWROUTE, spec);
    const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
    EXPECT_EQ(rtm->rtm_protocol, kRouteProtocol);
    EXPECT_EQ(rtm->rtm_table, RT_TABLE_MAIN);
    EXPECT_EQ(rtm->rtm_type, RTN_UNICAST);
    if (spec.dst.addr.is_v4()) {
      EXPECT_EQ(rtm->rtm_scope, spec.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    }
    auto parsed = parse_route(nlh);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(parsed->spec, spec) << spec.dst.str();
  }
}

TEST(Rtnl, ParseLinkKindAndTunType) {
  MessageBuffer buf;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_index = 4;
  ifm->ifi_flags = IFF_UP;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, "tun0");
  mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
  nlattr* li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "tun");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u8(nlh, IFLA_TUN_TYPE, 1);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, li);
  auto link = parse_link(nlh);
  ASSERT_TRUE(link.ok()) << link.error().message();
  EXPECT_EQ(link->ifindex, 4);
  EXPECT_EQ(link->name, "tun0");
  EXPECT_EQ(link->kind, "tun");
  EXPECT_EQ(link->tun_type, 1);
  EXPECT_EQ(link->mtu, 1500u);
  EXPECT_EQ(link->flags & IFF_UP, static_cast<unsigned>(IFF_UP));
}

TEST(Rtnl, ParseRefusesTruncated) {
  MessageBuffer buf;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;  // no ifinfomsg at all
  EXPECT_FALSE(parse_link(nlh).ok());
  nlh->nlmsg_type = RTM_NEWROUTE;
  EXPECT_FALSE(parse_route(nlh).ok());
}

}  // namespace
}  // namespace vpnns
