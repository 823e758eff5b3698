// SPDX-License-Identifier: GPL-2.0-or-later
// One connection to vpnns-execd: one command, from request to exit status.
//
// Runs in a process of its own, forked by the service for each connection (main.cc), so a
// malformed request, a crash or a slow client affects that connection only. That process — the
// session's privileged process — never reads a byte the client wrote; it splits the work:
//
//   privileged process (root)                      decoder (its child: the caller, nothing more)
//   1. SO_PEERCRED, SO_PEERGROUPS, group check
//   keeps only monitor_capabilities() ──── fork ──▶ becomes the caller: uid, gid, groups; no
//                                                   capabilities, NO_NEW_PRIVS, Landlock: opens
//                                                   nothing (session_confine.h)
//                                                   2. reads and decodes the Request (exec_wire.h)
//                  ◀── order + descriptors ───────  passes it on (session_order.h: a fixed header
//   3.-5. validates it as if the client had sent      and counted strings, nothing to exploit)
//   it; pty; launch()                               then Signal frames ──▶ signal orders; its EOF
//   6. supervises; writes Started/Stopped/Exit      is the client's hang-up
//      to the client
//
// So a bug in the frame decoder, the part a hostile client aims at, runs with the caller's own
// rights and can open no file; the process that enters namespaces and becomes the caller only
// ever parses a fixed-size header. The decoder is not an ancestor of the command, so the command
// inherits no Landlock domain: the privileged process forks it, and is not landlocked itself
// (it mounts, and a landlocked process may not).
//
// In order:
//
//   1. Who is calling: SO_PEERCRED (uid, gid, pid) and SO_PEERGROUPS (supplementary groups), as
//      the kernel recorded them at connect() — never /etc/group, never anything the client says.
//      The caller must have the configured group as its gid or among its groups; otherwise the
//      refusal says "user NAME is not in group GROUP; ask an administrator to add you".
//   2. One Request within kRequestTimeoutMs, decoded strictly (exec_wire.h) by the decoder, with
//      exactly the descriptors its mode needs (checked there, and again by count here).
//   3. Validation before anything is created: the namespace (netns_marker.h: a valid name, a
//      vpnns marker that matches), the exec policy (exec_policy.h: may this caller enter this
//      namespace? a refusal names the rule), the working directory descriptor is a directory, the
//      stdio descriptors are not directories and not O_PATH.
//   4. In a pty mode: a pty (posix_openpt), the slave handed to the caller's uid, the caller's
//      terminal modes and window size applied before the command starts. This process leads
//      the pty's session (setsid, TIOCSCTTY) and the command is its foreground job, in a group
//      of its own (launch.h), as under a login shell: Ctrl-Z stops it (a group whose parent is
//      in another session is orphaned, and the kernel would ignore the terminal's SIGTSTP).
//   5. launch() (launch.h) as the caller: uid, gid and groups from step 1, no capabilities, no
//      new privileges, in its own session, and part of the caller's user session (a scope in
//      their slice, their limits and loginuid: user_session.h). Then Started (with the pty
//      master: the client relays, sets window sizes on it, and when it goes away the pty hangs
//      up).
//   6. Until the command exits: Signal messages become kill(pid, sig) for the forwardable
//      signals only, and only while the command is unreaped (its pid cannot be reused before:
//      this process is its parent); SIGCONT goes to the command's process group (its pid: it
//      leads its own session). In a pty mode, the command stopping (Ctrl-Z) is reported as
//      Stopped, so that vpnnsctl stops too and sends SIGCONT when it is resumed. EOF from the
//      client is a hang-up: the command gets SIGHUP (and SIGCONT, in case it was stopped).
//      Then Exit with the wait status, and the process ends.
//
// What a hostile member of the group can do with it: run any command they could run anyway,
// as themselves, with their own groups and no more, inside a namespace that vpnns-helper
// marked — i.e. send traffic through a VPN tunnel, which is what the group grants. They cannot
// name another namespace (marker checks; names are never paths), gain privileges (no
// capabilities, NO_NEW_PRIVS: set-uid programs do not elevate), see or keep any descriptor of
// the service (close_range), signal anything but their own command (SIGCONT: its process
// group; the terminal's signals, should the command hand the foreground to this process's
// group, are ignored here), change the host's mounts (private mount namespace, slave
// propagation), or make the service act on a pty or directory it did not check. Oversized or
// malformed requests are refused by the decoder before anything is allocated for them; a
// silent client is dropped after the timeout; the number of sessions per uid and in all is
// capped by the service (main.cc).
//
// A forward (`vpnnsctl forward`, socket_request.h) is the same session with another first
// request: the decoder decodes the ForwardRequest and later SocketOpen frames and passes them on
// as orders; steps 1-3 admit it as an exec (group, marker, decide_exec()), then this process
// checks the endpoints again (127.0.0.1 only, no listener below 1024) and serves each socket
// order with a short-lived child that enters the namespace as the caller (setns; uid, gid,
// groups), which is why CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID stay (session_confine.cc).
#pragma once

#include <sys/types.h>

#include <string>

#include "common/unique_fd.h"
#include "state/exec_policy.h"

namespace vpnns {

struct SessionConfig {
  gid_t group = 0;
  std::string group_name;
  std::string policy_path = kExecPolicyPath;  // --policy (state/exec_policy.h)
};

inline constexpr int kRequestTimeoutMs = 10'000;

// Serves `conn` to the end and returns the process's exit status. Logs one line per outcome to
// stderr (the journal, under systemd).
int serve_session(UniqueFd conn, const SessionConfig& config);

}  // namespace vpnns
