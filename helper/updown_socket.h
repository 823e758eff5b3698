// SPDX-License-Identifier: GPL-2.0-or-later
// UpdownSocket: where vpnns-dns-updown reaches the helper (openvpn 2.7's DNS).
//
// openvpn 2.7 shows pushed DNS to its dns-updown command only, never to plugins
// (OPENVPN-FACTS.md section 10). In netns mode the administrator names vpnns-dns-updown as that
// command; openvpn runs it as root — itself at a connect before the privilege drop, later through
// the root "runner" it forked before the drop — and the command hands the values to this helper
// over a SOCK_SEQPACKET socket: /run/vpnns/dns-updown/OPENVPN_PID (directory 0700 root, socket
// 0755 root: only root can connect).
//
// Who may talk here: a root process (SO_PEERCRED uid 0) that descends from this helper's openvpn
// (the runner's child, or openvpn's own child before the drop). The chrooted, unprivileged
// openvpn cannot connect; what the command sends is still only what the VPN server pushed, and is
// validated like ROUTE_UP's DNS (validate.h). One request per connection, one reply.
//
// The socket is created at start-up (before the helper confines itself) and removed at
// teardown; stale sockets of openvpn processes that no longer exist are removed at start-up.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>

#include "common/error.h"
#include "common/unique_fd.h"
#include "helper_ipc/messages.h"

namespace vpnns {

class UpdownSocket {
 public:
  static Result<UpdownSocket> open(pid_t openvpn_pid, const std::string& dir = kDnsUpdownDir);
  UpdownSocket(UpdownSocket&& other) noexcept
      : listen_(std::move(other.listen_)),
        path_(std::exchange(other.path_, {})),
        openvpn_pid_(other.openvpn_pid_) {}
  UpdownSocket& operator=(UpdownSocket&&) = delete;
  ~UpdownSocket() { remove(); }

  [[nodiscard]] int fd() const { return listen_.get(); }
  // Accepts one connection.
  Result<UniqueFd> accept();
  // Who is calling on `conn`: ok for a root process that descends from openvpn.
  Status check_caller(int conn) const;
  // Removes the socket file; idempotent.
  void remove();

 private:
  UpdownSocket(UniqueFd listen, std::string path, pid_t openvpn_pid)
      : listen_(std::move(listen)), path_(std::move(path)), openvpn_pid_(openvpn_pid) {}

  UniqueFd listen_;
  std::string path_;
  pid_t openvpn_pid_;
};

// True if `pid`'s chain of parents reaches `ancestor` within a few generations (openvpn → runner
// → command is two).
bool descends_from(pid_t pid, pid_t ancestor);

}  // namespace vpnns
