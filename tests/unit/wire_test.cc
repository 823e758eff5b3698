// SPDX-License-Identifier: GPL-2.0-or-later
// The wire format: every message round-trips, and the decoder refuses every malformed frame
// with a reason (truncated, oversized, trailing garbage, unknown type or attribute, duplicates,
// bad lengths, control characters, non-zero padding).
#include "helper_ipc/wire.h"

#include <gtest/gtest.h>

#include "tests/support/raw_frame.h"

namespace vpnns {
namespace {

using testing::raw_attr;
using testing::raw_fix_length;
using testing::raw_frame;
using testing::raw_header;

IpAddr a(const char* s) { return *IpAddr::parse(s); }

UpRequest sample_up() {
  UpRequest up;
  up.dev = "tun0";
  up.mtu = 1500;
  up.context = Context::kInit;
  up.v4 = Ipv4Config{a("192.0.2.2"), 24, std::nullopt};
  up.v6 = Ipv6Config{a("2001:db8:100::1000"), 64};
  return up;
}

RouteUpRequest sample_route_up() {
  RouteUpRequest r;
  r.dev = "tun0";
  r.routes.push_back(Route{*Prefix::parse("203.0.113.0/24"), a("192.0.2.1"), 7});
  r.routes.push_back(Route{*Prefix::parse("2001:db8:200::/48"), std::nullopt, std::nullopt});
  r.routes.push_back(Route{*Prefix::parse("0.0.0.0/0"), std::nullopt, 0});
  r.dns.servers = {a("192.0.2.53"), a("2001:db8:100::53")};
  r.dns.search = {"example.test"};
  return r;
}

std::vector<Request> all_requests() {
  UpRequest p2p = sample_up();
  p2p.v4 = Ipv4Config{a("192.0.2.6"), 32, a("192.0.2.5")};
  p2p.v6.reset();
  p2p.context = Context::kRestart;
  return {sample_up(),
          p2p,
          sample_route_up(),
          RouteUpRequest{"tun1", {}, {}},
          RoutePredownRequest{"tun0"},
          DownRequest{"tun0", Context::kRestart},
          IpChangeRequest{a("198.51.100.1"), 1194},
          IpChangeRequest{a("2001:db8:1::1"), 443},
          CloseRequest{},
          DnsUpdownRequest{true, "tun0", sample_route_up().dns},
          DnsUpdownRequest{true, "tun0", {}},
          DnsUpdownRequest{false, "tun0", {}}};
}

TEST(Wire, RequestsRoundTrip) {
  for (const Request& r : all_requests()) {
    auto frame = encode_request(r);
    auto back = decode_request(frame);
    ASSERT_TRUE(back.ok()) << request_name(r) << ": " << back.error().message();
    EXPECT_EQ(*back, r) << request_name(r);
  }
}

TEST(Wire, HelperMessagesRoundTrip) {
  auto hello = decode_helper_message(encode_hello(Hello{kProtocolVersion, 4242}));
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(std::get<Hello>(*hello), (Hello{kProtocolVersion, 4242}));
  Reply reply{Code::kFailedPrecondition, "ROUTE_UP before UP", {"first", "second"}};
  auto back = decode_helper_message(encode_reply(reply));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<Reply>(*back), reply);
}

TEST(Wire, ReplyTextIsCleanedAndBounded) {
  Reply reply{Code::kOk, "line\nbreak\x01" + std::string(10000, 'x'), {}};
  auto back = decode_helper_message(encode_reply(reply));
  ASSERT_TRUE(back.ok()) << back.error().message();
  const auto& r = std::get<Reply>(*back);
  EXPECT_EQ(r.message.size(), kMaxMessageLength);
  EXPECT_EQ(r.message.substr(0, 12), "line?break?x");
}

TEST(Wire, BoundsAreEnforcedOnEncodeSideInputs) {
  RouteUpRequest r{"tun0", {}, {}};
  for (std::size_t i = 0; i <= kMaxRoutes; ++i) {
    r.routes.push_back(
        Route{*Prefix::parse("203.0.113.0/24"), std::nullopt, static_cast<std::uint32_t>(i)});
  }
  auto back = decode_request(encode_request(r));
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message().find("too many route"), std::string::npos);
}

// --- Malformed frames, built by hand.

std::vector<std::uint8_t> down_frame(
    const std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>>& attrs) {
  return raw_frame(19, attrs);
}

struct BadFrame {
  const char* name;
  std::vector<std::uint8_t> frame;
  const char* reason;
};

std::vector<std::uint8_t> route_up_with_route(std::vector<std::uint8_t> rec) {
  auto f = raw_header(17, 0);
  raw_attr(f, 1, {'t', 'u', 'n', '0'});
  raw_attr(f, 11, std::move(rec));
  raw_fix_length(f);
  return f;
}

std::vector<std::uint8_t> v4_route_record() {
  std::vector<std::uint8_t> rec(40, 0);
  rec[0] = 4;
  rec[1] = 24;
  rec[4] = 203;
  rec[5] = 0;
  rec[6] = 113;
  return rec;
}

std::vector<BadFrame> bad_frames() {
  std::vector<BadFrame> out;
  out.push_back({"empty", {}, "truncated header"});
  out.push_back({"short header", {'V', 'P', 'N'}, "truncated header"});
  {
    auto f = encode_request(CloseRequest{});
    f[0] = 'X';
    out.push_back({"bad magic", f, "bad magic"});
  }
  out.push_back({"version 2", raw_header(21, 12, 2), "protocol version 2"});
  out.push_back({"unknown type", raw_header(99, 12), "unknown message type 99"});
  out.push_back({"length says more", raw_header(21, 13), "length field says 13"});
  {
    auto f = raw_header(21, 12);
    f.push_back(0);
    out.push_back({"trailing byte", f, "length field"});
  }
  {
    auto f = raw_header(21, 0);
    f.insert(f.end(), {0, 1, 0});
    raw_fix_length(f);
    out.push_back({"trailing garbage", f, "truncated attribute header"});
  }
  {
    auto f = raw_header(19, 0);
    f.insert(f.end(), {0, 1, 0, 9, 't'});
    raw_fix_length(f);
    out.push_back({"attribute past end", f, "runs past the end"});
  }
  out.push_back({"missing dev", down_frame({{3, {0}}}), "missing dev"});
  out.push_back({"missing context", down_frame({{1, {'t'}}}), "missing context"});
  out.push_back({"duplicate dev", down_frame({{1, {'t'}}, {1, {'u'}}, {3, {0}}}), "duplicate dev"});
  out.push_back({"unexpected attribute", down_frame({{1, {'t'}}, {3, {0}}, {2, {0, 0, 5, 0}}}),
                 "unexpected attribute 2"});
  out.push_back({"unknown attribute", down_frame({{1, {'t'}}, {3, {0}}, {999, {}}}),
                 "unexpected attribute 999"});
  out.push_back({"empty dev", down_frame({{1, {}}, {3, {0}}}), "dev has length 0"});
  out.push_back({"dev too long", down_frame({{1, std::vector<std::uint8_t>(16, 'a')}, {3, {0}}}),
                 "dev has length 16"});
  out.push_back(
      {"dev control char", down_frame({{1, {'t', '\n'}}, {3, {0}}}), "control character"});
  out.push_back({"dev NUL", down_frame({{1, {'t', 0}}, {3, {0}}}), "control character"});
  out.push_back({"context 2", down_frame({{1, {'t'}}, {3, {2}}}), "context 2"});
  out.push_back({"context wide", down_frame({{1, {'t'}}, {3, {0, 0}}}), "context has length 2"});
  {
    auto rec = v4_route_record();
    rec[0] = 5;
    out.push_back({"route family", route_up_with_route(rec), "route family 5"});
  }
  {
    auto rec = v4_route_record();
    rec[10] = 1;  // inside the unused part of a v4 destination
    out.push_back({"route padding", route_up_with_route(rec), "padding"});
  }
  {
    auto rec = v4_route_record();
    rec[25] = 1;  // gateway bytes without the gateway flag
    out.push_back({"route gateway without flag", route_up_with_route(rec), "padding"});
  }
  {
    auto rec = v4_route_record();
    rec[39] = 1;  // metric without the metric flag
    out.push_back({"route metric without flag", route_up_with_route(rec), "padding"});
  }
  {
    auto rec = v4_route_record();
    rec[2] = 4;
    out.push_back({"route flags", route_up_with_route(rec), "route flags"});
  }
  {
    auto rec = v4_route_record();
    rec[1] = 33;
    out.push_back({"route prefix 33", route_up_with_route(rec), "route prefix length 33"});
  }
  {
    auto rec = v4_route_record();
    rec.pop_back();
    out.push_back({"route short", route_up_with_route(rec), "route has length 39"});
  }
  {
    auto f = raw_header(17, 0);
    raw_attr(f, 1, {'t'});
    raw_attr(f, 13, {1, 2, 3, 4, 5});
    raw_fix_length(f);
    out.push_back({"dns server of 5 bytes", f, "neither 4 nor 16"});
  }
  {
    auto f = raw_header(25, 0);
    raw_attr(f, 25, {2});
    raw_attr(f, 1, {'t'});
    raw_fix_length(f);
    out.push_back({"dns up of 2", f, "not 0 or 1"});
  }
  {
    auto f = raw_header(25, 0);
    raw_attr(f, 25, {0});
    raw_attr(f, 1, {'t'});
    raw_attr(f, 13, {192, 0, 2, 53});
    raw_fix_length(f);
    out.push_back({"dns-down with a server", f, "dns-down carries DNS values"});
  }
  {
    auto f = raw_header(25, 0);
    raw_attr(f, 1, {'t'});
    raw_fix_length(f);
    out.push_back({"dns-updown without up", f, "dns up"});
  }
  {
    auto f = raw_header(16, 0);
    raw_attr(f, 1, {'t'});
    raw_attr(f, 2, {0, 0, 5, 0xdc});
    raw_attr(f, 3, {0});
    raw_attr(f, 4, {192, 0, 2, 2});
    raw_fix_length(f);
    out.push_back({"v4 local without prefix", f, "must come together"});
  }
  {
    auto f = raw_header(2, 0);
    raw_attr(f, 15, {0});
    raw_fix_length(f);
    out.push_back({"reply as a request", f, "not a request"});
  }
  {
    std::vector<std::uint8_t> f(kMaxFrameSize + 1, 0);
    auto h = raw_header(21, static_cast<std::uint32_t>(f.size()));
    std::copy(h.begin(), h.end(), f.begin());
    out.push_back({"oversized", f, "oversized"});
  }
  return out;
}

TEST(Wire, MalformedRequestsAreRefusedWithAReason) {
  for (const auto& bad : bad_frames()) {
    auto r = decode_request(bad.frame);
    ASSERT_FALSE(r.ok()) << bad.name;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << bad.name;
    EXPECT_NE(r.error().message().find(bad.reason), std::string::npos)
        << bad.name << ": " << r.error().message();
  }
}

TEST(Wire, EveryTruncationOfAValidFrameIsRefused) {
  for (const Request& req : all_requests()) {
    auto frame = encode_request(req);
    for (std::size_t n = 0; n < frame.size(); ++n) {
      std::vector<std::uint8_t> cut(frame.begin(), frame.begin() + static_cast<long>(n));
      EXPECT_FALSE(decode_request(cut).ok()) << request_name(req) << " cut at " << n;
    }
  }
}

TEST(Wire, HelperMessageRefusals) {
  auto f = raw_header(2, 0);
  raw_attr(f, 15, {200});
  raw_fix_length(f);
  auto r = decode_helper_message(f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("reply code 200"), std::string::npos);
  EXPECT_FALSE(decode_helper_message(encode_request(CloseRequest{})).ok());
}

}  // namespace
}  // namespace vpnns
