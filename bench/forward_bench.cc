// SPDX-License-Identifier: GPL-2.0-or-later
// vpnnsctl forward against a direct loopback connection: TCP throughput and round-trip time.
//
//   forward_bench [--tsv] [SECONDS] [ROUNDTRIPS] [PAIRS]   (root; defaults 2, 20000, 3)
//
// Two throw-away namespaces: vf<pid>-n plays the vpnns namespace (lo only, with the helper's
// marker, so that vpnnsctl accepts it) and holds a sink server (reads everything, answers with
// the byte count) and an echo server on 127.0.0.1; vf<pid>-h plays the host and runs
// `vpnnsctl forward` as root (it makes its namespace sockets itself, with setns: the relay is
// the same code vpnns-execd's callers use; the service only hands over the sockets).
//
//   direct     the client in vf<pid>-n, connected to the servers over lo
//   forward    the client in vf<pid>-h, connected to vpnnsctl forward's ports, which relays to the
//              same servers inside vf<pid>-n
//
// Throughput: PAIRS pairs of runs (direct, forward), each sending for SECONDS in 256 KiB writes;
// the figures are the medians, the ratio the median of the pairs' ratios. Round trip: 1-byte
// ping-pong with TCP_NODELAY, ROUNDTRIPS of each after 1000 to warm up; medians, and what the
// forward adds. The goals (issue 15): at least 0.8x the throughput, at most 100 µs added.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "bench/tsv.h"
#include "bench/util.h"
#include "common/unique_fd.h"
#include "state/netns_marker.h"

using namespace vpnns;
using namespace vpnns::bench;

namespace {

constexpr std::uint16_t kSink = 5001, kEcho = 5002, kFwdSink = 15001, kFwdEcho = 15002;

void enter(int ns_fd) {
  if (::setns(ns_fd, CLONE_NEWNET) < 0) die("setns");
}

UniqueFd tcp_socket() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) die("socket");
  const int one = 1;
  (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

UniqueFd dial(int ns_fd, std::uint16_t port) {
  enter(ns_fd);
  UniqueFd fd = tcp_socket();
  const sockaddr_in a = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) return UniqueFd();
  // A relay that loses an end of stream must fail the benchmark, not hang it.
  const timeval limit{20, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return fd;
}

bool read_full(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// The servers, in the namespace: a thread per connection.
void serve(int ns_fd, std::uint16_t port, bool echo) {
  enter(ns_fd);
  UniqueFd l = tcp_socket();
  const int one = 1;
  (void)::setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in a = loopback(port);
  if (::bind(l.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0 ||
      ::listen(l.get(), 16) < 0) {
    die("server on port " + std::to_string(port));
  }
  std::thread([l = std::move(l), echo]() {
    for (;;) {
      const int c = ::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      const int on = 1;
      (void)::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      std::thread([c, echo]() {
        std::vector<char> buf(256 * 1024);
        std::uint64_t total = 0;
        for (;;) {
          const ssize_t n = ::read(c, buf.data(), buf.size());
          if (n <= 0) break;
          total += static_cast<std::uint64_t>(n);
          if (echo && ::write(c, buf.data(), static_cast<std::size_t>(n)) != n) break;
        }
        if (!echo) (void)::write(c, &total, sizeof total);
        ::close(c);
      }).detach();
    }
  }).detach();
}

double throughput_mbit(int ns_fd, std::uint16_t port, int seconds) {
  UniqueFd fd = dial(ns_fd, port);
  if (!fd) die("connecting for throughput");
  std::vector<char> buf(256 * 1024, 'x');
  const auto t0 = Clock::now();
  while (ms_since(t0) < seconds * 1000.0) {
    if (::write(fd.get(), buf.data(), buf.size()) <= 0) die("write");
  }
  (void)::shutdown(fd.get(), SHUT_WR);
  std::uint64_t total = 0;
  if (!read_full(fd.get(), &total, sizeof total)) die("no count from the sink within 20 s");
  return static_cast<double>(total) * 8 / (ms_since(t0) / 1000) / 1e6;
}

double round_trip_us(int ns_fd, std::uint16_t port, int rounds) {
  UniqueFd fd = dial(ns_fd, port);
  if (!fd) die("connecting for round trips");
  std::vector<double> us;
  char b = 'p';
  for (int i = 0; i < 1000 + rounds; ++i) {
    const auto t0 = Clock::now();
    if (::write(fd.get(), &b, 1) != 1 || !read_full(fd.get(), &b, 1)) die("ping-pong");
    if (i >= 1000) us.push_back(ms_since(t0) * 1000);
  }
  return quantile(us, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
  set_program("forward_bench");
  const Args args =
      parse_args(argc, argv, 3, "forward_bench [--tsv] [SECONDS] [ROUNDTRIPS] [PAIRS]");
  const int seconds = count_arg("forward_bench", args, 0, "SECONDS", 2);
  const int rounds = count_arg("forward_bench", args, 1, "ROUNDTRIPS", 20000);
  const int pairs = count_arg("forward_bench", args, 2, "PAIRS", 3);
  if (::geteuid() != 0) die("run as root");
  ::signal(SIGPIPE, SIG_IGN);
  const std::string id = "vf" + std::to_string(::getpid());
  const std::string host = id + "-h", ns = id + "-n";
  pid_t ctl = -1;
  auto cleanup = [&] {
    if (ctl > 0) {
      (void)::kill(ctl, SIGINT);
      (void)::waitpid(ctl, nullptr, 0);
    }
    for (const auto& n : {host, ns}) {
      run({"ip", "netns", "del", n});
      ::unlink(("/run/vpnns/netns/" + n).c_str());
    }
  };
  for (const auto& n : {host, ns}) {
    must({"ip", "netns", "add", n});
    must({"ip", "-n", n, "link", "set", "lo", "up"});
  }
  UniqueFd host_fd(::open(("/run/netns/" + host).c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd ns_fd(::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
  if (!host_fd || !ns_fd) die("opening the namespaces");
  if (Status s = write_netns_marker(ns, ns_fd.get(), Role::kClient); !s) {
    cleanup();
    die(s.error().text());
  }
  serve(ns_fd.get(), kSink, false);
  serve(ns_fd.get(), kEcho, true);

  ctl = ::fork();
  if (ctl == 0) {
    enter(host_fd.get());
    const int null = ::open("/dev/null", O_WRONLY);
    (void)::dup2(null, STDERR_FILENO);
    const std::string sink = std::to_string(kFwdSink) + ":" + std::to_string(kSink);
    const std::string echo = std::to_string(kFwdEcho) + ":" + std::to_string(kEcho);
    ::execl(VPNNS_BENCH_CTL, "vpnnsctl", "forward", "-n", ns.c_str(), sink.c_str(), echo.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = static_cast<bool>(dial(host_fd.get(), kFwdEcho));
    if (!up) ::usleep(20'000);
  }
  if (!up) {
    cleanup();
    die("vpnnsctl forward did not start");
  }

  std::vector<double> direct_tp, fwd_tp, tp_ratio;
  for (int i = 0; i < pairs; ++i) {
    direct_tp.push_back(throughput_mbit(ns_fd.get(), kSink, seconds));
    fwd_tp.push_back(throughput_mbit(host_fd.get(), kFwdSink, seconds));
    tp_ratio.push_back(fwd_tp.back() / direct_tp.back());
  }
  const double direct_rt = round_trip_us(ns_fd.get(), kEcho, rounds);
  const double fwd_rt = round_trip_us(host_fd.get(), kFwdEcho, rounds);
  cleanup();

  const double d_tp = quantile(direct_tp, 0.5), f_tp = quantile(fwd_tp, 0.5);
  const double ratio = quantile(tp_ratio, 0.5);
  const double added = fwd_rt - direct_rt;
  if (args.tsv) {
    std::printf(
        "vpnnsctl forward: TCP throughput (goal >= 0.8x)\tdirect loopback\t%.0f\t%.0f\t"
        "Mbit/s\t%.2f\n",
        d_tp, f_tp, ratio);
    std::printf(
        "vpnnsctl forward: TCP round trip, %.1f us added (goal <= 100)\tdirect "
        "loopback\t%.1f\t%.1f\tus\n",
        added, direct_rt, fwd_rt);
    return 0;
  }
  std::printf(
      "vpnnsctl forward vs a direct loopback connection (%d x %d s pairs, %d round trips)\n", pairs,
      seconds, rounds);
  std::printf("  %-22s %12s %12s %10s\n", "", "direct", "forward", "");
  std::printf("  %-22s %12.0f %12.0f %9.2fx   (goal >= 0.8x)\n", "throughput, Mbit/s", d_tp, f_tp,
              ratio);
  std::printf("  %-22s %12.1f %12.1f %+8.1f us (goal <= 100 us added)\n", "round trip, us",
              direct_rt, fwd_rt, added);
  return 0;
}
