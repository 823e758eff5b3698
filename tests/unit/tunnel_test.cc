// SPDX-License-Identifier: GPL-2.0-or-later
// NetnsTunnel's state machine (helper/tunnel.h) against the fake kernel (fake_kernel.h): UP,
// ROUTE_UP, ROUTE_PREDOWN, DOWN, restarts and reconciliation; refusals that change nothing; a
// kernel error in the middle of a transaction that leaves what the kernel holds and what the
// tunnel believes in agreement. What only the kernel can show stays in tests/priv/tunnel_test.cc.
#include "helper/tunnel.h"

#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include <algorithm>

#include "tests/unit/fake_kernel.h"

namespace vpnns {
namespace {

using testing::FakeKernel;
using testing::FakeNamespace;

IpAddr a(const char* s) { return *IpAddr::parse(s); }
Prefix p(const char* s) { return *Prefix::parse(s); }

LinkInfo tun(const std::string& name) { return LinkInfo{0, name, "tun", IFF_TUN, 0, 1500}; }

UpRequest up_req(std::uint32_t mtu = 1400) {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = mtu;
  up.v4 = Ipv4Config{a("192.0.2.2"), 24, std::nullopt};
  up.v6 = Ipv6Config{a("2001:db8:100::1000"), 64};
  return up;
}

RouteUpRequest route_up_req(std::vector<Route> routes = {}) {
  RouteUpRequest r;
  r.dev = "tun0";
  r.routes = std::move(routes);
  r.dns.servers = {a("192.0.2.53")};
  return r;
}

class TunnelTest : public ::testing::Test {
 protected:
  void SetUp() override { make(Role::kClient); }

  void make(Role role) {
    kernel_ = std::make_unique<FakeKernel>();
    kernel_->outer.add_link(LinkInfo{0, "lo", "", std::nullopt, IFF_UP, 65536});
    kernel_->outer.add_link(LinkInfo{0, "eth0", "veth", std::nullopt, IFF_UP, 1500});
    kernel_->outer.add_link(tun("tun0"));
    Config config;
    config.netns = "work";
    config.role = role;
    config.dns = DnsMode::kNo;
    TunnelKernel tk{kernel_->ops(kernel_->outer, &kernel_->inner), kernel_->ops(kernel_->inner)};
    tunnel_.emplace(config, NetnsHandle{}, std::move(tk), DnsFiles("work"), std::nullopt);
  }

  template <typename Req>
  Result<std::string> run(const Req& req) {
    return run_mode(*tunnel_, req, warnings_);
  }

  FakeNamespace& inner() { return kernel_->inner; }
  FakeNamespace& outer() { return kernel_->outer; }
  int tun_index() { return inner().link("tun0")->ifindex; }

  // What the tunnel believes agrees with what the kernel holds.
  void expect_consistent() {
    const StateNetns s = tunnel_->snapshot();
    const std::vector<RouteSpec> held = inner().routes_of();
    for (const StateRoute& r : s.routes) {
      EXPECT_TRUE(std::ranges::any_of(
          held, [&](const RouteSpec& k) { return k.dst == r.dst && k.priority == r.metric; }))
          << "believed route " << r.dst.str();
    }
    EXPECT_EQ(s.routes.size(), held.size());
    if (tunnel_->is_up()) {
      const auto addrs = inner().addresses_of(tun_index());
      EXPECT_EQ(s.addresses.size(), addrs.size());
      for (const StateAddress& b : s.addresses) {
        EXPECT_TRUE(std::ranges::any_of(addrs, [&](const AddrSpec& h) {
          return h.local == b.local;
        })) << b.local.str();
      }
    }
  }

  std::unique_ptr<FakeKernel> kernel_;
  std::optional<NetnsTunnel> tunnel_;
  Warnings warnings_;
};

TEST_F(TunnelTest, UpMovesTheDeviceAndConfiguresIt) {
  auto r = run(up_req());
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_NE(r->find("moved into network namespace 'work'"), std::string::npos) << *r;
  EXPECT_EQ(outer().link("tun0"), nullptr);
  const LinkInfo* dev = inner().link("tun0");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->mtu, 1400U);
  EXPECT_NE(dev->flags & IFF_UP, 0U);
  EXPECT_NE(inner().link("lo")->flags & IFF_UP, 0U);
  EXPECT_EQ(inner().addresses_of(dev->ifindex).size(), 2U);
  EXPECT_TRUE(tunnel_->is_up());
  EXPECT_EQ(tunnel_->snapshot().device->ifindex, dev->ifindex);
  expect_consistent();
}

TEST_F(TunnelTest, RouteUpAddsPushedRoutesAndDefaultsThroughTheTunnel) {
  ASSERT_TRUE(run(up_req()).ok());
  auto r = run(route_up_req({Route{p("198.51.100.0/24"), std::nullopt, std::nullopt}}));
  ASSERT_TRUE(r.ok()) << r.error().text();
  const auto routes = inner().routes_of();
  ASSERT_EQ(routes.size(), 3U);  // the pushed one, a default per family
  for (const RouteSpec& rt : routes) EXPECT_EQ(rt.oif, tun_index());
  EXPECT_TRUE(std::ranges::any_of(routes, [](const RouteSpec& rt) { return rt.dst.len == 0; }));
  expect_consistent();
}

TEST_F(TunnelTest, ServerGetsNoDefaultsAndMayShareItsNamespace) {
  make(Role::kServer);
  inner().add_link(LinkInfo{0, "veth-gw", "veth", std::nullopt, IFF_UP, 1500});
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req({Route{p("198.51.100.0/24"), std::nullopt, std::nullopt}})).ok());
  EXPECT_EQ(inner().routes_of().size(), 1U);
}

TEST_F(TunnelTest, RouteUpReconcilesOnlyTheDifference) {
  ASSERT_TRUE(run(up_req()).ok());
  // Someone else's route stays; a stale one of vpnns's goes.
  inner().routes.push_back(
      RouteInfo{RouteSpec{p("203.0.113.0/24"), std::nullopt, tun_index(), 0, kMainTable, 4}, 1});
  inner().routes.push_back(RouteInfo{
      RouteSpec{p("198.18.0.0/15"), std::nullopt, tun_index(), 0, kMainTable, kRouteProtocol}, 1});
  ASSERT_TRUE(run(route_up_req()).ok());
  EXPECT_EQ(inner().routes_of(4).size(), 1U);
  EXPECT_EQ(inner().routes_of().size(), 2U);  // the two defaults
  expect_consistent();

  // One route deleted underneath: the same ROUTE_UP puts back just that one.
  std::erase_if(inner().routes,
                [](const RouteInfo& r) { return r.spec.dst.family() == Family::kV6; });
  const int before = kernel_->changes();
  ASSERT_TRUE(run(route_up_req()).ok());
  EXPECT_EQ(kernel_->changes() - before, 1);
  EXPECT_EQ(inner().routes_of().size(), 2U);
  expect_consistent();
}

TEST_F(TunnelTest, RefusalsChangeNothing) {
  const FakeKernel& k = *kernel_;
  auto expect_refused = [&](const Status& s, const char* why) {
    EXPECT_FALSE(s.ok()) << why;
    EXPECT_EQ(k.changes(), 0) << why;
  };
  expect_refused(tunnel_->validate(route_up_req()), "ROUTE_UP before UP");
  expect_refused(run(up_req(100)).status(), "MTU below the minimum");
  UpRequest restart = up_req();
  restart.context = Context::kRestart;
  expect_refused(run(restart).status(), "UP restart before UP init");
  UpRequest none = up_req();
  none.dev = "tun9";
  expect_refused(run(none).status(), "no such device");

  const FakeNamespace inner_before = inner();
  const FakeNamespace outer_before = outer();
  ASSERT_TRUE(run(up_req()).ok());
  const FakeNamespace inner_up = inner();
  const int changes = k.changes();
  Route unreachable{p("198.51.100.0/24"), a("203.0.113.1"), std::nullopt};
  EXPECT_FALSE(run(route_up_req({unreachable})).ok());
  DownRequest other{"tun1", Context::kInit};
  EXPECT_FALSE(run(other).ok());
  EXPECT_FALSE(run(RoutePredownRequest{"tun1"}).ok());
  EXPECT_EQ(k.changes(), changes);
  EXPECT_EQ(inner(), inner_up);
  (void)inner_before;
  (void)outer_before;
}

TEST_F(TunnelTest, AClientNamespaceWithAnotherDeviceIsRefusedBeforeAnyMove) {
  inner().add_link(LinkInfo{0, "veth-leak", "veth", std::nullopt, IFF_UP, 1500});
  auto r = run(up_req());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("veth-leak"), std::string::npos);
  EXPECT_NE(outer().link("tun0"), nullptr);
  EXPECT_EQ(kernel_->changes(), 0);
}

TEST_F(TunnelTest, DevicesOpenvpnConfiguredOrNotPlainTunAreRefused) {
  for (LinkInfo bad : {LinkInfo{0, "tun0", "tun", IFF_TUN, IFF_UP, 1500},
                       LinkInfo{0, "tun0", "tun", IFF_TAP, 0, 1500},
                       LinkInfo{0, "tun0", "ovpn-dco", std::nullopt, 0, 1500}}) {
    make(Role::kClient);
    std::erase_if(outer().links, [](const LinkInfo& l) { return l.name == "tun0"; });
    outer().add_link(bad);
    EXPECT_FALSE(run(up_req()).ok()) << bad.kind;
    EXPECT_EQ(kernel_->changes(), 0);
    EXPECT_FALSE(tunnel_->is_up());
  }
}

TEST_F(TunnelTest, AKernelErrorMidRouteUpPutsBackWhatWasThere) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req({Route{p("198.51.100.0/24"), std::nullopt, 5}})).ok());
  const FakeNamespace before = inner();
  // A new set: one replaced (new metric for the same prefix is a new key), two added, one stale.
  const std::vector<Route> next = {Route{p("198.51.100.0/24"), std::nullopt, 7},
                                   Route{p("203.0.113.0/24"), std::nullopt, std::nullopt},
                                   Route{p("192.0.2.128/25"), std::nullopt, std::nullopt}};
  for (int n = 1; n <= 4; ++n) {
    kernel_->fail_at(n);
    auto r = run(route_up_req(next));
    EXPECT_FALSE(r.ok()) << "failure at change " << n;
    EXPECT_EQ(inner(), before) << "failure at change " << n;
    expect_consistent();
  }
  // Without a failure the same request goes through.
  ASSERT_TRUE(run(route_up_req(next)).ok());
  expect_consistent();
}

TEST_F(TunnelTest, AKernelErrorMidUpLeavesTheDevicePinnedAndUnconfigured) {
  kernel_->fail_at(4);  // move, lo up, link up, first address: fails
  auto r = run(up_req());
  ASSERT_FALSE(r.ok());
  // Moved (that cannot be undone from inside), but lo and the link are back as they were.
  const LinkInfo* dev = inner().link("tun0");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->flags & IFF_UP, 0U);
  EXPECT_EQ(inner().link("lo")->flags & IFF_UP, 0U);
  EXPECT_TRUE(inner().addresses_of(dev->ifindex).empty());
  EXPECT_FALSE(tunnel_->is_up());
  EXPECT_TRUE(tunnel_->snapshot().tunnel_up);  // pinned: the device is in the namespace
  expect_consistent();
  // openvpn retries (or restarts): the same UP finds the device inside and finishes.
  auto again = run(up_req());
  ASSERT_TRUE(again.ok()) << again.error().text();
  EXPECT_NE(again->find("kept in"), std::string::npos);
  EXPECT_EQ(inner().addresses_of(tun_index()).size(), 2U);
  expect_consistent();
}

TEST_F(TunnelTest, RestartKeepsTheDeviceAndReconfiguresIt) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req()).ok());
  const auto routes = inner().routes_of();
  auto down = run(DownRequest{"tun0", Context::kRestart});
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(inner().routes_of(), routes);  // persist-tun: nothing changes
  UpRequest restart = up_req(1300);
  restart.context = Context::kRestart;
  restart.v6.reset();
  auto r = run(restart);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(inner().link("tun0")->mtu, 1300U);
  EXPECT_EQ(inner().addresses_of(tun_index()).size(), 1U);  // the IPv6 address went
  expect_consistent();
  // A device that vanished meanwhile makes the restart fail without changes.
  std::erase_if(inner().links, [](const LinkInfo& l) { return l.name == "tun0"; });
  const int changes = kernel_->changes();
  EXPECT_FALSE(run(restart).ok());
  EXPECT_EQ(kernel_->changes(), changes);
}

TEST_F(TunnelTest, RoutePredownAndDownRemoveWhatVpnnsAdded) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req()).ok());
  ASSERT_TRUE(run(RoutePredownRequest{"tun0"}).ok());
  EXPECT_TRUE(inner().routes_of().empty());
  expect_consistent();
  ASSERT_TRUE(run(route_up_req()).ok());
  auto r = run(DownRequest{"tun0", Context::kInit});
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_TRUE(inner().routes_of().empty());
  EXPECT_EQ(inner().link("tun0")->flags & IFF_UP, 0U);
  EXPECT_FALSE(tunnel_->snapshot().tunnel_up);
  EXPECT_EQ(tunnel_->snapshot().device->name, "tun0");  // the name stays pinned
  // A reopen brings a new device of the same name (the old one died with openvpn's fd).
  std::erase_if(inner().links, [](const LinkInfo& l) { return l.name == "tun0"; });
  outer().add_link(tun("tun0"));
  ASSERT_TRUE(run(up_req()).ok());
  EXPECT_EQ(outer().link("tun0"), nullptr);
  UpRequest renamed = up_req();
  renamed.dev = "tun1";
  EXPECT_FALSE(run(renamed).ok());  // only the pinned name
}

TEST_F(TunnelTest, TeardownWithAFailingDeletionWarnsAndStaysConsistent) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req()).ok());
  kernel_->fail_at(2);
  Warnings w;
  tunnel_->teardown(w);
  ASSERT_EQ(w.size(), 1U);
  // The deletion was undone, then the link went down (and with it, here, its routes): the
  // tunnel believes what is left.
  expect_consistent();
  tunnel_->teardown(w);
  EXPECT_TRUE(inner().routes_of().empty());
  expect_consistent();
}

TEST_F(TunnelTest, DnsUpdownWithDnsNoIsAcceptedAndLeftAlone) {
  DnsUpdownRequest dns{true, "tun0", DnsConfig{{a("192.0.2.53")}, {"example.org"}}};
  auto r = run(dns);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "dns=no: DNS left alone");
  dns.dns.servers = {a("224.0.0.1")};
  EXPECT_FALSE(run(dns).ok());
  EXPECT_EQ(kernel_->changes(), 0);
}

}  // namespace
}  // namespace vpnns
