// SPDX-License-Identifier: GPL-2.0-or-later
// /etc/netns/NAME: the files `ip netns exec NAME` shows in place of /etc's (resolv.conf,
// nsswitch.conf). The helper writes them (helper/dns.h); vpnnsctl reads them (status) and removes
// them (reset) — only files that begin with vpnns's header.
#pragma once

namespace vpnns {

inline constexpr const char* kNetnsEtcDir = "/etc/netns";
// Both files begin with this: `vpnnsctl reset` removes only files that do.
inline constexpr const char* kVpnnsFileHeader = "# Written by vpnns";

}  // namespace vpnns
