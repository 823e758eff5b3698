// SPDX-License-Identifier: GPL-2.0-or-later
// Starting a command inside a vpnns namespace: fork, set the child up, exec.
//
// Shared by vpnns-execd (for a member of the vpnns group) and by `vpnnsctl exec` run as root.
// The caller has already checked the namespace (open_vpnns_netns) and holds it open; launch()
// forks, and the child, still root, does in this order:
//
//   job            with a terminal whose session the caller leads (vpnns-execd's pty): a process
//                  group of its own, made the terminal's foreground group — a job of that
//                  session, like a shell's. Its group is then not orphaned (its parent is in
//                  the same session), so Ctrl-Z (SIGTSTP) really stops it, as it would in a
//                  login shell; an orphaned group ignores the terminal's stop signals.
//   session        otherwise setsid() if asked (vpnns-execd without a pty: the command must not
//                  share the service's session)
//   signals        every disposition back to default, nothing blocked (the parent's signalfd
//                  set and ignored signals are not the command's business)
//   cwd            fchdir() to the passed directory — before the mount namespace is made, so
//                  that the kernel carries the working directory into it
//   namespaces     setns() into the network namespace; unshare(CLONE_NEWNS) and "/" made a
//                  recursive slave; the file-system view of netns_view.h
//   stdio          the passed descriptors on 0, 1, 2
//   session        join_session(), if set (vpnns-execd: the user's scope, limits, loginuid)
//   identity       (when dropping) ambient capabilities emptied, supplementary groups, gid and
//                  uid set (real, effective, saved), every capability cleared,
//                  PR_SET_NO_NEW_PRIVS: no set-uid program or file capability can give any back
//                  (the bounding set is left alone: emptying it adds nothing under no_new_privs
//                  and makes execve() of a file-capability program such as ping fail with EPERM).

//                  The working directory must be searchable by the new identity.
//   descriptors    everything above 2 close-on-exec (close_range): nothing of the parent leaks
//   exec           argv[0] looked up in the PATH of the *command's* environment (execvpe would
//                  use the parent's), then execve() with that environment
//
// A failure at any step is reported back over a close-on-exec pipe (EOF on it means the exec
// happened) and the child exits; launch() then reaps it and returns the error, with the exit
// status a shell would give: 127 command not found, 126 found but not executable, 125 any
// other failure.
//
// The child runs C++ (strings, vectors) between fork and exec: allowed because both callers are
// single-threaded processes.
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary
};

struct LaunchSpec {
  int netns_fd = -1;       // from open_vpnns_netns()
  std::string netns_name;  // for /etc/netns/NAME
  std::vector<std::string> argv;
  std::vector<std::string> env;
  // Run as this identity, with no capabilities and no new privileges. Unset: keep the caller's
  // identity and capabilities (plain root running vpnnsctl exec stays root).
  std::optional<Identity> identity;
  std::array<int, 3> stdio{-1, -1, -1};  // -1: keep the parent's
  int cwd_fd = -1;                       // -1: keep the parent's
  // The caller's controlling terminal (the caller leads its session): the command becomes its
  // foreground job. -1: no terminal; then new_session says whether to setsid().
  int foreground_tty_fd = -1;
  bool new_session = false;
  std::optional<mode_t> umask;
  // Run in the child, still root, right before it drops to `identity` (vpnns-execd: the
  // caller's session, user_session.h). An error fails the launch (exit status 125).
  std::function<Status()> join_session;
};

struct Launched {
  pid_t pid = -1;
  UniqueFd pidfd;  // readable when the command exits (pidfd_open)
};

struct LaunchFailure {
  Error error;
  int exit_status;  // 125, 126 or 127
};

// Starts the command; returns once it runs (exec succeeded) or failed to.
std::variant<Launched, LaunchFailure> launch(const LaunchSpec& spec);

// The exit status and death signal of a reaped child, as the shell reports it: the code, or
// 128 + signal.
struct WaitStatus {
  bool signaled = false;
  int value = 0;  // exit code or signal number
  bool core_dumped = false;
};
WaitStatus decode_wait_status(int status);

}  // namespace vpnns
