// SPDX-License-Identifier: GPL-2.0-or-later
// Seal mode against the real kernel: a real helper in a throw-away namespace that plays
// openvpn's, the nftables table read back with `nft`. (Packets, the privilege drop and reconnects
// with real openvpn are in tests/e2e/seal_test.sh.)
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

class SealTest : public HelperTest {
 protected:
  std::string table() const { return "vpnns-" + instance_; }
  std::string ruleset() const { return sh("nft list table inet " + table(), true); }
  bool table_exists() const {
    return sh("nft list tables").find("table inet " + table()) != std::string::npos;
  }
  // Waits up to `ms` for `pred`.
  template <typename Pred>
  bool eventually(Pred pred, int ms = 2000) {
    for (int i = 0; i < ms / 20; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }
};

TEST_F(SealTest, IpchangeInstallsTheSeal) {
  start({}, false);
  EXPECT_FALSE(table_exists());
  Reply r = expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  EXPECT_NE(r.message.find("sealed 198.51.100.1"), std::string::npos) << r.message;
  const std::string t = ruleset();
  EXPECT_NE(t.find("comment \"vpnns seal for openvpn instance '" + instance_ + "'; helper pid " +
                   std::to_string(helper_->pid()) + " start "),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("set server4 {\n\t\ttype ipv4_addr\n\t\telements = { 198.51.100.1 }"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("set uids {\n\t\ttype uid\n\t\telements = { 0 }"), std::string::npos) << t;
  EXPECT_NE(t.find("type filter hook output priority filter; policy accept;"), std::string::npos);
  EXPECT_NE(t.find("ip daddr @server4 meta skuid @uids accept"), std::string::npos) << t;
  EXPECT_NE(t.find("ip daddr @server4 counter name \"dropped\" drop"), std::string::npos) << t;
  EXPECT_NE(t.find("ip6 daddr @server6 meta skuid @uids accept"), std::string::npos) << t;
  EXPECT_NE(t.find("ip6 daddr @server6 counter name \"dropped\" drop"), std::string::npos) << t;
}

TEST_F(SealTest, IpchangeMovesTheSealInOneStep) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  Reply r = expect_ok(IpChangeRequest{ip("2001:db8:1::1"), 1194});
  EXPECT_NE(r.message.find("seal moved from 198.51.100.1 to 2001:db8:1::1"), std::string::npos)
      << r.message;
  const std::string t = ruleset();
  EXPECT_EQ(t.find("198.51.100.1"), std::string::npos) << t;
  EXPECT_NE(t.find("elements = { 2001:db8:1::1 }"), std::string::npos) << t;
  r = expect_ok(IpChangeRequest{ip("2001:db8:1::1"), 1194});
  EXPECT_NE(r.message.find("in place"), std::string::npos);
}

TEST_F(SealTest, UpInstallsFromTrustedIpWhenNoIpchangeCame) {
  start({}, false);
  UpRequest up = subnet_up();
  up.remote = ip("203.0.113.7");
  Reply r = expect_ok(up);
  EXPECT_NE(ruleset().find("elements = { 203.0.113.7 }"), std::string::npos);
  // IPCHANGE is the authority once it spoke.
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  up.remote = ip("203.0.113.7");
  expect_ok(up);
  EXPECT_NE(ruleset().find("elements = { 198.51.100.1 }"), std::string::npos);
}

TEST_F(SealTest, UpFailsClosedWithoutAnAddress) {
  start({}, false);
  const std::string before = snapshot();
  expect_refused(subnet_up(), "no VPN server address to seal");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(SealTest, RefusesAnAddressThatIsNotUnicast) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  const std::string before = snapshot();
  for (const char* bad :
       {"0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255", "::", "ff02::1"}) {
    expect_refused(IpChangeRequest{ip(bad), 1194}, "is not a unicast address");
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(SealTest, SealUserAndSealMark) {
  start({"seal-user=nobody"}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  EXPECT_NE(ruleset().find("elements = { 0, 65534 }"), std::string::npos) << ruleset();
  helper_->close();
  helper_.reset();
  EXPECT_FALSE(table_exists());
  start({"seal-mark=4660"}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  const std::string t = ruleset();
  EXPECT_NE(t.find("ip daddr @server4 meta mark 0x00001234 accept"), std::string::npos) << t;
  EXPECT_EQ(t.find("set uids"), std::string::npos) << t;
}

// UP reads the device's link kind in openvpn's namespace through the socket the helper opened
// before it confined itself (helper/link_kind.h decides; the DCO kinds, which this kernel has no
// driver for, are unit-tested). A veth stands in for a device that is not a tun: only DCO
// concerns the seal. A device the helper cannot see fails closed.
TEST_F(SealTest, UpChecksTheDeviceKindAndFailsClosedOnAMissingDevice) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.dev = "tunp9";
  Reply r = expect_refused(up, "device tunp9 does not exist in openvpn's network namespace");
  EXPECT_EQ(r.code, Code::kNotFound);
  EXPECT_EQ(snapshot(), before);
  sh("ip link add vethp0 type veth peer name vethp1");
  up.dev = "vethp0";
  expect_ok(up);
  expect_ok(subnet_up());  // openvpn's tun
  EXPECT_NE(ruleset().find("elements = { 198.51.100.1 }"), std::string::npos);
}

TEST_F(SealTest, RepairsAFlushedRulesetAtOnceAndSaysSo) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  sh("nft flush ruleset");
  EXPECT_TRUE(eventually([&] { return table_exists(); })) << "not repaired";
  EXPECT_NE(ruleset().find("elements = { 198.51.100.1 }"), std::string::npos);
  // The repair is reported with the next reply, so it reaches openvpn's log.
  Reply r = expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("removed underneath (nft flush ruleset?"), std::string::npos)
      << r.warnings[0];
}

TEST_F(SealTest, RepairsEmptiedChainsAndSets) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  sh("nft flush chain inet " + table() + " output");
  EXPECT_TRUE(eventually(
      [&] { return ruleset().find("counter name \"dropped\" drop") != std::string::npos; }));
  sh("nft delete element inet " + table() + " server4 { 198.51.100.1 }");
  EXPECT_TRUE(eventually([&] { return ruleset().find("198.51.100.1") != std::string::npos; }));
  sh("nft add element inet " + table() + " uids { 4242 }");
  EXPECT_TRUE(eventually([&] { return ruleset().find("4242") == std::string::npos; }));
}

TEST_F(SealTest, DownRemovesTheTableAndRestartKeepsIt) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  expect_ok(DownRequest{tun_name_, Context::kRestart});
  EXPECT_TRUE(table_exists());
  Reply r = expect_ok(DownRequest{tun_name_, Context::kInit});
  EXPECT_NE(r.message.find("seal removed"), std::string::npos);
  EXPECT_FALSE(table_exists());
  // A flush now is none of the seal's business.
  sh("nft flush ruleset");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(table_exists());
}

TEST_F(SealTest, CloseAndEofRemoveTheTable) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  helper_->close();
  EXPECT_FALSE(table_exists());
  helper_.reset();
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  ::shutdown(helper_->socket_fd(), SHUT_RDWR);
  EXPECT_TRUE(eventually([&] { return !table_exists(); }));
}

TEST_F(SealTest, ReplacesAStaleTableAndNeverTouchesOthers) {
  sh("nft add table inet " + table() + " '{ comment \"vpnns seal; helper pid 999999\"; }'");
  sh("nft add set inet " + table() + " junk '{ type ipv4_addr; }'");
  sh("nft add table inet someone-else");
  start({}, false);
  Reply r = expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("replaced a stale nftables table"), std::string::npos);
  EXPECT_EQ(ruleset().find("junk"), std::string::npos);
  helper_->close();
  EXPECT_NE(sh("nft list tables").find("table inet someone-else"), std::string::npos);
  sh("nft delete table inet someone-else");
}

TEST_F(SealTest, RefusesToStartNextToARunningNamesake) {
  start({}, false);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  auto config = parse_config({std::string("helper=") + VPNNS_TEST_HELPER, "instance=" + instance_},
                             ConfigDefaults{});
  ASSERT_TRUE(config.ok());
  auto second = HelperProcess::start(*config);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("belongs to a running vpnns helper (pid " +
                                          std::to_string(helper_->pid()) + ")"),
            std::string::npos)
      << second.error().message();
  EXPECT_NE(ruleset().find("198.51.100.1"), std::string::npos);  // untouched
}

TEST_F(SealTest, NetnsModeWithSeal) {
  start({"seal=yes"}, true);
  expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  UpRequest up = subnet_up();
  Reply r = expect_ok(up);
  EXPECT_NE(r.message.find("moved into network namespace"), std::string::npos);
  EXPECT_NE(r.message.find("seal on 198.51.100.1 in place"), std::string::npos) << r.message;
  // The seal lives in openvpn's namespace, not in the tunnel's.
  EXPECT_TRUE(table_exists());
  EXPECT_EQ(sh("ip netns exec " + target_ + " nft list tables"), "");
}

}  // namespace
}  // namespace vpnns::testing
