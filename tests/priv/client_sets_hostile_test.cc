// SPDX-License-Identifier: GPL-2.0-or-later
// A compromised openvpn server against a real helper keeping real nftables sets (the hostile
// suite's way, hostile_test.cc: crafted requests over the helper's own channel).
//
// The helper learns its bounds while openvpn is still trustworthy: the plugin line
// (client-iroutes=, client-max=) and the first UP (the server's own subnets; openvpn runs it as
// root, before any client). After that each request below — a second UP that would widen the
// pool, an address outside the pool, an iroute outside the allowed prefixes, one client too
// many, an address another instance or the administrator holds — must be refused with a
// reason, leave the ruleset and the namespaces exactly as they were, and leave the helper
// answering the next valid request.
#include <unistd.h>

#include <fstream>

#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

constexpr const char* kRuleset = R"(
table inet fw {
  set clients  { type ipv4_addr; flags interval; }
  set clients6 { type ipv6_addr; }
}
)";

class ClientSetsHostileTest : public HelperTest {
 protected:
  void SetUp() override {
    HelperTest::SetUp();
    file_ = "/tmp/vpnns-priv-hostile-sets-" + std::to_string(::getpid());
    std::ofstream(file_) << kRuleset;
    sh("nft -f " + file_ + " && rm -f " + file_);
    sh("nft add element inet fw clients '{ 192.0.2.99 }'");  // the administrator's
    sh("nft add element inet fw clients '{ 192.0.2.98 comment \"vpnns:other\" }'");
    start({"client-set=inet/fw/clients,inet/fw/clients6", "client-iroutes=203.0.113.0/25",
           "client-max=2"},
          false);
    // The trusted first UP: pools 192.0.2.0/24 and 2001:db8:100::/64.
    Reply up = expect_ok(subnet_up());
    EXPECT_NE(up.message.find("client pools 192.0.2.0/24,2001:db8:100::/64"), std::string::npos)
        << up.message;
    expect_ok(ClientConnectRequest{1, "alice"});
    expect_ok(ClientConnectRequest{2, "bob"});
    expect_ok(learn("192.0.2.2/32", 1));
  }

  LearnAddressRequest learn(const char* p, std::uint64_t client) const {
    return LearnAddressRequest{LearnOp::kAdd, prefix(p), client, ""};
  }

  // Refused with `reason`, nothing changed, and the helper still answers. (What could change is
  // this namespace's ruleset: a server helper without netns= touches nothing else. The fixture's
  // snapshot() also lists every namespace on the machine, which other tests running at the same
  // time change.)
  void hostile(const Request& req, const std::string& reason) {
    SCOPED_TRACE(std::string(request_name(req)) + ": " + reason);
    const std::string before = sh("nft list ruleset");
    expect_refused(req, reason);
    EXPECT_EQ(sh("nft list ruleset"), before);
    expect_ok(LearnAddressRequest{LearnOp::kUpdate, prefix("192.0.2.2/32"), 1, "alice"});
  }

  std::string file_;
};

TEST_F(ClientSetsHostileTest, AddressesOutsideThePoolAreRefused) {
  hostile(learn("198.51.100.7/32", 1), "outside this server's client pools (192.0.2.0/24,");
  hostile(learn("2001:db8:200::7/128", 1), "outside this server's client pools");
  hostile(learn("10.0.0.1/32", 2), "and the allowed iroutes (client-iroutes=203.0.113.0/25)");
}

TEST_F(ClientSetsHostileTest, ALaterUpWidensNothing) {
  UpRequest wide = subnet_up();
  wide.v4 = Ipv4Config{ip("10.0.0.1"), 8, std::nullopt};
  wide.v6 = Ipv6Config{ip("2001:db8::1"), 32};
  Reply r = expect_ok(wide);  // a restart's UP is openvpn's business; the pools stay
  EXPECT_NE(r.message.find("client pools stay 192.0.2.0/24,2001:db8:100::/64"), std::string::npos)
      << r.message;
  hostile(learn("10.1.2.3/32", 1), "outside this server's client pools");
  hostile(learn("2001:db8:5::1/128", 1), "outside this server's client pools");
}

TEST_F(ClientSetsHostileTest, IroutesOutsideTheAllowedPrefixesAreRefused) {
  hostile(learn("203.0.113.128/25", 1), "an iroute subnet outside the prefixes client-iroutes=");
  hostile(learn("203.0.0.0/16", 1), "client-iroutes= allows (203.0.113.0/25)");
  hostile(learn("192.0.2.0/24", 1), "an iroute subnet outside");  // the pool is no iroute
  expect_ok(learn("203.0.113.0/26", 1));
}

TEST_F(ClientSetsHostileTest, MoreClientsThanTheLimitAreRefused) {
  hostile(ClientConnectRequest{3, "carol"},
          "2 clients are connected, the most this instance "
          "takes (client-max=2)");
  expect_ok(ClientDisconnectRequest{2, "bob"});
  expect_ok(ClientConnectRequest{3, "carol"});
}

TEST_F(ClientSetsHostileTest, OthersMembersAreNotTakenOver) {
  hostile(learn("192.0.2.99/32", 1), "holds 192.0.2.99/32, a member added by hand");
  hostile(learn("192.0.2.98/32", 2), "instance 'other''s");
  // And the instance's own shutdown leaves them.
  expect_ok(CloseRequest{});
  EXPECT_NE(sh("nft list set inet fw clients").find("192.0.2.98 comment \"vpnns:other\""),
            std::string::npos);
}

// A second helper of the same instance would remove this one's members at its start: refused.
TEST_F(ClientSetsHostileTest, ASecondHelperOfTheSameInstanceIsRefused) {
  const std::string before = sh("nft list ruleset");
  auto config = parse_config(
      {std::string("helper=") + VPNNS_TEST_HELPER, "client-set=inet/fw/clients,inet/fw/clients6"},
      ConfigDefaults{VPNNS_TEST_HELPER, instance_});
  ASSERT_TRUE(config.ok());
  auto twin = HelperProcess::start(*config);
  ASSERT_FALSE(twin.ok());
  EXPECT_NE(twin.error().text().find("another vpnns helper (pid " + std::to_string(helper_->pid())),
            std::string::npos)
      << twin.error().text();
  EXPECT_EQ(sh("nft list ruleset"), before);
  expect_ok(LearnAddressRequest{LearnOp::kUpdate, prefix("192.0.2.2/32"), 1, "alice"});
}

// client-set-shared=yes: instances serving the same addresses. A member another instance holds
// is accepted for the client but stays that instance's: not tagged, not removed by this one.
class ClientSetsSharedTest : public HelperTest {};

TEST_F(ClientSetsSharedTest, AnotherInstancesMemberIsBorrowedAndLeft) {
  const std::string file = "/tmp/vpnns-priv-shared-sets-" + std::to_string(::getpid());
  std::ofstream(file) << kRuleset;
  sh("nft -f " + file + " && rm -f " + file);
  sh("nft add element inet fw clients '{ 192.0.2.98 comment \"vpnns:other\" }'");
  start({"client-set=inet/fw/clients,inet/fw/clients6", "client-pool=192.0.2.0/24",
         "client-set-shared=yes"},
        false);
  expect_ok(ClientConnectRequest{1, "alice"});
  expect_ok(LearnAddressRequest{LearnOp::kAdd, prefix("192.0.2.98/32"), 1, ""});
  expect_ok(LearnAddressRequest{LearnOp::kAdd, prefix("192.0.2.2/32"), 1, ""});
  const std::string set = sh("nft list set inet fw clients");
  EXPECT_NE(set.find("192.0.2.98 comment \"vpnns:other\""), std::string::npos) << set;
  EXPECT_NE(set.find("192.0.2.2 comment \"vpnns:" + instance_ + "\""), std::string::npos) << set;
  expect_ok(ClientDisconnectRequest{1, "alice"});
  const std::string after = sh("nft list set inet fw clients");
  EXPECT_NE(after.find("192.0.2.98 comment \"vpnns:other\""), std::string::npos) << after;
  EXPECT_EQ(after.find("192.0.2.2"), std::string::npos) << after;
}

}  // namespace
}  // namespace vpnns::testing
