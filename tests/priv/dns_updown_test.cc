// SPDX-License-Identifier: GPL-2.0-or-later
// openvpn 2.7's DNS through the helper's dns-updown socket (helper/updown_socket.h), against a
// real helper: this test process plays openvpn (the helper's parent), forked children play
// vpnns-dns-updown. Who may connect (a root descendant of openvpn), what a dns-up does before and
// after ROUTE_UP, and that a refused caller changes nothing.
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "helper_ipc/channel.h"
#include "helper_ipc/wire.h"
#include "tests/priv/fixture.h"

namespace vpnns::testing {
namespace {

// How the caller is made.
enum class Caller { kChild, kUnprivilegedChild, kOrphan };

// What the caller saw: the errno of connect (0 if it connected) and the helper's reply.
struct Seen {
  int connect_errno = 0;
  Code code = Code::kOk;
  std::string message;
};

class DnsUpdownTest : public HelperTest {
 protected:
  // Sends `req` on the helper's dns-updown socket from a process made as `how`.
  Seen send_as(Caller how, const DnsUpdownRequest& req) {
    const std::string path = dns_updown_socket_path(::getpid());
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(out[0]);
      if (how == Caller::kOrphan) {
        // The grandchild does the work once its parent is gone: it no longer descends from us.
        const pid_t parent = ::getpid();
        if (::fork() != 0) ::_exit(0);
        while (::getppid() == parent) ::usleep(1000);
      }
      if (how == Caller::kUnprivilegedChild && ::setuid(65534) != 0) ::_exit(3);
      std::string report;
      UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
        report = "E" + std::to_string(errno);
      } else if (auto frame = ((void)send_frame(fd.get(), encode_request(Request(req))),
                               recv_frame(fd.get(), 5000));  // a refusal may come before the send
                 !frame) {
        report = "R" + frame.error().text();
      } else if (auto msg = decode_helper_message(*frame); !msg) {
        report = "R" + msg.error().text();
      } else {
        const Reply& r = std::get<Reply>(*msg);
        report = "C" + std::to_string(static_cast<int>(r.code)) + " " + r.message;
      }
      (void)!::write(out[1], report.data(), report.size());
      ::_exit(0);
    }
    ::close(out[1]);
    std::string report;
    char buf[4096];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) report.append(buf, n);
    ::close(out[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    Seen seen;
    if (report.starts_with("E")) {
      seen.connect_errno = std::stoi(report.substr(1));
    } else if (report.starts_with("C")) {
      const auto space = report.find(' ');
      seen.code = static_cast<Code>(std::stoi(report.substr(1, space - 1)));
      seen.message = report.substr(space + 1);
    } else {
      ADD_FAILURE() << "caller failed: " << report;
    }
    return seen;
  }

  std::string resolv() const { return read_file("/etc/netns/" + target_ + "/resolv.conf"); }
  // What a dns-up could change (not the whole snapshot: other tests' namespaces come and go).
  std::string state() const {
    return resolv() + links(target_) + addrs(target_, tun_name_) + routes(target_);
  }

  static DnsUpdownRequest dns_up(const char* server, const char* domain) {
    DnsUpdownRequest r;
    r.dev = "tunp0";
    r.dns.servers = {ip(server)};
    r.dns.search = {domain};
    return r;
  }
};

TEST_F(DnsUpdownTest, DnsUpBeforeUpIsTheTunnelsDnsAtRouteUp) {
  start();
  // 2.7: dns-up comes before UP; ROUTE_UP then carries no DNS of its own.
  Seen s = send_as(Caller::kChild, dns_up("192.0.2.54", "updown.test"));
  ASSERT_EQ(s.code, Code::kOk) << s.message;
  EXPECT_NE(s.message.find("kept for the tunnel's ROUTE_UP"), std::string::npos) << s.message;
  expect_ok(subnet_up());
  RouteUpRequest ru = route_up();
  ru.dns = {};
  expect_ok(ru);
  EXPECT_EQ(resolv(),
            "# Written by vpnns: the DNS servers of this namespace's VPN tunnel.\n"
            "nameserver 192.0.2.54\nsearch updown.test\n");

  // A restart's dns-down and dns-up (no ROUTE_UP follows with persist-tun): applied at once.
  DnsUpdownRequest down;
  down.up = false;
  down.dev = "tunp0";
  EXPECT_EQ(send_as(Caller::kChild, down).code, Code::kOk);
  EXPECT_NE(resolv().find("192.0.2.54"), std::string::npos) << "dns-down must not empty the files";
  s = send_as(Caller::kChild, dns_up("192.0.2.55", "again.test"));
  ASSERT_EQ(s.code, Code::kOk) << s.message;
  EXPECT_EQ(resolv(),
            "# Written by vpnns: the DNS servers of this namespace's VPN tunnel.\n"
            "nameserver 192.0.2.55\nsearch again.test\n");
}

TEST_F(DnsUpdownTest, OnlyRootDescendantsOfOpenvpnMayTalk) {
  start();
  expect_ok(subnet_up());
  expect_ok(route_up());
  const std::string before = state();

  // The unprivileged openvpn's kind: the directory is root's alone.
  Seen user = send_as(Caller::kUnprivilegedChild, dns_up("192.0.2.66", "evil.test"));
  EXPECT_EQ(user.connect_errno, EACCES);
  // Root, but not openvpn's child.
  Seen orphan = send_as(Caller::kOrphan, dns_up("192.0.2.66", "evil.test"));
  EXPECT_EQ(orphan.code, Code::kPermissionDenied);
  EXPECT_NE(orphan.message.find("not a child of openvpn"), std::string::npos) << orphan.message;
  // A hostile value from a legitimate caller: refused with the reason, nothing changed.
  DnsUpdownRequest bad = dns_up("192.0.2.66", "evil.test");
  bad.dns.servers = {ip("224.0.0.1")};
  Seen refused = send_as(Caller::kChild, bad);
  EXPECT_EQ(refused.code, Code::kInvalidArgument);
  EXPECT_NE(refused.message.find("224.0.0.1"), std::string::npos) << refused.message;
  bad = dns_up("192.0.2.66", "evil.test");
  bad.dev = "tunX";
  EXPECT_EQ(send_as(Caller::kChild, bad).code, Code::kFailedPrecondition);
  EXPECT_EQ(state(), before);

  // openvpn's log hears of the refused caller with the next reply.
  Reply next = expect_ok(route_up());
  bool told = false;
  for (const auto& w : next.warnings) told |= w.find("dns-updown connection refused") == 0;
  EXPECT_TRUE(told);
}

TEST_F(DnsUpdownTest, SocketGoesWithTheHelper) {
  start();
  const std::string path = dns_updown_socket_path(::getpid());
  EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  (void)helper_->close();  // waits for its exit
  helper_.reset();
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace vpnns::testing
