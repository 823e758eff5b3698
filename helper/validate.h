// SPDX-License-Identifier: GPL-2.0-or-later
// Semantic validation of requests against the helper's own state. Pure: no I/O.
//
// The decoder (helper_ipc/wire.h) guarantees shape: bounded counts and lengths, well-formed
// addresses. This layer decides whether a well-formed request makes sense for *this* tunnel:
// the device is the one pinned at the first UP, addresses are unicast host addresses of the
// right family, prefix lengths and the MTU are in range, every route gateway is reachable through
// the tunnel, DNS values are addresses or DNS names. Everything it refuses comes back to openvpn
// as a reason, and nothing has been changed when it refuses.
//
// Each mode calls these from its validate() (mode.h), the one place a request is judged; what a
// ROUTE_UP then installs is computed by route_plan.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ip.h"
#include "helper_ipc/messages.h"

namespace vpnns {

inline constexpr std::uint32_t kMinMtu = 576;
inline constexpr std::uint32_t kMinMtuIpv6 = 1280;
inline constexpr std::uint32_t kMaxMtu = 65535;

// `pinned_dev`: the device name pinned at the first UP, if any.
Status validate_up(const UpRequest& up, const std::optional<std::string>& pinned_dev);

// The VPN server's address (IPCHANGE, UP): a unicast host address.
Status validate_remote(const IpAddr& remote);

// `link`: the UP the tunnel was configured with.
Status validate_route_up(const RouteUpRequest& req, const UpRequest& link);

// DNS values (ROUTE_UP's, dns-up's): unicast server addresses, search domains that are DNS names.
Status validate_dns(const DnsConfig& dns);

// dns-up/dns-down from vpnns-dns-updown: `dev` is a device name and, once pinned, the pinned one.
Status validate_dns_updown(const DnsUpdownRequest& req, const std::optional<std::string>& pinned);

}  // namespace vpnns
