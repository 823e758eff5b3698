// SPDX-License-Identifier: GPL-2.0-or-later
// HelperProcess: the plugin's handle on its root helper — spawn, one call per event, shutdown.
//
// start() runs in openvpn_plugin_open_v3, while openvpn is still root and before it has read
// anything from the network. It checks that the helper executable is one only root could have
// put there (common/trusted_file.h), opens it, creates an AF_UNIX SOCK_SEQPACKET
// socketpair, forks, and in the child: starts a new session (a Ctrl-C meant for openvpn must
// not kill the helper before DOWN), asks for SIGTERM when openvpn dies (PR_SET_PDEATHSIG),
// moves its socket end to fd 3, points stdin and stdout at /dev/null (stderr stays openvpn's, so
// a dying helper's last words reach openvpn's log), closes every other descriptor, resets every
// signal disposition
// and the mask, and executes the opened file with an empty environment and the configuration on
// its command line. A close-on-exec pipe reports an exec failure with its errno. The parent then
// waits for the helper's versioned Hello; anything else fails the open with the helper's reason.
//
// The child between fork and exec calls only async-signal-safe functions: everything it needs
// (argv, envp) is built before the fork.
//
// This file has no openvpn types, so tests and benchmarks drive a real helper through it.
#pragma once

#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "helper_ipc/messages.h"

namespace vpnns {

// How long each step may take before the plugin gives up on the helper.
inline constexpr int kHelloTimeoutMs = 10'000;
inline constexpr int kCallTimeoutMs = 30'000;
inline constexpr int kExitTimeoutMs = 5'000;

class HelperProcess {
 public:
  // Spawns the helper for `config` and waits for its Hello.
  // `remotes`: the hosts openvpn's configuration connects to (its open env's remote_N and
  // proxies, helper/peer_evidence.h), passed as --remote=HOST.
  static Result<HelperProcess> start(const Config& config,
                                     const std::vector<std::string>& remotes = {});

  HelperProcess(HelperProcess&& other) noexcept;
  HelperProcess& operator=(HelperProcess&& other) noexcept;
  ~HelperProcess();

  // Sends one request and waits for its reply. A dead or silent helper is an error: every later
  // call fails too (fail closed), with the helper's exit status in the message.
  // `fds` go with the request (UP: openvpn's tun descriptors, helper/tun_holder.h).
  Result<Reply> call(const Request& request, int timeout_ms = kCallTimeoutMs,
                     std::span<const int> fds = {});

  // Asks the helper to tear down and exit, waits for its reply and its exit; kills it (by pid,
  // it is our child) if it does not exit in time. Idempotent.
  Reply close();

  // Drops the socket without waiting: the helper sees EOF, tears down and exits on its own.
  void abandon();

  [[nodiscard]] pid_t pid() const { return pid_; }
  // The plugin's socket end, for tests that speak raw (hostile) frames to the helper.
  [[nodiscard]] int socket_fd() const { return sock_.get(); }
  // The helper's socket end is still open and it has not been seen to exit.
  [[nodiscard]] bool alive() const { return sock_.valid(); }

 private:
  HelperProcess(UniqueFd sock, UniqueFd pidfd, pid_t pid)
      : sock_(std::move(sock)), pidfd_(std::move(pidfd)), pid_(pid) {}

  // Reaps the helper (waiting up to timeout_ms, then SIGKILL); records how it ended.
  void reap(int timeout_ms);
  // Stops talking to the helper after `cause`; the returned error says what is known.
  Error gone(const Error& cause);
  [[nodiscard]] std::string fate() const;

  UniqueFd sock_;
  UniqueFd pidfd_;
  pid_t pid_ = -1;     // -1 once reaped or abandoned: nothing left to wait for
  std::string ended_;  // how the helper ended, once known
};

}  // namespace vpnns
