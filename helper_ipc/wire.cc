// Encoder and schema-driven decoder for the frames described in wire.h.
//
// Decoding is two steps. First the frame is walked once against the schema of its type: every
// attribute must be known, of an allowed length, within its count; the result is a table of
// value spans by id. Then a per-message builder turns those spans into the typed message,
// checking what the schema cannot express (enum ranges, record padding, string characters).
#include "helper_ipc/wire.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <string_view>

namespace vpnns {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic{'V', 'P', 'N', 'S'};
constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kAttrHeaderSize = 4;
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

struct AttrRule {
  std::uint16_t id;
  const char* name;
  std::uint16_t min_len;
  std::uint16_t max_len;
  std::uint16_t max_count;  // 1 for a scalar
  bool required;
};

// Schemas. Address attributes that may be either family allow 4..16 and are checked to be
// exactly 4 or 16 by the builder.
const std::vector<AttrRule>& schema(MsgType type) {
  static const std::map<MsgType, std::vector<AttrRule>> schemas{
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
  static const std::vector<AttrRule> kNone;
  auto it = schemas.find(type);
  return it == schemas.end() ? kNone : it->second;
}

bool is_known_type(std::uint16_t t) {
  switch (static_cast<MsgType>(t)) {
    case MsgType::kHello:
    case MsgType::kReply:
    case MsgType::kUp:
    case MsgType::kRouteUp:
    case MsgType::kRoutePredown:
    case MsgType::kDown:
    case MsgType::kIpChange:
    case MsgType::kClose:
    case MsgType::kClientConnect:
    case MsgType::kClientDisconnect:
    case MsgType::kLearnAddress:
    case MsgType::kDnsUpdown:
      return true;
  }
  return false;
}

std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
std::uint64_t get_u64(const std::uint8_t* p) {
  return (std::uint64_t{get_u32(p)} << 32) | get_u32(p + 4);
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
 public:
  explicit Writer(MsgType type) {
    buf_.insert(buf_.end(), kMagic.begin(), kMagic.end());
    u16(kProtocolVersion);
    u16(static_cast<std::uint16_t>(type));
    u32(0);  // length, patched by finish()
  }

  void attr_u8(Attr id, std::uint8_t v) { attr(id, {&v, 1}); }
  void attr_u16(Attr id, std::uint16_t v) {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    attr(id, b);
  }
  void attr_u32(Attr id, std::uint32_t v) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24),
                               static_cast<std::uint8_t>(v >> 16),
                               static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    attr(id, b);
  }
  void attr_u64(Attr id, std::uint64_t v) {
    std::uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
    attr(id, b);
  }
  void attr_str(Attr id, std::string_view s) {
    attr(id, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  void attr_addr(Attr id, const IpAddr& a) { attr(id, a.bytes()); }
  void attr_route(const Route& r) {
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
    attr(kRoute, rec);
  }

  std::vector<std::uint8_t> finish() && {
    const auto n = static_cast<std::uint32_t>(buf_.size());
    buf_[8] = static_cast<std::uint8_t>(n >> 24);
    buf_[9] = static_cast<std::uint8_t>(n >> 16);
    buf_[10] = static_cast<std::uint8_t>(n >> 8);
    buf_[11] = static_cast<std::uint8_t>(n);
    return std::move(buf_);
  }

 private:
  void u16(std::uint16_t v) {
    buf_.push_back(static_cast<std::uint8_t>(v >> 8));
    buf_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void attr(Attr id, std::span<const std::uint8_t> value) {
    u16(id);
    // Values longer than the schema allows are a programming error on the sending side; they
    // are encoded truncated-free and the receiver refuses them.
    u16(static_cast<std::uint16_t>(std::min<std::size_t>(value.size(), 0xffff)));
    buf_.insert(buf_.end(), value.begin(),
                value.begin() + std::min<std::size_t>(value.size(), 0xffff));
  }

  std::vector<std::uint8_t> buf_;
};

// ---------------------------------------------------------------------------------------------
// Decoding

using Span = std::span<const std::uint8_t>;

class Attrs {
 public:
  [[nodiscard]] bool has(Attr id) const { return values_.contains(id); }
  [[nodiscard]] Span one(Attr id) const { return values_.at(id).front(); }
  [[nodiscard]] const std::vector<Span>& all(Attr id) const {
    static const std::vector<Span> kEmpty;
    auto it = values_.find(id);
    return it == values_.end() ? kEmpty : it->second;
  }
  void add(std::uint16_t id, Span v) { values_[id].push_back(v); }

 private:
  std::map<std::uint16_t, std::vector<Span>> values_;
};

Error malformed(const std::string& what) {
  return Error(Code::kInvalidArgument, "malformed frame: " + what);
}

struct Frame {
  MsgType type;
  Attrs attrs;
};

Result<Frame> parse_frame(Span frame) {
  if (frame.size() < kHeaderSize) {
    return malformed("truncated header (" + std::to_string(frame.size()) + " bytes)");
  }
  if (frame.size() > kMaxFrameSize) {
    return malformed("oversized (" + std::to_string(frame.size()) + " bytes)");
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), frame.begin())) return malformed("bad magic");
  const std::uint16_t version = get_u16(&frame[4]);
  if (version != kProtocolVersion) {
    return malformed("protocol version " + std::to_string(version) + ", expected " +
                     std::to_string(kProtocolVersion));
  }
  const std::uint16_t raw_type = get_u16(&frame[6]);
  if (!is_known_type(raw_type))
    return malformed("unknown message type " + std::to_string(raw_type));
  const std::uint32_t length = get_u32(&frame[8]);
  if (length != frame.size()) {
    return malformed("length field says " + std::to_string(length) + " bytes, frame has " +
                     std::to_string(frame.size()));
  }

  Frame out{static_cast<MsgType>(raw_type), {}};
  const auto& rules = schema(out.type);
  std::map<std::uint16_t, std::size_t> counts;
  std::size_t pos = kHeaderSize;
  while (pos < frame.size()) {
    if (frame.size() - pos < kAttrHeaderSize) return malformed("truncated attribute header");
    const std::uint16_t id = get_u16(&frame[pos]);
    const std::uint16_t len = get_u16(&frame[pos + 2]);
    pos += kAttrHeaderSize;
    if (frame.size() - pos < len) {
      return malformed("attribute " + std::to_string(id) + " runs past the end of the frame");
    }
    auto rule = std::ranges::find(rules, id, &AttrRule::id);
    if (rule == rules.end()) {
      return malformed("unexpected attribute " + std::to_string(id) + " in message type " +
                       std::to_string(raw_type));
    }
    if (len < rule->min_len || len > rule->max_len) {
      return malformed(std::string(rule->name) + " has length " + std::to_string(len));
    }
    if (++counts[id] > rule->max_count) {
      return malformed(rule->max_count == 1 ? std::string("duplicate ") + rule->name
                                            : std::string("too many ") + rule->name + " (max " +
                                                  std::to_string(rule->max_count) + ")");
    }
    out.attrs.add(id, frame.subspan(pos, len));
    pos += len;
  }
  for (const auto& rule : rules) {
    if (rule.required && !out.attrs.has(static_cast<Attr>(rule.id))) {
      return malformed(std::string("missing ") + rule.name);
    }
  }
  return out;
}

Result<std::string> to_string(Span v, const char* what) {
  for (std::uint8_t c : v) {
    if (c < 0x20 || c == 0x7f) {
      return malformed(std::string(what) + " contains a control character");
    }
  }
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

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

const char* request_name(const Request& request) {
  struct Visitor {
    const char* operator()(const UpRequest&) const { return "UP"; }
    const char* operator()(const RouteUpRequest&) const { return "ROUTE_UP"; }
    const char* operator()(const RoutePredownRequest&) const { return "ROUTE_PREDOWN"; }
    const char* operator()(const DownRequest&) const { return "DOWN"; }
    const char* operator()(const IpChangeRequest&) const { return "IPCHANGE"; }
    const char* operator()(const CloseRequest&) const { return "CLOSE"; }
    const char* operator()(const ClientConnectRequest&) const { return "CLIENT_CONNECT"; }
    const char* operator()(const ClientDisconnectRequest&) const { return "CLIENT_DISCONNECT"; }
    const char* operator()(const LearnAddressRequest&) const { return "LEARN_ADDRESS"; }
    const char* operator()(const DnsUpdownRequest& r) const { return r.up ? "dns-up" : "dns-down"; }
  };
  return std::visit(Visitor{}, request);
}

Reply Reply::from(const Status& status, std::string ok_summary) {
  if (status.ok()) return Reply{Code::kOk, std::move(ok_summary), {}};
  return Reply{status.error().code(), status.error().text(), {}};
}

std::vector<std::uint8_t> encode_request(const Request& request) {
  struct Visitor {
    std::vector<std::uint8_t> operator()(const UpRequest& r) const {
      Writer w(MsgType::kUp);
      w.attr_str(kDev, r.dev);
      w.attr_u32(kMtu, r.mtu);
      w.attr_u8(kContext, static_cast<std::uint8_t>(r.context));
      if (r.v4) {
        w.attr_addr(kV4Local, r.v4->local);
        w.attr_u8(kV4PrefixLen, r.v4->prefix_len);
        if (r.v4->peer) w.attr_addr(kV4Peer, *r.v4->peer);
      }
      if (r.v6) {
        w.attr_addr(kV6Local, r.v6->local);
        w.attr_u8(kV6PrefixLen, r.v6->prefix_len);
      }
      if (r.remote) w.attr_addr(kRemote, *r.remote);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const RouteUpRequest& r) const {
      Writer w(MsgType::kRouteUp);
      w.attr_str(kDev, r.dev);
      for (const auto& route : r.routes) w.attr_route(route);
      attr_dns(w, r.dns);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const DnsUpdownRequest& r) const {
      Writer w(MsgType::kDnsUpdown);
      w.attr_u8(kDnsUp, r.up ? 1 : 0);
      w.attr_str(kDev, r.dev);
      attr_dns(w, r.dns);
      return std::move(w).finish();
    }
    static void attr_dns(Writer& w, const DnsConfig& dns) {
      for (const auto& s : dns.servers) w.attr_addr(kDnsServer, s);
      for (const auto& s : dns.search) w.attr_str(kDnsSearch, s);
    }
    std::vector<std::uint8_t> operator()(const RoutePredownRequest& r) const {
      Writer w(MsgType::kRoutePredown);
      w.attr_str(kDev, r.dev);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const DownRequest& r) const {
      Writer w(MsgType::kDown);
      w.attr_str(kDev, r.dev);
      w.attr_u8(kContext, static_cast<std::uint8_t>(r.context));
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const IpChangeRequest& r) const {
      Writer w(MsgType::kIpChange);
      w.attr_addr(kRemote, r.remote);
      w.attr_u16(kRemotePort, r.port);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const CloseRequest&) const {
      return Writer(MsgType::kClose).finish();
    }
    std::vector<std::uint8_t> operator()(const ClientConnectRequest& r) const {
      Writer w(MsgType::kClientConnect);
      w.attr_u64(kClientId, r.client);
      w.attr_str(kCommonName, r.common_name);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ClientDisconnectRequest& r) const {
      Writer w(MsgType::kClientDisconnect);
      w.attr_u64(kClientId, r.client);
      w.attr_str(kCommonName, r.common_name);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const LearnAddressRequest& r) const {
      Writer w(MsgType::kLearnAddress);
      w.attr_u8(kLearnOp, static_cast<std::uint8_t>(r.op));
      w.attr_addr(kAddress, r.address.addr);
      w.attr_u8(kAddressLen, r.address.len);
      if (r.client) w.attr_u64(kClientId, *r.client);
      if (!r.common_name.empty()) w.attr_str(kCommonName, r.common_name);
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
  Writer w(MsgType::kHello);
  w.attr_u16(kVersion, hello.version);
  w.attr_u32(kPid, hello.pid);
  return std::move(w).finish();
}

std::vector<std::uint8_t> encode_reply(const Reply& reply) {
  // Texts are cut to the protocol's bound and control characters replaced, so a reply is always
  // decodable whatever its message quotes.
  auto clean = [](std::string_view text) {
    std::string out(text.substr(0, kMaxMessageLength));
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return out;
  };
  Writer w(MsgType::kReply);
  w.attr_u8(kCode, static_cast<std::uint8_t>(reply.code));
  w.attr_str(kMessage, clean(reply.message));
  for (std::size_t i = 0; i < reply.warnings.size() && i < kMaxWarnings; ++i) {
    if (!reply.warnings[i].empty()) w.attr_str(kWarning, clean(reply.warnings[i]));
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
