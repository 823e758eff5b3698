// SPDX-License-Identifier: GPL-2.0-or-later
// The udp flows of the relay loop (forward_relay.h, forward_loop.h).
//
// The front socket of a spec (forward: bound on the host; --reverse: bound to 127.0.0.1:NS_PORT
// inside the namespace, from NsSockets) receives datagrams from any source. Each source address
// is a flow with a connected socket of its own towards the destination (forward: made inside the
// namespace by NsSockets, so it arrives later and the first datagrams wait for it; --reverse: a
// socket on the host, at once). Answers on a flow's socket go back to its source through the
// front socket. Datagrams are never merged, split or parsed.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "ctl/forward_loop.h"

namespace vpnns::ctl {
namespace {

constexpr std::size_t kMaxQueued = 16;  // datagrams waiting for a flow's socket
constexpr int kBatch = 32;              // datagrams per readiness, so that others get a turn

std::uint64_t source_key(const sockaddr_in& a) {
  return (static_cast<std::uint64_t>(a.sin_addr.s_addr) << 16) | a.sin_port;
}

std::uint64_t flow_token(std::uint64_t id) {
  return (id << 3) | static_cast<std::uint64_t>(Watch::kFlow);
}

}  // namespace

void Loop::on_datagrams(std::size_t spec) {
  for (int i = 0; i < kBatch; ++i) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fronts_[spec].get(), buf_.data(), buf_.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;
    const std::string datagram(buf_.data(), static_cast<std::size_t>(n));
    auto known = flow_of_.find({spec, source_key(from)});
    if (known != flow_of_.end()) {
      Flow& f = flows_[known->second];
      f.last = monotonic_s();
      if (f.up) {
        (void)::send(f.up.get(), datagram.data(), datagram.size(), MSG_DONTWAIT);
      } else if (f.queued.size() < kMaxQueued) {
        f.queued.push_back(datagram);
      }
      continue;
    }
    if (active_[spec] >= options_.max_connections) {
      note("dropped a datagram from " + sockaddr_text(from) + " to " +
           describe(specs_[spec], netns_) + ": already " + std::to_string(active_[spec]) +
           " flows, the most allowed (--max-connections)");
      continue;
    }
    const std::uint64_t id = next_id_++;
    Flow& f = flows_[id];
    f.spec = spec;
    f.client = from;
    f.last = monotonic_s();
    f.queued.push_back(datagram);
    flow_of_[{spec, source_key(from)}] = id;
    ++active_[spec];
    if (!specs_[spec].reverse) {
      const std::uint32_t request = next_request_++;
      waiting_[request] = id;
      ns_.open(request, static_cast<std::uint16_t>(spec));
      continue;
    }
    UniqueFd up(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(specs_[spec].host_port);
    std::memcpy(&to.sin_addr, specs_[spec].host_addr.data(), 4);
    if (!up || ::connect(up.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
      close_flow(
          id,
          sys_error("a udp socket towards the host's " + host_text(specs_[spec]), errno).text());
      continue;
    }
    flow_up(id, std::move(up));
  }
}

void Loop::flow_up(std::uint64_t id, UniqueFd up) {
  Flow& f = flows_[id];
  f.up = std::move(up);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = flow_token(id);
  (void)::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, f.up.get(), &ev);
  if (options_.verbose) note("udp flow from " + sockaddr_text(f.client) + " relayed");
  for (const std::string& d : f.queued) {
    (void)::send(f.up.get(), d.data(), d.size(), MSG_DONTWAIT);
  }
  f.queued.clear();
}

void Loop::on_flow(std::uint64_t id) {
  auto it = flows_.find(id);
  if (it == flows_.end()) return;
  Flow& f = it->second;
  for (int i = 0; i < kBatch; ++i) {
    const ssize_t n = ::recv(f.up.get(), buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      // ECONNREFUSED: nothing listens at the destination (an ICMP came back); the flow stays,
      // the next request may find a listener.
      return;
    }
    f.last = monotonic_s();
    (void)::sendto(fronts_[f.spec].get(), buf_.data(), static_cast<std::size_t>(n), MSG_DONTWAIT,
                   reinterpret_cast<const sockaddr*>(&f.client), sizeof f.client);
  }
}

void Loop::close_flow(std::uint64_t id, const std::string& why) {
  auto it = flows_.find(id);
  if (it == flows_.end()) return;
  Flow& f = it->second;
  if (!why.empty()) note("udp flow from " + sockaddr_text(f.client) + ": " + why);
  if (f.up) (void)::shutdown(f.up.get(), SHUT_RDWR);
  f.up.reset();
  flow_of_.erase({f.spec, source_key(f.client)});
  --active_[f.spec];
  flows_.erase(it);
}

}  // namespace vpnns::ctl
