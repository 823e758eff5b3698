// SPDX-License-Identifier: GPL-2.0-or-later
// The kill switch against the real kernel: a real helper in a throw-away namespace that plays
// openvpn's, real nftables, real packets. A probe is a UDP datagram sent from that namespace:
// nftables' drop in the output hook makes sendto() fail with EPERM, so "dropped" and "sent" are
// told apart without a second host; a datagram let out through the tun device is read back from
// the tun's descriptor. (openvpn itself, reconnects and the leak matrix: tests/leak.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/priv/fixture.h"
#include "tests/support/plugin_host.h"

namespace vpnns::testing {
namespace {

class KillSwitchTest : public HelperTest {
 protected:
  void SetUp() override {
    HelperTest::SetUp();
    // The physical side: a veth whose peer lives in a namespace of its own (no route out).
    peer_ = outer_ + "p";
    sh("ip netns add " + peer_);
    sh("ip link add vkout0 type veth peer name vkin0 netns " + peer_);
    sh("ip addr add 198.51.100.2/24 dev vkout0 && ip link set vkout0 up");
    sh("ip -n " + peer_ + " addr add 198.51.100.1/24 dev vkin0 && ip -n " + peer_ +
       " link set vkin0 up");
    sh("ip addr add 10.200.0.2/24 dev vkout0");  // a private LAN address on the same link
    // The tunnel as openvpn leaves it after UP: an address and a route through the tun.
    sh("ip addr add 192.0.2.2/24 dev " + tun_name_ + " && ip link set " + tun_name_ + " up");
  }
  void TearDown() override {
    HelperTest::TearDown();
    sh("ip netns del " + peer_, true);
    // A held kill switch lives in outer_, deleted with it.
  }

  std::string table() const { return "vpnns-ks-" + instance_; }
  std::string ruleset() const { return sh("nft list table inet " + table(), true); }
  bool table_exists() const {
    return sh("nft list tables").find("table inet " + table() + "\n") != std::string::npos;
  }

  // Sends one UDP datagram to `dst`:`port` from the test process (uid 0, as openvpn's first
  // socket) and returns errno (0: sent).
  static int probe(const char* dst, std::uint16_t port, std::uint16_t sport = 0) {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (sport != 0) {
      const int one = 1;
      (void)::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      local.sin_port = htons(sport);
      if (::bind(s.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) return errno;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, dst, &to.sin_addr);
    const char msg[] = "probe";
    if (::sendto(s.get(), msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      return errno;
    }
    return 0;
  }
  // Whether a packet came out of the tun device within a second.
  bool tun_saw_packet() {
    pollfd p{tun_.get(), POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) return false;
    char buf[2048];
    return ::read(tun_.get(), buf, sizeof buf) > 0;
  }
  void drain_tun() {
    char buf[2048];
    pollfd p{tun_.get(), POLLIN, 0};
    while (::poll(&p, 1, 50) > 0 && ::read(tun_.get(), buf, sizeof buf) > 0) {
    }
  }
  std::uint64_t dropped_out() const {
    const std::string t = sh("nft list counter inet " + table() + " dropped_out", true);
    const auto at = t.find("packets ");
    return at == std::string::npos ? 0 : std::stoull(t.substr(at + 8));
  }

  std::string peer_;
};

TEST_F(KillSwitchTest, InstalledAtStartDropsAllButTheTunnel) {
  start({"killswitch=yes", "killswitch-ports=udp/1194"}, false);
  ASSERT_TRUE(table_exists());
  const std::string t = ruleset();
  EXPECT_NE(t.find("comment \"vpnns kill switch for openvpn instance '" + instance_ +
                   "'; killswitch=yes; allow-lan=no; since "),
            std::string::npos)
      << t;
  for (const char* want :
       {"type filter hook output priority filter; policy accept;",
        "type filter hook forward priority filter; policy accept;",
        "type filter hook input priority filter; policy accept;", "oifname @tunnels accept",
        "oifname \"lo\" accept", "ip daddr @server4 meta skuid @uids accept",
        "ip6 daddr @server6 meta skuid @uids accept",
        "udp dport 1194 meta skuid @reconnect_uids accept",
        "udp dport 53 meta skuid @reconnect_uids accept",
        "tcp dport 53 meta skuid @reconnect_uids accept", "udp sport 68 udp dport 67 accept",
        "udp sport 546 udp dport 547 accept",
        "icmpv6 type nd-neighbor-solicit ip6 hoplimit 255 accept",
        "icmpv6 type mld2-listener-report ip6 hoplimit 1 accept",
        "counter name \"dropped_out\" drop", "counter name \"dropped_fwd\" drop",
        "counter name \"dropped_in\" drop", "ct state established,related accept",
        "iifname @tunnels ct state established,related accept"}) {
    EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
  }
  EXPECT_EQ(t.find("10.0.0.0/8"), std::string::npos) << t;

  // Before UP nothing goes anywhere: not out of the veth, not even through the tun.
  EXPECT_EQ(probe("198.51.100.1", 9999), EPERM);
  EXPECT_EQ(probe("192.0.2.9", 9999), EPERM);
  EXPECT_GE(dropped_out(), 2u);
  // openvpn's socket (uid 0 here) to its `remote` port passes before IPCHANGE named the server.
  EXPECT_EQ(probe("198.51.100.1", 1194), 0);

  UpRequest up = subnet_up();
  up.remote = ip("198.51.100.1");
  Reply r = expect_ok(up);
  EXPECT_NE(r.message.find("kill switch lets the tunnel device " + tun_name_ + " through"),
            std::string::npos)
      << r.message;
  drain_tun();
  EXPECT_EQ(probe("192.0.2.9", 9999), 0);
  EXPECT_TRUE(tun_saw_packet());
  // The veth stays closed, to a public and a private address on its link.
  EXPECT_EQ(probe("198.51.100.3", 9999), EPERM);
  EXPECT_EQ(probe("10.200.0.9", 9999), EPERM);
  // The seal's server is in the kill switch's set: openvpn's sockets reach it on any port.
  EXPECT_NE(ruleset().find("elements = { 198.51.100.1 }"), std::string::npos) << ruleset();
  EXPECT_EQ(probe("198.51.100.1", 4000), 0);
  // DHCPv4 from its port.
  EXPECT_EQ(probe("198.51.100.3", 67, 68), 0);
}

TEST_F(KillSwitchTest, AnotherTablesAcceptAllDoesNotOpenIt) {
  start({"killswitch=yes"}, false);
  sh("nft add table inet vkother" + std::to_string(::getpid()));
  sh("nft add chain inet vkother" + std::to_string(::getpid()) +
     " out '{ type filter hook output priority -300; policy accept; }'");
  sh("nft add rule inet vkother" + std::to_string(::getpid()) + " out accept");
  EXPECT_EQ(probe("198.51.100.1", 9999), EPERM);
  sh("nft delete table inet vkother" + std::to_string(::getpid()));
}

TEST_F(KillSwitchTest, AllowLanPassesPrivateNotPublicOnLink) {
  start({"killswitch=yes", "allow-lan=yes"}, false);
  EXPECT_NE(ruleset().find("ip daddr 10.0.0.0/8 accept"), std::string::npos) << ruleset();
  EXPECT_EQ(probe("10.200.0.9", 9999), 0);
  EXPECT_EQ(probe("198.51.100.1", 9999), EPERM);  // on-link, but public
}

TEST_F(KillSwitchTest, LiftedAtCleanCloseWithYes) {
  start({"killswitch=yes"}, false);
  ASSERT_TRUE(table_exists());
  Reply r = helper_->close();
  helper_.reset();
  EXPECT_NE(r.message.find("kill switch lifted"), std::string::npos) << r.message;
  EXPECT_FALSE(table_exists());
  EXPECT_EQ(probe("198.51.100.1", 9999), 0);
}

TEST_F(KillSwitchTest, LockdownHeldAfterCleanClose) {
  start({"killswitch=lockdown"}, false);
  Reply r = helper_->close();
  helper_.reset();
  EXPECT_NE(r.message.find("kill switch held: killswitch=lockdown"), std::string::npos)
      << r.message;
  EXPECT_TRUE(table_exists());
  EXPECT_EQ(probe("198.51.100.1", 9999), EPERM);
  const std::string out = sh(std::string(VPNNS_TEST_CTL) + " reset " + instance_, true);
  EXPECT_NE(out.find("kill switch lifted"), std::string::npos) << out;
  EXPECT_FALSE(table_exists());
}

TEST_F(KillSwitchTest, HeldAfterHelperDeathUntilResetOrNextStart) {
  start({"killswitch=yes"}, false);
  const pid_t first = helper_->pid();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(process_gone(first));
  helper_.reset();
  EXPECT_TRUE(table_exists());
  EXPECT_EQ(probe("198.51.100.1", 9999), EPERM);
  EXPECT_GE(dropped_out(), 1u);

  // The next start of the same instance replaces it in one transaction.
  start({"killswitch=yes"}, false);
  EXPECT_TRUE(table_exists());
  EXPECT_NE(ruleset().find("helper pid " + std::to_string(helper_->pid())), std::string::npos);
  EXPECT_EQ(probe("198.51.100.1", 9999), EPERM);

  // Killed again; this time vpnnsctl reset lifts it.
  const pid_t second = helper_->pid();
  ASSERT_EQ(::kill(second, SIGKILL), 0);
  ASSERT_TRUE(process_gone(second));
  helper_.reset();
  const std::string status = sh(std::string(VPNNS_TEST_CTL) + " status", true);
  EXPECT_NE(status.find("kill switch: held"), std::string::npos) << status;
  const std::string out = sh(std::string(VPNNS_TEST_CTL) + " reset " + instance_, true);
  EXPECT_NE(out.find("kill switch lifted"), std::string::npos) << out;
  EXPECT_FALSE(table_exists());
  EXPECT_EQ(probe("198.51.100.1", 9999), 0);
}

TEST_F(KillSwitchTest, HeldAtEof) {
  start({"killswitch=yes"}, false);
  const pid_t pid = helper_->pid();
  helper_->abandon();  // the socket closed without CLOSE: openvpn died
  helper_.reset();
  ASSERT_TRUE(process_gone(pid));
  EXPECT_TRUE(table_exists());
  sh(std::string(VPNNS_TEST_CTL) + " reset " + instance_, true);
  EXPECT_FALSE(table_exists());
}

TEST_F(KillSwitchTest, RepairedAfterFlushRuleset) {
  start({"killswitch=yes"}, false);
  sh("nft delete table inet " + table());
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    back = table_exists();
  }
  EXPECT_TRUE(back);
  Reply r = expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.find("reinstalled") != std::string::npos;
  EXPECT_TRUE(warned);
}

// netns=: the tunnel lives in the other namespace; openvpn's own namespace lets out only openvpn's
// traffic to its server (the seal comes along).
TEST_F(KillSwitchTest, NetnsModeGuardsOpenvpnsNamespace) {
  // As openvpn leaves it with ifconfig-noexec: down, no address.
  sh("ip addr flush dev " + tun_name_ + " && ip link set " + tun_name_ + " down");
  start({"killswitch=yes"});
  UpRequest up = subnet_up();
  up.remote = ip("198.51.100.1");
  Reply r = expect_ok(up);
  EXPECT_EQ(r.message.find("kill switch lets"), std::string::npos) << r.message;
  EXPECT_NE(sh("ip -n " + target_ + " link show " + tun_name_, true).find(tun_name_),
            std::string::npos);
  const std::string t = ruleset();
  EXPECT_NE(t.find("set tunnels {\n\t\ttype ifname\n\t}"), std::string::npos) << t;
  EXPECT_EQ(probe("198.51.100.3", 9999), EPERM);
  EXPECT_EQ(probe("198.51.100.1", 4000), 0);  // openvpn's socket (uid 0) to its server
  EXPECT_TRUE(sh("nft list tables").find("table inet vpnns-" + instance_ + "\n") !=
              std::string::npos);  // the seal
}

// Through the plugin, as openvpn loads it: the log, openvpn's `remote` ports, and close_v1
// lifting the kill switch only after a stop someone asked for (the last DOWN's `signal`).
TEST_F(KillSwitchTest, PluginLiftsOnlyAfterSigterm) {
  for (const char* signal : {"sigterm", "sighup"}) {
    PluginHost::clear_log();
    {
      PluginHost host(
          VPNNS_TEST_PLUGIN,
          {std::string("helper=") + VPNNS_TEST_HELPER, "instance=" + instance_, "killswitch=yes"},
          {"verb=1", "config=/etc/openvpn/client/test.conf", "remote_1=198.51.100.1",
           "remote_port_1=1194", "proto_1=udp", "remote_2=198.51.100.9", "remote_port_2=443",
           "proto_2=tcp-client"});
      EXPECT_TRUE(table_exists());
      const std::string t = ruleset();
      EXPECT_NE(t.find("udp dport 1194 meta skuid @reconnect_uids accept"), std::string::npos) << t;
      EXPECT_NE(t.find("tcp dport 443 meta skuid @reconnect_uids accept"), std::string::npos) << t;
      EXPECT_EQ(
          host.call(OPENVPN_PLUGIN_DOWN, {tun_name_, "1500", "0", "192.0.2.2", "init"},
                    {"dev=" + tun_name_, "script_context=init", std::string("signal=") + signal}),
          OPENVPN_PLUGIN_FUNC_SUCCESS);
    }  // close_v1
    std::string log;
    for (const auto& l : PluginHost::log()) log += l + "\n";
    EXPECT_NE(log.find("kill switch installed (nftables table inet " + table() +
                       ", killswitch=yes, allow-lan=no)"),
              std::string::npos)
        << log;
    if (std::string(signal) == "sigterm") {
      EXPECT_NE(log.find("close: removed what vpnns added; kill switch lifted"), std::string::npos)
          << log;
      EXPECT_FALSE(table_exists());
    } else {
      EXPECT_NE(log.find("close: kill switch held: openvpn stops after 'sighup'"),
                std::string::npos)
          << log;
      // The helper saw EOF and exits on its own; the table stays.
      const auto at = log.find("helper pid ");
      ASSERT_NE(at, std::string::npos);
      EXPECT_TRUE(process_gone(static_cast<pid_t>(std::stol(log.substr(at + 11)))));
      EXPECT_TRUE(table_exists());
      EXPECT_EQ(probe("198.51.100.1", 9999), EPERM);
      sh(std::string(VPNNS_TEST_CTL) + " reset " + instance_, true);
      EXPECT_FALSE(table_exists());
    }
  }
}

}  // namespace
}  // namespace vpnns::testing
