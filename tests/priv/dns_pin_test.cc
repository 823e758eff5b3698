// SPDX-License-Identifier: GPL-2.0-or-later
// dns=pin against the real kernel: a real helper, a real tun device in a throw-away namespace,
// the pin's table read back with `nft` inside that namespace, and real packets: what an
// application in the namespace sends is read off the tun device, so "dropped" means it never
// reached the tunnel. (With real openvpn and a replaced resolv.conf: tests/leak/.)
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <regex>

#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

class DnsPinTest : public HelperTest {
 protected:
  std::string nft(const std::string& args) const {
    return sh("ip netns exec " + target_ + " nft " + args, true);
  }
  std::string table() const { return nft("list table inet vpnns-dns"); }
  bool table_exists() const {
    return nft("list tables").find("table inet vpnns-dns") != std::string::npos;
  }
  // The table as the kernel holds it, handles included: equal before and after means untouched.
  std::string pin_snapshot() const { return nft("-a list ruleset"); }
  std::uint64_t dropped() const {
    std::smatch m;
    const std::string t = nft("list counter inet vpnns-dns dropped");
    return std::regex_search(t, m, std::regex("packets ([0-9]+)")) ? std::stoull(m[1]) : 0;
  }

  // Sends one UDP datagram (or opens a TCP connection) from inside the namespace, the way an
  // application would; returns what the shell said (a dropped packet: "Operation not permitted").
  std::string send_udp(const std::string& addr, int port) const {
    return sh("ip netns exec " + target_ + " timeout 1 bash -c 'echo query >/dev/udp/" + addr +
                  "/" + std::to_string(port) + "'",
              true);
  }
  std::string send_tcp(const std::string& addr, int port) const {
    return sh("ip netns exec " + target_ + " timeout 0.3 bash -c 'echo >/dev/tcp/" + addr + "/" +
                  std::to_string(port) + "'",
              true);
  }

  // What reached the tunnel since the last call: "udp 192.0.2.53:53", "tcp 198.51.100.7:853".
  std::vector<std::string> drain_tun() {
    std::vector<std::string> out;
    for (;;) {
      pollfd p{tun_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) break;
      std::uint8_t pkt[2048];
      const ssize_t n = ::read(tun_.get(), pkt, sizeof pkt);
      if (n <= 0) break;
      const auto len = static_cast<std::size_t>(n);
      std::optional<IpAddr> dst;
      std::uint8_t proto = 0;
      std::size_t l4 = 0;
      if ((pkt[0] >> 4) == 4 && len >= 20) {
        dst = IpAddr::from_bytes({pkt + 16, 4});
        proto = pkt[9];
        l4 = static_cast<std::size_t>(pkt[0] & 0x0f) * 4;
      } else if ((pkt[0] >> 4) == 6 && len >= 40) {
        dst = IpAddr::from_bytes({pkt + 24, 16});
        proto = pkt[6];
        l4 = 40;
      }
      if (!dst || (proto != IPPROTO_UDP && proto != IPPROTO_TCP) || len < l4 + 4) continue;
      const int port = pkt[l4 + 2] << 8 | pkt[l4 + 3];
      out.push_back(std::string(proto == IPPROTO_UDP ? "udp " : "tcp ") + dst->str() + ":" +
                    std::to_string(port));
    }
    return out;
  }

  static bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  void up_and_route_up() {
    expect_ok(subnet_up());
    expect_ok(route_up());  // servers 192.0.2.53 and 2001:db8:100::53
  }
};

TEST_F(DnsPinTest, RouteUpPinsDnsToThePushedServers) {
  start({"dns=pin"});
  expect_ok(subnet_up());
  EXPECT_FALSE(table_exists());
  Reply r = expect_ok(route_up());
  EXPECT_NE(r.message.find("DNS pinned to 192.0.2.53 2001:db8:100::53"), std::string::npos)
      << r.message;
  const std::string t = table();
  EXPECT_NE(t.find("comment \"vpnns DNS pin for openvpn instance '" + instance_ +
                   "' in network namespace '" + target_ + "'; helper pid " +
                   std::to_string(helper_->pid()) + "\""),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("set ports {\n\t\ttype inet_service\n\t\telements = { 53, 853 }"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("set servers4 {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.53 }"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("set servers6 {\n\t\ttype ipv6_addr\n\t\telements = { 2001:db8:100::53 }"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("type filter hook output priority filter; policy accept;"), std::string::npos);
  EXPECT_NE(t.find("oif \"lo\" accept\n\t\tip daddr @servers4 accept\n\t\tip6 daddr @servers6 "
                   "accept\n\t\tudp dport @ports counter name \"dropped\" drop\n"
                   "\t\ttcp dport @ports counter name \"dropped\" drop"),
            std::string::npos)
      << t;
  // The DNS files are written as with dns=yes.
  EXPECT_NE(sh("cat /etc/netns/" + target_ + "/resolv.conf").find("nameserver 192.0.2.53"),
            std::string::npos);
  // Nothing in openvpn's own namespace.
  EXPECT_EQ(sh("nft list tables").find("vpnns-dns"), std::string::npos);
}

TEST_F(DnsPinTest, OnlyThePushedServersGetDnsPackets) {
  start({"dns=pin"});
  up_and_route_up();
  drain_tun();
  EXPECT_EQ(send_udp("192.0.2.53", 53), "");
  EXPECT_EQ(send_udp("2001:db8:100::53", 853), "");
  EXPECT_NE(send_udp("192.0.2.99", 53).find("Operation not permitted"), std::string::npos);
  EXPECT_NE(send_udp("2001:db8:100::99", 53).find("Operation not permitted"), std::string::npos);
  (void)send_tcp("198.51.100.7", 853);
  (void)send_tcp("198.51.100.7", 53);
  EXPECT_EQ(send_udp("192.0.2.99", 5353), "");  // not a DNS port: not the pin's business
  const auto seen = drain_tun();
  EXPECT_TRUE(has(seen, "udp 192.0.2.53:53"));
  EXPECT_TRUE(has(seen, "udp 2001:db8:100::53:853"));
  EXPECT_TRUE(has(seen, "udp 192.0.2.99:5353"));
  EXPECT_FALSE(has(seen, "udp 192.0.2.99:53"));
  EXPECT_FALSE(has(seen, "udp 2001:db8:100::99:53"));
  EXPECT_FALSE(has(seen, "tcp 198.51.100.7:853"));
  EXPECT_FALSE(has(seen, "tcp 198.51.100.7:53"));
  EXPECT_GE(dropped(), 4u);
  // Loopback stays inside the namespace and is not pinned.
  EXPECT_EQ(send_udp("127.0.0.1", 53), "");
}

TEST_F(DnsPinTest, EveryRouteUpUpdatesTheSameTable) {
  start({"dns=pin"});
  up_and_route_up();
  (void)send_udp("192.0.2.99", 53);
  const std::uint64_t counted = dropped();
  ASSERT_GE(counted, 1u);
  std::smatch m;
  const std::string before = nft("-a list table inet vpnns-dns");
  ASSERT_TRUE(std::regex_search(before, m,
                                std::regex("table inet vpnns-dns \\{[^\\n]*# handle "
                                           "([0-9]+)")));
  const std::string handle = m[1];

  RouteUpRequest next = route_up();
  next.dns.servers = {ip("192.0.2.54"), ip("192.0.2.54"), ip("2001:db8:100::54")};
  Reply r = expect_ok(next);
  EXPECT_NE(r.message.find("DNS pinned to 192.0.2.54 2001:db8:100::54"), std::string::npos)
      << r.message;
  const std::string after = nft("-a list table inet vpnns-dns");
  EXPECT_NE(after.find("# handle " + handle + "\n"), std::string::npos)
      << "the table was replaced instead of updated:\n"
      << after;
  EXPECT_NE(after.find("elements = { 192.0.2.54 }"), std::string::npos) << after;
  EXPECT_NE(after.find("elements = { 2001:db8:100::54 }"), std::string::npos) << after;
  EXPECT_EQ(after.find("192.0.2.53"), std::string::npos) << after;
  EXPECT_EQ(dropped(), counted);  // the counter survives an update
  drain_tun();
  EXPECT_NE(send_udp("192.0.2.53", 53).find("Operation not permitted"), std::string::npos);
  EXPECT_EQ(send_udp("192.0.2.54", 53), "");
  EXPECT_TRUE(has(drain_tun(), "udp 192.0.2.54:53"));
}

TEST_F(DnsPinTest, NoPushedServerDropsAllDns) {
  start({"dns=pin"});
  expect_ok(subnet_up());
  RouteUpRequest none = route_up();
  none.dns.servers.clear();
  Reply r = expect_ok(none);
  EXPECT_NE(
      r.message.find("no DNS servers pushed: DNS (ports 53 and 853) from network namespace '" +
                     target_ + "' is dropped"),
      std::string::npos)
      << r.message;
  EXPECT_NE(table().find("set servers4 {\n\t\ttype ipv4_addr\n\t}"), std::string::npos) << table();
  drain_tun();
  EXPECT_NE(send_udp("192.0.2.53", 53).find("Operation not permitted"), std::string::npos);
  EXPECT_NE(send_udp("2001:db8:100::53", 53).find("Operation not permitted"), std::string::npos);
  EXPECT_TRUE(drain_tun().empty());
}

TEST_F(DnsPinTest, RemovedUnderneathIsRepairedAtTheNextRouteUpAndSaidSo) {
  start({"dns=pin"});
  up_and_route_up();
  nft("delete table inet vpnns-dns");
  ASSERT_FALSE(table_exists());
  Reply r = expect_ok(route_up());
  ASSERT_EQ(r.warnings.size(), 1u) << r.message;
  EXPECT_NE(r.warnings[0].find("had been removed underneath; reinstalled"), std::string::npos)
      << r.warnings[0];
  EXPECT_NE(table().find("elements = { 192.0.2.53 }"), std::string::npos);
  // A damaged one (a rule deleted) is replaced whole.
  nft("flush chain inet vpnns-dns output");
  r = expect_ok(route_up());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("had been changed underneath; reinstalled"), std::string::npos);
  EXPECT_NE(table().find("tcp dport @ports"), std::string::npos);
}

TEST_F(DnsPinTest, UpRestartReassertsTheLastServers) {
  start({"dns=pin"});
  up_and_route_up();
  nft("delete table inet vpnns-dns");
  UpRequest restart = subnet_up();
  restart.context = Context::kRestart;
  Reply r = expect_ok(restart);
  EXPECT_NE(r.message.find("DNS pin in place"), std::string::npos) << r.message;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("reinstalled"), std::string::npos);
  const std::string t = table();
  EXPECT_NE(t.find("elements = { 192.0.2.53 }"), std::string::npos) << t;
  EXPECT_NE(t.find("elements = { 2001:db8:100::53 }"), std::string::npos) << t;
  // Intact: nothing to do, no warning.
  r = expect_ok(restart);
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(DnsPinTest, DownRemovesThePinWithTheRoutesAndDownRestartKeepsIt) {
  start({"dns=pin"});
  up_and_route_up();
  expect_ok(RoutePredownRequest{tun_name_});
  EXPECT_TRUE(table_exists());  // routes gone, pin still there until DOWN
  expect_ok(DownRequest{tun_name_, Context::kRestart});
  EXPECT_TRUE(table_exists());
  expect_ok(DownRequest{tun_name_, Context::kInit});
  EXPECT_FALSE(table_exists());
  EXPECT_EQ(routes(target_).find("proto 86"), std::string::npos);
  // The next connection (openvpn reopens the device) pins again.
  tun_.reset();
  tun_ = open_tun(tun_name_);
  up_and_route_up();
  EXPECT_TRUE(table_exists());
}

TEST_F(DnsPinTest, OpenvpnsDeathRemovesThePin) {
  start({"dns=pin"});
  up_and_route_up();
  ::shutdown(helper_->socket_fd(), SHUT_RDWR);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = !table_exists();
    if (!gone) ::usleep(10'000);
  }
  EXPECT_TRUE(gone);
  EXPECT_EQ(routes(target_).find("proto 86"), std::string::npos);
}

TEST_F(DnsPinTest, RefusedRouteUpsLeaveThePinUnchanged) {
  start({"dns=pin"});
  up_and_route_up();
  (void)send_udp("192.0.2.99", 53);  // a non-zero counter, which must not move either
  const std::string pin_before = pin_snapshot();
  const std::string before = snapshot();

  // Each carries other DNS servers, which must not reach the pin when the request is refused.
  RouteUpRequest bad = route_up();
  bad.dns.servers = {ip("198.51.100.66")};
  bad.routes.push_back(Route{prefix("198.18.0.0/15"), ip("198.51.100.1"), {}});
  expect_refused(bad, "not reachable through the tunnel");

  bad = route_up();
  bad.dns.servers = {ip("198.51.100.66"), ip("224.0.0.251")};
  expect_refused(bad, "DNS server 224.0.0.251 is not a unicast address");

  bad = route_up();
  bad.dns.servers = {ip("127.0.0.1")};
  expect_refused(bad, "DNS server 127.0.0.1 is not a unicast address");

  bad = route_up();
  bad.dns.servers = {ip("::")};
  expect_refused(bad, "not a unicast address");

  bad = route_up();
  bad.dns.servers = {ip("198.51.100.66")};
  bad.dns.search = {"evil domain; rm -rf /"};
  expect_refused(bad, "is not a DNS name");

  bad = route_up();
  bad.dns.servers = {ip("198.51.100.66")};
  bad.routes = {Route{prefix("203.0.113.1/24"), ip("192.0.2.1"), {}}};
  expect_refused(bad, "has host bits set");

  bad = route_up();
  bad.dev = "lo";
  bad.dns.servers = {ip("198.51.100.66")};
  expect_refused(bad, "this tunnel's device is '" + tun_name_ + "'");

  EXPECT_EQ(pin_snapshot(), pin_before);
  EXPECT_EQ(snapshot(), before);
  EXPECT_NE(send_udp("198.51.100.66", 53).find("Operation not permitted"), std::string::npos);
}

// A ROUTE_UP that passes validation but whose routes the kernel refuses (here: the device was
// taken down underneath, so no gateway on it is reachable) puts the pin back as it was.
TEST_F(DnsPinTest, RoutesTheKernelRefusesPutThePinBack) {
  start({"dns=pin"});
  up_and_route_up();
  const std::string servers_before =
      nft("list set inet vpnns-dns servers4") + nft("list set inet vpnns-dns servers6");
  sh("ip -n " + target_ + " link set " + tun_name_ + " down");

  RouteUpRequest next = route_up();
  next.dns.servers = {ip("198.51.100.66")};
  Reply r = call(next);
  ASSERT_FALSE(r.ok()) << r.message;
  EXPECT_EQ(nft("list set inet vpnns-dns servers4") + nft("list set inet vpnns-dns servers6"),
            servers_before);
  for (const auto& w : r.warnings)
    EXPECT_EQ(w.find("putting the DNS pin back"), std::string::npos) << w;

  // And the helper still believes the old servers: an --up-restart reasserts them.
  sh("ip -n " + target_ + " link set " + tun_name_ + " up");
  UpRequest restart = subnet_up();
  restart.context = Context::kRestart;
  expect_ok(restart);
  EXPECT_EQ(nft("list set inet vpnns-dns servers4") + nft("list set inet vpnns-dns servers6"),
            servers_before);
}

TEST_F(DnsPinTest, AStaleTableIsReplacedAndAForeignOneNotRemoved) {
  sh("ip netns add " + target_);
  sh("ip netns exec " + target_ +
     " nft 'add table inet vpnns-dns { comment \"vpnns DNS pin; helper pid 1\"; }'");
  start({"dns=pin"});
  expect_ok(subnet_up());
  Reply r = expect_ok(route_up());
  ASSERT_EQ(r.warnings.size(), 1u) << r.message;
  EXPECT_NE(r.warnings[0].find("replaced a stale nftables table inet vpnns-dns in network "
                               "namespace '" +
                               target_ + "' (vpnns DNS pin; helper pid 1)"),
            std::string::npos)
      << r.warnings[0];
  EXPECT_NE(table().find("helper pid " + std::to_string(helper_->pid())), std::string::npos);

  // Someone else's table under that name at teardown is left alone.
  nft("delete table inet vpnns-dns");
  nft("'add table inet vpnns-dns { comment \"not vpnns\"; }'");
  expect_ok(DownRequest{tun_name_, Context::kInit});
  EXPECT_NE(table().find("not vpnns"), std::string::npos);
}

TEST_F(DnsPinTest, DnsYesInstallsNoPin) {
  start({"dns=yes"});
  up_and_route_up();
  EXPECT_FALSE(table_exists());
  EXPECT_EQ(send_udp("198.51.100.66", 53), "");
}

}  // namespace
}  // namespace vpnns::testing
