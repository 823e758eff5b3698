// SPDX-License-Identifier: GPL-2.0-or-later
// The kill switch mode over fake nftables (tests/unit/fake_nft.h): install and replace, follow
// the seal in one transaction with only the changed elements, learn the tunnel once, repair,
// and lift or hold at the end.
#include "helper/killswitch.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "state/state.h"
#include "tests/unit/fake_nft.h"

namespace vpnns {
namespace {

using testing::FakeKernel;
using testing::FakeNft;

Config config(KillSwitchMode mode = KillSwitchMode::kYes, bool netns = false) {
  auto c = parse_config(
      {std::string("killswitch=") + (mode == KillSwitchMode::kLockdown ? "lockdown" : "yes"),
       netns ? "netns=vpn" : "seal=yes", "killswitch-ports=udp/1194"},
      ConfigDefaults{"/h", "work"});
  EXPECT_TRUE(c.ok()) << c.error().message();
  return *c;
}

SealSpec seal() {
  SealSpec s;
  s.table = "vpnns-work";
  s.uids = {0};
  return s;
}

class KillSwitchModeTest : public ::testing::Test {
 protected:
  KillSwitch make(const Config& c = config()) {
    return KillSwitch(c, seal(), nft_.ops(), ::getpid(), 1735689600);
  }
  const KillSwitchState* table() const { return nft_.killswitch("vpnns-ks-work"); }

  FakeKernel kernel_;
  FakeNft nft_{kernel_};
  Warnings warnings_;
};

TEST_F(KillSwitchModeTest, InstallsTheWholeTable) {
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  ASSERT_NE(table(), nullptr);
  EXPECT_EQ(table()->comment,
            "vpnns kill switch for openvpn instance 'work'; killswitch=yes; allow-lan=no; since "
            "1735689600; helper pid " +
                std::to_string(::getpid()));
  EXPECT_EQ(table()->uids, (std::set<std::uint32_t>{0}));
  EXPECT_EQ(table()->reconnect_uids, (std::set<std::uint32_t>{0}));
  EXPECT_TRUE(table()->tunnels.empty());
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(ks.spec().ports, (std::vector<RemotePort>{RemotePort{false, 1194}}));
}

TEST_F(KillSwitchModeTest, ReplacesAHeldOneInOneCommit) {
  KillSwitchState held;
  held.exists = true;
  // A helper pid that cannot be running (beyond pid_max).
  held.comment =
      killswitch_comment(KillSwitchOwner{"work", "lockdown", false, 1700000000, 9999999});
  nft_.put("vpnns-ks-work", held);
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  EXPECT_EQ(nft_.commits(), 1);
  ASSERT_EQ(nft_.last_commit().size(), 1u);
  EXPECT_TRUE(std::holds_alternative<nft_change::KillSwitchInstall>(nft_.last_commit()[0]));
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("kill switch installed in place of one held since 2023-11-14"),
            std::string::npos)
      << warnings_[0];
}

TEST_F(KillSwitchModeTest, FollowsTheSealWithOnlyTheChangedElements) {
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  SealSpec s = seal();
  s.server = *IpAddr::parse("198.51.100.1");
  ASSERT_TRUE(ks.follow(s, warnings_).ok());
  EXPECT_EQ(table()->servers, (std::vector<IpAddr>{*IpAddr::parse("198.51.100.1")}));
  // IPCHANGE: old out, new in, one transaction.
  s.server = *IpAddr::parse("2001:db8::1");
  const int before = nft_.commits();
  ASSERT_TRUE(ks.follow(s, warnings_).ok());
  EXPECT_EQ(nft_.commits(), before + 1);
  EXPECT_EQ(nft_.last_commit().size(), 2u);
  EXPECT_EQ(table()->servers, (std::vector<IpAddr>{*IpAddr::parse("2001:db8::1")}));
  // Nothing changed: nothing sent.
  ASSERT_TRUE(ks.follow(s, warnings_).ok());
  EXPECT_EQ(nft_.commits(), before + 1);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(KillSwitchModeTest, RootsNewSocketsPassOnlyUntilTheDrop) {
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  SealSpec s = seal();
  s.uids = {0, 65534};  // the seal learned openvpn's user
  ASSERT_TRUE(ks.follow(s, warnings_).ok());
  EXPECT_EQ(table()->uids, (std::set<std::uint32_t>{0, 65534}));
  EXPECT_EQ(table()->reconnect_uids, (std::set<std::uint32_t>{0}));  // not dropped yet
  ks.privileges_dropped();
  ASSERT_TRUE(ks.follow(s, warnings_).ok());
  EXPECT_EQ(table()->uids, (std::set<std::uint32_t>{0, 65534}));
  EXPECT_EQ(table()->reconnect_uids, (std::set<std::uint32_t>{65534}));
  EXPECT_EQ(reconnect_uids({0}, true), (std::set<std::uint32_t>{0}));  // never dropped to a user
}

TEST_F(KillSwitchModeTest, LearnsTheTunnelOnce) {
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  auto r = ks.learn_tunnel("tun0", warnings_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "kill switch lets the tunnel device tun0 through");
  EXPECT_EQ(table()->tunnels, (std::vector<std::string>{"tun0"}));
  // Again (a restart): nothing to do.
  const int before = nft_.commits();
  ASSERT_TRUE(ks.learn_tunnel("tun0", warnings_).ok());
  EXPECT_EQ(nft_.commits(), before);
  // Another name: refused quietly, with a warning; the table keeps tun0.
  ASSERT_TRUE(ks.learn_tunnel("eth0", warnings_).ok());
  EXPECT_EQ(table()->tunnels, (std::vector<std::string>{"tun0"}));
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("only tun0 is let through"), std::string::npos);
  EXPECT_FALSE(ks.learn_tunnel("bad/name", warnings_).ok());
}

TEST_F(KillSwitchModeTest, NetnsModeLetsNoDeviceThrough) {
  KillSwitch ks = make(config(KillSwitchMode::kYes, true));
  ASSERT_TRUE(ks.install(warnings_).ok());
  auto r = ks.learn_tunnel("tun0", warnings_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_TRUE(table()->tunnels.empty());
}

TEST_F(KillSwitchModeTest, RepairsAfterFlushOrDamage) {
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  ASSERT_TRUE(ks.learn_tunnel("tun0", warnings_).ok());
  nft_.flush();
  ASSERT_TRUE(ks.ensure(warnings_).ok());
  ASSERT_NE(table(), nullptr);
  EXPECT_EQ(table()->tunnels, (std::vector<std::string>{"tun0"}));
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("removed underneath"), std::string::npos);
  nft_.damage("vpnns-ks-work");
  ASSERT_TRUE(ks.ensure(warnings_).ok());
  EXPECT_TRUE(killswitch_matches(*table(), ks.spec()));
  EXPECT_NE(warnings_.back().find("changed underneath"), std::string::npos);
}

TEST_F(KillSwitchModeTest, CleanExitLiftsYes) {
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  EXPECT_EQ(ks.finish(true, warnings_), "kill switch lifted");
  EXPECT_EQ(table(), nullptr);
}

TEST_F(KillSwitchModeTest, AnythingElseHolds) {
  KillSwitch ks = make();
  ASSERT_TRUE(ks.install(warnings_).ok());
  EXPECT_NE(ks.finish(false, warnings_).find("kill switch held: openvpn did not exit cleanly"),
            std::string::npos);
  EXPECT_NE(table(), nullptr);
  KillSwitch lockdown = make(config(KillSwitchMode::kLockdown));
  ASSERT_TRUE(lockdown.install(warnings_).ok());
  const std::string said = lockdown.finish(true, warnings_);
  EXPECT_NE(said.find("kill switch held: killswitch=lockdown"), std::string::npos);
  EXPECT_NE(said.find("'vpnnsctl reset work' lifts it"), std::string::npos);
  EXPECT_NE(table(), nullptr);
}

TEST_F(KillSwitchModeTest, AFailedInstallChangesNothing) {
  kernel_.fail_at(1);
  KillSwitch ks = make();
  EXPECT_FALSE(ks.install(warnings_).ok());
  EXPECT_EQ(table(), nullptr);
}

}  // namespace
}  // namespace vpnns

namespace vpnns {
namespace {

// The state file's "killswitch" member: written, read back; absent in older files.
TEST(KillSwitchState, StateFileRoundTrip) {
  InstanceState s;
  s.instance = "work";
  s.helper_pid = 1234;
  s.openvpn_pid = 1200;
  s.started_at = 1735689600;
  s.killswitch = StateKillSwitch{"vpnns-ks-work", "lockdown", true, 1735689600, "tun0"};
  const Json j = state_to_json(s);
  EXPECT_EQ(j.at("killswitch").at("table"), "vpnns-ks-work");
  EXPECT_EQ(j.at("killswitch").at("mode"), "lockdown");
  auto back = state_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->killswitch, s.killswitch);
  s.killswitch.reset();
  auto none = state_from_json(state_to_json(s));
  ASSERT_TRUE(none.ok()) << none.error().message();
  EXPECT_FALSE(none->killswitch.has_value());
}

}  // namespace
}  // namespace vpnns
