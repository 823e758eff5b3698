// SPDX-License-Identifier: GPL-2.0-or-later
// A server's own bounds, from openvpn's configuration as the plugin reads it at open
// (openvpn_config.h: root, before any network input — trusted): the `server` and `server-ipv6`
// pools join client-pool=, and `max-clients` becomes client-max= unless the plugin line gave
// one. The helper then accepts client addresses only inside those pools (helper/client_sets.h).
// Nothing here widens a bound the administrator wrote: pools are only added, and client-max=
// on the plugin line wins.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "plugin/openvpn_config.h"

namespace vpnns {

// Adds what `options` say to `config`; warnings for values that do not parse (left out).
std::vector<std::string> take_server_options(const OpenvpnOptions& options, Config& config);

}  // namespace vpnns
