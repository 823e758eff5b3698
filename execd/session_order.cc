// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/session_order.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace vpnns {
namespace {

constexpr std::uint32_t kMagic = 0x4f4e5056;  // "VPNO"
constexpr std::uint32_t kKindExec = 1;
constexpr std::uint32_t kKindSignal = 2;
constexpr std::uint32_t kKindForward = 3;
constexpr std::uint32_t kKindSocketOpen = 4;

struct RawEndpoint {
  std::uint8_t kind = 0;
  std::uint8_t addr[4] = {};
  std::uint16_t port = 0;
};

// Copied as bytes in both directions; the two ends are the same binary.
struct Header {
  std::uint32_t magic = kMagic;
  std::uint32_t kind = 0;
  std::int32_t signo = 0;
  std::uint8_t mode = 0;
  std::uint8_t has_tty = 0;
  std::uint16_t umask = 0;
  ExecWinSize winsize;
  ExecTermModes term;
  std::uint32_t argc = 0;
  std::uint32_t envc = 0;
  std::uint32_t socket_id = 0;  // kSocketOpen
  std::uint16_t endpoint = 0;
  std::uint16_t endpointc = 0;  // kForward
  RawEndpoint endpoints[kMaxForwardEndpoints] = {};
  char netns[kMaxExecNameField + 1] = {};  // last (tests/unit/session_order_test.cc)
};
static_assert(std::is_trivially_copyable_v<Header>);

Error bad(const std::string& what) { return Error(Code::kInvalidArgument, "bad order: " + what); }

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
      h.term = *r.term;
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
    if (!tail.empty()) return bad("a signal with strings");
    return SessionOrder(SignalOrder{h.signo});
  }
  if (h.kind == kKindSocketOpen) {
    if (!tail.empty()) return bad("a socket request with strings");
    return SessionOrder(SocketOpen{h.socket_id, h.endpoint});
  }
  if (h.kind == kKindForward) return decode_forward(h, tail);
  if (h.kind != kKindExec) return bad("unknown kind " + std::to_string(h.kind));
  ExecRequest r;
  if (h.mode > static_cast<std::uint8_t>(ExecMode::kPtyOwnStderr)) return bad("unknown mode");
  r.mode = static_cast<ExecMode>(h.mode);
  if ((h.has_tty != 0) != (r.mode != ExecMode::kPipe)) return bad("terminal and mode disagree");
  if (h.has_tty != 0) {
    r.winsize = h.winsize;
    r.term = h.term;
  }
  if (h.umask > 0777) return bad("umask out of range");
  r.umask = h.umask;
  if (h.netns[kMaxExecNameField] != '\0') return bad("namespace name not terminated");
  r.netns = h.netns;
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
  return SessionOrder(std::move(r));
}

}  // namespace vpnns
