// SPDX-License-Identifier: GPL-2.0-or-later
// The vpnnsctl <-> vpnns-execd schema: attribute ids, each message type's rules, and the
// builders between parsed frames (ipc/tlv.h) and the typed messages of exec_wire.h; and the
// protocol's bounds on the SEQPACKET transport (ipc/seqpacket.h).
//
// Decoding is two steps, as in helper_ipc/wire.cc: tlv::parse() walks the frame against the
// schema of its type (every attribute known, of an allowed length, within its count; required
// ones present), then a per-message builder checks what a schema cannot say (ranges, which
// attributes go together, characters) and builds the typed message.
#include "exec_ipc/exec_wire.h"

#include <signal.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "ipc/tlv.h"

namespace vpnns {
namespace {

using tlv::as_string;
using tlv::Attrs;
using tlv::get_u16;
using tlv::get_u32;
using tlv::has_nul;
using tlv::put_u16;
using tlv::put_u32;
using Span = tlv::Bytes;

constexpr std::size_t kTermModesSize = 60;

enum class Type : std::uint16_t {
  kRequest = 1,
  kSignal = 2,
  kStarted = 16,
  kExit = 17,
  kRefused = 18,
  kStopped = 19,
  // vpnnsctl forward (socket_wire.h)
  kForward = 3,
  kSocketOpen = 4,
  kForwardReady = 20,
  kSocketOpened = 21,
  kSocketFailed = 22,
};

enum Attr : std::uint16_t {
  kNetns = 1,
  kArg = 2,
  kEnv = 3,
  kMode = 4,
  kUmask = 5,
  kWinSize = 6,
  kTermModes = 7,
  kSignalNo = 8,
  kPid = 9,
  kHow = 10,
  kValue = 11,
  kCode = 12,
  kMessage = 13,
  kStatus = 14,
  kEndpoint = 15,
  kId = 16,
  kEndpointIndex = 17,
  kErrno = 18,
};

constexpr std::size_t kEndpointSize = 7;  // kind u8, IPv4 address, port u16

const tlv::Schema* schema(std::uint16_t type) {
  static const std::map<std::uint16_t, tlv::Schema> schemas{
      {static_cast<std::uint16_t>(Type::kRequest),
       {{kNetns, "namespace name", 0, kMaxExecNameField, 1, true},
        {kArg, "argument", 0, kMaxExecString, kMaxExecArgs, true},
        {kEnv, "environment entry", 2, kMaxExecString, kMaxExecEnv, false},
        {kMode, "mode", 1, 1, 1, true},
        {kUmask, "umask", 2, 2, 1, true},
        {kWinSize, "window size", 8, 8, 1, false},
        {kTermModes, "terminal modes", kTermModesSize, kTermModesSize, 1, false}}},
      {static_cast<std::uint16_t>(Type::kSignal), {{kSignalNo, "signal", 1, 1, 1, true}}},
      {static_cast<std::uint16_t>(Type::kStarted), {{kPid, "pid", 4, 4, 1, true}}},
      {static_cast<std::uint16_t>(Type::kStopped), {{kSignalNo, "signal", 1, 1, 1, true}}},
      {static_cast<std::uint16_t>(Type::kExit),
       {{kHow, "exit kind", 1, 1, 1, true}, {kValue, "exit value", 1, 1, 1, true}}},
      {static_cast<std::uint16_t>(Type::kRefused),
       {{kCode, "code", 1, 1, 1, true},
        {kMessage, "message", 0, kMaxExecMessage, 1, true},
        {kStatus, "exit status", 1, 1, 1, true}}},
      {static_cast<std::uint16_t>(Type::kForward),
       {{kNetns, "namespace name", 0, kMaxExecNameField, 1, true},
        {kEndpoint, "endpoint", kEndpointSize, kEndpointSize, kMaxForwardEndpoints, true}}},
      {static_cast<std::uint16_t>(Type::kSocketOpen),
       {{kId, "id", 4, 4, 1, true}, {kEndpointIndex, "endpoint index", 2, 2, 1, true}}},
      {static_cast<std::uint16_t>(Type::kForwardReady), {}},
      {static_cast<std::uint16_t>(Type::kSocketOpened), {{kId, "id", 4, 4, 1, true}}},
      {static_cast<std::uint16_t>(Type::kSocketFailed),
       {{kId, "id", 4, 4, 1, true},
        {kCode, "code", 1, 1, 1, true},
        {kErrno, "errno", 4, 4, 1, true},
        {kMessage, "message", 0, kMaxExecMessage, 1, true}}},
  };
  auto it = schemas.find(type);
  return it == schemas.end() ? nullptr : &it->second;
}

constexpr tlv::Dialect kDialect{
    {'V', 'P', 'N', 'X'}, kExecProtocolVersion, kMaxExecFrame, "exec message", schema};

Error malformed(const std::string& what) { return tlv::malformed(kDialect, what); }

std::vector<std::uint8_t> term_record(const ExecTermModes& t) {
  std::vector<std::uint8_t> r;
  put_u32(r, t.iflag);
  put_u32(r, t.oflag);
  put_u32(r, t.cflag);
  put_u32(r, t.lflag);
  r.push_back(t.line);
  r.insert(r.end(), 3, 0);
  r.insert(r.end(), t.cc.begin(), t.cc.end());
  put_u32(r, t.ispeed);
  put_u32(r, t.ospeed);
  return r;
}

using Frame = tlv::TypedFrame<Type>;

Result<Frame> parse_frame(Span bytes) { return tlv::parse_as<Type>(kDialect, bytes); }

Result<ExecRequest> build_request(const Attrs& a) {
  ExecRequest r;
  VPNNS_ASSIGN_OR_RETURN(r.netns, tlv::text(kDialect, a.one(kNetns), "namespace name"));
  for (Span v : a.all(kArg)) {
    if (has_nul(v)) return malformed("an argument contains a NUL byte");
    r.argv.push_back(as_string(v));
  }
  if (r.argv.front().empty()) return malformed("the command (first argument) is empty");
  for (Span v : a.all(kEnv)) {
    if (has_nul(v)) return malformed("an environment entry contains a NUL byte");
    std::string e = as_string(v);
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return malformed("an environment entry is not NAME=VALUE");
    }
    r.env.push_back(std::move(e));
  }
  const std::uint8_t mode = a.one(kMode)[0];
  if (mode > static_cast<std::uint8_t>(ExecMode::kPtyOwnStderr)) {
    return malformed("mode " + std::to_string(mode));
  }
  r.mode = static_cast<ExecMode>(mode);
  r.umask = get_u16(a.one(kUmask).data());
  if (r.umask > 0777) return malformed("umask " + std::to_string(r.umask));
  const bool pty = r.mode != ExecMode::kPipe;
  if (a.has(kWinSize) != pty || a.has(kTermModes) != pty) {
    return malformed(pty ? "a pty mode needs the window size and terminal modes"
                         : "window size or terminal modes without a pty");
  }
  if (pty) {
    const std::uint8_t* w = a.one(kWinSize).data();
    r.winsize = ExecWinSize{get_u16(w), get_u16(w + 2), get_u16(w + 4), get_u16(w + 6)};
    const std::uint8_t* t = a.one(kTermModes).data();
    if (t[17] != 0 || t[18] != 0 || t[19] != 0) return malformed("terminal modes padding");
    ExecTermModes m;
    m.iflag = get_u32(t);
    m.oflag = get_u32(t + 4);
    m.cflag = get_u32(t + 8);
    m.lflag = get_u32(t + 12);
    m.line = t[16];
    std::copy(t + 20, t + 52, m.cc.begin());
    m.ispeed = get_u32(t + 52);
    m.ospeed = get_u32(t + 56);
    r.term = m;
  }
  return r;
}

Result<ForwardRequest> build_forward(const Attrs& a) {
  ForwardRequest r;
  VPNNS_ASSIGN_OR_RETURN(r.netns, tlv::text(kDialect, a.one(kNetns), "namespace name"));
  for (Span v : a.all(kEndpoint)) {
    if (v[0] > static_cast<std::uint8_t>(SocketKind::kUdpBind)) {
      return malformed("endpoint kind " + std::to_string(v[0]));
    }
    SocketEndpoint e{
        static_cast<SocketKind>(v[0]), {v[1], v[2], v[3], v[4]}, get_u16(v.data() + 5)};
    if (e.port == 0) return malformed("endpoint port 0");
    r.endpoints.push_back(e);
  }
  return r;
}

Code checked_code(std::uint8_t code, bool& ok) {
  ok = code != 0 && code <= static_cast<std::uint8_t>(Code::kInternal);
  return static_cast<Code>(code);
}

}  // namespace

std::size_t exec_fd_count(ExecMode mode) {
  switch (mode) {
    case ExecMode::kPipe:
      return 4;
    case ExecMode::kPty:
      return 1;
    case ExecMode::kPtyOwnStderr:
      return 2;
  }
  return 0;
}

bool is_forwardable_signal(int signo) {
  switch (signo) {
    case SIGHUP:
    case SIGINT:
    case SIGQUIT:
    case SIGTERM:
    case SIGUSR1:
    case SIGUSR2:
    case SIGALRM:
      return true;
    default:
      return false;
  }
}

bool is_stop_signal(int signo) {
  return signo == SIGSTOP || signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU;
}

std::string exec_not_in_group_message(const std::string& user, const std::string& group) {
  return "user " + user + " is not in group " + group + "; ask an administrator to add you";
}

std::vector<std::uint8_t> encode_exec(const ExecClientMessage& message) {
  struct Visitor {
    std::vector<std::uint8_t> operator()(const ExecRequest& r) const {
      tlv::Writer w(kDialect, Type::kRequest);
      w.str(kNetns, r.netns);
      for (const auto& arg : r.argv) w.str(kArg, arg);
      for (const auto& e : r.env) w.str(kEnv, e);
      w.u8(kMode, static_cast<std::uint8_t>(r.mode));
      w.u16(kUmask, r.umask);
      if (r.winsize) {
        std::vector<std::uint8_t> b;
        for (std::uint16_t v :
             {r.winsize->rows, r.winsize->cols, r.winsize->xpixel, r.winsize->ypixel}) {
          put_u16(b, v);
        }
        w.bytes(kWinSize, b);
      }
      if (r.term) w.bytes(kTermModes, term_record(*r.term));
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecSignal& s) const {
      tlv::Writer w(kDialect, Type::kSignal);
      w.u8(kSignalNo, static_cast<std::uint8_t>(s.signo));
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ForwardRequest& r) const {
      tlv::Writer w(kDialect, Type::kForward);
      w.str(kNetns, r.netns);
      for (const SocketEndpoint& e : r.endpoints) {
        std::vector<std::uint8_t> b{static_cast<std::uint8_t>(e.kind)};
        b.insert(b.end(), e.addr.begin(), e.addr.end());
        put_u16(b, e.port);
        w.bytes(kEndpoint, b);
      }
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const SocketOpen& o) const {
      tlv::Writer w(kDialect, Type::kSocketOpen);
      w.u32(kId, o.id);
      w.u16(kEndpointIndex, o.endpoint);
      return std::move(w).finish();
    }
  };
  return std::visit(Visitor{}, message);
}

std::vector<std::uint8_t> encode_exec(const ExecServiceMessage& message) {
  struct Visitor {
    std::vector<std::uint8_t> operator()(const ExecStarted& s) const {
      tlv::Writer w(kDialect, Type::kStarted);
      w.u32(kPid, s.pid);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecStopped& s) const {
      tlv::Writer w(kDialect, Type::kStopped);
      w.u8(kSignalNo, static_cast<std::uint8_t>(s.signo));
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecExit& e) const {
      tlv::Writer w(kDialect, Type::kExit);
      w.u8(kHow, e.signaled ? (e.core_dumped ? 2 : 1) : 0);
      w.u8(kValue, e.value);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecRefused& r) const {
      tlv::Writer w(kDialect, Type::kRefused);
      w.u8(kCode, static_cast<std::uint8_t>(r.code));
      w.str(kMessage, tlv::clean_text(r.message, kMaxExecMessage));
      w.u8(kStatus, r.status);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ForwardReady&) const {
      return tlv::Writer(kDialect, Type::kForwardReady).finish();
    }
    std::vector<std::uint8_t> operator()(const SocketOpened& o) const {
      tlv::Writer w(kDialect, Type::kSocketOpened);
      w.u32(kId, o.id);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const SocketFailed& f) const {
      tlv::Writer w(kDialect, Type::kSocketFailed);
      w.u32(kId, f.id);
      w.u8(kCode, static_cast<std::uint8_t>(f.code));
      w.u32(kErrno, f.sys_errno);
      w.str(kMessage, tlv::clean_text(f.message, kMaxExecMessage));
      return std::move(w).finish();
    }
  };
  return std::visit(Visitor{}, message);
}

Result<ExecClientMessage> decode_exec_client(std::span<const std::uint8_t> bytes) {
  VPNNS_ASSIGN_OR_RETURN(Frame f, parse_frame(bytes));
  switch (f.type) {
    case Type::kRequest: {
      VPNNS_ASSIGN_OR_RETURN(ExecRequest r, build_request(f.attrs));
      return ExecClientMessage(std::move(r));
    }
    case Type::kSignal: {
      const int signo = f.attrs.one(kSignalNo)[0];
      if (!is_forwardable_signal(signo) && signo != SIGCONT) {
        return malformed("signal " + std::to_string(signo) + " is not one vpnnsctl forwards");
      }
      return ExecClientMessage(ExecSignal{signo});
    }
    case Type::kForward: {
      VPNNS_ASSIGN_OR_RETURN(ForwardRequest r, build_forward(f.attrs));
      return ExecClientMessage(std::move(r));
    }
    case Type::kSocketOpen:
      return ExecClientMessage(SocketOpen{get_u32(f.attrs.one(kId).data()),
                                          get_u16(f.attrs.one(kEndpointIndex).data())});
    default:
      break;
  }
  return malformed("message type " + std::to_string(static_cast<int>(f.type)) +
                   " does not come from vpnnsctl");
}

Result<ExecServiceMessage> decode_exec_service(std::span<const std::uint8_t> bytes) {
  VPNNS_ASSIGN_OR_RETURN(Frame f, parse_frame(bytes));
  const Attrs& a = f.attrs;
  switch (f.type) {
    case Type::kStarted:
      return ExecServiceMessage(ExecStarted{get_u32(a.one(kPid).data())});
    case Type::kStopped: {
      const int signo = a.one(kSignalNo)[0];
      if (!is_stop_signal(signo)) return malformed("stop signal " + std::to_string(signo));
      return ExecServiceMessage(ExecStopped{signo});
    }
    case Type::kExit: {
      const std::uint8_t how = a.one(kHow)[0];
      const std::uint8_t value = a.one(kValue)[0];
      if (how > 2) return malformed("exit kind " + std::to_string(how));
      if (how != 0 && (value == 0 || value >= NSIG)) {
        return malformed("signal " + std::to_string(value));
      }
      return ExecServiceMessage(ExecExit{how != 0, value, how == 2});
    }
    case Type::kRefused: {
      const std::uint8_t code = a.one(kCode)[0];
      if (code == 0 || code > static_cast<std::uint8_t>(Code::kInternal)) {
        return malformed("refusal code " + std::to_string(code));
      }
      VPNNS_ASSIGN_OR_RETURN(std::string message, tlv::text(kDialect, a.one(kMessage), "message"));
      const std::uint8_t status = a.one(kStatus)[0];
      if (status < 125 || status > 127) return malformed("exit status " + std::to_string(status));
      return ExecServiceMessage(ExecRefused{static_cast<Code>(code), std::move(message), status});
    }
    case Type::kForwardReady:
      return ExecServiceMessage(ForwardReady{});
    case Type::kSocketOpened:
      return ExecServiceMessage(SocketOpened{get_u32(a.one(kId).data())});
    case Type::kSocketFailed: {
      bool ok = false;
      const Code code = checked_code(a.one(kCode)[0], ok);
      if (!ok) return malformed("failure code " + std::to_string(a.one(kCode)[0]));
      VPNNS_ASSIGN_OR_RETURN(std::string message, tlv::text(kDialect, a.one(kMessage), "message"));
      return ExecServiceMessage(
          SocketFailed{get_u32(a.one(kId).data()), code, get_u32(a.one(kErrno).data()), message});
    }
    default:
      break;
  }
  return malformed("message type " + std::to_string(static_cast<int>(f.type)) +
                   " does not come from vpnns-execd");
}

std::size_t expected_fds(const ExecClientMessage& message) {
  if (const auto* r = std::get_if<ExecRequest>(&message)) return exec_fd_count(r->mode);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Transport

Status send_exec_frame(int sock, std::span<const std::uint8_t> frame, std::span<const int> fds) {
  if (fds.size() > kMaxExecFds) return Error(Code::kInternal, "too many descriptors to send");
  return seqpacket_send(sock, frame, fds);
}

Result<ExecFrame> recv_exec_frame(int sock, int timeout_ms) {
  return seqpacket_recv(sock, timeout_ms, {kMaxExecFrame, kMaxExecFds, "exec message"});
}

Status check_fd_count(const ExecFrame& frame, std::size_t want, const char* what) {
  if (frame.fds.size() == want) return ok_status();
  return malformed(std::string(what) + " came with " + std::to_string(frame.fds.size()) +
                   " descriptors, expected " + std::to_string(want) + " (all of them closed)");
}

}  // namespace vpnns
