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
//   * confines itself with Landlock (helper_landlock_rules(), common/landlock.h) to the few
//     hierarchies the event loop touches: it may write only the DNS files under /etc/netns, its
//     state file, dns-updown socket and namespace markers under /run/vpnns; it may read only
//     those, /proc (openvpn's status, stat, fdinfo) and the host's /etc/nsswitch.conf. Nothing
//     else on the machine can be opened at all — not /etc/ld.so.preload, not /etc/cron.d, not
//     /etc/shadow, not /run/netns (the namespace it holds is already open). /etc/netns is the
//     unit rather than /etc/netns/NAME because NAME is created at the first DNS write and removed
//     at DOWN, and a Landlock rule binds a directory's inode, not its name;
//   * installs a seccomp filter that allows only the system calls its event loop makes
//     (kept_syscalls()) and kills the process on any other: no socket, no setns, no mount, no
//     exec, no ptrace, no landlock_* (the ruleset cannot be loosened, nor a new one stacked).
//     Arguments are pinned where the event loop's use is narrow: `kill` with signal 0 only
//     (checking whether a stale seal's owner is alive), `write` on stderr only, `ioctl` for
//     TUNGETIFF and TUNGETDEVNETNS only (UP's questions about openvpn's tun descriptors,
//     tun_holder.h), `fchmod` to the modes vpnns's files and directories have (Landlock does not
//     govern chmod), `mmap` never executable (no new code in memory), `renameat2` without flags,
//     `unlinkat` a file or an empty directory.
//     Which paths the file system calls (openat, mkdirat, unlinkat, renameat, ftruncate on what
//     openat returned) may reach is Landlock's part: seccomp cannot see a path.
//
// Order matters: Landlock needs PR_SET_NO_NEW_PRIVS (from the privilege drop) and comes after
// the last mount (a landlocked process may not mount) and before seccomp (which forbids its
// system calls). On a kernel without Landlock the helper starts anyway and says so on stderr
// (openvpn's log): seccomp and the capability drop still hold.
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
#include "common/etc_netns.h"
#include "common/landlock.h"
#include "state/state.h"

namespace vpnns {

// The capability the helper keeps after start-up.
inline constexpr const char* kKeptCapability = "CAP_NET_ADMIN";

// Fails, naming the capability and the systemd drop-in, if start-up for `config` cannot work.
Status check_startup_capabilities(const Config& config);

// Keeps CAP_NET_ADMIN only (effective, permitted, bounding); clears inheritable and ambient;
// sets PR_SET_NO_NEW_PRIVS.
Status drop_privileges();

// Where the event loop reads and writes. Tests point these into a temporary directory; the helper
// uses the defaults.
struct HelperFsPaths {
  std::string etc_netns = kNetnsEtcDir;  // DNS files, /etc/netns/NAME
  std::string state_dir = kStateDir;     // /run/vpnns: state file, dns-updown, markers
  std::string host_nsswitch = "/etc/nsswitch.conf";
  std::string proc = "/proc";
};

// The helper's Landlock ruleset for `config` (what the essay above lists). Pure.
std::vector<LandlockRule> helper_landlock_rules(const Config& config,
                                                const HelperFsPaths& paths = {});

// Creates what the rules must bind to but the event loop would create later (etc_netns), then
// applies helper_landlock_rules(). Returns the Landlock ABI used (0: the kernel has none).
Result<int> confine_filesystem(const Config& config, const HelperFsPaths& paths = {});

// The system calls the event loop may make (names as libseccomp knows them).
const std::vector<std::string>& kept_syscalls();

// Installs the allowlist filter on the calling process (and its future threads).
Status install_seccomp_filter();

}  // namespace vpnns
