// SPDX-License-Identifier: GPL-2.0-or-later
// Server-side client sets against the real kernel: a real helper keeps the members of real
// nftables sets (declared by the "administrator" — this test — beforehand) exact through
// CLIENT_CONNECT, LEARN_ADDRESS and CLIENT_DISCONNECT. (Real openvpn servers and clients:
// tests/e2e/server_sets_test.sh.)
#include <sys/socket.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

constexpr const char* kRuleset = R"(
table inet fw {
  set clients  { type ipv4_addr; flags interval; }
  set clients6 { type ipv6_addr; flags interval; }
  set admins   { type ipv4_addr; flags interval; }
  set admins6  { type ipv6_addr; flags interval; }
  set plain    { type ipv4_addr; }
  set ports    { type inet_service; flags interval; }
}
)";

class ClientSetsTest : public HelperTest {
 protected:
  void SetUp() override {
    HelperTest::SetUp();
    dir_ = "/tmp/vpnns-priv-sets-" + std::to_string(::getpid());
    sh("mkdir -p " + dir_ + " && chmod 755 " + dir_);
    classes("admin-* inet/fw/admins,inet/fw/admins6\n");
    load_ruleset(outer_);
  }
  void TearDown() override {
    HelperTest::TearDown();
    sh("rm -rf " + dir_, true);
  }

  void classes(const std::string& text) {
    std::ofstream(dir_ + "/classes") << text;
    sh("chmod 644 " + dir_ + "/classes");
  }
  void load_ruleset(const std::string& ns) {
    std::ofstream(dir_ + "/ruleset") << kRuleset;
    sh("ip netns exec " + ns + " nft -f " + dir_ + "/ruleset");
  }
  std::vector<std::string> args() const {
    return {"client-set=inet/fw/clients,inet/fw/clients6", "client-classes=" + dir_ + "/classes",
            "client-pool=192.0.2.0/24,2001:db8:100::/64", "client-iroutes=203.0.113.0/24"};
  }

  // The members of a set, sorted, as nft prints them.
  std::vector<std::string> members(const std::string& set, const std::string& ns = "") const {
    const std::string out =
        sh((ns.empty() ? "" : "ip netns exec " + ns + " ") + "nft list set inet fw " + set);
    std::vector<std::string> m;
    const auto open = out.find("elements = {");
    if (open == std::string::npos) return m;
    std::string list = out.substr(open + 12, out.find('}', open) - open - 12);
    std::replace(list.begin(), list.end(), ',', ' ');
    std::istringstream in(list);
    for (std::string e; in >> e;) {
      if (e == "comment") {
        in >> e;  // an owner, "vpnns:NAME", or the administrator's own
        continue;
      }
      m.push_back(e);
    }
    std::sort(m.begin(), m.end());
    return m;
  }

  Reply connect(std::uint64_t id, const std::string& cn) {
    return expect_ok(ClientConnectRequest{id, cn});
  }
  LearnAddressRequest learn(LearnOp op, const char* prefix, std::optional<std::uint64_t> client,
                            const std::string& cn = {}) {
    return LearnAddressRequest{op, *Prefix::parse(prefix), client, cn};
  }

  std::string dir_;
};

using Members = std::vector<std::string>;

TEST_F(ClientSetsTest, StartRefusesMissingAndWrongSetsNamingThem) {
  classes("admin-* inet/fw/missing,inet/fw/plain\n* inet/fw/ports\n");  // plain is fine
  auto config = parse_config(
      {std::string("helper=") + VPNNS_TEST_HELPER, "client-set=inet/fw/clients,ip/nowhere/x",
       "client-classes=" + dir_ + "/classes"},
      {});
  ASSERT_TRUE(config.ok());
  auto h = HelperProcess::start(*config);
  ASSERT_FALSE(h.ok());
  const std::string& m = h.error().message();
  EXPECT_NE(m.find("set ip/nowhere/x does not exist"), std::string::npos) << m;
  EXPECT_NE(m.find("set inet/fw/missing does not exist"), std::string::npos) << m;
  EXPECT_NE(m.find("set inet/fw/ports is not of type ipv4_addr or ipv6_addr"), std::string::npos)
      << m;
}

TEST_F(ClientSetsTest, StartRefusesAClassesFileOthersCouldWrite) {
  sh("chmod 666 " + dir_ + "/classes");
  auto config = parse_config(
      {std::string("helper=") + VPNNS_TEST_HELPER, "client-classes=" + dir_ + "/classes"}, {});
  ASSERT_TRUE(config.ok());
  auto h = HelperProcess::start(*config);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message().find("writable by group or others (mode 0666)"), std::string::npos)
      << h.error().message();
}

TEST_F(ClientSetsTest, PlainSetsTakeAddressesButNotSubnets) {
  start({"client-set=inet/fw/plain,inet/fw/clients6", "client-pool=192.0.2.0/24",
         "client-iroutes=203.0.113.0/24"},
        false);
  connect(1, "site");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  EXPECT_EQ(members("plain"), (Members{"192.0.2.2"}));
  const std::string before = snapshot();
  expect_refused(learn(LearnOp::kAdd, "203.0.113.128/25", 1),
                 "a subnet needs a set with 'flags interval', and client 'site' has only "
                 "inet/fw/plain");
  EXPECT_EQ(snapshot(), before);
  expect_ok(ClientDisconnectRequest{1, "site"});
  EXPECT_EQ(members("plain"), Members{});
}

// A plain set for everyone's VPN address, an interval set for one class's LANs: the address
// goes into both, the subnet only into the interval set.
TEST_F(ClientSetsTest, EachSetTakesWhatItCanHold) {
  classes("site-* inet/fw/admins\n");
  start({"client-set=inet/fw/plain", "client-classes=" + dir_ + "/classes",
         "client-pool=192.0.2.0/24", "client-iroutes=203.0.113.0/24"},
        false);
  connect(1, "site-1");
  connect(2, "laptop");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  expect_ok(learn(LearnOp::kAdd, "203.0.113.128/25", 1));
  expect_ok(learn(LearnOp::kAdd, "192.0.2.3/32", 2));
  EXPECT_EQ(members("plain"), (Members{"192.0.2.2", "192.0.2.3"}));
  EXPECT_EQ(members("admins"), (Members{"192.0.2.2", "203.0.113.128/25"}));
  const std::string before = snapshot();
  expect_refused(learn(LearnOp::kAdd, "203.0.113.0/25", 2), "has only inet/fw/plain");
  EXPECT_EQ(snapshot(), before);
  Reply gone = expect_ok(ClientDisconnectRequest{1, "site-1"});
  EXPECT_NE(gone.message.find("2 entries removed"), std::string::npos) << gone.message;
  EXPECT_EQ(members("plain"), (Members{"192.0.2.3"}));
  EXPECT_EQ(members("admins"), Members{});
}

// Several instances share the sets: start and stop touch only this instance's members (the
// element comment "vpnns:INSTANCE"), never another's nor those added by hand.
TEST_F(ClientSetsTest, StartAndEofTouchOnlyThisInstancesMembers) {
  sh("nft add element inet fw clients '{ 192.0.2.99 }'");
  sh("nft add element inet fw clients '{ 192.0.2.98 comment \"vpnns:other\" }'");
  sh("nft add element inet fw clients '{ 192.0.2.97 comment \"vpnns:" + instance_ + "\" }'");
  sh("nft add element inet fw admins '{ 203.0.113.0/25 comment \"vpnns:" + instance_ + "\" }'");
  sh("nft add element inet fw admins '{ 198.51.100.0/24 }'");
  start(args(), false);  // 192.0.2.97 and 203.0.113.0/25: what a SIGKILLed helper left
  EXPECT_EQ(members("clients"), (Members{"192.0.2.98", "192.0.2.99"}));
  EXPECT_EQ(members("admins"), (Members{"198.51.100.0/24"}));
  connect(1, "admin-1");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  expect_ok(learn(LearnOp::kAdd, "203.0.113.128/25", 1));
  EXPECT_NE(sh("nft list set inet fw clients").find("192.0.2.2 comment \"vpnns:" + instance_),
            std::string::npos);
  ::shutdown(helper_->socket_fd(), SHUT_RDWR);
  for (int i = 0; i < 100 && members("clients").size() != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(members("clients"), (Members{"192.0.2.98", "192.0.2.99"}));
  EXPECT_EQ(members("admins"), (Members{"198.51.100.0/24"}));
}

// A SIGKILLed helper leaves its members; the next start of the same instance removes exactly
// those.
TEST_F(ClientSetsTest, AfterSigkillTheNextStartRemovesExactlyItsOwn) {
  sh("nft add element inet fw clients '{ 192.0.2.99 }'");
  start(args(), false);
  connect(1, "admin-1");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  expect_ok(learn(LearnOp::kAdd, "203.0.113.128/25", 1));
  ::kill(helper_->pid(), SIGKILL);
  ASSERT_TRUE(process_gone(helper_->pid()));
  helper_.reset();
  EXPECT_EQ(members("clients"), (Members{"192.0.2.2", "192.0.2.99", "203.0.113.128/25"}));
  sh("nft add element inet fw clients '{ 192.0.2.98 comment \"vpnns:other\" }'");
  start(args(), false);
  EXPECT_EQ(members("clients"), (Members{"192.0.2.98", "192.0.2.99"}));
  EXPECT_EQ(members("admins"), Members{});
}

TEST_F(ClientSetsTest, MembershipFollowsConnectLearnAndDisconnect) {
  start(args(), false);
  connect(1, "admin-1");
  connect(2, "guest");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1, "admin-1"));
  expect_ok(learn(LearnOp::kAdd, "2001:db8:100::1000/128", 1, "admin-1"));
  expect_ok(learn(LearnOp::kAdd, "203.0.113.128/25", 1, "admin-1"));  // an iroute
  expect_ok(learn(LearnOp::kAdd, "192.0.2.3/32", 2, "guest"));
  expect_ok(learn(LearnOp::kAdd, "2001:db8:100::1001/128", 2));
  EXPECT_EQ(members("clients"), (Members{"192.0.2.2", "192.0.2.3", "203.0.113.128/25"}));
  EXPECT_EQ(members("clients6"), (Members{"2001:db8:100::1000", "2001:db8:100::1001"}));
  EXPECT_EQ(members("admins"), (Members{"192.0.2.2", "203.0.113.128/25"}));
  EXPECT_EQ(members("admins6"), (Members{"2001:db8:100::1000"}));

  // openvpn reaps an address (no client, no name): it leaves its owner's sets.
  expect_ok(learn(LearnOp::kDelete, "192.0.2.3/32", std::nullopt));
  EXPECT_EQ(members("clients"), (Members{"192.0.2.2", "203.0.113.128/25"}));
  Reply r = expect_ok(learn(LearnOp::kDelete, "192.0.2.3/32", std::nullopt));
  EXPECT_NE(r.message.find("was not known"), std::string::npos);

  Reply gone = expect_ok(ClientDisconnectRequest{1, "admin-1"});
  EXPECT_NE(gone.message.find("3 entries removed"), std::string::npos) << gone.message;
  EXPECT_EQ(members("clients"), Members{});
  EXPECT_EQ(members("admins"), Members{});
  EXPECT_EQ(members("admins6"), Members{});
  EXPECT_EQ(members("clients6"), (Members{"2001:db8:100::1001"}));
}

TEST_F(ClientSetsTest, AnUpdateMovesTheAddressInOneStep) {
  start(args(), false);
  connect(1, "admin-1");
  connect(2, "guest");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.7/32", 1));
  EXPECT_EQ(members("admins"), (Members{"192.0.2.7"}));
  Reply r = expect_ok(learn(LearnOp::kUpdate, "192.0.2.7/32", 2, "guest"));
  EXPECT_NE(r.message.find("moved from 'admin-1'"), std::string::npos) << r.message;
  EXPECT_EQ(members("admins"), Members{});
  EXPECT_EQ(members("clients"), (Members{"192.0.2.7"}));
  // Disconnecting the previous owner takes nothing of the new owner's.
  expect_ok(ClientDisconnectRequest{1, "admin-1"});
  EXPECT_EQ(members("clients"), (Members{"192.0.2.7"}));
}

TEST_F(ClientSetsTest, RefusalsChangeNothing) {
  start(args(), false);
  connect(1, "admin-1");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  const std::string before = snapshot();
  expect_refused(learn(LearnOp::kAdd, "192.0.2.9/32", 7), "client #7 that did not connect");
  expect_refused(learn(LearnOp::kAdd, "192.0.2.9/32", 1, "admin-2"), "connected as 'admin-1'");
  expect_refused(learn(LearnOp::kAdd, "10.0.0.0/4", 1), "shorter than /8");
  expect_refused(learn(LearnOp::kAdd, "2001:db8::/8", 1), "shorter than /16");
  LearnAddressRequest host_bits = learn(LearnOp::kAdd, "203.0.113.0/24", 1);
  host_bits.address.addr = ip("203.0.113.5");
  expect_refused(host_bits, "host bits");
  expect_refused(learn(LearnOp::kAdd, "224.0.0.1/32", 1), "not a unicast address");
  expect_refused(learn(LearnOp::kAdd, "127.0.0.1/32", 1), "not a unicast address");
  expect_refused(ClientConnectRequest{1, "admin-1"}, "already connected");
  expect_refused(ClientDisconnectRequest{1, "someone"}, "connected as 'admin-1'");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(ClientSetsTest, EntriesPerClientAreBounded) {
  std::vector<std::string> a = args();
  a.push_back("client-max-entries=2");
  start(a, false);
  connect(1, "guest");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  expect_ok(learn(LearnOp::kAdd, "2001:db8:100::2/128", 1));
  expect_refused(learn(LearnOp::kAdd, "203.0.113.0/24", 1), "client-max-entries=2");
  EXPECT_EQ(members("clients"), (Members{"192.0.2.2"}));
}

TEST_F(ClientSetsTest, EofRemovesTheInstancesMembers) {
  start(args(), false);
  connect(1, "admin-1");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  ::shutdown(helper_->socket_fd(), SHUT_RDWR);
  for (int i = 0; i < 100 && !members("clients").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(members("clients"), Members{});
  EXPECT_EQ(members("admins"), Members{});
}

TEST_F(ClientSetsTest, WithNetnsTheSetsAreTheTunnelNamespaces) {
  // A VPN gateway in its own namespace: the tunnel, the forwarding and the firewall live there.
  sh("ip netns add " + target_);
  sh("ip -n " + target_ + " link add vethg0 type veth peer name vethg1");  // its LAN side
  load_ruleset(target_);
  start(args(), true);
  UpRequest up = subnet_up();
  expect_ok(up);  // a server's namespace need not hold the tunnel alone
  connect(1, "admin-1");
  expect_ok(learn(LearnOp::kAdd, "192.0.2.2/32", 1));
  EXPECT_EQ(members("clients", target_), (Members{"192.0.2.2"}));
  EXPECT_EQ(members("clients"), Members{});  // openvpn's own namespace is untouched
  expect_ok(route_up());
  EXPECT_EQ(routes(target_).find("default"), std::string::npos) << routes(target_);
  EXPECT_FALSE(std::ifstream("/etc/netns/" + target_ + "/resolv.conf").good());
}

}  // namespace
}  // namespace vpnns::testing
