// SPDX-License-Identifier: GPL-2.0-or-later
// Address parsing and the predicates validation is built from.
#include "common/ip.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

TEST(IpAddr, ParsesStrictly) {
  EXPECT_EQ(IpAddr::parse("192.0.2.1")->str(), "192.0.2.1");
  EXPECT_EQ(IpAddr::parse("2001:db8::1")->str(), "2001:db8::1");
  EXPECT_TRUE(IpAddr::parse("2001:db8::1")->family() == Family::kV6);
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", " 1.2.3.4", "1.2.3.4 ", "fe80::1%eth0",
        "[2001:db8::1]", "host.example", "2001:db8::g", "1.2.3.4/24"}) {
    EXPECT_FALSE(IpAddr::parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(IpAddr::parse("2001:db8::1", Family::kV4).has_value());
  EXPECT_FALSE(IpAddr::parse(std::string(100, '1')).has_value());
}

TEST(IpAddr, Unicast) {
  for (const char* good : {"192.0.2.1", "10.0.0.1", "169.254.1.1", "2001:db8::1", "fe80::1"}) {
    EXPECT_TRUE(IpAddr::parse(good)->is_unicast()) << good;
  }
  for (const char* bad : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.1.1.1", "240.0.0.1",
                          "255.255.255.255", "::", "::1", "ff02::1", "::ffff:192.0.2.1"}) {
    EXPECT_FALSE(IpAddr::parse(bad)->is_unicast()) << bad;
  }
}

TEST(IpAddr, MaskAndLast) {
  auto a = *IpAddr::parse("192.0.2.77");
  EXPECT_EQ(a.masked(24).str(), "192.0.2.0");
  EXPECT_EQ(a.last_in_prefix(24).str(), "192.0.2.255");
  EXPECT_EQ(a.masked(0).str(), "0.0.0.0");
  EXPECT_EQ(a.masked(32), a);
  EXPECT_EQ(a.masked(29).str(), "192.0.2.72");
  auto b = *IpAddr::parse("2001:db8:1:2::5");
  EXPECT_EQ(b.masked(48).str(), "2001:db8:1::");
}

TEST(Prefix, ParseAndContain) {
  auto p = Prefix::parse("2001:db8:200::/48");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->len, 48);
  EXPECT_FALSE(p->has_host_bits());
  EXPECT_TRUE(p->contains(*IpAddr::parse("2001:db8:200:1::1")));
  EXPECT_FALSE(p->contains(*IpAddr::parse("2001:db8:201::1")));
  EXPECT_FALSE(p->contains(*IpAddr::parse("192.0.2.1")));
  EXPECT_TRUE(Prefix::parse("192.0.2.1/24")->has_host_bits());
  for (const char* bad : {"192.0.2.0", "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/024",
                          "2001:db8::/129", "2001:db8::/-1", "x/24", "192.0.2.0/2 4"}) {
    EXPECT_FALSE(Prefix::parse(bad).has_value()) << bad;
  }
}

TEST(Netmask, ContiguousOnly) {
  EXPECT_EQ(netmask_to_prefix_len(*IpAddr::parse("255.255.255.0")), 24);
  EXPECT_EQ(netmask_to_prefix_len(*IpAddr::parse("255.255.255.255")), 32);
  EXPECT_EQ(netmask_to_prefix_len(*IpAddr::parse("0.0.0.0")), 0);
  EXPECT_EQ(netmask_to_prefix_len(*IpAddr::parse("255.128.0.0")), 9);
  EXPECT_FALSE(netmask_to_prefix_len(*IpAddr::parse("255.0.255.0")).has_value());
  EXPECT_FALSE(netmask_to_prefix_len(*IpAddr::parse("0.255.255.255")).has_value());
  EXPECT_FALSE(netmask_to_prefix_len(*IpAddr::parse("2001:db8::")).has_value());
}

}  // namespace
}  // namespace vpnns
