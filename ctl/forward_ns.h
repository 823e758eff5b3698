// SPDX-License-Identifier: GPL-2.0-or-later
// Where `vpnnsctl forward` gets its sockets inside the namespace from.
//
//   ServiceNsSockets  everyone but root: vpnns-execd, over one connection for the whole forward
//                     (ForwardRequest first, then a SocketOpen per socket; exec_ipc/socket_wire.h).
//                     The service admits the caller into the namespace as for `vpnnsctl exec`
//                     and makes each socket inside it as the caller; answers come back in
//                     their own time (poll_fd()).
//   DirectNsSockets   root: opens the namespace like `vpnnsctl exec` does (open_vpnns_netns), and
//                     for each socket enters it on this thread, makes the socket
//                     (execd/ns_socket.h) and comes back. Answers are ready at once.
//
// Either way the endpoints are fixed at the start, one per spec, and a socket is asked for by
// the spec's index.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "exec_ipc/socket_wire.h"

namespace vpnns::ctl {

struct NsAnswer {
  std::uint32_t id = 0;
  Result<UniqueFd> socket = UniqueFd();
};

class NsSockets {
 public:
  virtual ~NsSockets() = default;
  // Asks for a socket for endpoint `index`; its answer, with `id`, comes through take().
  virtual void open(std::uint32_t id, std::uint16_t index) = 0;
  // The socket now, waiting for it (at start-up: the listening sockets).
  virtual Result<UniqueFd> open_now(std::uint16_t index) = 0;
  // A descriptor to poll for answers (-1: answers are ready when open() returns).
  [[nodiscard]] virtual int poll_fd() const = 0;
  // Reads what poll_fd() has; an error means the service is gone.
  virtual Status on_readable() = 0;
  std::deque<NsAnswer>& answers() { return answers_; }

 protected:
  std::deque<NsAnswer> answers_;
};

// Connects to the service at `socket_path` and asks for the forward; the service's refusal
// comes back as the error (its words).
Result<std::unique_ptr<NsSockets>> service_ns_sockets(const std::string& socket_path,
                                                      const ForwardRequest& request);
// Root: the namespace opened and checked here.
Result<std::unique_ptr<NsSockets>> direct_ns_sockets(const ForwardRequest& request);

}  // namespace vpnns::ctl
