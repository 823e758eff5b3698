// SPDX-License-Identifier: GPL-2.0-or-later
// Plugin argument parsing: what is accepted, what is refused, and that every refusal names the
// argument as written and what would be accepted.
#include "common/config.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace vpnns {
namespace {

constexpr const char* kDefaultHelper = "/usr/libexec/vpnns/vpnns-helper";

Result<Config> parse(std::vector<std::string> words) {
  return parse_config(words, ConfigDefaults{kDefaultHelper, "work"});
}

TEST(Config, NetnsAloneTurnsOnDnsAndNotTheSeal) {
  auto c = parse({"netns=work"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->netns, "work");
  EXPECT_EQ(c->dns, DnsMode::kYes);
  EXPECT_EQ(c->helper, kDefaultHelper);
  EXPECT_TRUE(c->netns_mode());
  EXPECT_FALSE(c->seal);  // a namespaced tunnel is sealed by construction
}

TEST(Config, NoArgumentsMeansSealMode) {
  auto c = parse({});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->seal);
  EXPECT_FALSE(c->netns_mode());
  EXPECT_EQ(c->dns, DnsMode::kNo);
  EXPECT_EQ(c->instance, "work");
  EXPECT_EQ(c->seal_table(), "vpnns-work");
}

TEST(Config, SealOptions) {
  auto c = parse({"seal=yes", "netns=ns1", "seal-user=nobody", "instance=home-1"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->seal);
  EXPECT_EQ(c->seal_user, "nobody");
  EXPECT_EQ(c->seal_table(), "vpnns-home-1");
  c = parse({"seal-mark=4294967295"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->seal_mark, 4294967295u);
}

TEST(Config, ServerSets) {
  auto c = parse({"client-set=inet/filter/vpn_clients,ip6/fw/clients6",
                  "client-classes=/etc/openvpn/classes", "client-max-entries=4"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->server_mode());
  EXPECT_FALSE(c->seal);  // a server has no single VPN server to seal
  ASSERT_EQ(c->client_sets.size(), 2u);
  EXPECT_EQ(c->client_sets[0], (SetRef{"inet", "filter", "vpn_clients"}));
  EXPECT_EQ(c->client_sets[1].str(), "ip6/fw/clients6");
  EXPECT_EQ(c->client_classes, "/etc/openvpn/classes");
  EXPECT_EQ(c->client_max_entries, 4u);
  auto again = parse_config(c->to_args(), ConfigDefaults{});
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(*again, *c);
}

TEST(Config, RoleFollowsOpenvpnsConfiguration) {
  // openvpn without `remote` is a server: a namespace for it is a gateway's, without DNS files,
  // and there is no single VPN server to seal.
  auto server = parse_config({"netns=gw"}, ConfigDefaults{kDefaultHelper, "s", Role::kServer});
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_EQ(server->role, Role::kServer);
  EXPECT_EQ(server->dns, DnsMode::kNo);
  EXPECT_FALSE(server->seal);
  auto client = parse({"netns=work"});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->role, Role::kClient);
  EXPECT_EQ(client->dns, DnsMode::kYes);
  // Client sets make a server whatever openvpn's configuration looks like; role= overrides.
  EXPECT_EQ(parse({"client-set=inet/f/s"})->role, Role::kServer);
  EXPECT_EQ(parse({"netns=gw", "role=server"})->dns, DnsMode::kNo);
  EXPECT_EQ(
      parse_config({"netns=w", "role=client"}, ConfigDefaults{"/h", "w", Role::kServer})->role,
      Role::kClient);
}

TEST(Config, InstanceFromConfigPath) {
  EXPECT_EQ(instance_from_config_path("/etc/openvpn/client/work.conf"), "work");
  EXPECT_EQ(instance_from_config_path("work.conf"), "work");
  EXPECT_EQ(instance_from_config_path("home.ovpn"), "home");
  EXPECT_EQ(instance_from_config_path("/x/a b;c.conf"), "a_b_c");
  EXPECT_EQ(instance_from_config_path("/x/.conf"), ".conf");
  EXPECT_EQ(instance_from_config_path(""), "openvpn");
  EXPECT_EQ(instance_from_config_path("/etc/openvpn/"), "openvpn");
  EXPECT_EQ(instance_from_config_path(std::string(50, 'x') + ".conf").size(), 32u);
}

TEST(Config, ExplicitValues) {
  auto c = parse({"dns=no", "netns=a.b_c-9", "helper=/opt/x/helper"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->netns, "a.b_c-9");
  EXPECT_EQ(c->dns, DnsMode::kNo);
  EXPECT_EQ(c->helper, "/opt/x/helper");
}

TEST(Config, DnsPin) {
  auto c = parse({"netns=work", "dns=pin"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->dns, DnsMode::kPin);
  EXPECT_FALSE(c->seal);
  const auto args = c->to_args();
  EXPECT_NE(std::find(args.begin(), args.end(), "dns=pin"), args.end());
  // A server's gateway namespace may pin its own lookups too.
  auto server = parse({"netns=gw", "role=server", "dns=pin"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_EQ(server->dns, DnsMode::kPin);
}

TEST(Config, CanonicalArgsRoundTrip) {
  for (const auto& words :
       std::vector<std::vector<std::string>>{{"netns=work"},
                                             {"netns=x", "dns=no"},
                                             {"netns=x", "dns=pin"},
                                             {"helper=/h", "netns=n"},
                                             {},
                                             {"seal-mark=7", "instance=i"},
                                             {"netns=n", "seal=yes", "seal-user=1000"}}) {
    auto c = parse(words);
    ASSERT_TRUE(c.ok());
    auto again = parse_config(c->to_args(), ConfigDefaults{"/other/default", "other"});
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *c);
  }
}

TEST(Config, NetnsNameBounds) {
  EXPECT_TRUE(parse({"netns=" + std::string(64, 'a')}).ok());
  EXPECT_FALSE(parse({"netns=" + std::string(65, 'a')}).ok());
  EXPECT_TRUE(parse({"netns=..."}).ok());
}

struct Bad {
  std::vector<std::string> words;
  std::vector<std::string> expected;  // substrings of the message
};

class ConfigRefusal : public testing::TestWithParam<Bad> {};

TEST_P(ConfigRefusal, NamesTheArgument) {
  auto c = parse(GetParam().words);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), Code::kInvalidArgument);
  for (const auto& s : GetParam().expected) {
    EXPECT_NE(c.error().message().find(s), std::string::npos)
        << "'" << s << "' not in: " << c.error().message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigRefusal,
    testing::Values(
        Bad{{"seal=no"}, {"nothing to do", "netns=NAME"}},
        Bad{{"client-set=inet/filter"}, {"'client-set=inet/filter'", "not FAMILY/TABLE/SET"}},
        Bad{{"client-set=bridge/f/s"}, {"FAMILY must be ip, ip6 or inet"}},
        Bad{{"client-set=inet/f/s,inet/f/s"}, {"given twice"}},
        Bad{{"client-set=inet/f w/s"}, {"TABLE and SET must be"}},
        Bad{{"client-set=inet/f/s/x"}, {"not FAMILY/TABLE/SET"}},
        Bad{{"client-classes=classes.txt"}, {"'client-classes=classes.txt'", "absolute"}},
        Bad{{"client-set=inet/f/s", "seal=yes"}, {"'seal=yes'", "this is a server"}},
        Bad{{"client-set=inet/f/s", "role=client"}, {"'role=client'", "for an OpenVPN server"}},
        Bad{{"role=router"}, {"'role=router'", "'client' and 'server'"}},
        Bad{{"role=server"}, {"nothing to do"}},
        Bad{{"netns=w", "client-max-entries=4"}, {"needs client-set or client-classes"}},
        Bad{{"client-set=inet/f/s", "client-max-entries=0"}, {"1 to 1024"}},
        Bad{{"seal=maybe"}, {"'seal=maybe'", "'yes' and 'no'"}},
        Bad{{"seal-mark=0"}, {"'seal-mark=0'", "decimal number from 1 to 4294967295"}},
        Bad{{"seal-mark=0x10"}, {"'seal-mark=0x10'", "decimal"}},
        Bad{{"seal-mark=4294967296"}, {"'seal-mark=4294967296'"}},
        Bad{{"seal-mark=-1"}, {"'seal-mark=-1'"}},
        Bad{{"netns=w", "seal-mark=5"}, {"'seal-mark=5'", "needs seal=yes"}},
        Bad{{"seal=no", "netns=w", "seal-user=nobody"}, {"'seal-user=nobody'", "needs seal=yes"}},
        Bad{{"seal-mark=5", "seal-user=nobody"}, {"exclude each other"}},
        Bad{{"seal-user=a b"}, {"'seal-user=a b'", "user name or a numeric uid"}},
        Bad{{"instance="}, {"'instance='", "1-32 characters"}},
        Bad{{"instance=a/b"}, {"'instance=a/b'"}},
        Bad{{"instance=" + std::string(33, 'x')}, {"1-32 characters"}},
        Bad{{"netns="}, {"'netns='", "1-64 characters"}},
        Bad{{"netns=."}, {"'netns=.'", "not '.' or '..'"}}, Bad{{"netns=.."}, {"'netns=..'"}},
        Bad{{"netns=a/b"}, {"'netns=a/b'"}}, Bad{{"netns=a b"}, {"'netns=a b'"}},
        Bad{{"netns=work", "netns=other"},
            {"'netns=other'", "duplicate key 'netns'", "'netns=work'"}},
        Bad{{"netns=w", "dns=maybe"}, {"'dns=maybe'", "'yes', 'no' and 'pin'"}},
        Bad{{"netns=w", "dns=YES"}, {"'dns=YES'"}},
        Bad{{"netns=w", "dns=PIN"}, {"'dns=PIN'", "'yes', 'no' and 'pin'"}},
        Bad{{"netns=w", "dns=pin,yes"}, {"'dns=pin,yes'"}},
        Bad{{"dns=yes"}, {"'dns=yes'", "add netns=NAME"}},
        Bad{{"dns=pin"}, {"'dns=pin'", "netns mode only", "add netns=NAME"}},
        Bad{{"dns=pin", "seal=yes"}, {"'dns=pin'", "add netns=NAME"}},
        Bad{{"netns=w", "dns=pin", "dns=no"}, {"'dns=no'", "duplicate key 'dns'", "'dns=pin'"}},
        Bad{{"netns=w", "helper=relative/path"}, {"'helper=relative/path'", "absolute"}},
        Bad{{"netns=w", "helper="}, {"'helper='", "absolute"}},
        Bad{{"netns=w", "helper=/a\tb"}, {"control character"}},
        Bad{{"netns=w", "bogus=1"},
            {"'bogus=1'", "unknown key 'bogus'",
             "accepted keys: allow-lan, client-classes, client-iroutes, client-max, "
             "client-max-entries, client-pool, client-set, client-set-shared, dns, helper, "
             "instance, killswitch, killswitch-ports, netns, role, seal, seal-mark, seal-user"}},
        Bad{{"netns"}, {"'netns'", "expected key=value"}},
        Bad{{"=x"}, {"'=x'", "expected key=value"}},
        // All problems at once, so one failed start tells everything.
        Bad{{"netns=a/b", "dns=maybe", "x=1"}, {"'netns=a/b'", "'dns=maybe'", "'x=1'"}}));

}  // namespace
}  // namespace vpnns
