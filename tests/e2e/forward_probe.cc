// SPDX-License-Identifier: GPL-2.0-or-later
// forward_probe: a hostile client of vpnns-execd's socket requests, for forward_test.sh.
//
//   forward_probe SOCKET VPNNS_NAME PORT
//
// PORT is a TCP port something listens on at 127.0.0.1 inside the namespace. Cases:
//   * a forward to an address other than 127.0.0.1 inside (the LAN, the VPN server, 0.0.0.0) is
//     refused before anything is made; so is a listener below port 1024;
//   * on an admitted forward: a socket for an endpoint it did not ask for, a second listener on
//     the same endpoint, a frame that is no socket request (ignored: the session goes on) are
//     refused or ignored; a listener and a connected socket come back as asked for and are
//     what they claim: the connected one's peer is 127.0.0.1:PORT (run it where nothing listens
//     on PORT, and that proves the socket is inside the namespace), the listener is bound to
//     127.0.0.1:PORT+1 and owned by us.
// Each case prints "ok: CASE" or "FAIL: CASE: why"; exit status 0 only if all passed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "exec_ipc/exec_wire.h"

namespace vpnns {
namespace {

int failures = 0;

void check(bool ok, const std::string& what, const std::string& why = "") {
  std::printf("%s: %s%s\n", ok ? "ok" : "FAIL", what.c_str(), ok ? "" : (": " + why).c_str());
  if (!ok) ++failures;
}

UniqueFd connect_to(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fd.reset();
  return fd;
}

struct Answer {
  std::optional<ExecServiceMessage> message;
  std::vector<UniqueFd> fds;
  std::string error;
};

Answer ask(int conn, const ExecClientMessage& m) {
  Answer a;
  if (Status s = send_exec_frame(conn, encode_exec(m), {}); !s) {
    a.error = s.error().text();
    return a;
  }
  auto frame = recv_exec_frame(conn, 5000);
  if (!frame) {
    a.error = frame.error().text();
    return a;
  }
  auto decoded = decode_exec_service(frame->bytes);
  if (!decoded) {
    a.error = decoded.error().text();
    return a;
  }
  a.message = *decoded;
  a.fds = std::move(frame->fds);
  return a;
}

std::string refusal(const Answer& a) {
  if (!a.message) return "no answer: " + a.error;
  if (const auto* r = std::get_if<ExecRefused>(&*a.message)) return r->message;
  if (const auto* f = std::get_if<SocketFailed>(&*a.message)) return f->message;
  return "";
}

std::string address(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  const int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len)
                     : ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  if (r < 0) return "?";
  char buf[INET_ADDRSTRLEN] = "?";
  (void)::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

int run(const std::string& sock, const std::string& netns, std::uint16_t port) {
  for (const std::array<std::uint8_t, 4>& addr :
       {std::array<std::uint8_t, 4>{198, 51, 100, 1}, std::array<std::uint8_t, 4>{0, 0, 0, 0},
        std::array<std::uint8_t, 4>{127, 0, 0, 2}}) {
    UniqueFd conn = connect_to(sock);
    ForwardRequest r{
        netns,
        {{SocketKind::kTcpConnect, {127, 0, 0, 1}, port}, {SocketKind::kTcpConnect, addr, 80}}};
    const Answer a = ask(conn.get(), ExecClientMessage(r));
    const std::string why = refusal(a);
    check(why.find("a forward reaches only 127.0.0.1 inside the namespace") != std::string::npos,
          "a forward to " + endpoint_text(r.endpoints[1]) + " is refused", why);
  }
  {
    // The sockets are made as the caller without capabilities: no privileged listener.
    UniqueFd low = connect_to(sock);
    ForwardRequest r{netns, {{SocketKind::kTcpListen, {127, 0, 0, 1}, 80}}};
    const std::string why = refusal(ask(low.get(), ExecClientMessage(r)));
    check(why.find("a port below 1024 inside the namespace is privileged") != std::string::npos,
          "a listener on port 80 is refused", why);
  }
  UniqueFd conn = connect_to(sock);
  const auto listen_port = static_cast<std::uint16_t>(port + 1);
  ForwardRequest r{netns,
                   {{SocketKind::kTcpConnect, {127, 0, 0, 1}, port},
                    {SocketKind::kTcpListen, {127, 0, 0, 1}, listen_port}}};
  Answer a = ask(conn.get(), ExecClientMessage(r));
  check(a.message && std::holds_alternative<ForwardReady>(*a.message),
        "a valid forward is admitted", refusal(a));
  a = ask(conn.get(), ExecClientMessage(SocketOpen{1, 2}));
  check(refusal(a).find("endpoint 2 was not asked for") != std::string::npos,
        "a socket for an endpoint not asked for is refused", refusal(a));
  // A frame that is no socket request: ignored, the session goes on.
  (void)send_exec_frame(conn.get(), encode_exec(ExecClientMessage(ExecSignal{SIGTERM})), {});
  a = ask(conn.get(), ExecClientMessage(SocketOpen{2, 1}));
  check(a.message && std::holds_alternative<SocketOpened>(*a.message) && a.fds.size() == 1 &&
            std::get<SocketOpened>(*a.message).id == 2,
        "the listener comes back (after an ignored frame)", refusal(a) + a.error);
  if (a.fds.size() == 1) {
    check(address(a.fds[0].get(), false) == "127.0.0.1:" + std::to_string(listen_port),
          "the listener is bound to 127.0.0.1:" + std::to_string(listen_port),
          address(a.fds[0].get(), false));
    struct stat st = {};
    check(::fstat(a.fds[0].get(), &st) == 0 && st.st_uid == ::getuid(), "the listener is ours",
          "owner uid " + std::to_string(st.st_uid));
  }
  a = ask(conn.get(), ExecClientMessage(SocketOpen{3, 1}));
  check(refusal(a).find("is already open") != std::string::npos, "a second listener is refused",
        refusal(a));
  a = ask(conn.get(), ExecClientMessage(SocketOpen{4, 0}));
  check(a.message && std::holds_alternative<SocketOpened>(*a.message) && a.fds.size() == 1,
        "a connected socket comes back", refusal(a) + a.error);
  if (a.fds.size() == 1) {
    check(address(a.fds[0].get(), true) == "127.0.0.1:" + std::to_string(port),
          "it is connected to 127.0.0.1:" + std::to_string(port), address(a.fds[0].get(), true));
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace vpnns

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: forward_probe SOCKET VPNNS_NAME PORT\n");
    return 2;
  }
  return vpnns::run(argv[1], argv[2], static_cast<std::uint16_t>(std::atoi(argv[3])));
}
