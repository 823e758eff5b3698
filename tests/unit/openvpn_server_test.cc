// SPDX-License-Identifier: GPL-2.0-or-later
// A server's bounds from openvpn's configuration (plugin/openvpn_server.h) and the plugin
// arguments that carry them (common/config_server.h): parsed, added, never widened.
#include <gtest/gtest.h>

#include "common/config.h"
#include "common/config_server.h"
#include "plugin/openvpn_config.h"
#include "plugin/openvpn_server.h"

namespace vpnns {
namespace {

Prefix p(const char* s) { return *Prefix::parse(s); }

Result<OpenvpnOptions> parse(const std::string& text) {
  return parse_openvpn_command_line(
      {"openvpn", "--config", "/etc/openvpn/s.conf"},
      [&](const std::string&) -> Result<std::string> { return text; });
}

TEST(OpenvpnServer, PoolsAndMaxClientsFromTheConfiguration) {
  auto o = parse("server 10.8.0.0 255.255.255.0\nserver-ipv6 2001:db8:8::/64\nmax-clients 50\n");
  ASSERT_TRUE(o.ok());
  Config c;
  c.client_pool = {p("10.8.0.0/25")};
  EXPECT_TRUE(take_server_options(*o, c).empty());
  EXPECT_EQ(c.client_pool,
            (std::vector<Prefix>{p("10.8.0.0/25"), p("10.8.0.0/24"), p("2001:db8:8::/64")}));
  EXPECT_EQ(c.client_max, 50U);
  c.client_max = 7;  // the plugin line wins
  (void)take_server_options(*o, c);
  EXPECT_EQ(c.client_max, 7U);
}

TEST(OpenvpnServer, WhatDoesNotParseIsLeftOutWithAWarning) {
  auto o = parse("server 10.8.0.0 255.0.255.0\nmax-clients many\n");
  ASSERT_TRUE(o.ok());
  Config c;
  EXPECT_EQ(take_server_options(*o, c).size(), 2U);
  EXPECT_TRUE(c.client_pool.empty());
  EXPECT_EQ(c.client_max, 0U);
}

TEST(OpenvpnServer, PluginArgumentsRoundTrip) {
  auto c = parse_config({"client-set=inet/fw/c", "client-pool=10.8.0.0/24,2001:db8::/64",
                         "client-iroutes=198.51.100.0/24", "client-max=9", "client-set-shared=yes"},
                        ConfigDefaults{"/usr/lib/vpnns/vpnns-helper", "s", Role::kServer});
  ASSERT_TRUE(c.ok()) << c.error().text();
  EXPECT_EQ(c->client_iroutes, (std::vector<Prefix>{p("198.51.100.0/24")}));
  EXPECT_EQ(c->client_max, 9U);
  EXPECT_TRUE(c->client_set_shared);
  auto again = parse_config(c->to_args(), ConfigDefaults{});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *c);
}

TEST(OpenvpnServer, BadServerArgumentsAreRefusedNamingThem) {
  const ConfigDefaults d{"/usr/lib/vpnns/vpnns-helper", "s", Role::kServer};
  auto c = parse_config({"client-set=inet/fw/c", "client-iroutes=198.51.100.1/24"}, d);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().text().find("host bits"), std::string::npos) << c.error().text();
  c = parse_config({"client-set=inet/fw/c", "client-pool=10.8.0.0"}, d);
  ASSERT_FALSE(c.ok());
  c = parse_config({"client-set=inet/fw/c", "client-max=0"}, d);
  ASSERT_FALSE(c.ok());
  c = parse_config({"netns=x", "client-max=5"}, d);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().text().find("needs client-set"), std::string::npos) << c.error().text();
}

TEST(OpenvpnServer, CoveredBy) {
  const std::vector<Prefix> in{p("10.8.0.0/24"), p("2001:db8::/64")};
  EXPECT_TRUE(covered_by(in, p("10.8.0.7/32")));
  EXPECT_TRUE(covered_by(in, p("10.8.0.128/25")));
  EXPECT_FALSE(covered_by(in, p("10.8.0.0/23")));
  EXPECT_FALSE(covered_by(in, p("10.8.1.1/32")));
  EXPECT_TRUE(covered_by(in, p("2001:db8::5/128")));
  EXPECT_FALSE(covered_by(in, p("2001:db8:0:1::5/128")));
}

}  // namespace
}  // namespace vpnns
