// SPDX-License-Identifier: GPL-2.0-or-later
// The server arguments that bind what a server's openvpn may put into the client sets
// (helper/client_sets.h) to trusted configuration: lists of prefixes, as written in plugin
// arguments (client-pool=, client-iroutes=) and as passed on to the helper (Config::to_args).
//
// A prefix in such a list is a network without host bits ("198.51.100.0/24", "2001:db8::/48");
// the parser refuses anything else, naming it, so a typo never widens what is allowed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"

namespace vpnns {

// "PREFIX[,PREFIX...]"; the problem, if any, in `problem`.
std::vector<Prefix> parse_prefix_list(std::string_view text, std::string& problem);
// The list as parse_prefix_list reads it.
std::string prefix_list_str(const std::vector<Prefix>& prefixes);
// Whether some prefix of `within` holds all of `p`.
bool covered_by(const std::vector<Prefix>& within, const Prefix& p);

}  // namespace vpnns
