// SPDX-License-Identifier: GPL-2.0-or-later
// Markers: which network namespaces are vpnns's.
//
// `ip netns list` shows every named namespace; nothing there says which ones hold a vpnns
// tunnel. vpnns-helper says it (netns mode): once UP has moved the tunnel in and the namespace
// passed UP's isolation check (helper/tunnel.h), it writes
//
//   /run/vpnns/netns/NAME      one line "DEV:INO ROLE\n", DEV and INO decimal, ROLE client|server
//
// where DEV and INO are st_dev and st_ino of /run/netns/NAME as stat(2) reports them: the nsfs
// inode that identifies the namespace mounted there, and ROLE the configuration's role= (a
// server's namespace is a gateway: the exec policy keeps group members out of it by default,
// execd/exec_policy.h). Directories 0755 root, file 0644 root, written atomically (a temporary
// file in the same directory, then rename). At start-up the helper removes the marker of its
// namespace, and it removes it again when UP's isolation check refuses the namespace: a
// namespace that failed the check is never enterable. Otherwise the helper leaves it: the
// namespace outlives the helper, closed. `vpnnsctl reset NAME --netns` removes it with the
// namespace. A marker "DEV:INO\n" (an older helper's) is accepted with no role recorded.
//
// Readers: vpnns-execd and vpnnsctl exec (may a user run a command in NAME?) and vpnnsctl reset
// (did vpnns use NAME?). A reader accepts NAME only if every check passes, and says which one
// failed: NAME is a valid namespace name (names.h), /run/netns/NAME exists and is a network
// namespace, the marker exists, it and every directory above it belong to root and are not
// writable by group or others (so only root can have written or replaced it), its content is
// well formed, and its DEV:INO equals that of the namespace mounted at /run/netns/NAME now (a
// namespace deleted and re-created by someone else under the same name does not inherit the
// marker). The descriptor returned is the one that was checked, so the caller enters exactly
// that namespace, whatever the path names a moment later.
//
// Limit: the kernel reuses the inode number of a freed namespace. If root deletes a vpnns
// namespace and creates an unrelated one under the same name, the new one may get the old
// number and pass. Only root can do that, and it is root's namespace to name; a fresh marker
// needs a fresh helper start either way.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns {

// Where namespaces and markers live. Tests point these elsewhere; nothing else does.
struct NetnsPaths {
  std::string netns_dir = "/run/netns";
  std::string marker_dir = "/run/vpnns/netns";
};

struct NetnsId {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const NetnsId&, const NetnsId&) = default;
};

// What a marker records: the namespace's identity and the role of the tunnel in it (none in an
// older helper's marker).
struct NetnsMarker {
  NetnsId id;
  std::optional<Role> role;
  friend bool operator==(const NetnsMarker&, const NetnsMarker&) = default;
};

// "DEV:INO ROLE\n" ("DEV:INO\n" without a role). Pure.
std::string format_netns_marker(NetnsId id, std::optional<Role> role = std::nullopt);
// Exactly "DEV:INO\n" or "DEV:INO client\n" or "DEV:INO server\n", with decimal numbers without
// leading zeros or signs. Pure.
Result<NetnsMarker> parse_netns_marker_record(std::string_view content);
// The same, the identity only.
Result<NetnsId> parse_netns_marker(std::string_view content);
// "client" or "server".
const char* role_word(Role role);

// The marker directory, held open by the helper from start-up: open() creates it and its parent
// (0755) when missing and refuses directories that root does not own or that others may write;
// write() and remove() then use *at() calls on the held descriptor only (openat, pwrite, fchmod,
// renameat, unlinkat), which is what the helper's seccomp filter leaves it after start-up.
class MarkerDir {
 public:
  static Result<MarkerDir> open(const NetnsPaths& paths = {});
  // Writes the marker for namespace `name`, open as `netns_fd`, atomically.
  Status write(const std::string& name, int netns_fd, Role role);
  // Removes the marker of `name`; no marker is not an error.
  Status remove(const std::string& name);

 private:
  MarkerDir(UniqueFd dir, std::string path) : dir_(std::move(dir)), path_(std::move(path)) {}
  UniqueFd dir_;
  std::string path_;
};

// MarkerDir::open(paths), then write().
Status write_netns_marker(const std::string& name, int netns_fd, Role role,
                          const NetnsPaths& paths = {});

// A namespace open_vpnns_netns() accepted, with what its marker records.
struct MarkedNetns {
  UniqueFd fd;
  std::optional<Role> role;
};

// Opens /run/netns/NAME if NAME is a vpnns namespace (every check above), and not the network
// namespace the calling process runs in. Messages name the check that failed.
Result<MarkedNetns> open_marked_netns(std::string_view name, const NetnsPaths& paths = {});
Result<UniqueFd> open_vpnns_netns(std::string_view name, const NetnsPaths& paths = {});

// The names of every namespace open_vpnns_netns() accepts, sorted.
std::vector<std::string> list_vpnns_netns(const NetnsPaths& paths = {});

// `name` made safe to quote in a message: control characters replaced, cut to 80 characters.
std::string printable_name(std::string_view name);

}  // namespace vpnns
