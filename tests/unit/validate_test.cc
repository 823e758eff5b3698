// SPDX-License-Identifier: GPL-2.0-or-later
// Semantic validation against the helper's state: what a hostile or confused openvpn side may
// ask for, and what the helper refuses.
#include "helper/validate.h"
#include "helper/route_plan.h"

#include <gtest/gtest.h>

namespace vpnns {
namespace {

IpAddr a(const char* s) { return *IpAddr::parse(s); }
Prefix p(const char* s) { return *Prefix::parse(s); }

UpRequest subnet_up() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1500;
  up.v4 = Ipv4Config{a("192.0.2.2"), 24, std::nullopt};
  up.v6 = Ipv6Config{a("2001:db8:100::1000"), 64};
  return up;
}

UpRequest p2p_up() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1500;
  up.v4 = Ipv4Config{a("192.0.2.6"), 32, a("192.0.2.5")};
  return up;
}

void expect_refused(const Status& s, const std::string& what) {
  ASSERT_FALSE(s.ok()) << "accepted, expected: " << what;
  EXPECT_NE(s.error().message().find(what), std::string::npos) << s.error().message();
}

TEST(ValidateUp, Accepts) {
  EXPECT_TRUE(validate_up(subnet_up(), std::nullopt).ok());
  EXPECT_TRUE(validate_up(subnet_up(), std::string("tun0")).ok());
  EXPECT_TRUE(validate_up(p2p_up(), std::nullopt).ok());
}

TEST(ValidateUp, Refusals) {
  auto up = subnet_up();
  expect_refused(validate_up(up, std::string("tun1")), "this tunnel's device is 'tun1'");
  up = subnet_up();
  up.dev = "lo/";
  expect_refused(validate_up(up, std::nullopt), "not a valid name");
  up = subnet_up();
  up.v4.reset();
  up.v6.reset();
  expect_refused(validate_up(up, std::nullopt), "no tunnel address");
  for (std::uint32_t mtu : {0u, 100u, 1279u, 65536u, 4000000000u}) {
    up = subnet_up();
    up.mtu = mtu;
    expect_refused(validate_up(up, std::nullopt), "tun_mtu " + std::to_string(mtu));
  }
  up = p2p_up();
  up.mtu = 576;  // fine without IPv6
  EXPECT_TRUE(validate_up(up, std::nullopt).ok());
  for (const char* bad : {"0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255"}) {
    up = subnet_up();
    up.v4->local = a(bad);
    expect_refused(validate_up(up, std::nullopt), "not a unicast address");
  }
  up = subnet_up();
  up.v4->local = a("2001:db8::1");
  expect_refused(validate_up(up, std::nullopt), "is not IPv4");
  up = subnet_up();
  up.v4->prefix_len = 0;
  expect_refused(validate_up(up, std::nullopt), "/0 is outside 1-32");
  up = subnet_up();
  up.v4->local = a("192.0.2.0");
  expect_refused(validate_up(up, std::nullopt), "network or broadcast");
  up = subnet_up();
  up.v4->local = a("192.0.2.255");
  expect_refused(validate_up(up, std::nullopt), "network or broadcast");
  up = p2p_up();
  up.v4->peer = up.v4->local;
  expect_refused(validate_up(up, std::nullopt), "equals ifconfig_local");
  up = p2p_up();
  up.v4->prefix_len = 24;
  expect_refused(validate_up(up, std::nullopt), "must be a /32");
  up = subnet_up();
  up.v6->local = a("::1");
  expect_refused(validate_up(up, std::nullopt), "not a unicast address");
  up = subnet_up();
  up.v6->prefix_len = 0;
  expect_refused(validate_up(up, std::nullopt), "/0 is outside 1-128");
}

TEST(ValidateRouteUp, GatewaysMustBeOnTheTunnel) {
  RouteUpRequest r{"tun0", {}, {}};
  r.routes = {Route{p("203.0.113.0/24"), a("192.0.2.1"), 5},
              Route{p("2001:db8:200::/48"), a("2001:db8:100::1"), std::nullopt},
              Route{p("198.51.100.0/24"), std::nullopt, std::nullopt}};
  EXPECT_TRUE(validate_route_up(r, subnet_up()).ok());

  auto with = [](Route route) { return RouteUpRequest{"tun0", {std::move(route)}, {}}; };
  expect_refused(validate_route_up(with({p("203.0.113.0/24"), a("198.51.100.1"), {}}), subnet_up()),
                 "not reachable through the tunnel (subnet 192.0.2.0/24)");
  expect_refused(validate_route_up(with({p("203.0.113.0/24"), a("192.0.2.2"), {}}), subnet_up()),
                 "tunnel's own address");
  expect_refused(validate_route_up(with({p("203.0.113.0/24"), a("192.0.2.255"), {}}), subnet_up()),
                 "network or broadcast address of 192.0.2.0/24");
  expect_refused(validate_route_up(with({p("203.0.113.0/24"), a("192.0.2.0"), {}}), subnet_up()),
                 "network or broadcast address of 192.0.2.0/24");
  expect_refused(validate_route_up(with({p("203.0.113.0/24"), a("192.0.2.9"), {}}), p2p_up()),
                 "not reachable through the tunnel (peer 192.0.2.5)");
  EXPECT_TRUE(validate_route_up(with({p("203.0.113.0/24"), a("192.0.2.5"), {}}), p2p_up()).ok());
  expect_refused(validate_route_up(with({p("203.0.113.0/24"), a("224.0.0.1"), {}}), subnet_up()),
                 "not a unicast address");
  expect_refused(
      validate_route_up(with({p("203.0.113.0/24"), a("2001:db8:100::1"), {}}), subnet_up()),
      "is not IPv4");
  expect_refused(
      validate_route_up(with({p("2001:db8:200::/48"), a("2001:db8:999::1"), {}}), subnet_up()),
      "not reachable through the tunnel (subnet 2001:db8:100::/64)");
  expect_refused(validate_route_up(with({p("2001:db8:200::/48"), {}, {}}), p2p_up()),
                 "the tunnel has no IPv6 address");
  Route host_bits{p("203.0.113.0/24"), {}, {}};
  host_bits.dst.addr = a("203.0.113.9");
  expect_refused(validate_route_up(with(host_bits), subnet_up()), "host bits");
  RouteUpRequest other_dev{"eth0", {}, {}};
  expect_refused(validate_route_up(other_dev, subnet_up()), "this tunnel's device is 'tun0'");
}

TEST(ValidateRouteUp, Dns) {
  RouteUpRequest r{"tun0", {}, {}};
  r.dns.servers = {a("127.0.0.53")};
  expect_refused(validate_route_up(r, subnet_up()), "DNS server 127.0.0.53 is not a unicast");
  r.dns.servers = {a("192.0.2.53")};
  r.dns.search = {"bad name"};
  expect_refused(validate_route_up(r, subnet_up()), "is not a DNS name");
  r.dns.search = {"example.test"};
  EXPECT_TRUE(validate_route_up(r, subnet_up()).ok());
}

TEST(DesiredRoutes, AddsDefaultsAndDedupes) {
  RouteUpRequest r{"tun0", {}, {}};
  r.routes = {Route{p("203.0.113.0/24"), a("192.0.2.1"), 5},
              Route{p("203.0.113.0/24"), a("192.0.2.3"), 5},
              Route{p("2001:db8:200::/48"), std::nullopt, std::nullopt}};
  std::vector<std::string> warnings;
  auto routes = desired_routes(r, subnet_up(), 7, true, warnings);
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0], (RouteSpec{p("203.0.113.0/24"), a("192.0.2.1"), 7, 5}));
  EXPECT_EQ(routes[1], (RouteSpec{p("2001:db8:200::/48"), std::nullopt, 7, kDefaultMetricV6}));
  EXPECT_EQ(routes[2], (RouteSpec{p("0.0.0.0/0"), std::nullopt, 7, kDefaultMetricV4}));
  EXPECT_EQ(routes[3], (RouteSpec{p("::/0"), std::nullopt, 7, kDefaultMetricV6}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("given twice"), std::string::npos);
}

TEST(DesiredRoutes, AServerGetsNoDefaultRoute) {
  RouteUpRequest r{"tun0", {Route{p("203.0.113.128/25"), a("192.0.2.2"), {}}}, {}};
  std::vector<std::string> warnings;
  auto routes = desired_routes(r, subnet_up(), 3, false, warnings);
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].dst.str(), "203.0.113.128/25");
}

TEST(DesiredRoutes, PushedDefaultReplacesOurs) {
  RouteUpRequest r{"tun0", {Route{p("0.0.0.0/0"), a("192.0.2.1"), 3}}, {}};
  std::vector<std::string> warnings;
  auto routes = desired_routes(r, p2p_up(), 4, true, warnings);
  ASSERT_EQ(routes.size(), 1u);  // v4 only: pushed default, no IPv6 on this tunnel
  EXPECT_EQ(routes[0].gateway, a("192.0.2.1"));
}

}  // namespace
}  // namespace vpnns
