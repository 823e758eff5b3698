// SPDX-License-Identifier: GPL-2.0-or-later
// The namespace's DNS files: /etc/netns/NAME/resolv.conf and /etc/netns/NAME/nsswitch.conf.
//
// `ip netns exec NAME` (and vpnnsctl) bind-mount every file of /etc/netns/NAME over its twin in
// /etc, so an application in the namespace resolves names with the tunnel's servers only.
// nsswitch.conf is the host's with its `hosts:` line replaced by `hosts: files dns`: modules like
// nss-resolve or nss-mdns would otherwise send lookups out through a socket of the host
// (systemd-resolved's) instead of through the tunnel, while users, groups and the rest should
// still resolve as on the host.
//
// Files are rewritten in place (same inode): a bind mount pins the inode it was made with, so an
// application already running in the namespace sees the new servers after a reconnect. The
// directory must be root's and not writable by others, the files regular with one link, opened
// without following symlinks — the helper is root and must not be steered into writing
// elsewhere.
//
// Rendering is pure (unit-tested); DnsFiles does the I/O. Needs write access to /etc/netns
// (root; CAP_DAC_OVERRIDE is not needed when running as uid 0 on root-owned files).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/etc_netns.h"  // kNetnsEtcDir, kVpnnsFileHeader
#include "helper_ipc/messages.h"

namespace vpnns {

std::string render_resolv_conf(const DnsConfig& dns);
// `host` is the host's /etc/nsswitch.conf ("" if it has none).
std::string render_nsswitch_conf(std::string_view host);

class DnsFiles {
 public:
  // Files under `etc_dir`/`netns` (etc_dir is /etc/netns except in tests, which also name
  // the `owner` the directories and files must have: root's except in tests).
  DnsFiles(std::string netns, std::string etc_dir = kNetnsEtcDir,
           std::string host_nsswitch = "/etc/nsswitch.conf", uid_t owner = 0);

  // Writes both files (creating the directory if needed).
  Status write(const DnsConfig& dns);
  // Removes both files, and the directory if that leaves it empty.
  Status remove();

  [[nodiscard]] std::string dir() const { return etc_dir_ + "/" + netns_; }
  // What the files say since the last successful write(); nullopt before it and after a
  // successful remove() (for the state file).
  [[nodiscard]] const std::optional<DnsConfig>& written() const { return written_; }

 private:
  std::string netns_;
  std::string etc_dir_;
  std::string host_nsswitch_;
  uid_t owner_;
  std::optional<DnsConfig> written_;
};

}  // namespace vpnns
