// SPDX-License-Identifier: GPL-2.0-or-later
// The routes a ROUTE_UP asks for, computed from the request and the tunnel's configuration.
// Pure: no I/O. The tunnel plans with it (tunnel_routes.cc) after validate_route_up (validate.h)
// accepted the request, so what is validated and what is installed are one list.
#pragma once

#include <string>
#include <vector>

#include "helper_ipc/messages.h"
#include "kernel/rtnl.h"

namespace vpnns {

// The routes to install for `req` on device `ifindex`: the pushed (or, on a server,
// configured) routes, plus — for a client, whose namespace has no other way out — a default
// route through the tunnel for each family the tunnel has an address in (unless one was pushed).
// Duplicates (same destination and metric) keep their first occurrence; `warnings` says so.
std::vector<RouteSpec> desired_routes(const RouteUpRequest& req, const UpRequest& link, int ifindex,
                                      bool add_defaults, std::vector<std::string>& warnings);

}  // namespace vpnns
