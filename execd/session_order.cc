// SPDX-License-Identifier: GPL-2.0-or-later
#include "execd/session_order.h"

#include <cstring>
#include <string_view>
#include <type_traits>

namespace vpnns {
namespace {

constexpr std::uint32_t kMagic = 0x4f4e5056;  // "VPNO"
constexpr std::uint32_t kKindExec = 1;
constexpr std::uint32_t kKindSignal = 2;

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
  char netns[kMaxExecNameField + 1] = {};
};
static_assert(std::is_trivially_copyable_v<Header>);

Error bad(const std::string& what) { return Error(Code::kInvalidArgument, "bad order: " + what); }

}  // namespace

std::vector<std::uint8_t> encode_order(const SessionOrder& order) {
  Header h;
  std::string strings;
  if (const auto* s = std::get_if<SignalOrder>(&order)) {
    h.kind = kKindSignal;
    h.signo = s->signo;
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
