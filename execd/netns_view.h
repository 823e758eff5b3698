// SPDX-License-Identifier: GPL-2.0-or-later
// The file-system view of a command run in a vpnns namespace: what `ip netns exec` arranges,
// and what it leaves open.
//
// Runs in the child that will become the command, as root, after it entered the network
// namespace and a mount namespace of its own (unshare(CLONE_NEWNS), then "/" made a recursive
// slave: mounts of the host still propagate in, nothing made here propagates back):
//
//  1. Name resolution that would leave the namespace is hidden: an empty tmpfs (root's, 0755)
//     is mounted over systemd-resolved's /run/systemd/resolve (io.systemd.Resolve, the stub's
//     files, every other socket there) and over nscd's /run/nscd and /var/run/nscd, where they
//     exist. Both services answer from the host's network namespace, so a lookup through them
//     would bypass the tunnel's DNS. (systemd-resolved's D-Bus API on the system bus is not
//     hidden: desktop applications need the bus. nss-resolve does not use it, and the
//     nsswitch.conf vpnns writes sends lookups to `files dns` only.)
//  2. Every entry of /etc/netns/NAME is bind-mounted over /etc/ENTRY, as `ip netns exec` does
//     (vpnns-helper writes resolv.conf and nsswitch.conf there). The directory and its entries
//     must belong to root and be writable by root alone, and be files or directories, not
//     symlinks. /etc/ENTRY must exist (nothing is ever created in the host's /etc). If it is a
//     symlink, the bind goes on its target: /etc/resolv.conf is often one, into
//     /run/systemd/resolve (hidden by step 1: the target is then created in that private tmpfs)
//     or /run/resolvconf. A dangling link elsewhere is refused.
//  3. /sys is replaced by a sysfs mounted from inside the namespace, so /sys/class/net lists the
//     namespace's devices; /sys/fs/cgroup (and what is mounted below it) is carried over.
//
// Any failure is an error: the command does not start with a half-made view.
#pragma once

#include <string>

#include "common/error.h"

namespace vpnns {

Status prepare_netns_view(const std::string& netns_name);

}  // namespace vpnns
