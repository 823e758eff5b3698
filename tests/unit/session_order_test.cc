// SPDX-License-Identifier: GPL-2.0-or-later
// The orders a vpnns-execd session's decoder passes to its privileged process
// (execd/session_order.h): what is encoded comes back equal; anything else is refused.
#include "execd/session_order.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <cstring>

namespace vpnns {
namespace {

ExecRequest pty_request() {
  ExecRequest r;
  r.netns = "vpn0";
  r.argv = {"sh", "-c", "", "echo hi"};
  r.env = {"PATH=/usr/bin", "EMPTY="};
  r.mode = ExecMode::kPty;
  r.umask = 027;
  r.winsize = ExecWinSize{24, 80, 0, 0};
  ExecTermModes t;
  t.lflag = 0x8a3b;
  t.cc[2] = 0x7f;
  r.term = t;
  return r;
}

TEST(SessionOrder, RoundTrips) {
  for (const SessionOrder& order :
       {SessionOrder(pty_request()), SessionOrder(SignalOrder{SIGINT}),
        SessionOrder(ExecRequest{"n", {"true"}, {}, ExecMode::kPipe, 022, {}, {}})}) {
    auto back = decode_order(encode_order(order));
    ASSERT_TRUE(back) << back.error().text();
    EXPECT_EQ(*back, order);
  }
}

TEST(SessionOrder, RefusesWhatItDidNotEncode) {
  const std::vector<std::uint8_t> good = encode_order(pty_request());
  struct Case {
    const char* what;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}});
  cases.push_back({"header cut", {good.begin(), good.begin() + 10}});
  cases.push_back({"last string cut", {good.begin(), good.end() - 1}});
  auto extra = good;
  extra.push_back('x');
  extra.push_back(0);
  cases.push_back({"one string more than counted", extra});
  auto magic = good;
  magic[0] ^= 1;
  cases.push_back({"wrong magic", magic});
  auto kind = good;
  kind[4] = 9;
  cases.push_back({"unknown kind", kind});
  auto mode = good;
  mode[12] = 7;
  cases.push_back({"unknown mode", mode});
  auto tty = good;
  tty[13] = 0;
  cases.push_back({"pty mode without terminal", tty});
  auto sig = encode_order(SignalOrder{SIGTERM});
  sig.push_back(0);
  cases.push_back({"a signal with strings", sig});
  for (const Case& c : cases) EXPECT_FALSE(decode_order(c.bytes)) << c.what;
}

// Every byte of an accepted order is as encode_order writes it (order_fuzzer checks the same):
// fields a kind or mode does not use are zero, and a request's fields pass the frame decoder's
// checks, since the decoder child is not trusted to have made them.
TEST(SessionOrder, RefusesFieldsEncodeWouldNotSet) {
  const std::vector<std::uint8_t> good = encode_order(pty_request());
  const std::size_t header = encode_order(ExecRequest{}).size();
  const std::size_t name = header - (kMaxExecNameField + 1);
  struct Case {
    const char* what;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Case> cases;
  auto sig = encode_order(SignalOrder{SIGTERM});
  sig[14] = 022;
  cases.push_back({"a signal with a umask", sig});
  auto signo = good;
  signo[8] = SIGTERM;
  cases.push_back({"a request with a signal", signo});
  auto tty = good;
  tty[13] = 2;
  cases.push_back({"has_tty 2", tty});
  auto reserved = good;
  reserved[73] = 1;  // after the terminal's line discipline
  cases.push_back({"reserved byte", reserved});
  auto pipe = encode_order(ExecRequest{"n", {"true"}, {}, ExecMode::kPipe, 022, {}, {}});
  pipe[16] = 24;
  cases.push_back({"a window size without a terminal", pipe});
  auto after_name = good;
  after_name[name + 5] = 'x';  // "vpn0", NUL, x
  cases.push_back({"bytes after the namespace name", after_name});
  ExecRequest r = pty_request();
  r.argv.front().clear();
  cases.push_back({"empty command", encode_order(r)});
  r = pty_request();
  r.env.push_back("NOVALUE");
  cases.push_back({"environment entry without =", encode_order(r)});
  r = pty_request();
  r.env.push_back("=x");
  cases.push_back({"environment entry without a name", encode_order(r)});
  r = pty_request();
  r.netns = "vpn\t0";
  cases.push_back({"control character in the namespace name", encode_order(r)});
  auto endpoint = good;
  endpoint[name - 2] = 1;  // the last endpoint's port: a forward's field
  cases.push_back({"a request with a forward's endpoint", endpoint});
  for (const Case& c : cases) EXPECT_FALSE(decode_order(c.bytes)) << c.what;
}

ForwardRequest forward_request() {
  ForwardRequest f;
  f.netns = "vpn0";
  f.endpoints = {SocketEndpoint{SocketKind::kTcpConnect, {127, 0, 0, 1}, 8080},
                 SocketEndpoint{SocketKind::kUdpBind, {127, 0, 0, 1}, 5300},
                 // Not 127.0.0.1: passed on as decoded; the privileged process refuses it.
                 SocketEndpoint{SocketKind::kTcpListen, {10, 0, 0, 1}, 80}};
  return f;
}

TEST(SessionOrder, ForwardOrdersRoundTrip) {
  ForwardRequest most = forward_request();
  most.netns = std::string(kMaxExecNameField, 'n');
  most.endpoints.assign(kMaxForwardEndpoints,
                        SocketEndpoint{SocketKind::kUdpConnect, {127, 0, 0, 1}, 65535});
  for (const SessionOrder& order :
       {SessionOrder(forward_request()), SessionOrder(most),
        SessionOrder(SocketOpen{0xfffffffe, 31}), SessionOrder(SocketOpen{})}) {
    auto back = decode_order(encode_order(order));
    ASSERT_TRUE(back) << back.error().text();
    EXPECT_EQ(*back, order);
  }
}

TEST(SessionOrder, RefusesBadForwardOrders) {
  // Offsets of the kinds' fields: kind at 4; the endpoint count just before the endpoints,
  // which end where the name begins.
  const std::size_t name_at = encode_order(ExecRequest{}).size() - (kMaxExecNameField + 1);
  const std::size_t endpoints_at = name_at - kMaxForwardEndpoints * 8;
  const std::size_t count_at = endpoints_at - 2;
  const std::vector<std::uint8_t> good = encode_order(forward_request());
  ASSERT_EQ(good[count_at], 3);
  ASSERT_EQ(good[endpoints_at + 8], static_cast<std::uint8_t>(SocketKind::kUdpBind));
  auto none = good;
  none[count_at] = 0;
  EXPECT_FALSE(decode_order(none)) << "no endpoint";
  auto many = good;
  many[count_at] = kMaxForwardEndpoints + 1;
  EXPECT_FALSE(decode_order(many)) << "too many endpoints";
  auto kind = good;
  kind[endpoints_at + 8] = 4;
  EXPECT_FALSE(decode_order(kind)) << "unknown endpoint kind";
  auto strings = good;
  strings.push_back(0);
  EXPECT_FALSE(decode_order(strings)) << "a forward with strings";
  auto name = good;
  std::memset(name.data() + name_at, 'a', kMaxExecNameField + 1);
  EXPECT_FALSE(decode_order(name)) << "unterminated name";
  auto open = encode_order(SocketOpen{1, 2});
  open.push_back(0);
  EXPECT_FALSE(decode_order(open)) << "a socket request with strings";
  // One spelling: what encode_order would not set is refused.
  auto reserved = good;
  reserved[endpoints_at + 1] = 1;
  EXPECT_FALSE(decode_order(reserved)) << "an endpoint's reserved byte";
  auto unused = good;
  unused[endpoints_at + 3 * 8] = 1;
  EXPECT_FALSE(decode_order(unused)) << "an endpoint beyond the count";
  auto umask = encode_order(SocketOpen{1, 2});
  umask[14] = 022;
  EXPECT_FALSE(decode_order(umask)) << "a socket request with a umask";
  auto fumask = good;
  fumask[14] = 022;
  EXPECT_FALSE(decode_order(fumask)) << "a forward with a umask";
}

TEST(SessionOrder, RefusesAnUnterminatedNamespaceName) {
  std::vector<std::uint8_t> bytes = encode_order(pty_request());
  // The name field is the header's last member; a request without strings is the header alone.
  const std::size_t name_end = encode_order(ExecRequest{}).size();
  std::memset(bytes.data() + name_end - (kMaxExecNameField + 1), 'a', kMaxExecNameField + 1);
  auto r = decode_order(bytes);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text().find("not terminated"), std::string::npos) << r.error().text();
}

}  // namespace
}  // namespace vpnns
