// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl/forward_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ctl/forward_loop.h"

namespace vpnns::ctl {
namespace {

constexpr int kPumpRounds = 8;  // per event and direction, so that one stream cannot starve others
constexpr int kNotesPerSecond = 5;

std::uint64_t token(std::uint64_t id, Watch w) { return (id << 3) | static_cast<std::uint64_t>(w); }

void set_nonblocking(int fd) { (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// The relay cannot know where a message ends: it must not hold small writes back (Nagle).
void no_delay(int fd) {
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in to_sockaddr(const std::array<std::uint8_t, 4>& addr, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  std::memcpy(&a.sin_addr, addr.data(), 4);
  return a;
}

// Closes a relayed socket so that its peer (and vpnns-execd) sees it gone; `reset`: with a
// reset, for a client whose connection failed.
void finish(UniqueFd& fd, bool reset) {
  if (!fd) return;
  if (reset) {
    const linger l{1, 0};
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  (void)::shutdown(fd.get(), SHUT_RDWR);
  fd.reset();
}

std::string why_failed(const Error& e, const ForwardSpec& spec, const std::string& netns) {
  std::string text = e.text();
  if (e.sys_errno() == ECONNREFUSED) {
    text += spec.reverse ? " (is anything listening on the host's " + host_text(spec) + "?)"
                         : " (is anything listening on 127.0.0.1:" + std::to_string(spec.ns_port) +
                               " in namespace " + netns + "?)";
  }
  return text;
}

}  // namespace

long monotonic_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

std::string sockaddr_text(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = "?";
  (void)::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

Loop::~Loop() {
  for (auto& [id, s] : streams_) {
    finish(s.down, false);
    finish(s.up, false);
  }
  for (auto& [id, f] : flows_) finish(f.up, false);
}

void Loop::add(int fd, std::uint32_t events, std::uint64_t tok) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tok;
  (void)::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev);
}

void Loop::note(const std::string& line) {
  const long now = monotonic_s();
  if (now != note_second_) {
    note_second_ = now;
    notes_ = 0;
  }
  if (++notes_ <= kNotesPerSecond) std::fprintf(stderr, "vpnnsctl forward: %s\n", line.c_str());
}

Result<UniqueFd> Loop::listen_host(const ForwardSpec& spec) {
  UniqueFd fd(::socket(AF_INET, (spec.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket", errno);
  const int one = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in a = to_sockaddr(spec.host_addr, spec.host_port);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) {
    const int err = errno;
    if (err == EADDRINUSE) {
      return sys_error("the host's " + host_text(spec) + (spec.udp ? "/udp" : "") + " is taken",
                       err);
    }
    return sys_error("listening on the host's " + host_text(spec), err);
  }
  if (!spec.udp && ::listen(fd.get(), 128) < 0) return sys_error("listen", errno);
  return fd;
}

Status Loop::setup() {
  ep_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep_) return sys_error("epoll_create1", errno);
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const ForwardSpec& spec = specs_[i];
    Result<UniqueFd> fd =
        spec.reverse ? ns_.open_now(static_cast<std::uint16_t>(i)) : listen_host(spec);
    if (!fd) {
      Error e = fd.error();
      if (spec.reverse && e.sys_errno() == EADDRINUSE) {
        e = Error(e.code(),
                  "127.0.0.1:" + std::to_string(spec.ns_port) + (spec.udp ? "/udp" : "") +
                      " in namespace " + netns_ + " is taken",
                  EADDRINUSE);
      }
      return e;
    }
    set_nonblocking(fd->get());
    add(fd->get(), EPOLLIN, token(i, Watch::kFront));
    fronts_.push_back(std::move(*fd));
  }
  for (const ForwardSpec& spec : specs_) {
    std::fprintf(stderr, "vpnnsctl forward: %s%s\n", describe(spec, netns_).c_str(),
                 spec.host_addr == std::array<std::uint8_t, 4>{0, 0, 0, 0}
                     ? " (0.0.0.0: every host address, reachable from the LAN)"
                     : "");
  }
  return ok_status();
}

void Loop::on_accept(std::size_t spec) {
  for (int i = 0; i < 16; ++i) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    UniqueFd down(::accept4(fronts_[spec].get(), reinterpret_cast<sockaddr*>(&peer), &len,
                            SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!down) return;
    if (active_[spec] >= options_.max_connections) {
      finish(down, true);
      note("refused a connection from " + sockaddr_text(peer) + " to " +
           describe(specs_[spec], netns_) + ": already " + std::to_string(active_[spec]) +
           " connections, the most allowed (--max-connections)");
      continue;
    }
    no_delay(down.get());
    const std::uint64_t id = next_id_++;
    Stream& s = streams_[id];
    s.spec = spec;
    s.down = std::move(down);
    s.last = monotonic_s();
    s.peer = sockaddr_text(peer);
    ++active_[spec];
    if (Status st = make_pipe(s.d2u); !st) {
      close_stream(id, true, st.error().text());
      continue;
    }
    if (Status st = make_pipe(s.u2d); !st) {
      close_stream(id, true, st.error().text());
      continue;
    }
    if (!specs_[spec].reverse) {
      const std::uint32_t request = next_request_++;
      waiting_[request] = id;
      ns_.open(request, static_cast<std::uint16_t>(spec));
      continue;
    }
    UniqueFd up(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    const sockaddr_in to = to_sockaddr(specs_[spec].host_addr, specs_[spec].host_port);
    if (!up || (::connect(up.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0 &&
                errno != EINPROGRESS)) {
      const Error e = sys_error("connecting to the host's " + host_text(specs_[spec]), errno);
      close_stream(id, true, why_failed(e, specs_[spec], netns_));
      continue;
    }
    s.connecting = true;
    stream_up(id, std::move(up));
  }
}

void Loop::on_answer(NsAnswer answer) {
  std::uint64_t id = 0;  // no stream or flow has id 0
  if (auto w = waiting_.find(answer.id); w != waiting_.end()) {
    id = w->second;
    waiting_.erase(w);
  }
  if (streams_.count(id) != 0) {
    if (!answer.socket) {
      const ForwardSpec& spec = specs_[streams_[id].spec];
      return close_stream(id, true, why_failed(answer.socket.error(), spec, netns_));
    }
    return stream_up(id, std::move(*answer.socket));
  }
  if (flows_.count(id) != 0) {
    if (!answer.socket) return close_flow(id, answer.socket.error().text());
    return flow_up(id, std::move(*answer.socket));
  }
  // Its connection or flow is gone meanwhile: shut the socket down, so that vpnns-execd stops
  // counting it.
  if (answer.socket) finish(*answer.socket, false);
}

void Loop::stream_up(std::uint64_t id, UniqueFd up) {
  Stream& s = streams_[id];
  set_nonblocking(up.get());
  no_delay(up.get());
  s.up = std::move(up);
  s.up_ready = !s.connecting;
  if (options_.verbose && s.up_ready) note("connection from " + s.peer + " relayed");
  update(id, s);
}

void Loop::update(std::uint64_t id, Stream& s) {
  if (!s.up_ready) {
    // Connecting: wait for the up side only.
    if (s.connecting && !s.reg_up) {
      add(s.up.get(), EPOLLOUT, token(id, Watch::kUp));
      s.reg_up = true;
      s.ev_up = EPOLLOUT;
    }
    return;
  }
  if (s.d2u.shut && s.u2d.shut && s.d2u.in_pipe == 0 && s.u2d.in_pipe == 0) {
    return close_stream(id, false, "");
  }
  auto want = [](const SpliceDir& in, const SpliceDir& out) {
    std::uint32_t ev = 0;
    if (!in.eof && in.in_pipe == 0) ev |= EPOLLIN;
    if (out.in_pipe > 0) ev |= EPOLLOUT;
    return ev;
  };
  const std::uint32_t down = want(s.d2u, s.u2d), up = want(s.u2d, s.d2u);
  auto apply = [&](int fd, bool& reg, std::uint32_t& cur, std::uint32_t ev, Watch w) {
    epoll_event e{};
    e.events = ev;
    e.data.u64 = token(id, w);
    if (!reg) {
      (void)::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &e);
      reg = true;
    } else if (cur != ev) {
      (void)::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, fd, &e);
    }
    cur = ev;
  };
  apply(s.down.get(), s.reg_down, s.ev_down, down, Watch::kDown);
  apply(s.up.get(), s.reg_up, s.ev_up, up, Watch::kUp);
}

void Loop::on_stream(std::uint64_t id, bool up_side, std::uint32_t events) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  if (up_side && s.connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    (void)::getsockopt(s.up.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      const Error e = sys_error("connecting to the host's " + host_text(specs_[s.spec]), err);
      return close_stream(id, true, why_failed(e, specs_[s.spec], netns_));
    }
    s.connecting = false;
    s.up_ready = true;
    if (options_.verbose) note("connection from " + s.peer + " relayed");
  }
  if ((events & EPOLLERR) != 0) return close_stream(id, true, options_.verbose ? "reset" : "");
  // A hang-up on a side we wait for nothing from: the connection is gone both ways.
  if ((events & EPOLLHUP) != 0 && (up_side ? s.ev_up : s.ev_down) == 0) {
    return close_stream(id, false, "");
  }
  // Any readiness is traffic (or an end of it): the connection is not idle.
  if ((events & (EPOLLIN | EPOLLOUT)) != 0) s.last = monotonic_s();
  if (!splice_pump(s.down.get(), s.up.get(), s.d2u, kPumpRounds) ||
      !splice_pump(s.up.get(), s.down.get(), s.u2d, kPumpRounds)) {
    return close_stream(id, true, options_.verbose ? "reset" : "");
  }
  update(id, s);
}

void Loop::close_stream(std::uint64_t id, bool reset, const std::string& why) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  if (!why.empty()) note("connection from " + s.peer + ": " + why);
  if (options_.verbose && why.empty()) note("connection from " + s.peer + " closed");
  finish(s.down, reset);
  finish(s.up, false);
  --active_[s.spec];
  streams_.erase(it);
}

void Loop::expire(long now) {
  std::vector<std::uint64_t> idle;
  if (options_.idle_timeout_s > 0) {
    for (const auto& [id, s] : streams_) {
      if (s.up_ready && now - s.last >= options_.idle_timeout_s) idle.push_back(id);
    }
  }
  for (std::uint64_t id : idle) {
    close_stream(id, false,
                 "closed after " + std::to_string(options_.idle_timeout_s) +
                     " s without traffic (--idle-timeout)");
  }
  idle.clear();
  for (const auto& [id, f] : flows_) {
    if (now - f.last >= options_.udp_timeout_s) idle.push_back(id);
  }
  for (std::uint64_t id : idle) close_flow(id, options_.verbose ? "flow timed out" : "");
}

Status Loop::run(int signal_fd) {
  add(signal_fd, EPOLLIN, token(0, Watch::kSignal));
  if (ns_.poll_fd() >= 0) add(ns_.poll_fd(), EPOLLIN, token(0, Watch::kNs));
  long last_expire = monotonic_s();
  epoll_event events[64];
  for (;;) {
    const int n = ::epoll_wait(ep_.get(), events, 64, 1000);
    if (n < 0 && errno != EINTR) return sys_error("epoll_wait", errno);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t id = events[i].data.u64 >> 3;
      switch (static_cast<Watch>(events[i].data.u64 & 7)) {
        case Watch::kFront:
          if (specs_[id].udp) {
            on_datagrams(id);
          } else {
            on_accept(id);
          }
          break;
        case Watch::kDown:
        case Watch::kUp:
          on_stream(id, (events[i].data.u64 & 7) == static_cast<std::uint64_t>(Watch::kUp),
                    events[i].events);
          break;
        case Watch::kFlow:
          on_flow(id);
          break;
        case Watch::kSignal: {
          signalfd_siginfo si{};
          if (::read(signal_fd, &si, sizeof si) == sizeof si) {
            std::fprintf(
                stderr,
                "vpnnsctl forward: stopped by signal %u; %zu connections and %zu flows closed\n",
                si.ssi_signo, streams_.size(), flows_.size());
            return ok_status();
          }
          break;
        }
        case Watch::kNs:
          VPNNS_TRY(ns_.on_readable());
          break;
      }
      while (!ns_.answers().empty()) {
        NsAnswer a = std::move(ns_.answers().front());
        ns_.answers().pop_front();
        on_answer(std::move(a));
      }
    }
    const long now = monotonic_s();
    if (now != last_expire) {
      last_expire = now;
      expire(now);
    }
  }
}

Status run_relays(const std::vector<ForwardSpec>& specs, const std::string& netns, NsSockets& ns,
                  const RelayOptions& options, int signal_fd) {
  Loop loop(specs, netns, ns, options);
  VPNNS_TRY(loop.setup());
  return loop.run(signal_fd);
}

}  // namespace vpnns::ctl
