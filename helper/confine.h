// SPDX-License-Identifier: GPL-2.0-or-later
// Confinement: the helper is root, so it must be the most boring root process on the machine.
//
// Everything that needs power happens at start-up, before the helper reads its first request:
// entering and creating namespaces (CAP_SYS_ADMIN: setns, unshare, mount), opening netlink sockets
// inside them, checking /proc/1. After that the helper only talks netlink over sockets it already
// holds (CAP_NET_ADMIN: links, addresses, routes, nftables) and writes root-owned files under
// /etc/netns (as uid 0, the owner: no capability needed). So, before its Hello, it:
//
//   * keeps CAP_NET_ADMIN alone — effective, permitted and bounding; inheritable and ambient
//     empty (CAP_SETPCAP, needed to shrink the bounding set, goes with the rest);
//   * sets PR_SET_NO_NEW_PRIVS: nothing it could ever execute gains anything;
//   * installs a seccomp filter that allows only the system calls its event loop makes
//     (kept_syscalls()) and kills the process on any other: no socket, no setns, no mount, no
//     exec, no ptrace. `ioctl` is allowed for TUNGETIFF and TUNGETDEVNETNS only (UP's questions
//     about openvpn's tun descriptors, tun_holder.h). `kill` is allowed with signal 0 only
//     (checking whether a stale seal's owner is alive), `write` on stderr only.
//
// Its environment is empty, its cwd `/`, its descriptors only those the plugin gave it (the
// plugin closes the rest before exec).
//
// If a capability the configuration needs at start-up is missing — Debian's openvpn units do not
// grant CAP_SYS_ADMIN — start-up fails with a message that names it and the drop-in that grants
// it, instead of half-working.
//
// Sanitizer builds (VPNNS_SANITIZE) log instead of killing: the sanitizer runtimes make system
// calls of their own (LeakSanitizer ptraces its threads at exit).
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"

namespace vpnns {

// The capability the helper keeps after start-up.
inline constexpr const char* kKeptCapability = "CAP_NET_ADMIN";

// Fails, naming the capability and the systemd drop-in, if start-up for `config` cannot work.
Status check_startup_capabilities(const Config& config);

// Keeps CAP_NET_ADMIN only (effective, permitted, bounding); clears inheritable and ambient;
// sets PR_SET_NO_NEW_PRIVS.
Status drop_privileges();

// The system calls the event loop may make (names as libseccomp knows them).
const std::vector<std::string>& kept_syscalls();

// Installs the allowlist filter on the calling process (and its future threads).
Status install_seccomp_filter();

}  // namespace vpnns
