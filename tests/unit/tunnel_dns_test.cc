// SPDX-License-Identifier: GPL-2.0-or-later
// NetnsTunnel with dns=pin (helper/tunnel.h, dns_pin.h) against the fake kernel and nftables,
// and DNS files in a temporary directory: openvpn 2.7's dns-up before and after ROUTE_UP,
// dns-down, the pin before the routes and put back when they fail, the restart's reassert, and
// DOWN. tests/priv/dns_updown_test.cc and dns_pin_test.cc keep what only the kernel can show.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helper/tunnel.h"
#include "tests/unit/fake_kernel.h"
#include "tests/unit/fake_nft.h"

namespace vpnns {
namespace {

using testing::FakeKernel;
using testing::FakeNft;

IpAddr a(const char* s) { return *IpAddr::parse(s); }

UpRequest up_req() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1400;
  up.v4 = Ipv4Config{a("192.0.2.2"), 24, std::nullopt};
  return up;
}

RouteUpRequest route_up_req(std::vector<IpAddr> dns = {}) {
  RouteUpRequest r;
  r.dev = "tun0";
  r.dns.servers = std::move(dns);
  return r;
}

DnsUpdownRequest dns_up(std::vector<IpAddr> servers) {
  return DnsUpdownRequest{true, "tun0", DnsConfig{std::move(servers), {"example.test"}}};
}

class TunnelDnsTest : public ::testing::Test {
 protected:
  TunnelDnsTest() : nft_(kernel_) {
    char tmpl[] = "/tmp/vpnns-unit-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    kernel_.outer.add_link(LinkInfo{0, "tun0", "tun", IFF_TUN, 0, 1500});
    Config config;
    config.netns = "work";
    config.dns = DnsMode::kPin;
    DnsPinSpec spec;
    spec.comment = "vpnns DNS pin for openvpn instance 'work'; helper pid 1";
    TunnelKernel tk{kernel_.ops(kernel_.outer, &kernel_.inner), kernel_.ops(kernel_.inner)};
    tunnel_.emplace(config, NetnsHandle{}, std::move(tk),
                    DnsFiles("work", dir_ + "/netns", dir_ + "/nsswitch.conf", ::geteuid()),
                    DnsPin(spec, nft_.ops(), "work"));
  }
  ~TunnelDnsTest() override { std::filesystem::remove_all(dir_); }

  template <typename Req>
  Result<std::string> run(const Req& req) {
    return run_mode(*tunnel_, req, warnings_);
  }

  std::vector<IpAddr> pinned() const {
    const DnsPinState* st = nft_.dns_pin(kDnsPinTable);
    return st ? st->servers : std::vector<IpAddr>{};
  }
  bool pin_exists() const { return nft_.dns_pin(kDnsPinTable) != nullptr; }
  std::string resolv_conf() const {
    std::ifstream f(dir_ + "/netns/work/resolv.conf");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  FakeKernel kernel_;
  FakeNft nft_;
  std::string dir_;
  std::optional<NetnsTunnel> tunnel_;
  Warnings warnings_;
};

TEST_F(TunnelDnsTest, DnsUpBeforeRouteUpIsKeptAndAppliedThere) {
  ASSERT_TRUE(run(up_req()).ok());
  auto r = run(dns_up({a("192.0.2.53")}));
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_NE(r->find("DNS kept for the tunnel's ROUTE_UP"), std::string::npos) << *r;
  EXPECT_FALSE(pin_exists());
  EXPECT_EQ(resolv_conf(), "");
  // 2.7's ROUTE_UP carries no DNS: dns-up's values are used.
  ASSERT_TRUE(run(route_up_req()).ok());
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.53")});
  EXPECT_NE(resolv_conf().find("nameserver 192.0.2.53"), std::string::npos);
  EXPECT_EQ(tunnel_->snapshot().dns_pin->servers, pinned());
}

TEST_F(TunnelDnsTest, DnsUpAfterRouteUpAppliesAtOnce) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req({a("192.0.2.53")})).ok());  // 2.6: DNS in ROUTE_UP
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.53")});
  auto r = run(dns_up({a("192.0.2.54")}));
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.54")});
  EXPECT_NE(resolv_conf().find("nameserver 192.0.2.54"), std::string::npos);
  // dns-down: the next ROUTE_UP pins none (and ignores ROUTE_UP's own DNS from now on).
  ASSERT_TRUE(run(DnsUpdownRequest{false, "tun0", {}}).ok());
  ASSERT_TRUE(run(route_up_req({a("192.0.2.55")})).ok());
  EXPECT_TRUE(pin_exists());
  EXPECT_TRUE(pinned().empty());
}

TEST_F(TunnelDnsTest, DnsUpdownForAnotherDeviceIsRefusedAndChangesNothing) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req({a("192.0.2.53")})).ok());
  const int changes = kernel_.changes();
  DnsUpdownRequest other = dns_up({a("192.0.2.99")});
  other.dev = "tun1";
  EXPECT_FALSE(run(other).ok());
  EXPECT_EQ(kernel_.changes(), changes);
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.53")});
}

TEST_F(TunnelDnsTest, ThePinIsPutBackWhenTheRoutesFail) {
  ASSERT_TRUE(run(up_req()).ok());
  // The pin's commit succeeds, the first route fails: no pin was there, none stays.
  kernel_.fail_at(2);
  EXPECT_FALSE(run(route_up_req({a("192.0.2.53")})).ok());
  EXPECT_FALSE(pin_exists());
  EXPECT_TRUE(kernel_.inner.routes_of().empty());
  ASSERT_TRUE(run(route_up_req({a("192.0.2.53")})).ok());
  // Now with a pin in place (and a new route to add): the old servers come back.
  kernel_.fail_at(2);
  RouteUpRequest next = route_up_req({a("192.0.2.99")});
  next.routes = {Route{*Prefix::parse("198.51.100.0/24"), std::nullopt, std::nullopt}};
  EXPECT_FALSE(run(next).ok());
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.53")});
  EXPECT_EQ(tunnel_->snapshot().dns_pin->servers, pinned());
}

TEST_F(TunnelDnsTest, RestartReassertsThePinAndDownRemovesIt) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req({a("192.0.2.53")})).ok());
  nft_.flush();
  UpRequest restart = up_req();
  restart.context = Context::kRestart;
  auto r = run(restart);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_NE(r->find("DNS pin in place"), std::string::npos);
  EXPECT_EQ(pinned(), std::vector<IpAddr>{a("192.0.2.53")});
  ASSERT_TRUE(run(DownRequest{"tun0", Context::kInit}).ok());
  EXPECT_FALSE(pin_exists());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/netns/work/resolv.conf"));
  EXPECT_FALSE(tunnel_->snapshot().dns.has_value());
}

TEST_F(TunnelDnsTest, ThePinStaysWhileARouteCouldNotBeDeleted) {
  ASSERT_TRUE(run(up_req()).ok());
  ASSERT_TRUE(run(route_up_req({a("192.0.2.53")})).ok());
  kernel_.fail_at(1);  // deleting the default route
  Warnings w;
  tunnel_->teardown(w);
  EXPECT_FALSE(w.empty());
  EXPECT_TRUE(pin_exists());
}

}  // namespace
}  // namespace vpnns
