// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl forward's pure parts: the specs of its command line (ctl/forward_spec.h), its
// messages of the vpnnsctl <-> vpnns-execd protocol (exec_ipc/socket_wire.h): every one
// round-trips, malformed ones are refused with a reason, and the service's own rule (only
// 127.0.0.1 inside the namespace); one direction of a relayed connection (ctl/forward_pump.h) on
// socketpairs: every byte, and the end of stream once every byte is out.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/forward_pump.h"
#include "ctl/forward_spec.h"
#include "exec_ipc/exec_wire.h"

namespace vpnns {
namespace {

using ctl::ForwardSpec;
using ctl::parse_forward_spec;

TEST(ForwardSpec, Accepts) {
  struct Case {
    const char* text;
    bool reverse, udp;
    ForwardSpec want;
  } cases[] = {
      {"8080:80", false, false, {false, false, {127, 0, 0, 1}, 8080, 80}},
      {"0.0.0.0:8080:80", false, false, {false, false, {0, 0, 0, 0}, 8080, 80}},
      {"192.0.2.7:1:65535", false, false, {false, false, {192, 0, 2, 7}, 1, 65535}},
      {"5353:53/udp", false, false, {false, true, {127, 0, 0, 1}, 5353, 53}},
      {"5353:53/tcp", false, true, {false, true, {127, 0, 0, 1}, 5353, 53}},  // --udp wins
      {"9090:3128", true, false, {true, false, {127, 0, 0, 1}, 3128, 9090}},
      {"9090:198.51.100.4:3128", true, false, {true, false, {198, 51, 100, 4}, 3128, 9090}},
      {"53:5300/udp", true, false, {true, true, {127, 0, 0, 1}, 5300, 53}},
  };
  for (const Case& c : cases) {
    auto got = parse_forward_spec(c.text, c.reverse, c.udp);
    ASSERT_TRUE(got) << c.text << ": " << got.error().text();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ForwardSpec, RefusesWithReasons) {
  struct Case {
    const char* text;
    bool reverse;
    const char* why;
  } cases[] = {
      {"", false, "expected [HOST_ADDR:]HOST_PORT:NS_PORT"},
      {"8080", false, "expected [HOST_ADDR:]HOST_PORT:NS_PORT"},
      {"8080", true, "expected NS_PORT:[HOST_ADDR:]HOST_PORT"},
      {"1:2:3:4", false, "expected"},
      {"0:80", false, "host port '0' is not a port"},
      {"8080:65536", false, "namespace port '65536' is not a port"},
      {"8080:-1", false, "is not a port"},
      {"8080: 80", false, "is not a port"},
      {"localhost:8080:80", false, "host address 'localhost' is not a dotted IPv4 address"},
      {"1.2.3:8080:80", false, "is not a dotted IPv4 address"},
      {"1.2.3.256:8080:80", false, "is not a dotted IPv4 address"},
      {"01.2.3.4:8080:80", false, "is not a dotted IPv4 address"},
      {"8080:80/sctp", false, "'/sctp' is neither /tcp nor /udp"},
      {"80:x:8080", true, "host address 'x'"},
  };
  for (const Case& c : cases) {
    auto got = parse_forward_spec(c.text, c.reverse, false);
    ASSERT_FALSE(got) << c.text;
    EXPECT_NE(got.error().message().find(c.why), std::string::npos)
        << c.text << ": " << got.error().message();
  }
}

TEST(ForwardSpec, NamespaceEndpointAndWords) {
  auto spec = parse_forward_spec("9090:3128/udp", true, false);
  ASSERT_TRUE(spec);
  EXPECT_EQ(ctl::ns_endpoint(*spec), (SocketEndpoint{SocketKind::kUdpBind, {127, 0, 0, 1}, 9090}));
  EXPECT_EQ(ctl::describe(*spec, "work"),
            "udp 127.0.0.1:9090 in namespace work -> host 127.0.0.1:3128");
  spec = parse_forward_spec("8080:80", false, false);
  ASSERT_TRUE(spec);
  EXPECT_EQ(ctl::ns_endpoint(*spec), (SocketEndpoint{SocketKind::kTcpConnect, {127, 0, 0, 1}, 80}));
  EXPECT_EQ(ctl::describe(*spec, "work"),
            "tcp host 127.0.0.1:8080 -> 127.0.0.1:80 in namespace work");
}

ForwardRequest request() {
  ForwardRequest r;
  r.netns = "work";
  r.endpoints = {{SocketKind::kTcpConnect, {127, 0, 0, 1}, 80},
                 {SocketKind::kTcpListen, {127, 0, 0, 1}, 9090},
                 {SocketKind::kUdpConnect, {127, 0, 0, 1}, 53},
                 {SocketKind::kUdpBind, {127, 0, 0, 1}, 5300}};
  return r;
}

TEST(ForwardWire, RoundTrips) {
  for (const ExecClientMessage& m :
       {ExecClientMessage(request()), ExecClientMessage(SocketOpen{7, 3}),
        ExecClientMessage(SocketOpen{0xffffffffU, 0})}) {
    auto back = decode_exec_client(encode_exec(m));
    ASSERT_TRUE(back) << back.error().text();
    EXPECT_EQ(*back, m);
    EXPECT_EQ(expected_fds(*back), 0u);
  }
  for (const ExecServiceMessage& m :
       {ExecServiceMessage(ForwardReady{}), ExecServiceMessage(SocketOpened{42}),
        ExecServiceMessage(SocketFailed{42, Code::kSystem, 111, "tcp connect 127.0.0.1:80"})}) {
    auto back = decode_exec_service(encode_exec(m));
    ASSERT_TRUE(back) << back.error().text();
    EXPECT_EQ(*back, m);
  }
}

TEST(ForwardWire, RefusesMalformedAndMisdirected) {
  auto refused = [](std::vector<std::uint8_t> frame, const char* why) {
    auto got = decode_exec_client(frame);
    ASSERT_FALSE(got) << why;
    EXPECT_NE(got.error().message().find(why), std::string::npos) << got.error().message();
  };
  ForwardRequest r = request();
  auto bad_kind = encode_exec(ExecClientMessage(r));
  // The first endpoint's kind byte: header 12, netns attr 4+4, endpoint attr header 4.
  bad_kind[12 + 8 + 4] = 9;
  refused(bad_kind, "endpoint kind 9");
  r.endpoints[0].port = 0;
  refused(encode_exec(ExecClientMessage(r)), "endpoint port 0");
  r = request();
  r.endpoints.resize(kMaxForwardEndpoints + 1, r.endpoints[0]);
  refused(encode_exec(ExecClientMessage(r)), "endpoint");
  r.endpoints.clear();
  refused(encode_exec(ExecClientMessage(r)), "endpoint");
  // The service's messages are not the client's, and the other way round.
  refused(encode_exec(ExecServiceMessage(SocketOpened{1})), "does not come from vpnnsctl");
  auto wrong = decode_exec_service(encode_exec(ExecClientMessage(SocketOpen{1, 0})));
  ASSERT_FALSE(wrong);
  // A failure code the protocol does not know.
  auto f = encode_exec(ExecServiceMessage(SocketFailed{1, Code::kSystem, 0, ""}));
  f[12 + 8 + 4] = 0;  // the code's value, after the id attribute
  EXPECT_FALSE(decode_exec_service(f));
}

TEST(ForwardWire, OnlyLoopbackInsideTheNamespace) {
  EXPECT_TRUE(check_forward_request(request()));
  ForwardRequest r = request();
  r.endpoints[2].addr = {198, 51, 100, 1};
  auto s = check_forward_request(r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(s.error().message(),
            "refused udp connect 198.51.100.1:53: a forward reaches only 127.0.0.1 inside the "
            "namespace");
  r.endpoints = {{SocketKind::kTcpListen, {0, 0, 0, 0}, 80}};
  EXPECT_FALSE(check_forward_request(r));
  r.endpoints.clear();
  EXPECT_FALSE(check_forward_request(r));
}

// The relay's loop calls splice_pump() only when epoll reports a socket ready: once the source
// has said end of stream and every byte is out, it must have passed the end on already, for no
// event will come again — also when the end came in the last round it was allowed.
TEST(ForwardPump, PassesEveryByteAndThenTheEnd) {
  for (int rounds : {1, 2, 3, 8}) {
    int src[2], dst[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, src), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, dst), 0);
    UniqueFd writer(src[0]), relay_in(src[1]), relay_out(dst[0]), reader(dst[1]);
    const std::string data(100'000, 'x');
    std::size_t sent = 0;
    ctl::SpliceDir d;
    ASSERT_TRUE(ctl::make_pipe(d));
    std::size_t got = 0;
    bool end = false;
    for (int i = 0; i < 10'000 && !end; ++i) {
      if (sent < data.size()) {
        const ssize_t n = ::write(writer.get(), data.data() + sent, data.size() - sent);
        if (n > 0) sent += static_cast<std::size_t>(n);
        if (sent == data.size()) {
          ASSERT_EQ(::shutdown(writer.get(), SHUT_WR), 0);
        }
      }
      ASSERT_TRUE(ctl::splice_pump(relay_in.get(), relay_out.get(), d, rounds));
      if (d.eof && d.in_pipe == 0) {
        EXPECT_TRUE(d.shut) << rounds << " rounds, call " << i;
      }
      char buf[65536];
      for (;;) {
        const ssize_t n = ::read(reader.get(), buf, sizeof buf);
        if (n > 0) got += static_cast<std::size_t>(n);
        if (n == 0) end = true;
        if (n <= 0) break;
      }
    }
    EXPECT_TRUE(end) << rounds << " rounds: no end of stream";
    EXPECT_EQ(got, data.size()) << rounds << " rounds";
  }
}

}  // namespace
}  // namespace vpnns
