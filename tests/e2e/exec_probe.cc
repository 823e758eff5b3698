// SPDX-License-Identifier: GPL-2.0-or-later
// exec_probe: a hostile client of vpnns-execd, for tests/e2e/exec_test.sh.
//
//   exec_probe hostile SOCKET VPNNS_NAME OTHER_NAME   every malformed or abusive request below,
//                                                     each on its own connection; then one valid
//                                                     request (`true`), which must still work
//   exec_probe bind PATH...                           creates unix sockets at PATH (stand-ins
//                                                     for systemd-resolved's and nscd's)
//   exec_probe flood SOCKET VPNNS_NAME COUNT          COUNT frames that are no message while a
//                                                     command runs (the service's log limit)
//
// Each case prints "ok: CASE: <the service's refusal>" or "FAIL: CASE: ...". Exit status 0 only
// if every case was refused with the expected reason and the valid request ran. The frames are
// built with the real encoder and then broken, or written byte by byte.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "exec_ipc/exec_wire.h"

namespace vpnns {
namespace {

int failures = 0;

UniqueFd connect_to(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    std::perror(("connect " + path).c_str());
    fd.reset();
  }
  return fd;
}

ExecRequest valid_request(const std::string& netns) {
  ExecRequest r;
  r.netns = netns;
  r.argv = {"true"};
  r.env = {"PATH=/usr/bin:/bin"};
  return r;
}

// Descriptors for a pipe-mode request: cwd "/", then /dev/null three times.
struct Fds {
  UniqueFd cwd{::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)};
  UniqueFd in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
  UniqueFd out{::open("/dev/null", O_WRONLY | O_CLOEXEC)};
  UniqueFd err{::open("/dev/null", O_WRONLY | O_CLOEXEC)};
  std::vector<int> all() const { return {cwd.get(), in.get(), out.get(), err.get()}; }
};

// Sends `frame` with `fds` on a fresh connection and expects a refusal containing `reason`.
void expect_refused(const std::string& name, const std::string& socket,
                    const std::vector<std::uint8_t>& frame, const std::vector<int>& fds,
                    const std::string& reason) {
  UniqueFd conn = connect_to(socket);
  if (!conn) {
    std::printf("FAIL: %s: cannot connect\n", name.c_str());
    ++failures;
    return;
  }
  // More than kMaxExecFds descriptors: send_exec_frame refuses, so build the message here.
  iovec iov{const_cast<std::uint8_t*>(frame.data()), frame.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  if (::sendmsg(conn.get(), &msg, MSG_NOSIGNAL) < 0) {
    std::printf("FAIL: %s: send: %s\n", name.c_str(), std::strerror(errno));
    ++failures;
    return;
  }
  auto reply = recv_exec_frame(conn.get(), 5000);
  if (!reply) {
    std::printf("FAIL: %s: no reply: %s\n", name.c_str(), reply.error().text().c_str());
    ++failures;
    return;
  }
  auto message = decode_exec_service(reply->bytes);
  const auto* refused = message ? std::get_if<ExecRefused>(&*message) : nullptr;
  if (refused == nullptr) {
    std::printf("FAIL: %s: not refused\n", name.c_str());
    ++failures;
    return;
  }
  if (refused->message.find(reason) == std::string::npos) {
    std::printf("FAIL: %s: refused for another reason: %s\n", name.c_str(),
                refused->message.c_str());
    ++failures;
    return;
  }
  std::printf("ok: %s: %s\n", name.c_str(), refused->message.c_str());
}

std::vector<std::uint8_t> request_frame(const ExecRequest& r) {
  return encode_exec(ExecClientMessage(r));
}

void put_u16(std::vector<std::uint8_t>& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}

void fix_length(std::vector<std::uint8_t>& f) {
  const auto n = static_cast<std::uint32_t>(f.size());
  for (int i = 0; i < 4; ++i)
    f[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
}

// Appends an attribute to a frame and fixes its length field.
std::vector<std::uint8_t> with_attr(std::vector<std::uint8_t> f, std::uint16_t id,
                                    const std::string& value) {
  f.push_back(static_cast<std::uint8_t>(id >> 8));
  f.push_back(static_cast<std::uint8_t>(id));
  f.push_back(static_cast<std::uint8_t>(value.size() >> 8));
  f.push_back(static_cast<std::uint8_t>(value.size()));
  f.insert(f.end(), value.begin(), value.end());
  fix_length(f);
  return f;
}

int hostile(const std::string& socket, const std::string& netns, const std::string& other) {
  Fds fds;
  const auto valid = request_frame(valid_request(netns));

  expect_refused("garbage", socket, {'h', 'e', 'l', 'l', 'o'}, {}, "truncated header");
  {
    auto f = valid;
    f[0] = 'X';
    expect_refused("bad magic", socket, f, fds.all(), "bad magic");
  }
  {
    auto f = valid;
    put_u16(f, 4, 99);
    expect_refused("other version", socket, f, fds.all(), "protocol version 99");
  }
  {
    auto f = valid;
    put_u16(f, 6, 77);
    expect_refused("unknown type", socket, f, fds.all(), "unknown message type 77");
  }
  {
    auto f = valid;
    f.insert(f.end(), {0, 0, 0});  // trailing bytes the length field does not count
    expect_refused("trailing bytes", socket, f, fds.all(), "length field says");
  }
  expect_refused("unknown attribute", socket, with_attr(valid, 99, "x"), fds.all(),
                 "unexpected attribute 99");
  expect_refused("duplicate namespace", socket, with_attr(valid, 1, netns), fds.all(),
                 "duplicate namespace name");
  {
    ExecRequest r = valid_request(netns);
    r.argv.assign(kMaxExecArgs + 1, "x");
    expect_refused("too many arguments", socket, request_frame(r), fds.all(), "too many arguments");
  }
  {
    ExecRequest r = valid_request(netns);
    r.argv.push_back(std::string(kMaxExecString + 1, 'a'));
    expect_refused("argument too long", socket, request_frame(r), fds.all(), "argument has length");
  }
  {
    ExecRequest r = valid_request(netns);
    // Over kMaxExecFrame, under the socket buffer (one datagram still fits).
    for (int i = 0; i < 5; ++i) r.argv.push_back(std::string(kMaxExecString, 'a'));
    expect_refused("oversized request", socket, request_frame(r), fds.all(), "too large");
  }
  {
    ExecRequest r = valid_request(netns);
    r.env.push_back("NOEQUALS");
    expect_refused("environment entry without =", socket, request_frame(r), fds.all(),
                   "not NAME=VALUE");
  }
  expect_refused("missing descriptors", socket, valid, {}, "came with 0 descriptors, expected 4");
  expect_refused("too few descriptors", socket, valid, {fds.cwd.get(), fds.in.get(), fds.out.get()},
                 "came with 3 descriptors, expected 4");
  {
    std::vector<int> five = fds.all();
    five.push_back(fds.err.get());
    expect_refused("too many descriptors", socket, valid, five, "more than 4 descriptors");
  }
  {
    ExecRequest r = valid_request(netns);
    r.mode = ExecMode::kPty;
    r.winsize = ExecWinSize{24, 80, 0, 0};
    r.term = ExecTermModes{};
    expect_refused("pty request with stdio descriptors", socket, request_frame(r), fds.all(),
                   "came with 4 descriptors, expected 1");
  }
  {
    ExecRequest r = valid_request(netns);
    r.mode = ExecMode::kPty;
    expect_refused("pty request without a window size", socket, request_frame(r), {fds.cwd.get()},
                   "a pty mode needs the window size");
  }
  expect_refused("directory as stdin", socket, valid,
                 {fds.cwd.get(), fds.cwd.get(), fds.out.get(), fds.err.get()},
                 "stdin is a directory");
  expect_refused("file as working directory", socket, valid,
                 {fds.in.get(), fds.in.get(), fds.out.get(), fds.err.get()},
                 "working directory descriptor is not a directory");
  {
    UniqueFd path_only(::open("/dev/null", O_PATH | O_CLOEXEC));
    expect_refused("O_PATH stdout", socket, valid,
                   {fds.cwd.get(), fds.in.get(), path_only.get(), fds.err.get()},
                   "stdout is an O_PATH descriptor");
  }
  expect_refused("signal before the request", socket,
                 encode_exec(ExecClientMessage(ExecSignal{SIGTERM})), {},
                 "the first message must be a request");
  expect_refused("empty datagram", socket, {}, {}, "empty");
  expect_refused("not a vpnns namespace", socket, request_frame(valid_request(other)), fds.all(),
                 "is not a vpnns namespace: no marker");
  expect_refused("missing namespace", socket, request_frame(valid_request("vtnope")), fds.all(),
                 "does not exist");
  for (const std::string& name :
       {std::string(".."), std::string("."), std::string("/"), std::string(""),
        std::string(65, 'a'), "../" + netns, std::string("a/b"), netns + "/../" + netns,
        "/run/netns/" + netns}) {
    expect_refused("namespace name '" + name.substr(0, 20) + "'", socket,
                   request_frame(valid_request(name)), fds.all(),
                   "is not a valid network namespace name");
  }
  {
    // Connect and leave without a word.
    UniqueFd conn = connect_to(socket);
  }

  // The service still serves a valid request.
  UniqueFd conn = connect_to(socket);
  const std::vector<int> all = fds.all();
  if (!conn || !send_exec_frame(conn.get(), valid, all)) {
    std::printf("FAIL: valid request: cannot send\n");
    return 1;
  }
  bool started = false;
  for (;;) {
    auto reply = recv_exec_frame(conn.get(), 5000);
    auto message =
        reply ? decode_exec_service(reply->bytes) : Result<ExecServiceMessage>(reply.error());
    if (!message) {
      std::printf("FAIL: valid request: %s\n", message.error().text().c_str());
      return 1;
    }
    if (std::holds_alternative<ExecStarted>(*message)) {
      started = true;
      continue;
    }
    const auto* exit = std::get_if<ExecExit>(&*message);
    if (!started || exit == nullptr || exit->signaled || exit->value != 0) {
      std::printf("FAIL: valid request: did not start and exit 0\n");
      return 1;
    }
    break;
  }
  std::printf("ok: a valid request still runs (started, exit status 0)\n");
  return failures == 0 ? 0 : 1;
}

// One session: `sleep 30`, then `count` frames that are no message at all while it runs, then
// SIGTERM for it. Succeeds if the command started and came back killed by SIGTERM (the service
// kept serving the session); exec_test.sh counts what the service logged meanwhile.
int flood(const std::string& socket, const std::string& netns, int count) {
  ExecRequest r = valid_request(netns);
  r.argv = {"sleep", "30"};
  Fds fds;
  UniqueFd conn = connect_to(socket);
  if (!conn || !send_exec_frame(conn.get(), request_frame(r), fds.all())) {
    std::printf("FAIL: flood: cannot send the request\n");
    return 1;
  }
  auto first = recv_exec_frame(conn.get(), 5000);
  auto started =
      first ? decode_exec_service(first->bytes) : Result<ExecServiceMessage>(first.error());
  if (!started || !std::holds_alternative<ExecStarted>(*started)) {
    std::printf("FAIL: flood: the command did not start\n");
    return 1;
  }
  const std::vector<std::uint8_t> garbage = {'n', 'o', 't', ' ', 'a', ' ', 'f', 'r', 'a', 'm', 'e'};
  for (int i = 0; i < count; ++i) {
    if (!send_exec_frame(conn.get(), garbage, {})) {
      std::printf("FAIL: flood: send %d\n", i);
      return 1;
    }
  }
  if (!send_exec_frame(conn.get(), encode_exec(ExecClientMessage(ExecSignal{SIGTERM})), {})) {
    std::printf("FAIL: flood: cannot send SIGTERM\n");
    return 1;
  }
  for (;;) {
    auto reply = recv_exec_frame(conn.get(), 10'000);
    auto message =
        reply ? decode_exec_service(reply->bytes) : Result<ExecServiceMessage>(reply.error());
    if (!message) {
      std::printf("FAIL: flood: %s\n", message.error().text().c_str());
      return 1;
    }
    if (const auto* exit = std::get_if<ExecExit>(&*message)) {
      if (!exit->signaled || exit->value != SIGTERM) {
        std::printf("FAIL: flood: the command did not end by SIGTERM\n");
        return 1;
      }
      std::printf("ok: %d frames ignored, the command ended by SIGTERM\n", count);
      return 0;
    }
  }
}

int bind_sockets(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[i]);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
      std::perror(argv[i]);
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace vpnns

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "hostile" && argc == 5) return vpnns::hostile(argv[2], argv[3], argv[4]);
  if (mode == "bind" && argc > 2) return vpnns::bind_sockets(argc, argv);
  if (mode == "flood" && argc == 5) return vpnns::flood(argv[2], argv[3], std::atoi(argv[4]));
  std::fputs(
      "usage: exec_probe hostile SOCKET VPNNS_NAME OTHER_NAME | bind PATH... | "
      "flood SOCKET VPNNS_NAME COUNT\n",
      stderr);
  return 2;
}
