// SPDX-License-Identifier: GPL-2.0-or-later
// The plugin <-> helper schema: which attributes each message type carries, and the builders
// that turn a parsed frame (ipc/tlv.h) into the typed messages of helper_ipc/messages.h and
// back. The frame walk and the rules every schema states are ipc/tlv.cc's; what is left here is
// what only this protocol knows: its attribute ids, the route record, and the checks a schema
// cannot express (enum ranges, record padding, attributes that go together, string characters).
#include "helper_ipc/wire.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <string_view>

#include "ipc/tlv.h"

namespace vpnns {
namespace {

using tlv::Attrs;
using tlv::get_u16;
using tlv::get_u32;
using tlv::get_u64;
using Span = tlv::Bytes;

constexpr std::size_t kRouteRecordSize = 40;

enum Attr : std::uint16_t {
  kDev = 1,
  kMtu = 2,
  kContext = 3,
  kV4Local = 4,
  kV4PrefixLen = 5,
  kV4Peer = 6,
  kV6Local = 7,
  kV6PrefixLen = 8,
  kRemote = 9,
  kRemotePort = 10,
  kRoute = 11,
  kDnsServer = 13,
  kDnsSearch = 14,
  kCode = 15,
  kMessage = 16,
  kWarning = 17,
  kVersion = 18,
  kPid = 19,
  kClientId = 20,
  kCommonName = 21,
  kLearnOp = 22,
  kAddress = 23,
  kAddressLen = 24,
  kDnsUp = 25,
};

// Schemas. Address attributes that may be either family allow 4..16 and are checked to be
// exactly 4 or 16 by the builder.
const tlv::Schema* schema(std::uint16_t type) {
  static const std::map<MsgType, tlv::Schema> schemas{
      {MsgType::kHello, {{kVersion, "version", 2, 2, 1, true}, {kPid, "pid", 4, 4, 1, true}}},
      {MsgType::kReply,
       {{kCode, "code", 1, 1, 1, true},
        {kMessage, "message", 0, kMaxMessageLength, 1, false},
        {kWarning, "warning", 1, kMaxMessageLength, kMaxWarnings, false}}},
      {MsgType::kUp,
       {{kDev, "dev", 1, 15, 1, true},
        {kMtu, "mtu", 4, 4, 1, true},
        {kContext, "context", 1, 1, 1, true},
        {kV4Local, "ipv4 local", 4, 4, 1, false},
        {kV4PrefixLen, "ipv4 prefix length", 1, 1, 1, false},
        {kV4Peer, "ipv4 peer", 4, 4, 1, false},
        {kV6Local, "ipv6 local", 16, 16, 1, false},
        {kV6PrefixLen, "ipv6 prefix length", 1, 1, 1, false},
        {kRemote, "remote", 4, 16, 1, false}}},
      {MsgType::kRouteUp,
       {{kDev, "dev", 1, 15, 1, true},
        {kRoute, "route", kRouteRecordSize, kRouteRecordSize, kMaxRoutes, false},
        {kDnsServer, "dns server", 4, 16, kMaxDnsServers, false},
        {kDnsSearch, "dns search domain", 1, 254, kMaxDnsSearch, false}}},
      {MsgType::kRoutePredown, {{kDev, "dev", 1, 15, 1, true}}},
      {MsgType::kDown, {{kDev, "dev", 1, 15, 1, true}, {kContext, "context", 1, 1, 1, true}}},
      {MsgType::kIpChange,
       {{kRemote, "remote", 4, 16, 1, true}, {kRemotePort, "remote port", 2, 2, 1, true}}},
      {MsgType::kClose, {}},
      {MsgType::kClientConnect,
       {{kClientId, "client id", 8, 8, 1, true},
        {kCommonName, "common name", 1, kMaxCommonName, 1, true}}},
      {MsgType::kClientDisconnect,
       {{kClientId, "client id", 8, 8, 1, true},
        {kCommonName, "common name", 1, kMaxCommonName, 1, true}}},
      {MsgType::kLearnAddress,
       {{kLearnOp, "learn operation", 1, 1, 1, true},
        {kAddress, "address", 4, 16, 1, true},
        {kAddressLen, "address prefix length", 1, 1, 1, true},
        {kClientId, "client id", 8, 8, 1, false},
        {kCommonName, "common name", 1, kMaxCommonName, 1, false}}},
      {MsgType::kDnsUpdown,
       {{kDnsUp, "dns up", 1, 1, 1, true},
        {kDev, "dev", 1, 15, 1, true},
        {kDnsServer, "dns server", 4, 16, kMaxDnsServers, false},
        {kDnsSearch, "dns search domain", 1, 254, kMaxDnsSearch, false}}},
  };
  auto it = schemas.find(static_cast<MsgType>(type));
  return it == schemas.end() ? nullptr : &it->second;
}

constexpr tlv::Dialect kDialect{
    {'V', 'P', 'N', 'S'}, kProtocolVersion, kMaxFrameSize, "frame", schema};

Error malformed(const std::string& what) { return tlv::malformed(kDialect, what); }

// A route: family u8 | prefix length u8 | flags u8 (1 gateway, 2 metric) | 0 | destination[16] |
// gateway[16] | metric u32. Unused bytes are zero.
std::array<std::uint8_t, kRouteRecordSize> route_record(const Route& r) {
  std::array<std::uint8_t, kRouteRecordSize> rec{};
  rec[0] = static_cast<std::uint8_t>(r.dst.family());
  rec[1] = r.dst.len;
  rec[2] = static_cast<std::uint8_t>((r.gateway ? 1 : 0) | (r.metric ? 2 : 0));
  std::ranges::copy(r.dst.addr.bytes(), rec.begin() + 4);
  if (r.gateway) std::ranges::copy(r.gateway->bytes(), rec.begin() + 20);
  const std::uint32_t m = r.metric.value_or(0);
  rec[36] = static_cast<std::uint8_t>(m >> 24);
  rec[37] = static_cast<std::uint8_t>(m >> 16);
  rec[38] = static_cast<std::uint8_t>(m >> 8);
  rec[39] = static_cast<std::uint8_t>(m);
  return rec;
}

using Frame = tlv::TypedFrame<MsgType>;

Result<Frame> parse_frame(Span bytes) { return tlv::parse_as<MsgType>(kDialect, bytes); }

Result<std::string> to_string(Span v, const char* what) { return tlv::text(kDialect, v, what); }

Result<IpAddr> to_addr(Span v, const char* what) {
  auto a = IpAddr::from_bytes(v);
  if (!a) return malformed(std::string(what) + " is neither 4 nor 16 bytes");
  return *a;
}

Result<Context> to_context(Span v) {
  if (v[0] > static_cast<std::uint8_t>(Context::kRestart)) {
    return malformed("context " + std::to_string(v[0]));
  }
  return static_cast<Context>(v[0]);
}

Result<Route> to_route(Span v) {
  const std::uint8_t fam = v[0];
  if (fam != 4 && fam != 6) return malformed("route family " + std::to_string(fam));
  const Family family = static_cast<Family>(fam);
  const std::size_t n = family == Family::kV4 ? 4 : 16;
  const std::uint8_t flags = v[2];
  if ((flags & ~3u) != 0 || v[3] != 0) return malformed("route flags");
  auto zero = [](Span s) { return std::ranges::all_of(s, [](std::uint8_t b) { return b == 0; }); };
  if (!zero(v.subspan(4 + n, 16 - n)) || !zero(v.subspan(20 + n, 16 - n))) {
    return malformed("route padding is not zero");
  }
  if ((flags & 1) == 0 && !zero(v.subspan(20, 16))) return malformed("route padding is not zero");
  const std::uint32_t metric = get_u32(&v[36]);
  if ((flags & 2) == 0 && metric != 0) return malformed("route padding is not zero");
  if (v[1] > max_prefix_len(family)) {
    return malformed("route prefix length " + std::to_string(v[1]));
  }
  Route r{Prefix{*IpAddr::from_bytes(v.subspan(4, n)), v[1]}, std::nullopt, std::nullopt};
  if (flags & 1) r.gateway = *IpAddr::from_bytes(v.subspan(20, n));
  if (flags & 2) r.metric = metric;
  return r;
}

Result<std::string> dev_of(const Attrs& a) { return to_string(a.one(kDev), "dev"); }

Result<Request> build_up(const Attrs& a) {
  UpRequest r;
  VPNNS_ASSIGN_OR_RETURN(r.dev, dev_of(a));
  r.mtu = get_u32(a.one(kMtu).data());
  VPNNS_ASSIGN_OR_RETURN(r.context, to_context(a.one(kContext)));
  if (a.has(kV4Local) != a.has(kV4PrefixLen)) {
    return malformed("ipv4 local and prefix length must come together");
  }
  if (a.has(kV4Peer) && !a.has(kV4Local)) return malformed("ipv4 peer without local");
  if (a.has(kV4Local)) {
    Ipv4Config v4{*IpAddr::from_bytes(a.one(kV4Local)), a.one(kV4PrefixLen)[0], std::nullopt};
    if (a.has(kV4Peer)) v4.peer = *IpAddr::from_bytes(a.one(kV4Peer));
    r.v4 = v4;
  }
  if (a.has(kV6Local) != a.has(kV6PrefixLen)) {
    return malformed("ipv6 local and prefix length must come together");
  }
  if (a.has(kV6Local)) {
    r.v6 = Ipv6Config{*IpAddr::from_bytes(a.one(kV6Local)), a.one(kV6PrefixLen)[0]};
  }
  if (a.has(kRemote)) {
    VPNNS_ASSIGN_OR_RETURN(r.remote, to_addr(a.one(kRemote), "remote"));
  }
  return Request(std::move(r));
}

Result<DnsConfig> dns_of(const Attrs& a) {
  DnsConfig dns;
  for (Span v : a.all(kDnsServer)) {
    VPNNS_ASSIGN_OR_RETURN(auto addr, to_addr(v, "dns server"));
    dns.servers.push_back(addr);
  }
  for (Span v : a.all(kDnsSearch)) {
    VPNNS_ASSIGN_OR_RETURN(auto name, to_string(v, "dns search domain"));
    dns.search.push_back(std::move(name));
  }
  return dns;
}

Result<Request> build_route_up(const Attrs& a) {
  RouteUpRequest r;
  VPNNS_ASSIGN_OR_RETURN(r.dev, dev_of(a));
  for (Span v : a.all(kRoute)) {
    VPNNS_ASSIGN_OR_RETURN(auto route, to_route(v));
    r.routes.push_back(route);
  }
  VPNNS_ASSIGN_OR_RETURN(r.dns, dns_of(a));
  return Request(std::move(r));
}

Result<Request> build_dns_updown(const Attrs& a) {
  DnsUpdownRequest r;
  const std::uint8_t up = a.one(kDnsUp)[0];
  if (up > 1) return malformed("dns up is " + std::to_string(up) + ", not 0 or 1");
  r.up = up == 1;
  VPNNS_ASSIGN_OR_RETURN(r.dev, dev_of(a));
  VPNNS_ASSIGN_OR_RETURN(r.dns, dns_of(a));
  if (!r.up && (!r.dns.servers.empty() || !r.dns.search.empty())) {
    return malformed("dns-down carries DNS values");
  }
  return Request(std::move(r));
}

Result<Request> build_request(const Frame& f) {
  const Attrs& a = f.attrs;
  switch (f.type) {
    case MsgType::kUp:
      return build_up(a);
    case MsgType::kRouteUp:
      return build_route_up(a);
    case MsgType::kDnsUpdown:
      return build_dns_updown(a);
    case MsgType::kRoutePredown: {
      VPNNS_ASSIGN_OR_RETURN(auto dev, dev_of(a));
      return Request(RoutePredownRequest{std::move(dev)});
    }
    case MsgType::kDown: {
      VPNNS_ASSIGN_OR_RETURN(auto dev, dev_of(a));
      VPNNS_ASSIGN_OR_RETURN(auto context, to_context(a.one(kContext)));
      return Request(DownRequest{std::move(dev), context});
    }
    case MsgType::kIpChange: {
      VPNNS_ASSIGN_OR_RETURN(auto remote, to_addr(a.one(kRemote), "remote"));
      return Request(IpChangeRequest{remote, get_u16(a.one(kRemotePort).data())});
    }
    case MsgType::kClose:
      return Request(CloseRequest{});
    case MsgType::kClientConnect:
    case MsgType::kClientDisconnect: {
      const std::uint64_t id = get_u64(a.one(kClientId).data());
      VPNNS_ASSIGN_OR_RETURN(auto cn, to_string(a.one(kCommonName), "common name"));
      if (f.type == MsgType::kClientConnect)
        return Request(ClientConnectRequest{id, std::move(cn)});
      return Request(ClientDisconnectRequest{id, std::move(cn)});
    }
    case MsgType::kLearnAddress: {
      LearnAddressRequest r;
      const std::uint8_t op = a.one(kLearnOp)[0];
      if (op > static_cast<std::uint8_t>(LearnOp::kDelete)) {
        return malformed("learn operation " + std::to_string(op));
      }
      r.op = static_cast<LearnOp>(op);
      VPNNS_ASSIGN_OR_RETURN(auto addr, to_addr(a.one(kAddress), "address"));
      const std::uint8_t len = a.one(kAddressLen)[0];
      if (len > max_prefix_len(addr.family())) {
        return malformed("address prefix length " + std::to_string(len));
      }
      r.address = Prefix{addr, len};
      if (a.has(kClientId)) r.client = get_u64(a.one(kClientId).data());
      if (a.has(kCommonName)) {
        VPNNS_ASSIGN_OR_RETURN(r.common_name, to_string(a.one(kCommonName), "common name"));
      }
      return Request(std::move(r));
    }
    case MsgType::kHello:
    case MsgType::kReply:
      break;
  }
  return malformed("message type " + std::to_string(static_cast<int>(f.type)) +
                   " is not a request");
}

}  // namespace

std::vector<std::uint8_t> encode_request(const Request& request) {
  struct Visitor {
    std::vector<std::uint8_t> operator()(const UpRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kUp);
      w.str(kDev, r.dev);
      w.u32(kMtu, r.mtu);
      w.u8(kContext, static_cast<std::uint8_t>(r.context));
      if (r.v4) {
        w.bytes(kV4Local, r.v4->local.bytes());
        w.u8(kV4PrefixLen, r.v4->prefix_len);
        if (r.v4->peer) w.bytes(kV4Peer, r.v4->peer->bytes());
      }
      if (r.v6) {
        w.bytes(kV6Local, r.v6->local.bytes());
        w.u8(kV6PrefixLen, r.v6->prefix_len);
      }
      if (r.remote) w.bytes(kRemote, r.remote->bytes());
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const RouteUpRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kRouteUp);
      w.str(kDev, r.dev);
      for (const auto& route : r.routes) w.bytes(kRoute, route_record(route));
      attr_dns(w, r.dns);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const DnsUpdownRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kDnsUpdown);
      w.u8(kDnsUp, r.up ? 1 : 0);
      w.str(kDev, r.dev);
      attr_dns(w, r.dns);
      return std::move(w).finish();
    }
    static void attr_dns(tlv::Writer& w, const DnsConfig& dns) {
      for (const auto& s : dns.servers) w.bytes(kDnsServer, s.bytes());
      for (const auto& s : dns.search) w.str(kDnsSearch, s);
    }
    std::vector<std::uint8_t> operator()(const RoutePredownRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kRoutePredown);
      w.str(kDev, r.dev);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const DownRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kDown);
      w.str(kDev, r.dev);
      w.u8(kContext, static_cast<std::uint8_t>(r.context));
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const IpChangeRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kIpChange);
      w.bytes(kRemote, r.remote.bytes());
      w.u16(kRemotePort, r.port);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const CloseRequest&) const {
      return tlv::Writer(kDialect, MsgType::kClose).finish();
    }
    std::vector<std::uint8_t> operator()(const ClientConnectRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kClientConnect);
      w.u64(kClientId, r.client);
      w.str(kCommonName, r.common_name);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ClientDisconnectRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kClientDisconnect);
      w.u64(kClientId, r.client);
      w.str(kCommonName, r.common_name);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const LearnAddressRequest& r) const {
      tlv::Writer w(kDialect, MsgType::kLearnAddress);
      w.u8(kLearnOp, static_cast<std::uint8_t>(r.op));
      w.bytes(kAddress, r.address.addr.bytes());
      w.u8(kAddressLen, r.address.len);
      if (r.client) w.u64(kClientId, *r.client);
      if (!r.common_name.empty()) w.str(kCommonName, r.common_name);
      return std::move(w).finish();
    }
  };
  return std::visit(Visitor{}, request);
}

Result<Request> decode_request(std::span<const std::uint8_t> frame) {
  VPNNS_ASSIGN_OR_RETURN(Frame f, parse_frame(frame));
  return build_request(f);
}

std::vector<std::uint8_t> encode_hello(const Hello& hello) {
  tlv::Writer w(kDialect, MsgType::kHello);
  w.u16(kVersion, hello.version);
  w.u32(kPid, hello.pid);
  return std::move(w).finish();
}

std::vector<std::uint8_t> encode_reply(const Reply& reply) {
  // Texts are cut to the protocol's bound and control characters replaced, so a reply is always
  // decodable whatever its message quotes.
  auto clean = [](std::string_view text) { return tlv::clean_text(text, kMaxMessageLength); };
  tlv::Writer w(kDialect, MsgType::kReply);
  w.u8(kCode, static_cast<std::uint8_t>(reply.code));
  w.str(kMessage, clean(reply.message));
  for (std::size_t i = 0; i < reply.warnings.size() && i < kMaxWarnings; ++i) {
    if (!reply.warnings[i].empty()) w.str(kWarning, clean(reply.warnings[i]));
  }
  return std::move(w).finish();
}

Result<HelperMessage> decode_helper_message(std::span<const std::uint8_t> frame) {
  VPNNS_ASSIGN_OR_RETURN(Frame f, parse_frame(frame));
  const Attrs& a = f.attrs;
  if (f.type == MsgType::kHello) {
    return HelperMessage(Hello{get_u16(a.one(kVersion).data()), get_u32(a.one(kPid).data())});
  }
  if (f.type == MsgType::kReply) {
    const std::uint8_t code = a.one(kCode)[0];
    if (code > static_cast<std::uint8_t>(Code::kInternal)) {
      return malformed("reply code " + std::to_string(code));
    }
    Reply r{static_cast<Code>(code), {}, {}};
    if (a.has(kMessage)) {
      VPNNS_ASSIGN_OR_RETURN(r.message, to_string(a.one(kMessage), "message"));
    }
    for (Span v : a.all(kWarning)) {
      VPNNS_ASSIGN_OR_RETURN(auto text, to_string(v, "warning"));
      r.warnings.push_back(std::move(text));
    }
    return HelperMessage(std::move(r));
  }
  return malformed("message type " + std::to_string(static_cast<int>(f.type)) +
                   " is not a helper message");
}

}  // namespace vpnns
