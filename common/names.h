// SPDX-License-Identifier: GPL-2.0-or-later
// Validation of the names vpnns accepts: namespace names, interface names, DNS names.
//
// Each predicate is the single definition of what is acceptable, used by the plugin when it
// parses configuration and events and again by the helper when it validates requests. They are
// deliberately narrower than what the kernel or a resolver would take: a name that passes here
// can be written into a path, a file or a log line without quoting.
#pragma once

#include <string_view>

namespace vpnns {

// Network namespace name, as used under /run/netns and /etc/netns: 1-64 characters of
// [A-Za-z0-9_.-], not "." or "..".
bool is_valid_netns_name(std::string_view name);

// Interface name: 1-15 characters (IFNAMSIZ - 1) of [A-Za-z0-9_.-], not "." or "..". Linux
// allows more (anything but '/', ':' and whitespace) but openvpn's tun names never need it.
bool is_valid_ifname(std::string_view name);

// DNS name for a resolv.conf search list: dot-separated labels of [A-Za-z0-9_-], each 1-63
// characters, at most 253 characters in all, one optional trailing dot.
bool is_valid_dns_name(std::string_view name);

}  // namespace vpnns
