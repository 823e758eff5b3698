// Semantic validation of requests against the helper's own state. Pure: no I/O.
//
// The decoder (common/wire.h) guarantees shape: bounded counts and lengths, well-formed
// addresses. This layer decides whether a well-formed request makes sense for *this* tunnel:
// the device is the one pinned at the first UP, addresses are unicast host addresses of the
// right family, prefix lengths and the MTU are in range, every route gateway is reachable through
// the tunnel, DNS values are addresses or DNS names. Everything it refuses comes back to openvpn
// as a reason, and nothing has been changed when it refuses.
//
// It also computes the routes a ROUTE_UP asks for (desired_routes), so what is validated and
// what is installed are one list.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "helper/rtnl.h"
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

// The routes to install for `req` on device `ifindex`: the pushed (or, on a server,
// configured) routes, plus — for a client, whose namespace has no other way out — a default
// route through the tunnel for each family the tunnel has an address in (unless one was pushed).
// Duplicates (same destination and metric) keep their first occurrence; `warnings` says so.
std::vector<RouteSpec> desired_routes(const RouteUpRequest& req, const UpRequest& link, int ifindex,
                                      bool add_defaults, std::vector<std::string>& warnings);

}  // namespace vpnns
