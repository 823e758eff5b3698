// SPDX-License-Identifier: GPL-2.0-or-later
// The hostile-peer suite: what a compromised openvpn could send the root helper.
//
// The helper runs in netns mode with the seal on, and is brought to a configured state (UP,
// ROUTE_UP, IPCHANGE). Then each crafted request below — raw garbage, malformed frames,
// ancillary data, and well-formed requests that make no sense for this tunnel — must be
//   * refused, with a reason;
//   * followed by a valid request that the helper still answers;
//   * leave the system exactly as before: links, addresses and routes in the root namespace,
//     openvpn's and the tunnel's; the whole nftables ruleset; everything under /etc/netns;
//     the list of namespaces.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "helper_ipc/wire.h"
#include "tests/priv/fixture.h"

#include "tests/support/raw_frame.h"

namespace vpnns::testing {
namespace {

class HostileTest : public HelperTest {
 protected:
  void SetUp() override {
    HelperTest::SetUp();
    sh("ip link add vethh0 type veth peer name vethh1");
    other_tun_ = open_tun("tunh1");
    start({"seal=yes"});
    expect_ok(IpChangeRequest{ip("198.51.100.1"), 1194});
    expect_ok(subnet_up());
    expect_ok(route_up());
  }

  // Everything a request could have touched, as text: the whole nftables ruleset; links,
  // addresses and routes in openvpn's namespace, the tunnel's and the root namespace; the list
  // of namespaces; everything under /etc/netns. It is taken twice per case, so it costs one
  // shell and seven processes (`ip -batch` lists links, addresses and routes in one), not a
  // shell and a process per listing.
  std::string world() const {
    const char* const kListings = "printf 'link show\\naddr show\\nroute show table %s\\n'";
    std::string script = "set -e\nnft list ruleset\n";
    for (const std::string& ns : {outer_, target_}) {
      script += "echo '== " + ns + "'\n";
      script += std::string(kListings) + " main | ip -n " + ns + " -d -batch -\n";
      script +=
          "ip -n " + ns +
          " -6 route show table main | { grep -v -e '^fe80::/64' -e '^multicast' || true; }\n";
    }
    script += "ls /run/netns | sort\n";
    script += "echo '== root namespace'\n";
    script += std::string(kListings) + " all | ip -d -batch -\n";  // all: IPv4 and IPv6
    script += "echo '== /etc/netns'\n";
    script += "ls -laR --time-style=+ /etc/netns 2>&1 || true\n";
    script += "find /etc/netns -type f -exec cat {} + 2>&1 || true\n";
    return sh(script);
  }

  // Sends raw bytes (with optional ancillary data) and returns the helper's reply.
  Reply raw(const std::vector<std::uint8_t>& frame, const msghdr* control = nullptr) {
    const int fd = helper_->socket_fd();
    iovec iov{const_cast<std::uint8_t*>(frame.data()), frame.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (control != nullptr) {
      msg.msg_control = control->msg_control;
      msg.msg_controllen = control->msg_controllen;
    }
    if (::sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) {
      ADD_FAILURE() << "sendmsg: " << std::strerror(errno);
      return {};
    }
    std::vector<std::uint8_t> buf(kMaxFrameSize);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) {
      ADD_FAILURE() << "no reply (helper gone?)";
      return {};
    }
    buf.resize(static_cast<std::size_t>(n));
    auto reply = decode_helper_message(buf);
    if (!reply || !std::holds_alternative<Reply>(*reply)) {
      ADD_FAILURE() << "undecodable reply";
      return {};
    }
    return std::get<Reply>(*reply);
  }

  Reply typed(const Request& r) { return raw(encode_request(r)); }

  UniqueFd other_tun_;
};

const std::vector<std::uint8_t> kDev = {'t', 'u', 'n', 'p', '0'};

TEST_F(HostileTest, EveryCraftedRequestIsRefusedAndChangesNothing) {
  struct Case {
    std::string name;
    std::function<Reply()> send;
    std::string reason;
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, std::string reason, std::function<Reply()> send) {
    cases.push_back({std::move(name), std::move(send), std::move(reason)});
  };

  // clang-format 14 and 19 lay out a short lambda that ends an overlong call differently
  // (14 breaks inside it, 19 before it), and this table has many: laid out once, left alone.
  // clang-format off
  // --- Raw bytes and malformed frames.
  add("random garbage", "bad magic", [&] {
    return raw({0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  });
  add("empty datagram", "empty", [&] { return raw({}); });
  add("truncated header", "truncated header", [&] { return raw({'V', 'P', 'N', 'S', 0}); });
  add("protocol version 2", "protocol version 2", [&] { return raw(raw_header(16, 12, 2)); });
  add("unknown message type", "unknown message type 99", [&] { return raw(raw_header(99, 12)); });
  add("length field too large", "length field says 4000",
      [&] { return raw(raw_header(21, 4000)); });
  add("trailing garbage", "truncated attribute header", [&] {
    auto f = raw_header(21, 0);
    f.insert(f.end(), {0, 9, 0});
    raw_fix_length(f);
    return raw(f);
  });
  add("attribute past the end", "runs past the end", [&] {
    auto f = raw_header(19, 0);
    f.insert(f.end(), {0, 1, 0, 50, 't'});
    raw_fix_length(f);
    return raw(f);
  });
  add("unexpected attribute", "unexpected attribute 15", [&] {
    return raw(raw_frame(18, {{1, kDev}, {15, {0}}}));
  });
  add("duplicate dev", "duplicate dev", [&] {
    return raw(raw_frame(18, {{1, kDev}, {1, {'l', 'o'}}}));
  });
  add("UP without mtu", "missing mtu", [&] { return raw(raw_frame(16, {{1, kDev}, {3, {0}}})); });
  add("dev with a newline", "control character", [&] {
    return raw(raw_frame(18, {{1, {'t', 'u', 'n', '\n'}}}));
  });
  add("dev longer than IFNAMSIZ", "dev has length 16", [&] {
    return raw(raw_frame(18, {{1, std::vector<std::uint8_t>(16, 'a')}}));
  });
  add("oversized frame", "larger than",
      [&] { return raw(std::vector<std::uint8_t>(kMaxFrameSize + 1, 'A')); });
  add("a reply as a request", "not a request", [&] {
    return raw(encode_reply(Reply{Code::kOk, "x", {}}));
  });
  add("a hello as a request", "not a request", [&] { return raw(encode_hello(Hello{1, 1})); });
  add("context out of range", "context 7", [&] {
    return raw(raw_frame(19, {{1, kDev}, {3, {7}}}));
  });
  add("route record padding", "padding", [&] {
    std::vector<std::uint8_t> rec(40, 0);
    rec[0] = 4;
    rec[1] = 24;
    rec[4] = 203;
    rec[6] = 113;
    rec[15] = 1;
    return raw(raw_frame(17, {{1, kDev}, {11, rec}}));
  });
  add("513 routes", "too many route", [&] {
    RouteUpRequest r = route_up();
    for (int i = 0; i < 513; ++i)
      r.routes.push_back(Route{prefix("203.0.113.0/24"), {}, static_cast<std::uint32_t>(i)});
    return typed(r);
  });
  add("9 DNS servers", "too many dns server", [&] {
    RouteUpRequest r = route_up();
    for (int i = 0; i < 7; ++i) r.dns.servers.push_back(ip("192.0.2.60"));
    return typed(r);
  });
  add("DNS name of 255 bytes", "dns search domain has length 255", [&] {
    RouteUpRequest r = route_up();
    r.dns.search = {std::string(255, 'a')};
    return typed(r);
  });
  add("a descriptor passed with SCM_RIGHTS", "ancillary data", [&] {
    UniqueFd passed(::open("/etc/hostname", O_RDONLY | O_CLOEXEC));
    alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_control = buf;
    m.msg_controllen = sizeof buf;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    const int pfd = passed.get();
    std::memcpy(CMSG_DATA(c), &pfd, sizeof pfd);
    return raw(encode_request(route_up()), &m);
  });
  // --- Well-formed requests that name things that are not this tunnel's.
  auto up_named = [&](const std::string& dev) {
    UpRequest up = subnet_up();
    up.dev = dev;
    return up;
  };
  add("UP naming lo", "this tunnel's device is 'tunp0'", [&] { return typed(up_named("lo")); });
  add("UP naming a veth", "this tunnel's device is", [&] { return typed(up_named("vethh0")); });
  add("UP naming another tun", "this tunnel's device is", [&] { return typed(up_named("tunh1")); });
  add("UP naming a device that does not exist", "this tunnel's device is",
      [&] { return typed(up_named("nope0")); });
  add("UP with a path in the name", "not a valid name", [&] { return typed(up_named("../lo")); });
  auto route_up_named = [&](const std::string& dev) {
    RouteUpRequest r = route_up();
    r.dev = dev;
    return r;
  };
  add("ROUTE_UP naming a veth", "this tunnel's device is",
      [&] { return typed(route_up_named("vethh0")); });
  add("ROUTE_PREDOWN naming lo", "this tunnel's device is",
      [&] { return typed(RoutePredownRequest{"lo"}); });
  add("DOWN naming a veth", "this tunnel's device is", [&] {
    return typed(DownRequest{"vethh0", Context::kInit});
  });

  // --- Values out of range, of the wrong kind, or off the tunnel.
  auto up_with = [&](const std::function<void(UpRequest&)>& change) {
    UpRequest up = subnet_up();
    change(up);
    return up;
  };
  add("MTU 0", "tun_mtu 0", [&] { return typed(up_with([](UpRequest& u) { u.mtu = 0; })); });
  add("MTU 100000", "tun_mtu 100000",
      [&] { return typed(up_with([](UpRequest& u) { u.mtu = 100000; })); });
  add("MTU below IPv6's minimum", "IPv6 needs at least 1280",
      [&] { return typed(up_with([](UpRequest& u) { u.mtu = 1200; })); });
  add("multicast local address", "not a unicast address",
      [&] { return typed(up_with([](UpRequest& u) { u.v4->local = ip("224.0.0.5"); })); });
  add("loopback local address", "not a unicast address",
      [&] { return typed(up_with([](UpRequest& u) { u.v4->local = ip("127.0.0.2"); })); });
  add("IPv4 prefix /0", "is outside 1-32",
      [&] { return typed(up_with([](UpRequest& u) { u.v4->prefix_len = 0; })); });
  // Caught one layer earlier: the decoder's length check for the slot.
  add("IPv6 address in the IPv4 slot", "ipv4 local has length 16",
      [&] { return typed(up_with([](UpRequest& u) { u.v4->local = ip("2001:db8::1"); })); });
  add("IPv6 prefix /200", "is outside 1-128",
      [&] { return typed(up_with([](UpRequest& u) { u.v6->prefix_len = 200; })); });
  add("no address at all", "no tunnel address", [&] {
    return typed(up_with([](UpRequest& u) {
      u.v4.reset();
      u.v6.reset();
    }));
  });
  auto route_with = [&](Route r) {
    RouteUpRequest ru = route_up();
    ru.routes.push_back(std::move(r));
    return ru;
  };
  add("route via a gateway off the tunnel", "not reachable through the tunnel", [&] {
    return typed(route_with({prefix("198.18.0.0/15"), ip("198.51.100.1"), {}}));
  });
  add("route via the tunnel's own address", "tunnel's own address", [&] {
    return typed(route_with({prefix("198.18.0.0/15"), ip("192.0.2.2"), {}}));
  });
  add("route via the subnet's broadcast address", "network or broadcast address", [&] {
    return typed(route_with({prefix("198.18.0.0/15"), ip("192.0.2.255"), {}}));
  });
  add("route via a multicast gateway", "not a unicast address", [&] {
    return typed(route_with({prefix("198.18.0.0/15"), ip("224.0.0.1"), {}}));
  });
  // Caught by the decoder: an IPv6 gateway does not fit an IPv4 route record's slot.
  add("IPv4 route via an IPv6 gateway", "route padding is not zero", [&] {
    return typed(route_with({prefix("198.18.0.0/15"), ip("2001:db8:100::1"), {}}));
  });
  add("IPv6 route via a gateway off the tunnel", "not reachable through the tunnel", [&] {
    return typed(route_with({prefix("2001:db8:300::/48"), ip("2001:db8:999::1"), {}}));
  });
  add("route with host bits", "host bits", [&] {
    Route r{prefix("198.18.0.0/15"), {}, {}};
    r.dst.addr = ip("198.18.0.1");
    return typed(route_with(r));
  });
  auto dns_with = [&](const std::function<void(DnsConfig&)>& change) {
    RouteUpRequest ru = route_up();
    change(ru.dns);
    return ru;
  };
  add("DNS server 127.0.0.1", "is not a unicast address",
      [&] { return typed(dns_with([](DnsConfig& d) { d.servers = {ip("127.0.0.1")}; })); });
  add("DNS server multicast", "is not a unicast address",
      [&] { return typed(dns_with([](DnsConfig& d) { d.servers = {ip("ff02::1")}; })); });
  add("search domain with a space", "is not a DNS name",
      [&] { return typed(dns_with([](DnsConfig& d) { d.search = {"corp example"}; })); });
  add("search domain with a semicolon", "is not a DNS name",
      [&] { return typed(dns_with([](DnsConfig& d) { d.search = {"x;rm -rf /"}; })); });
  add("search domain with quotes", "is not a DNS name",
      [&] { return typed(dns_with([](DnsConfig& d) { d.search = {"\"quoted\""}; })); });
  // Unicast, but not an address openvpn's configuration connects to (the LAN's resolver, say).
  for (const char* victim : {"203.0.113.53", "2001:db8:99::53"}) {
    add(std::string("IPCHANGE to ") + victim, "is not one that openvpn's configuration connects to",
        [&, victim] { return typed(IpChangeRequest{ip(victim), 1194}); });
  }
  for (const char* bad :
       {"0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::ffff:198.51.100.1"}) {
    add(std::string("IPCHANGE to ") + bad, "is not a unicast address", [&, bad] {
      return typed(IpChangeRequest{ip(bad), 1194});
    });
  }

  // clang-format on
  ASSERT_GE(cases.size(), 40u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string before = world();
    Reply r = c.send();
    EXPECT_FALSE(r.ok()) << "accepted: " << r.message;
    EXPECT_FALSE(r.message.empty()) << "no reason given";
    EXPECT_NE(r.message.find(c.reason), std::string::npos) << "reason: " << r.message;
    // Still answering, and a valid request (which changes nothing here) still works.
    Reply ok = typed(IpChangeRequest{ip("198.51.100.1"), 1194});
    EXPECT_TRUE(ok.ok()) << ok.message;
    EXPECT_EQ(world(), before);
  }
  // Credentials the helper did not ask for are never delivered to it (it does not set
  // SO_PASSCRED): a request sent with SCM_CREDENTIALS is just the request it carries.
  {
    const std::string before = world();
    alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(ucred))] = {};
    msghdr m{};
    m.msg_control = buf;
    m.msg_controllen = sizeof buf;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(ucred));
    ucred cred{::getpid(), 0, 0};
    std::memcpy(CMSG_DATA(c), &cred, sizeof cred);
    Reply r = raw(encode_request(IpChangeRequest{ip("198.51.100.1"), 1194}), &m);
    EXPECT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(world(), before);
  }
  // And it still does its job.
  Reply again = typed(route_up());
  EXPECT_TRUE(again.ok()) << again.message;
  std::printf("%zu hostile requests refused, system unchanged after each\n", cases.size());
}

}  // namespace
}  // namespace vpnns::testing
