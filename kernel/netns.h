// SPDX-License-Identifier: GPL-2.0-or-later
// Named network namespaces, the way iproute2 keeps them: a bind mount of the namespace on
// /run/netns/NAME, so `ip netns list` and `ip netns exec NAME` see it.
//
// The helper never moves itself between namespaces. Work inside another namespace is done
// through sockets created there: a short-lived thread enters the namespace (setns and unshare of
// CLONE_NEWNET act on the calling thread only), creates the socket or the namespace, and ends;
// the main thread stays in openvpn's namespace for the helper's whole life.
//
// A namespace created from inside a private mount namespace (openvpn under `ip netns exec`, or a
// systemd unit with PrivateTmp=/ProtectSystem=) would be a bind mount nobody else can see; the
// helper refuses that case with a message saying how to create the namespace beforehand.
//
// Needs CAP_SYS_ADMIN (setns, unshare, mount).
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vpnns {

inline constexpr const char* kNetnsRunDir = "/run/netns";

struct NetnsHandle {
  UniqueFd fd;
  bool created = false;  // this call created it (as opposed to opening an existing one)
};

// Opens /run/netns/NAME, creating it like `ip netns add NAME` when it does not exist. Refuses
// openvpn's own namespace and, for creation, a private mount namespace.
Result<NetnsHandle> open_or_create_netns(const std::string& name);

// A socket created inside the namespace `netns_fd`.
Result<UniqueFd> socket_in_netns(int netns_fd, int domain, int type, int protocol);

// Lets the users of namespace `netns_fd` ping as they can in the caller's namespace: copies
// net.ipv4.ping_group_range from here when the namespace still has the kernel's default ("1 0":
// no group may open ICMP echo sockets). Applications started by `vpnnsctl exec` run with
// no_new_privs, so ping's file capability does not apply and the ICMP socket is all they have;
// Debian's systemd opens it to every group on the host. A value someone set in the namespace
// is left alone. Returns whether it changed the value.
Result<bool> inherit_ping_group_range(int netns_fd);

// The inode number identifying a namespace fd (or the calling process's net namespace).

Result<ino_t> netns_inode(int netns_fd);
Result<ino_t> own_netns_inode();

}  // namespace vpnns
