// SPDX-License-Identifier: GPL-2.0-or-later
// netns mode against the real kernel: a real helper, a real tun device, throw-away namespaces.
// Every refusal is checked to leave the system exactly as it was (snapshot before == after).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "helper_ipc/wire.h"
#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

using TunnelTest = HelperTest;

TEST_F(TunnelTest, CreatesTheNamespaceVisibleToIp) {
  EXPECT_FALSE(exists("/run/netns/" + target_));
  start();
  EXPECT_NE(sh("ip netns list").find(target_), std::string::npos);
  EXPECT_EQ(links(target_), "lo ");
}

TEST_F(TunnelTest, OpensAPrecreatedNamespace) {
  sh("ip netns add " + target_);
  const std::string inode = sh("stat -L -c %i /run/netns/" + target_);
  start();
  expect_ok(subnet_up());
  EXPECT_EQ(sh("stat -L -c %i /run/netns/" + target_), inode);
  EXPECT_EQ(links(target_), "lo " + tun_name_ + " ");
}

TEST_F(TunnelTest, UpMovesTheTunAndConfiguresIt) {
  start();
  Reply r = expect_ok(subnet_up());
  EXPECT_NE(r.message.find("moved into network namespace '" + target_ + "'"), std::string::npos);
  // openvpn's namespace lost the device; the target holds exactly lo and the tun.
  EXPECT_EQ(links(outer_), "lo ");
  EXPECT_EQ(links(target_), "lo " + tun_name_ + " ");
  const std::string link = sh("ip -n " + target_ + " -o link show " + tun_name_);
  EXPECT_NE(link.find("mtu 1400"), std::string::npos) << link;
  EXPECT_NE(link.find(",UP"), std::string::npos) << link;
  EXPECT_NE(sh("ip -n " + target_ + " -o link show lo").find(",UP"), std::string::npos);
  EXPECT_EQ(addrs(target_, tun_name_), "192.0.2.2/24 2001:db8:100::1000/64 ");
  EXPECT_NE(sh("ip -n " + target_ + " -o -4 addr show dev " + tun_name_).find("brd 192.0.2.255"),
            std::string::npos);
  // The tun fd still carries traffic from the other namespace: the device is the same one.
  EXPECT_NE(sh("ip -n " + target_ + " -d link show " + tun_name_).find("tun type tun"),
            std::string::npos);
}

TEST_F(TunnelTest, UpPointToPoint) {
  start();
  UpRequest up = subnet_up();
  up.v4 = Ipv4Config{ip("192.0.2.6"), 32, ip("192.0.2.5")};
  up.v6.reset();
  expect_ok(up);
  EXPECT_NE(sh("ip -n " + target_ + " -o -4 addr show dev " + tun_name_)
                .find("192.0.2.6 peer 192.0.2.5/32"),
            std::string::npos);
  RouteUpRequest ru{tun_name_, {Route{prefix("203.0.113.0/24"), ip("192.0.2.5"), {}}}, {}};
  expect_ok(ru);
  EXPECT_NE(routes(target_).find("203.0.113.0/24 via 192.0.2.5 dev " + tun_name_),
            std::string::npos);
}

TEST_F(TunnelTest, RouteUpInstallsRoutesDefaultsAndDns) {
  start();
  expect_ok(subnet_up());
  Reply r = expect_ok(route_up());
  const std::string rt = routes(target_);
  EXPECT_NE(rt.find("default dev " + tun_name_ + " proto 86 scope link"), std::string::npos) << rt;
  EXPECT_NE(rt.find("203.0.113.0/24 via 192.0.2.1 dev " + tun_name_ + " proto 86 metric 5"),
            std::string::npos)
      << rt;
  EXPECT_NE(
      rt.find("2001:db8:200::/48 via 2001:db8:100::1 dev " + tun_name_ + " proto 86 metric 1024"),
      std::string::npos)
      << rt;
  EXPECT_NE(rt.find("default dev " + tun_name_ + " proto 86 metric 1024"), std::string::npos) << rt;
  EXPECT_EQ(read_file("/etc/netns/" + target_ + "/resolv.conf"),
            "# Written by vpnns: the DNS servers of this namespace's VPN tunnel.\n"
            "nameserver 192.0.2.53\nnameserver 2001:db8:100::53\nsearch example.test\n");
  const std::string nss = read_file("/etc/netns/" + target_ + "/nsswitch.conf");
  EXPECT_NE(nss.find("\nhosts:          files dns\n"), std::string::npos) << nss;
  EXPECT_NE(nss.find("passwd:"), std::string::npos) << nss;
}

TEST_F(TunnelTest, DnsNoWritesNoFiles) {
  start({"dns=no"});
  expect_ok(subnet_up());
  expect_ok(route_up());
  EXPECT_FALSE(exists("/etc/netns/" + target_));
}

TEST_F(TunnelTest, DnsFilesAreRewrittenInPlace) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  const std::string path = "/etc/netns/" + target_ + "/resolv.conf";
  const std::string inode = sh("stat -c %i " + path);
  RouteUpRequest again = route_up();
  again.dns.servers = {ip("192.0.2.54")};
  again.dns.search.clear();
  expect_ok(again);
  EXPECT_EQ(sh("stat -c %i " + path), inode);
  EXPECT_EQ(read_file(path),
            "# Written by vpnns: the DNS servers of this namespace's VPN tunnel.\n"
            "nameserver 192.0.2.54\n");
}

TEST_F(TunnelTest, RepeatedRouteUpReconciles) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  // Someone else's route in the namespace, and a stale one of ours.
  sh("ip -n " + target_ + " route add 198.51.100.0/24 dev " + tun_name_ + " proto static");
  sh("ip -n " + target_ + " route add 192.0.2.128/25 dev " + tun_name_ + " proto 86");
  RouteUpRequest next{tun_name_, {Route{prefix("198.18.0.0/15"), ip("192.0.2.1"), {}}}, {}};
  expect_ok(next);
  const std::string rt = routes(target_);
  EXPECT_EQ(rt.find("203.0.113.0/24"), std::string::npos) << rt;
  EXPECT_EQ(rt.find("2001:db8:200::/48"), std::string::npos) << rt;
  EXPECT_EQ(rt.find("192.0.2.128/25"), std::string::npos) << rt;
  EXPECT_NE(rt.find("198.18.0.0/15 via 192.0.2.1"), std::string::npos) << rt;
  EXPECT_NE(rt.find("198.51.100.0/24 dev " + tun_name_ + " proto static"), std::string::npos) << rt;
  // The same request twice is a no-op.
  const std::string before = snapshot();
  expect_ok(next);
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, UpRestartReconcilesLinkAndAddresses) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  sh("ip -n " + target_ + " addr add 192.0.2.99/24 dev " + tun_name_);
  sh("ip -n " + target_ + " link set " + tun_name_ + " mtu 1300");
  UpRequest restart = subnet_up();
  restart.context = Context::kRestart;
  Reply r = expect_ok(restart);
  EXPECT_NE(r.message.find("restart"), std::string::npos);
  EXPECT_EQ(addrs(target_, tun_name_), "192.0.2.2/24 2001:db8:100::1000/64 ");
  EXPECT_NE(sh("ip -n " + target_ + " -o link show " + tun_name_).find("mtu 1400"),
            std::string::npos);
}

TEST_F(TunnelTest, RoutePredownAndDownLeaveTheNamespaceClosed) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  expect_ok(RoutePredownRequest{tun_name_});
  EXPECT_EQ(routes(target_).find("proto 86"), std::string::npos);
  // DOWN restart (--up-restart) keeps everything.
  expect_ok(DownRequest{tun_name_, Context::kRestart});
  EXPECT_TRUE(exists("/etc/netns/" + target_ + "/resolv.conf"));
  Reply r = expect_ok(DownRequest{tun_name_, Context::kInit});
  EXPECT_NE(r.message.find("no route out"), std::string::npos);
  EXPECT_TRUE(exists("/run/netns/" + target_));
  EXPECT_FALSE(exists("/etc/netns/" + target_));
  EXPECT_EQ(sh("ip -n " + target_ + " -4 route show table main"), "");
  EXPECT_EQ(sh("ip -n " + target_ + " -o link show " + tun_name_).find(",UP"), std::string::npos);
}

TEST_F(TunnelTest, CloseTearsDownAndTheHelperExits) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  const pid_t pid = helper_->pid();
  Reply r = helper_->close();
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(process_gone(pid));
  EXPECT_FALSE(exists("/etc/netns/" + target_));
  EXPECT_EQ(routes(target_).find("proto 86"), std::string::npos);
  EXPECT_TRUE(exists("/run/netns/" + target_));
}

TEST_F(TunnelTest, EofTearsDownAndTheHelperExits) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  const pid_t pid = helper_->pid();
  // What openvpn's death looks like from the helper: the socket closes. The helper is still
  // our child, so reap it here.
  ::shutdown(helper_->socket_fd(), SHUT_RDWR);
  EXPECT_TRUE(process_gone(pid));
  EXPECT_FALSE(exists("/etc/netns/" + target_));
  EXPECT_EQ(routes(target_).find("proto 86"), std::string::npos);
  EXPECT_EQ(sh("ip -n " + target_ + " -o link show " + tun_name_).find(",UP"), std::string::npos);
}

TEST_F(TunnelTest, SigtermTearsDown) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  const pid_t pid = helper_->pid();
  ASSERT_GT(pid, 0);  // never kill(0 or -1, ...): that would hit the test's own process group
  ::kill(pid, SIGTERM);
  EXPECT_TRUE(process_gone(pid));
  EXPECT_FALSE(exists("/etc/netns/" + target_));
  EXPECT_EQ(routes(target_).find("proto 86"), std::string::npos);
  // Every later event fails cleanly.
  auto r = helper_->call(subnet_up());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("the helper is gone"), std::string::npos)
      << r.error().message();
  auto again = helper_->call(subnet_up());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message().find("exited with status 0"), std::string::npos)
      << again.error().message();
}

// --- Refusals: each leaves the system exactly as it was.

TEST_F(TunnelTest, RefusesAVeth) {
  sh("ip link add vethp0 type veth peer name vethp1");
  start();
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.dev = "vethp0";
  expect_refused(up, "is a 'veth' device, not a tun device");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusesATap) {
  UniqueFd tap = open_tun("tapp0", true);
  start();
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.dev = "tapp0";
  expect_refused(up, "is a tap device");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusesLoopback) {
  start();
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.dev = "lo";
  expect_refused(up, "not a tun device");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusesADeviceOpenvpnConfiguredItself) {
  sh("ip link set " + tun_name_ + " up");
  start();
  const std::string before = snapshot();
  expect_refused(subnet_up(), "ifconfig-noexec");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusesANamespaceWithAWayOut) {
  sh("ip netns add " + target_);
  sh("ip -n " + target_ + " link add vethw0 type veth peer name vethw1");
  start();
  const std::string before = snapshot();
  expect_refused(subnet_up(), "holds device 'vethw");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusesAMissingDevice) {
  start();
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.dev = "tunnope";
  expect_refused(up, "exists neither in openvpn's network namespace");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusesEventsOutOfOrder) {
  start();
  const std::string before = snapshot();
  expect_refused(route_up(), "ROUTE_UP before UP");
  UpRequest restart = subnet_up();
  restart.context = Context::kRestart;
  expect_refused(restart, "UP restart before any UP init");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusesAnotherDeviceOnceOneIsPinned) {
  sh("ip link add vethp0 type veth peer name vethp1");
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.dev = "vethp0";
  expect_refused(up, "this tunnel's device is '" + tun_name_ + "'");
  RouteUpRequest ru = route_up();
  ru.dev = "lo";
  expect_refused(ru, "this tunnel's device is '" + tun_name_ + "'");
  expect_refused(RoutePredownRequest{"vethp0"}, "this tunnel's device is");
  expect_refused(DownRequest{"vethp0", Context::kInit}, "this tunnel's device is");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, TheDeviceNameStaysPinnedAcrossDown) {
  start();
  expect_ok(subnet_up());
  expect_ok(DownRequest{tun_name_, Context::kInit});
  tun_.reset();  // openvpn closed the device; now something else appears under another name
  UniqueFd other = open_tun("tunp9");
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.dev = "tunp9";
  expect_refused(up, "this tunnel's device is '" + tun_name_ + "'");
  EXPECT_EQ(snapshot(), before);
  // A new device of the pinned name is what openvpn's reopen looks like: accepted.
  tun_ = open_tun(tun_name_);
  expect_ok(subnet_up());
}

TEST_F(TunnelTest, RefusedRouteUpChangesNothing) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  const std::string before = snapshot();
  RouteUpRequest bad = route_up();
  bad.routes.push_back(Route{prefix("198.18.0.0/15"), ip("198.51.100.1"), {}});
  bad.dns.servers = {ip("192.0.2.99")};
  expect_refused(bad, "not reachable through the tunnel");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(TunnelTest, RefusedUpChangesNothing) {
  start();
  const std::string before = snapshot();
  UpRequest up = subnet_up();
  up.mtu = 70000;
  expect_refused(up, "tun_mtu 70000");
  up = subnet_up();
  up.v4->local = ip("224.0.0.1");
  expect_refused(up, "not a unicast address");
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(links(outer_), "lo " + tun_name_ + " ");
}

TEST_F(TunnelTest, MalformedFramesAreRefusedAndTheHelperCarriesOn) {
  start();
  const int fd = helper_->socket_fd();
  auto raw = [&](const std::vector<std::uint8_t>& frame) {
    EXPECT_EQ(::send(fd, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
    std::vector<std::uint8_t> buf(kMaxFrameSize);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    EXPECT_GT(n, 0);
    buf.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    auto msg = decode_helper_message(buf);
    EXPECT_TRUE(msg.ok());
    return msg.ok() ? std::get<Reply>(*msg) : Reply{};
  };
  const std::string before = snapshot();
  Reply r = raw({'g', 'a', 'r', 'b', 'a', 'g', 'e', '!', 0, 0, 0, 0, 1});
  EXPECT_EQ(r.code, Code::kInvalidArgument);
  EXPECT_NE(r.message.find("bad magic"), std::string::npos) << r.message;
  r = raw({});
  EXPECT_NE(r.message.find("empty"), std::string::npos) << r.message;

  // A descriptor passed with SCM_RIGHTS that is not openvpn's tun is refused and closed.
  const std::string helper_fds = "ls /proc/" + std::to_string(helper_->pid()) + "/fd | wc -l";
  const std::string fds_before = sh(helper_fds);
  UniqueFd passed(::open("/etc/hostname", O_RDONLY | O_CLOEXEC));
  auto frame = encode_request(subnet_up());
  iovec iov{frame.data(), frame.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  const int pfd = passed.get();
  std::memcpy(CMSG_DATA(c), &pfd, sizeof pfd);
  ASSERT_GT(::sendmsg(fd, &msg, 0), 0);
  std::vector<std::uint8_t> buf(kMaxFrameSize);
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  ASSERT_GT(n, 0);
  buf.resize(static_cast<std::size_t>(n));
  auto reply = decode_helper_message(buf);
  ASSERT_TRUE(reply.ok());
  // UP may carry descriptors (openvpn's tun, tun_holder.h); this one is no tun: refused, closed.
  EXPECT_NE(std::get<Reply>(*reply).message.find("not attached to a tun device"), std::string::npos)
      << std::get<Reply>(*reply).message;
  EXPECT_EQ(sh(helper_fds), fds_before);

  // Oversized: more than the helper's buffer.
  std::vector<std::uint8_t> big(kMaxFrameSize + 100, 'x');
  r = raw(big);
  EXPECT_NE(r.message.find("larger than"), std::string::npos) << r.message;

  EXPECT_EQ(snapshot(), before);
  expect_ok(subnet_up());  // still answers a valid request
}

// --- Start-up refusals.

TEST_F(TunnelTest, RefusesOpenvpnsOwnNamespace) {
  auto config = parse_config({"netns=" + outer_, std::string("helper=") + VPNNS_TEST_HELPER}, {});
  ASSERT_TRUE(config.ok());
  auto h = HelperProcess::start(*config);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message().find("is openvpn's own namespace"), std::string::npos)
      << h.error().message();
}

TEST_F(TunnelTest, RefusesAHelperOthersCouldReplace) {
  const std::string dir = "/tmp/vpnns-priv-" + std::to_string(::getpid());
  sh("mkdir -p " + dir + " && chmod 755 " + dir + " && cp " + VPNNS_TEST_HELPER + " " + dir +
     "/h && chmod 775 " + dir + "/h");
  auto check = [&](const std::string& path, const std::string& reason) {
    auto config = parse_config({"netns=" + target_, "helper=" + path}, {});
    ASSERT_TRUE(config.ok());
    auto h = HelperProcess::start(*config);
    ASSERT_FALSE(h.ok()) << path;
    EXPECT_NE(h.error().message().find(reason), std::string::npos) << h.error().message();
  };
  check(dir + "/h", "writable by group or others (mode 0775)");
  sh("chmod 755 " + dir + "/h && chown 65534 " + dir + "/h");
  check(dir + "/h", "owned by uid 65534");
  sh("chown 0 " + dir + "/h && chmod 777 " + dir);
  check(dir + "/h", "directory " + dir + " is writable by group or others");
  check(dir + "/missing", "cannot resolve the path");
  sh("rm -rf " + dir);
  EXPECT_FALSE(exists("/run/netns/" + target_));
}

}  // namespace
}  // namespace vpnns::testing
