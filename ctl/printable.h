// SPDX-License-Identifier: GPL-2.0-or-later
// printable(): a string made safe for a terminal. vpnnsctl prints names and comments read from
// the kernel (anyone's with CAP_NET_ADMIN in that namespace) and event messages that may quote a
// hostile peer; a terminal must not obey the control sequences they might carry.
#pragma once

#include <string>
#include <string_view>

namespace vpnns::ctl {

// `s` with control characters (C0, DEL, C1) and bytes that are not UTF-8 replaced by '?'.
std::string printable(std::string_view s);

}  // namespace vpnns::ctl
