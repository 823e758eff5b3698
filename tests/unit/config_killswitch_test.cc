// SPDX-License-Identifier: GPL-2.0-or-later
// killswitch=, allow-lan= and killswitch-ports= (common/config.h): values, defaults, what they
// need, canonical form; every refusal names the argument.
#include <gtest/gtest.h>

#include "common/config.h"

namespace vpnns {
namespace {

Result<Config> parse(const std::vector<std::string>& words, ConfigDefaults d = {"/h", "work"}) {
  return parse_config(words, d);
}

void expect_refused(const std::vector<std::string>& words, const std::string& text) {
  auto c = parse(words);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find(text), std::string::npos) << c.error().message();
}

TEST(ConfigKillSwitch, DefaultIsOff) {
  auto c = parse({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->killswitch, KillSwitchMode::kNo);
  EXPECT_FALSE(c->allow_lan);
  EXPECT_TRUE(c->killswitch_ports.empty());
  EXPECT_EQ(c->killswitch_table(), "vpnns-ks-work");
}

TEST(ConfigKillSwitch, Values) {
  auto yes = parse({"killswitch=yes", "allow-lan=yes"});
  ASSERT_TRUE(yes.ok()) << yes.error().message();
  EXPECT_EQ(yes->killswitch, KillSwitchMode::kYes);
  EXPECT_TRUE(yes->allow_lan);
  EXPECT_TRUE(yes->seal);
  auto lockdown = parse({"killswitch=lockdown"});
  ASSERT_TRUE(lockdown.ok());
  EXPECT_EQ(lockdown->killswitch, KillSwitchMode::kLockdown);
  EXPECT_TRUE(parse({"killswitch=no"}).ok());
}

TEST(ConfigKillSwitch, Refusals) {
  expect_refused({"killswitch=maybe"},
                 "argument 'killswitch=maybe': accepted values are 'no', 'yes' and 'lockdown'");
  expect_refused({"killswitch=yes", "allow-lan=sometimes"},
                 "argument 'allow-lan=sometimes': accepted values are 'yes' and 'no'");
  expect_refused({"allow-lan=yes"}, "argument 'allow-lan=yes': needs killswitch=yes or");
  expect_refused({"allow-lan=no", "killswitch=no"}, "argument 'allow-lan=no': needs killswitch");
  expect_refused({"killswitch-ports=udp/1194"}, "argument 'killswitch-ports=udp/1194': needs");
  expect_refused({"killswitch=yes", "seal=no"}, "argument 'killswitch=yes': needs the seal");
  expect_refused({"killswitch=yes", "role=server", "client-set=inet/f/s"},
                 "argument 'killswitch=yes': the kill switch guards a client's traffic");
  for (const char* bad :
       {"killswitch-ports=udp", "killswitch-ports=icmp/1", "killswitch-ports=udp/0",
        "killswitch-ports=udp/65536", "killswitch-ports=tcp/01", "killswitch-ports=udp/1,", ""}) {
    if (std::string(bad).empty()) continue;
    expect_refused({"killswitch=yes", bad}, std::string("argument '") + bad + "'");
  }
}

TEST(ConfigKillSwitch, NetnsModeBringsTheSeal) {
  auto c = parse({"netns=vpn", "killswitch=yes"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->seal);
  auto plain = parse({"netns=vpn"});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->seal);
  expect_refused({"netns=vpn", "killswitch=yes", "seal=no"}, "needs the seal");
}

TEST(ConfigKillSwitch, PortsDefaultToOpenvpnsRemotes) {
  ConfigDefaults d{"/h", "work"};
  d.remote_ports = {RemotePort{false, 1194}, RemotePort{true, 443}};
  auto c = parse({"killswitch=yes"}, d);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->killswitch_ports, d.remote_ports);
  auto given = parse({"killswitch=yes", "killswitch-ports=tcp/8443,tcp/8443,udp/53"}, d);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->killswitch_ports,
            (std::vector<RemotePort>{RemotePort{true, 8443}, RemotePort{false, 53}}));
  // Without a kill switch the remotes are not kept.
  auto off = parse({}, d);
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off->killswitch_ports.empty());
}

TEST(ConfigKillSwitch, CanonicalArgsRoundTrip) {
  ConfigDefaults d{"/h", "work"};
  d.remote_ports = {RemotePort{false, 1194}};
  for (const auto& words : std::vector<std::vector<std::string>>{
           {"killswitch=yes"},
           {"killswitch=lockdown", "allow-lan=yes"},
           {"killswitch=yes", "killswitch-ports=tcp/443,udp/1194"},
           {"netns=n", "killswitch=yes", "seal-mark=5"},
           {}}) {
    auto c = parse(words, d);
    ASSERT_TRUE(c.ok()) << c.error().message();
    // The helper parses with empty defaults: everything must be in the words.
    auto again = parse_config(c->to_args(), ConfigDefaults{});
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(again->killswitch, c->killswitch);
    EXPECT_EQ(again->allow_lan, c->allow_lan);
    EXPECT_EQ(again->killswitch_ports, c->killswitch_ports);
    EXPECT_EQ(again->seal, c->seal);
  }
}

}  // namespace
}  // namespace vpnns
