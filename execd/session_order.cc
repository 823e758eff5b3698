// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/session_order.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <string_view>
#include <type_traits>

#include "ipc/tlv.h"

namespace vpnns {
namespace {

constexpr std::uint32_t kMagic = 0x4f4e5056;  // "VPNO"
constexpr std::uint32_t kKindExec = 1;
constexpr std::uint32_t kKindSignal = 2;
constexpr std::uint32_t kKindForward = 3;
constexpr std::uint32_t kKindSocketOpen = 4;

struct RawEndpoint {
  std::uint8_t kind = 0;
  std::uint8_t reserved = 0;  // no padding (Header's check below covers it)
  std::uint8_t addr[4] = {};
  std::uint16_t port = 0;
};

// Copied as bytes in both directions; the two ends are the same binary. No padding (checked
// below): every byte is a field's, zero when the kind or mode does not use it, so an order has one
// spelling and carries none of the sender's stack. (ExecTermModes has padding; its fields are
// spelled out here.)
struct Header {
  std::uint32_t magic = kMagic;
  std::uint32_t kind = 0;
  std::int32_t signo = 0;
  std::uint8_t mode = 0;
  std::uint8_t has_tty = 0;
  std::uint16_t umask = 0;
  ExecWinSize winsize;
  std::uint32_t iflag = 0, oflag = 0, cflag = 0, lflag = 0;
  std::array<std::uint8_t, 32> cc{};
  std::uint8_t line = 0;
  std::array<std::uint8_t, 3> reserved{};
  std::uint32_t ispeed = 0, ospeed = 0;
  std::uint32_t argc = 0;
  std::uint32_t envc = 0;
  std::uint32_t socket_id = 0;  // kSocketOpen
  std::uint16_t endpoint = 0;
  std::uint16_t endpointc = 0;  // kForward
  RawEndpoint endpoints[kMaxForwardEndpoints] = {};
  char netns[kMaxExecNameField + 1] = {};  // last (tests/unit/session_order_test.cc)
};
static_assert(std::is_trivially_copyable_v<Header>);
static_assert(std::has_unique_object_representations_v<Header>, "Header has padding");
static_assert(sizeof(ExecTermModes::cc) == sizeof(Header::cc));

void put_term(Header& h, const ExecTermModes& t) {
  h.iflag = t.iflag;
  h.oflag = t.oflag;
  h.cflag = t.cflag;
  h.lflag = t.lflag;
  h.line = t.line;
  h.cc = t.cc;
  h.ispeed = t.ispeed;
  h.ospeed = t.ospeed;
}

ExecTermModes term_of(const Header& h) {
  ExecTermModes t;
  t.iflag = h.iflag;
  t.oflag = h.oflag;
  t.cflag = h.cflag;
  t.lflag = h.lflag;
  t.line = h.line;
  t.cc = h.cc;
  t.ispeed = h.ispeed;
  t.ospeed = h.ospeed;
  return t;
}

tlv::Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Error bad(const std::string& what) { return Error(Code::kInvalidArgument, "bad order: " + what); }

// An order that decoded must be exactly what encode_order() writes for it: unused fields and
// endpoints zero, so an order has one spelling (the exec request's own fields are also checked
// one by one, with their own reasons).
Result<SessionOrder> canonical(SessionOrder order, std::span<const std::uint8_t> bytes,
                               const char* what);

// The endpoints' kinds and count are range-checked here; their addresses and ports are the
// privileged process's to judge (check_forward_endpoints(), socket_request.h).
Result<SessionOrder> decode_forward(const Header& h, std::string_view tail) {
  if (!tail.empty()) return bad("a forward with strings");
  if (h.netns[kMaxExecNameField] != '\0') return bad("namespace name not terminated");
  if (h.endpointc < 1 || h.endpointc > kMaxForwardEndpoints) return bad("endpoint count");
  ForwardRequest f;
  f.netns = h.netns;
  for (std::size_t i = 0; i < h.endpointc; ++i) {
    const RawEndpoint& raw = h.endpoints[i];
    if (raw.kind > static_cast<std::uint8_t>(SocketKind::kUdpBind)) return bad("endpoint kind");
    SocketEndpoint e;
    e.kind = static_cast<SocketKind>(raw.kind);
    std::memcpy(e.addr.data(), raw.addr, 4);
    e.port = raw.port;
    f.endpoints.push_back(e);
  }
  return SessionOrder(std::move(f));
}

Result<SessionOrder> canonical(SessionOrder order, std::span<const std::uint8_t> bytes,
                               const char* what) {
  const std::vector<std::uint8_t> again = encode_order(order);
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) {
    return bad(std::string(what) + " with unused fields or endpoints set");
  }
  return order;
}

}  // namespace

std::vector<std::uint8_t> encode_order(const SessionOrder& order) {
  Header h;
  std::string strings;
  if (const auto* s = std::get_if<SignalOrder>(&order)) {
    h.kind = kKindSignal;
    h.signo = s->signo;
  } else if (const auto* o = std::get_if<SocketOpen>(&order)) {
    h.kind = kKindSocketOpen;
    h.socket_id = o->id;
    h.endpoint = o->endpoint;
  } else if (const auto* f = std::get_if<ForwardRequest>(&order)) {
    h.kind = kKindForward;
    std::memcpy(h.netns, f->netns.data(), std::min(f->netns.size(), kMaxExecNameField));
    h.endpointc = static_cast<std::uint16_t>(std::min(f->endpoints.size(), kMaxForwardEndpoints));
    for (std::size_t i = 0; i < h.endpointc; ++i) {
      const SocketEndpoint& e = f->endpoints[i];
      h.endpoints[i].kind = static_cast<std::uint8_t>(e.kind);
      std::memcpy(h.endpoints[i].addr, e.addr.data(), 4);
      h.endpoints[i].port = e.port;
    }
  } else {
    const auto& r = std::get<ExecRequest>(order);
    h.kind = kKindExec;
    h.mode = static_cast<std::uint8_t>(r.mode);
    h.umask = r.umask;
    if (r.winsize && r.term) {
      h.has_tty = 1;
      h.winsize = *r.winsize;
      put_term(h, *r.term);
    }
    std::memcpy(h.netns, r.netns.data(), std::min(r.netns.size(), kMaxExecNameField));
    h.argc = static_cast<std::uint32_t>(r.argv.size());
    h.envc = static_cast<std::uint32_t>(r.env.size());
    for (const auto* list : {&r.argv, &r.env}) {
      for (const std::string& text : *list) {
        strings += text;
        strings += '\0';
      }
    }
  }
  std::vector<std::uint8_t> out(sizeof h + strings.size());
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, strings.data(), strings.size());
  return out;
}

Result<SessionOrder> decode_order(std::span<const std::uint8_t> bytes) {
  Header h;
  if (bytes.size() < sizeof h) return bad("shorter than its header");
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.magic != kMagic) return bad("wrong magic");
  const std::string_view tail(reinterpret_cast<const char*>(bytes.data()) + sizeof h,
                              bytes.size() - sizeof h);
  if (h.kind == kKindSignal) {
    Header only;  // a signal order sets nothing else
    only.kind = kKindSignal;
    only.signo = h.signo;
    if (std::memcmp(&only, &h, sizeof h) != 0) return bad("a signal with other fields set");
    if (!tail.empty()) return bad("a signal with strings");
    return SessionOrder(SignalOrder{h.signo});
  }
  if (h.kind == kKindSocketOpen) {
    if (!tail.empty()) return bad("a socket request with strings");
    return canonical(SocketOpen{h.socket_id, h.endpoint}, bytes, "a socket request");
  }
  if (h.kind == kKindForward) {
    VPNNS_ASSIGN_OR_RETURN(SessionOrder forward, decode_forward(h, tail));
    return canonical(std::move(forward), bytes, "a forward");
  }
  if (h.kind != kKindExec) return bad("unknown kind " + std::to_string(h.kind));
  ExecRequest r;
  if (h.mode > static_cast<std::uint8_t>(ExecMode::kPtyOwnStderr)) return bad("unknown mode");
  r.mode = static_cast<ExecMode>(h.mode);
  if (h.signo != 0) return bad("a request with a signal");
  if (h.has_tty != (r.mode != ExecMode::kPipe ? 1 : 0)) return bad("terminal and mode disagree");
  if (h.reserved != decltype(h.reserved){}) return bad("reserved bytes set");
  if (h.has_tty != 0) {
    r.winsize = h.winsize;
    r.term = term_of(h);
  } else if (h.winsize != ExecWinSize{} || term_of(h) != ExecTermModes{}) {
    return bad("terminal settings without a terminal");
  }
  if (h.umask > 0777) return bad("umask out of range");
  r.umask = h.umask;
  if (h.netns[kMaxExecNameField] != '\0') return bad("namespace name not terminated");
  r.netns = h.netns;
  if (std::any_of(h.netns + r.netns.size(), std::end(h.netns), [](char c) { return c != 0; })) {
    return bad("bytes after the namespace name");
  }
  // What exec_wire.cc's decoder checks of the same fields: the decoder child is not trusted to.
  if (tlv::has_control(as_bytes(r.netns))) return bad("namespace name with a control character");
  if (h.argc < 1 || h.argc > kMaxExecArgs || h.envc > kMaxExecEnv) return bad("string counts");
  std::vector<std::string> strings;
  std::size_t at = 0;
  while (at < tail.size()) {
    const auto nul = tail.find('\0', at);
    if (nul == std::string_view::npos) return bad("a string not terminated");
    if (nul - at > kMaxExecString) return bad("a string too long");
    if (strings.size() == h.argc + h.envc) return bad("more strings than counted");
    strings.emplace_back(tail.substr(at, nul - at));
    at = nul + 1;
  }
  if (strings.size() != h.argc + h.envc) return bad("fewer strings than counted");
  r.argv.assign(strings.begin(), strings.begin() + h.argc);
  r.env.assign(strings.begin() + h.argc, strings.end());
  if (r.argv.front().empty()) return bad("the command (first argument) is empty");
  for (const std::string& e : r.env) {
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) return bad("an environment entry is not NAME=VALUE");
  }
  // And what no check above names (the other kinds' fields): zero.
  return canonical(SessionOrder(std::move(r)), bytes, "a request");
}

}  // namespace vpnns
