// SPDX-License-Identifier: GPL-2.0-or-later
// The relay loop's parts (forward_relay.h says what it does): forward_relay.cc holds the loop,
// the listening sides and the tcp streams, forward_udp.cc the udp flows. Internal to vpnnsctl.
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ctl/forward_pump.h"
#include "ctl/forward_relay.h"

namespace vpnns::ctl {

// What an epoll event is about: the low 3 bits of its token.
enum class Watch : std::uint64_t {
  kFront = 0,
  kDown = 1,
  kUp = 2,
  kFlow = 3,
  kSignal = 4,
  kNs = 5
};

long monotonic_s();
std::string sockaddr_text(const sockaddr_in& a);

class Loop {
 public:
  Loop(const std::vector<ForwardSpec>& specs, const std::string& netns, NsSockets& ns,
       const RelayOptions& options)
      : specs_(specs), netns_(netns), ns_(ns), options_(options), active_(specs.size(), 0) {}
  ~Loop();

  Status setup();
  Status run(int signal_fd);

 private:
  struct Stream {
    std::size_t spec = 0;
    UniqueFd down, up;  // down: the accepted side; up: the other side
    bool up_ready = false, connecting = false;
    SpliceDir d2u, u2d;
    std::uint32_t ev_down = 0, ev_up = 0;
    bool reg_down = false, reg_up = false;
    long last = 0;
    std::string peer;
  };
  struct Flow {
    std::size_t spec = 0;
    sockaddr_in client{};
    UniqueFd up;
    std::deque<std::string> queued;  // datagrams that came before the flow's socket
    long last = 0;
  };

  // forward_relay.cc
  void add(int fd, std::uint32_t events, std::uint64_t token);
  void note(const std::string& line);
  Result<UniqueFd> listen_host(const ForwardSpec& spec);
  void on_accept(std::size_t spec);
  void on_answer(NsAnswer answer);
  void stream_up(std::uint64_t id, UniqueFd up);
  void on_stream(std::uint64_t id, bool up_side, std::uint32_t events);
  void update(std::uint64_t id, Stream& s);
  void close_stream(std::uint64_t id, bool reset, const std::string& why);
  void expire(long now);
  // forward_udp.cc
  void on_datagrams(std::size_t spec);
  void flow_up(std::uint64_t id, UniqueFd up);
  void on_flow(std::uint64_t id);
  void close_flow(std::uint64_t id, const std::string& why);

  const std::vector<ForwardSpec>& specs_;
  const std::string& netns_;
  NsSockets& ns_;
  const RelayOptions& options_;
  UniqueFd ep_;
  std::vector<UniqueFd> fronts_;     // per spec: listener or udp socket
  std::vector<std::size_t> active_;  // per spec: connections or flows
  std::unordered_map<std::uint64_t, Stream> streams_;
  std::unordered_map<std::uint64_t, Flow> flows_;
  std::map<std::pair<std::size_t, std::uint64_t>, std::uint64_t> flow_of_;  // (spec, source)
  std::unordered_map<std::uint32_t, std::uint64_t> waiting_;  // request id -> stream or flow
  std::uint64_t next_id_ = 1;
  std::uint32_t next_request_ = 1;
  std::vector<char> buf_ = std::vector<char>(65536);  // one datagram
  long note_second_ = 0;
  int notes_ = 0;
};

}  // namespace vpnns::ctl
