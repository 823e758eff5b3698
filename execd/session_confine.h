// SPDX-License-Identifier: GPL-2.0-or-later
// What each process of a vpnns-execd session may still do (session.h draws the processes).
//
// The decoder — the only process that reads the client's bytes — keeps nothing a code-execution
// bug could use (confine_session_decoder()):
//   * the caller's own identity: its uid, gid and groups from SO_PEERCRED/SO_PEERGROUPS. Not
//     uid 0 without capabilities: uid 0 still owns /etc and everything in it, may chmod it (which
//     Landlock does not govern) and write it. Not `nobody`: openvpn runs as nobody. The caller's
//     own uid gives a hostile caller nothing they did not have (the kernel also marks the process
//     non-dumpable at the switch, so the caller cannot ptrace it either);
//   * no capabilities (effective, permitted, inheritable, ambient) and PR_SET_NO_NEW_PRIVS;
//   * a Landlock domain that handles every file-system right and allows none: it can open,
//     create, remove or rename nothing. It needs no file: it reads and writes the client's
//     socket and the channel to the privileged process, both open before.
//   It gets PR_SET_PDEATHSIG(SIGKILL): it never outlives its privileged process.
//
// The privileged process keeps only the capabilities of the steps that are its job
// (monitor_capabilities(), one row per need), effective and permitted; the rest are dropped
// before the decoder is forked. The bounding set stays (launch.h says why: ping). It is not
// landlocked, on purpose: it mounts (netns_view.h) — which a landlocked process may not — and
// the command it forks must not inherit a domain (Landlock survives execve(); the user's
// command would lose their home directory).
#pragma once

#include <vector>

#include "common/error.h"
#include "execd/launch.h"

namespace vpnns {

struct KeptCapability {
  int cap;
  const char* name;
  const char* why;
};

// The privileged process's capabilities, with the step that needs each.
const std::vector<KeptCapability>& monitor_capabilities();

// Drops every capability but monitor_capabilities() (effective, permitted: those it holds;
// inheritable and ambient emptied).
Status keep_monitor_capabilities();

// Becomes `caller`, without capabilities, no new privileges, landlocked to nothing. Returns the
// Landlock ABI used (0: the kernel has no Landlock).
Result<int> confine_session_decoder(const Identity& caller);

}  // namespace vpnns
