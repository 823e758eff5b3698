// Encoder, schema-driven decoder and descriptor-carrying transport for exec_wire.h.
//
// Decoding is two steps, as in wire.cc: the frame is walked once against the schema of its type
// (every attribute known, of an allowed length, within its count; required ones present), then
// a per-message builder checks what a schema cannot say (ranges, which attributes go together,
// characters) and builds the typed message.
#include "exec_ipc/exec_wire.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>

namespace vpnns {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic{'V', 'P', 'N', 'X'};
constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kAttrHeaderSize = 4;
constexpr std::size_t kTermModesSize = 60;
constexpr const char* kPeerClosed = "peer closed the connection";

enum class Type : std::uint16_t {
  kRequest = 1,
  kSignal = 2,
  kStarted = 16,
  kExit = 17,
  kRefused = 18,
  kStopped = 19,
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
};

struct AttrRule {
  std::uint16_t id;
  const char* name;
  std::size_t min_len;
  std::size_t max_len;
  std::size_t max_count;  // 1 for a scalar
  bool required;
};

const std::vector<AttrRule>* schema(std::uint16_t type) {
  static const std::map<std::uint16_t, std::vector<AttrRule>> schemas{
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
  };
  auto it = schemas.find(type);
  return it == schemas.end() ? nullptr : &it->second;
}

std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
void put_u16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put_u32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  put_u16(b, static_cast<std::uint16_t>(v >> 16));
  put_u16(b, static_cast<std::uint16_t>(v));
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
 public:
  explicit Writer(Type type) {
    buf_.insert(buf_.end(), kMagic.begin(), kMagic.end());
    put_u16(buf_, kExecProtocolVersion);
    put_u16(buf_, static_cast<std::uint16_t>(type));
    put_u32(buf_, 0);  // length, patched by finish()
  }
  void u8(Attr id, std::uint8_t v) { attr(id, {&v, 1}); }
  void u16(Attr id, std::uint16_t v) {
    std::vector<std::uint8_t> b;
    put_u16(b, v);
    attr(id, b);
  }
  void u32(Attr id, std::uint32_t v) {
    std::vector<std::uint8_t> b;
    put_u32(b, v);
    attr(id, b);
  }
  void str(Attr id, std::string_view s) {
    attr(id, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  // Values longer than a u16 length are cut to it; the receiver then refuses them as too long
  // or malformed (vpnnsctl checks the bounds before it sends).
  void attr(Attr id, std::span<const std::uint8_t> v) {
    const std::size_t n = std::min<std::size_t>(v.size(), 0xffff);
    put_u16(buf_, id);
    put_u16(buf_, static_cast<std::uint16_t>(n));
    buf_.insert(buf_.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::vector<std::uint8_t> finish() && {
    const auto n = static_cast<std::uint32_t>(buf_.size());
    for (int i = 0; i < 4; ++i)
      buf_[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
    return std::move(buf_);
  }

 private:
  std::vector<std::uint8_t> buf_;
};

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

std::string clean_message(std::string_view text) {
  std::string out(text.substr(0, kMaxExecMessage));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

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
  return Error(Code::kInvalidArgument, "malformed exec message: " + what);
}

struct Frame {
  Type type;
  Attrs attrs;
};

Result<Frame> parse_frame(Span frame) {
  if (frame.size() < kHeaderSize) {
    return malformed("truncated header (" + std::to_string(frame.size()) + " bytes)");
  }
  if (frame.size() > kMaxExecFrame) {
    return malformed("too large (" + std::to_string(frame.size()) + " bytes, at most " +
                     std::to_string(kMaxExecFrame) + ")");
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), frame.begin())) return malformed("bad magic");
  const std::uint16_t version = get_u16(&frame[4]);
  if (version != kExecProtocolVersion) {
    return malformed("protocol version " + std::to_string(version) + ", expected " +
                     std::to_string(kExecProtocolVersion));
  }
  const std::uint16_t type = get_u16(&frame[6]);
  const std::vector<AttrRule>* rules = schema(type);
  if (rules == nullptr) return malformed("unknown message type " + std::to_string(type));
  const std::uint32_t length = get_u32(&frame[8]);
  if (length != frame.size()) {
    return malformed("length field says " + std::to_string(length) + " bytes, frame has " +
                     std::to_string(frame.size()));
  }
  Frame out{static_cast<Type>(type), {}};
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
    auto rule = std::ranges::find(*rules, id, &AttrRule::id);
    if (rule == rules->end()) {
      return malformed("unexpected attribute " + std::to_string(id) + " in message type " +
                       std::to_string(type));
    }
    if (len < rule->min_len || len > rule->max_len) {
      return malformed(std::string(rule->name) + " has length " + std::to_string(len));
    }
    if (++counts[id] > rule->max_count) {
      return malformed(rule->max_count == 1
                           ? std::string("duplicate ") + rule->name
                           : std::string("too many ") + rule->name + "s (at most " +
                                 std::to_string(rule->max_count) + ")");
    }
    out.attrs.add(id, frame.subspan(pos, len));
    pos += len;
  }
  for (const auto& rule : *rules) {
    if (rule.required && !out.attrs.has(static_cast<Attr>(rule.id))) {
      return malformed(std::string("missing ") + rule.name);
    }
  }
  return out;
}

std::string as_string(Span v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

bool has_nul(Span v) { return std::ranges::find(v, std::uint8_t{0}) != v.end(); }

bool has_control(Span v) {
  return std::ranges::any_of(v, [](std::uint8_t c) { return c < 0x20 || c == 0x7f; });
}

Result<ExecRequest> build_request(const Attrs& a) {
  ExecRequest r;
  if (has_control(a.one(kNetns))) return malformed("namespace name contains a control character");
  r.netns = as_string(a.one(kNetns));
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
      Writer w(Type::kRequest);
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
        w.attr(kWinSize, b);
      }
      if (r.term) w.attr(kTermModes, term_record(*r.term));
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecSignal& s) const {
      Writer w(Type::kSignal);
      w.u8(kSignalNo, static_cast<std::uint8_t>(s.signo));
      return std::move(w).finish();
    }
  };
  return std::visit(Visitor{}, message);
}

std::vector<std::uint8_t> encode_exec(const ExecServiceMessage& message) {
  struct Visitor {
    std::vector<std::uint8_t> operator()(const ExecStarted& s) const {
      Writer w(Type::kStarted);
      w.u32(kPid, s.pid);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecStopped& s) const {
      Writer w(Type::kStopped);
      w.u8(kSignalNo, static_cast<std::uint8_t>(s.signo));
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecExit& e) const {
      Writer w(Type::kExit);
      w.u8(kHow, e.signaled ? (e.core_dumped ? 2 : 1) : 0);
      w.u8(kValue, e.value);
      return std::move(w).finish();
    }
    std::vector<std::uint8_t> operator()(const ExecRefused& r) const {
      Writer w(Type::kRefused);
      w.u8(kCode, static_cast<std::uint8_t>(r.code));
      w.str(kMessage, clean_message(r.message));
      w.u8(kStatus, r.status);
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
      if (has_control(a.one(kMessage))) return malformed("message contains a control character");
      const std::uint8_t status = a.one(kStatus)[0];
      if (status < 125 || status > 127) return malformed("exit status " + std::to_string(status));
      return ExecServiceMessage(
          ExecRefused{static_cast<Code>(code), as_string(a.one(kMessage)), status});
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
  iovec iov{const_cast<std::uint8_t*>(frame.data()), frame.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxExecFds)];
  if (!fds.empty()) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    const ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    const int err = errno;
    if (n >= 0) {
      if (static_cast<std::size_t>(n) != frame.size()) {
        return Error(Code::kInternal, "short send on a SEQPACKET socket");
      }
      return ok_status();
    }
    if (err == EINTR) continue;
    if (err == EPIPE || err == ECONNRESET) return Error(Code::kUnavailable, kPeerClosed, err);
    return sys_error("sending an exec message", err);
  }
}

Result<ExecFrame> recv_exec_frame(int sock, int timeout_ms) {
  if (timeout_ms >= 0) {
    pollfd p{sock, POLLIN, 0};
    for (;;) {
      const int r = ::poll(&p, 1, timeout_ms);
      const int err = errno;
      if (r > 0) break;
      if (r == 0) {
        return Error(Code::kUnavailable,
                     "no message within " + std::to_string(timeout_ms / 1000) + " s");
      }
      if (err != EINTR) return sys_error("waiting for an exec message", err);
    }
  }
  ExecFrame out;
  out.bytes.resize(kMaxExecFrame);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxExecFds)];
  for (;;) {
    iovec iov{out.bytes.data(), out.bytes.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    const int err = errno;
    if (n < 0) {
      if (err == EINTR) continue;
      if (err == ECONNRESET) return Error(Code::kUnavailable, kPeerClosed, err);
      return sys_error("receiving an exec message", err);
    }
    // Take ownership of every descriptor first, so that each error path below closes them.
    bool foreign = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
        foreign = true;
        continue;
      }
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        out.fds.emplace_back(fd);
      }
    }
    if (foreign) return malformed("ancillary data other than descriptors");
    if ((msg.msg_flags & MSG_CTRUNC) != 0) {
      return malformed("more than " + std::to_string(kMaxExecFds) +
                       " descriptors (all of them closed)");
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      return malformed("too large (more than " + std::to_string(kMaxExecFrame) + " bytes)");
    }
    if (n == 0) {
      // Zero bytes is EOF, or an empty datagram (which SEQPACKET lets a peer send).
      pollfd p{sock, POLLIN | POLLRDHUP, 0};
      if (out.fds.empty() && ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP)) != 0) {
        return Error(Code::kUnavailable, kPeerClosed);
      }
      return malformed("empty");
    }
    out.bytes.resize(static_cast<std::size_t>(n));
    out.bytes.shrink_to_fit();
    return out;
  }
}

Status check_fd_count(const ExecFrame& frame, std::size_t want, const char* what) {
  if (frame.fds.size() == want) return ok_status();
  return malformed(std::string(what) + " came with " + std::to_string(frame.fds.size()) +
                   " descriptors, expected " + std::to_string(want) + " (all of them closed)");
}

bool is_exec_peer_closed(const Error& error) {
  return error.code() == Code::kUnavailable && error.message() == kPeerClosed;
}

}  // namespace vpnns
